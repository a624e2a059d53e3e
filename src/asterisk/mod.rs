//! Asterisk's configuration as far as exposure needs it: the config file format (templates,
//! `#include`) and ACLs (`permit`/`deny`/`acl`) evaluated with Asterisk's own semantics.

pub mod acl;
pub mod conf;
pub mod endpoints;

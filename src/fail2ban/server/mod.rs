//! A running fail2ban: what bantop asks it and tells it through its unix socket, and what it
//! keeps in its sqlite database.

pub mod database;
mod requests;
pub mod socket_client;

pub use requests::{Fail2ban, JailStatus, ServerBan, socket_path};

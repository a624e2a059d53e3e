//! The one-shot commands (`status`, `jails`, `unban`, `ban`, `whitelist`, `ports`, `check`, `acl check`): each gathers its facts through the
//! library and writes text or JSON to the given output, returning the process exit status.

pub mod acl;
pub mod actions;
pub mod check;
pub mod events;
pub mod firewall;
pub mod inspect;
pub mod jails;
pub mod ports;
pub mod regex;
pub mod status;
mod whitelists;

/// Exit status: done, nothing wrong.
pub const OK: u8 = 0;
/// Exit status: done, and something needs the operator's attention (a failed check, a denial).
pub const ATTENTION: u8 = 1;

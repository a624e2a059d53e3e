//! One audited action, as written to and read from the audit log.

use serde::{Deserialize, Serialize};

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Epoch seconds.
    pub time: f64,
    /// The real user id.
    pub uid: u32,
    /// Who ran sudo, if anyone.
    pub sudo_user: Option<String>,
    /// The terminal, if any.
    pub tty: Option<String>,
    /// The SSH client address, if any.
    pub ssh: Option<String>,
    /// `unban`, `ban`, `whitelist`, `unwhitelist`, `rescue`.
    pub action: String,
    /// The address or network.
    pub target: String,
    /// The jails concerned.
    pub jails: Vec<String>,
    /// `ok`, or what went wrong.
    pub result: String,
}

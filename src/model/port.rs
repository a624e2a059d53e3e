//! A listening socket and what bantop makes of it: its owner, the service the platform's port
//! table expects there, and a finding when it should not be reachable.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// Who can reach a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every address (`0.0.0.0`, `::`).
    All,
    /// Loopback only (`127.0.0.0/8`, `::1`).
    Loopback,
    /// One non-loopback address.
    Specific,
}

/// How worrying a port is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// As expected.
    Ok,
    /// Worth a look.
    Warn,
    /// Should not be like this.
    Fail,
}

/// One listening socket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Port {
    /// TCP or UDP.
    pub proto: Proto,
    /// Local address.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// Owning process, when it could be found.
    pub pid: Option<u32>,
    /// Its name (`comm`).
    pub process: Option<String>,
    /// Why the owner is unknown, when it is.
    pub owner_unknown: Option<String>,
    /// The socket's user.
    pub user: String,
    /// Who can reach it.
    pub scope: Scope,
    /// The service the platform's port table names for this port.
    pub service: Option<String>,
    /// Severity of the finding.
    pub severity: Severity,
    /// What is wrong or notable, in words.
    pub finding: Option<String>,
    /// Whether a firewall rule restricts it: `unknown` until bantop reads the firewall.
    pub firewall: String,
}

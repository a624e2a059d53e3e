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
    /// Whether a new connection from outside reaches it, by the kernel's ruleset.
    pub firewall: Reach,
    /// With `restricted`: the sources allowed (networks, with `on IFACE` when only through one
    /// interface).
    pub allowed_from: Vec<String>,
    /// The rule (or chain policy) that decides it, when one does.
    pub firewall_rule: Option<RuleRef>,
    /// Why it is `unknown`, or what else the operator should know about the verdict.
    pub firewall_reason: Option<String>,
}

/// Whether a new connection from outside (not loopback) reaches a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// From (almost) anywhere: at most a minority of sources (bans) is dropped.
    Open,
    /// From the listed sources only.
    Restricted,
    /// From nowhere.
    Closed,
    /// Not known: the ruleset could not be read or holds what bantop does not model.
    Unknown,
}

impl Reach {
    /// Its name, as `ports --json` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Reach::Open => "open",
            Reach::Restricted => "restricted",
            Reach::Closed => "closed",
            Reach::Unknown => "unknown",
        }
    }
}

/// A rule of the kernel's ruleset, or a base chain's policy (no handle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// The table's family (`inet`, `ip`, `ip6`).
    pub family: String,
    /// The table.
    pub table: String,
    /// The chain.
    pub chain: String,
    /// The rule's handle (`nft -a list chain ...`); none for the chain's policy.
    pub handle: Option<u64>,
    /// What it does to the port's packets: `accept`, `drop`, `policy drop`, ...
    pub verdict: String,
}

impl std::fmt::Display for RuleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.family, self.table, self.chain)?;
        match self.handle {
            Some(handle) => write!(f, " handle {handle} ({})", self.verdict),
            None => write!(f, " ({})", self.verdict),
        }
    }
}

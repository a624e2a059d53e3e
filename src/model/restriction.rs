//! A port restriction: new connections from outside to one port are accepted from the listed
//! networks only (loopback always), by rules in bantop's own nftables table. Parsing and
//! refusals live here: a port out of range, a protocol other than tcp/udp, a network too wide,
//! and a restriction that would cut the operator's own SSH session.

use super::port::Proto;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The saved copy's file name in the state directory.
pub const FILE_NAME: &str = "restrictions.json";
/// The rollback timer of a restriction applied without `--keep`, seconds.
pub const DEFAULT_ROLLBACK: u64 = 60;
/// The most networks one restriction allows.
pub const MAX_ALLOWED: usize = 64;

/// One port's restriction, as saved in the state directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restriction {
    /// The port.
    pub port: u16,
    /// Its protocol.
    pub proto: Proto,
    /// The networks allowed (none: only loopback).
    pub allow: Vec<IpNet>,
    /// Epoch seconds at which it is rolled back unless confirmed; `None`: kept.
    pub rollback_at: Option<f64>,
    /// Epoch seconds when it was applied.
    pub since: f64,
    /// While pending: the kept restriction of the port it replaced (its allowed networks), put
    /// back if this one is rolled back.
    #[serde(default)]
    pub replaced: Option<Vec<IpNet>>,
}

impl Restriction {
    /// `5432/tcp`.
    pub fn label(&self) -> String {
        port_label(self.port, self.proto)
    }

    /// The rules it puts in bantop's `restrict` chain, as `nft` would print them.
    pub fn rules(&self) -> Vec<String> {
        let proto = proto_name(self.proto);
        let mut rules: Vec<String> = self
            .allow
            .iter()
            .map(|net| {
                let family = if net.addr().is_ipv4() { "ip" } else { "ip6" };
                format!("{proto} dport {} {family} saddr {net} accept", self.port)
            })
            .collect();
        rules.push(format!("{proto} dport {} counter drop", self.port));
        rules
    }
}

/// `5432/tcp`.
pub fn port_label(port: u16, proto: Proto) -> String {
    format!("{port}/{}", proto_name(proto))
}

fn proto_name(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

/// The rule every restriction relies on, first in the chain: the machine's own traffic.
pub const LOOPBACK_RULE: &str = "iif \"lo\" accept";

/// Reads `PORT/PROTO` (`5432/tcp`, `5060/udp`).
pub fn parse_port(text: &str) -> Result<(u16, Proto), String> {
    let (port, proto) = text
        .split_once('/')
        .ok_or_else(|| format!("{text}: write PORT/PROTO, e.g. 5432/tcp"))?;
    let proto = match proto.to_ascii_lowercase().as_str() {
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        other => return Err(format!("{text}: protocol {other:?}: only tcp and udp")),
    };
    let port: u32 = port
        .parse()
        .map_err(|_| format!("{text}: port {port:?} is not a number"))?;
    match u16::try_from(port) {
        Ok(port) if port > 0 => Ok((port, proto)),
        _ => Err(format!("{text}: port {port} is out of range (1-65535)")),
    }
}

/// Reads an allowed network: an address or CIDR in any spelling (`::ffff:` forms are IPv4);
/// host bits must be clear, and a network wider than /8 (IPv4) or /16 (IPv6) restricts almost
/// nothing and is refused.
pub fn parse_allowed(text: &str) -> Result<IpNet, String> {
    let net = super::address::canonical_target(text).map_err(|e| format!("--allow {text}: {e}"))?;
    let narrowest = if net.addr().is_ipv4() { 8 } else { 16 };
    if net.prefix_len() < narrowest {
        return Err(format!(
            "--allow {text}: too wide (wider than /{narrowest}): it restricts almost nothing"
        ));
    }
    Ok(net)
}

/// Why a restriction would cut the SSH session at `client` -> `server_port` (the operator's own),
/// if it would: the session's port restricted and its source not allowed.
pub fn cuts_session(restriction: &Restriction, session: Option<(IpAddr, u16)>) -> Option<String> {
    let (client, server_port) = session?;
    let client = match client {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
        v4 => v4,
    };
    if restriction.proto != Proto::Tcp || restriction.port != server_port {
        return None;
    }
    if restriction.allow.iter().any(|net| net.contains(&client)) || client.is_loopback() {
        return None;
    }
    Some(format!(
        "refused: {} is this SSH session's port and {client}, its source, would not be allowed (add --allow {client})",
        restriction.label()
    ))
}

/// What a rollback left in place.
#[derive(Debug, Clone, PartialEq)]
pub enum Reverted {
    /// The port is unrestricted.
    Removed,
    /// The kept restriction it replaced is back, allowing these networks.
    Previous(Vec<IpNet>),
}

impl Reverted {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Reverted::Removed => "removed: the port is unrestricted again".to_string(),
            Reverted::Previous(allow) => format!(
                "the restriction it replaced is back (from {})",
                if allow.is_empty() {
                    "loopback only".to_string()
                } else {
                    allow
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        }
    }
}

/// Rolls back `all[index]` in place.
pub fn revert_in(all: &mut Vec<Restriction>, index: usize) -> Reverted {
    match all[index].replaced.take() {
        Some(allow) => {
            all[index].allow = allow.clone();
            all[index].rollback_at = None;
            Reverted::Previous(allow)
        }
        None => {
            all.remove(index);
            Reverted::Removed
        }
    }
}

/// Puts `restriction` in `all` in place of the same port's, which a pending one remembers (to
/// put it back if it is rolled back); sorted by protocol and port.
pub fn put_in(all: &mut Vec<Restriction>, mut restriction: Restriction) {
    let key = (restriction.port, restriction.proto);
    if restriction.rollback_at.is_some()
        && let Some(before) = all.iter().find(|r| (r.port, r.proto) == key)
    {
        restriction.replaced = match before.rollback_at {
            None => Some(before.allow.clone()),
            Some(_) => before.replaced.clone(),
        };
    }
    all.retain(|r| (r.port, r.proto) != key);
    all.push(restriction);
    all.sort_by_key(|r| (r.proto, r.port));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_protocols_and_networks_are_checked() {
        assert_eq!(parse_port("5432/tcp"), Ok((5432, Proto::Tcp)));
        assert_eq!(parse_port("5060/UDP"), Ok((5060, Proto::Udp)));
        assert!(parse_port("70000/tcp").is_err_and(|e| e.contains("out of range")));
        assert!(parse_port("0/tcp").is_err());
        assert!(parse_port("22/sctp").is_err_and(|e| e.contains("only tcp and udp")));
        assert!(parse_port("22").is_err());
        assert!(parse_allowed("192.0.2.0/24").is_ok());
        assert!(parse_allowed("192.0.2.1/24").is_err_and(|e| e.contains("host bits")));
        assert!(parse_allowed("fe80::1%eth0").is_err_and(|e| e.contains("zone id")));
        assert!(parse_allowed("0.0.0.0/0").is_err_and(|e| e.contains("too wide")));
        assert!(parse_allowed("::/8").is_err());
        assert_eq!(
            parse_allowed("::ffff:192.0.2.5").map(|n| n.to_string()),
            Ok("192.0.2.5/32".to_string())
        );
        assert!(parse_allowed("192.0.2.300").is_err());
    }

    #[test]
    fn the_operator_s_session_is_not_cut() {
        let restriction = |allow: &[&str]| Restriction {
            port: 22,
            proto: Proto::Tcp,
            allow: allow.iter().filter_map(|a| a.parse().ok()).collect(),
            rollback_at: None,
            since: 0.0,
            replaced: None,
        };
        let session = Some(("198.51.100.7".parse().unwrap_or([0, 0, 0, 0].into()), 22));
        assert!(cuts_session(&restriction(&["192.0.2.0/24"]), session).is_some());
        assert!(cuts_session(&restriction(&["198.51.100.0/24"]), session).is_none());
        let mapped = Some((
            "::ffff:198.51.100.7".parse().unwrap_or([0, 0, 0, 0].into()),
            22,
        ));
        assert!(
            cuts_session(&restriction(&["192.0.2.0/24"]), mapped).is_some(),
            "another spelling of the same source"
        );
        assert!(cuts_session(&restriction(&[]), None).is_none());
    }
}

//! The kernel's whole ruleset as the reachability reading needs it: every chain with its hook,
//! priority and policy, every rule with its handle and expressions, every set with its elements,
//! the network interfaces of this namespace, and whether iptables-legacy tables (which
//! nftables cannot show) are loaded beside it.

use super::netlink::{self, RawChain, RawElement, RawRule, RawSet};
use std::io;
use std::path::Path;

/// A set and its elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetContents {
    /// The set.
    pub set: RawSet,
    /// Its elements, as the kernel lists them.
    pub elements: Vec<RawElement>,
}

/// A network interface of this namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its name (`eth0`).
    pub name: String,
    /// Its index (what `meta iif` compares).
    pub index: u32,
}

/// The ruleset and what it is read against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ruleset {
    /// Every chain of every table.
    pub chains: Vec<RawChain>,
    /// Every rule of every table.
    pub rules: Vec<RawRule>,
    /// Every set of every table, with its elements.
    pub sets: Vec<SetContents>,
    /// The interfaces other than loopback.
    pub interfaces: Vec<Interface>,
    /// iptables-legacy tables loaded in this namespace (`/proc/net/ip_tables_names`,
    /// `ip6_tables_names`): their rules are invisible to nftables.
    pub legacy_tables: Vec<String>,
}

/// The largest key read from a set (an IPv6 address); concatenated keys are longer.
const MAX_KEY: u32 = 16;

/// Reads the ruleset over netlink, the interfaces, and the legacy tables under `proc`.
pub fn read(proc: &Path) -> io::Result<Ruleset> {
    let chains = netlink::list_chains()?;
    let rules = netlink::list_rules()?;
    let mut sets = Vec::new();
    for set in netlink::list_sets()? {
        let elements = if set.key_len <= MAX_KEY {
            netlink::list_elements(&set)?
        } else {
            Vec::new()
        };
        sets.push(SetContents { set, elements });
    }
    Ok(Ruleset {
        chains,
        rules,
        sets,
        interfaces: interfaces(),
        legacy_tables: legacy_tables(proc),
    })
}

/// The interfaces of this network namespace but loopback.
fn interfaces() -> Vec<Interface> {
    netlink::list_interfaces()
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| name != "lo")
        .map(|(name, index)| Interface { name, index })
        .collect()
}

/// The iptables-legacy tables loaded in this namespace.
fn legacy_tables(proc: &Path) -> Vec<String> {
    let mut tables = Vec::new();
    for (file, family) in [("ip_tables_names", "ip"), ("ip6_tables_names", "ip6")] {
        if let Ok(text) = std::fs::read_to_string(proc.join("net").join(file)) {
            tables.extend(
                text.split_whitespace()
                    .map(|table| format!("{family} {table}")),
            );
        }
    }
    tables
}

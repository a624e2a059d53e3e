//! What the kernel's firewall holds, as bantop reads it: every set with its elements, and the
//! rules that drop traffic from listed sources (iptables-nft's `f2b-*` chains). Plain data; the
//! question it answers is "does the kernel drop this address, and where".

use ipnet::IpNet;
use serde::Serialize;
use std::collections::HashSet;
use std::net::IpAddr;

/// One element of a set: an address or network, and when it expires.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelElement {
    /// The address or network (an interval is split into the networks that cover it).
    pub net: IpNet,
    /// Seconds until the kernel removes it; `None` for no timeout.
    pub expires_in: Option<f64>,
}

/// A set in some table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelSet {
    /// `inet`, `ip`, `ip6`, ...
    pub family: String,
    /// Its table.
    pub table: String,
    /// Its name.
    pub name: String,
    /// Its address elements (sets of other keys are listed empty).
    pub elements: Vec<KernelElement>,
    /// The chains with a rule that drops or rejects sources found in it.
    pub dropped_by: Vec<String>,
}

/// A rule that drops or rejects one source network (what iptables-nft makes of `-s ADDR -j
/// REJECT`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainDrop {
    /// `ip`, `ip6`, `inet`, ...
    pub family: String,
    /// Its table.
    pub table: String,
    /// Its chain.
    pub chain: String,
    /// The source it matches.
    pub source: IpNet,
}

/// Everything bantop read from the kernel.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KernelFirewall {
    /// Every set of every table.
    pub sets: Vec<KernelSet>,
    /// Every single-source drop rule.
    pub chain_drops: Vec<ChainDrop>,
}

impl KernelFirewall {
    /// Where the kernel drops `ip`: `family table set|chain` for each set that holds it and is
    /// used by a dropping rule, and each chain rule that matches it.
    pub fn drops(&self, ip: IpAddr) -> Vec<String> {
        let sets = self
            .sets
            .iter()
            .filter(|set| !set.dropped_by.is_empty())
            .filter(|set| set.elements.iter().any(|e| e.net.contains(&ip)))
            .map(|set| format!("{} {} @{}", set.family, set.table, set.name));
        let chains = self
            .chain_drops
            .iter()
            .filter(|rule| rule.source.contains(&ip))
            .map(|rule| format!("{} {} {}", rule.family, rule.table, rule.chain));
        sets.chain(chains).collect()
    }

    /// Addresses the kernel drops because of fail2ban (its `f2b-table` sets and `f2b-*` chains),
    /// with where.
    pub fn fail2ban_drops(&self) -> Vec<(IpNet, String)> {
        let sets = self
            .sets
            .iter()
            .filter(|set| set.table.starts_with("f2b") && !set.dropped_by.is_empty())
            .flat_map(|set| {
                set.elements
                    .iter()
                    .map(move |e| (e.net, format!("{} {} @{}", set.family, set.table, set.name)))
            });
        let chains = self
            .chain_drops
            .iter()
            .filter(|rule| rule.chain.starts_with("f2b-"))
            .map(|rule| {
                (
                    rule.source,
                    format!("{} {} {}", rule.family, rule.table, rule.chain),
                )
            });
        sets.chain(chains).collect()
    }
}

/// Every source the kernel drops, indexed: a lookup per address instead of a scan of every
/// element (ban tables of thousands of rows are checked on every frame).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DropIndex {
    hosts: HashSet<IpAddr>,
    nets: Vec<IpNet>,
}

impl DropIndex {
    /// The sources of `kernel`'s dropping sets and rules.
    pub fn new(kernel: &KernelFirewall) -> Self {
        let sources = kernel
            .sets
            .iter()
            .filter(|set| !set.dropped_by.is_empty())
            .flat_map(|set| set.elements.iter().map(|e| e.net))
            .chain(kernel.chain_drops.iter().map(|rule| rule.source));
        let mut index = DropIndex::default();
        for net in sources {
            if net.prefix_len() == net.max_prefix_len() {
                index.hosts.insert(net.addr());
            } else {
                index.nets.push(net);
            }
        }
        index
    }

    /// Whether the kernel drops `ip` somewhere.
    pub fn drops(&self, ip: IpAddr) -> bool {
        self.hosts.contains(&ip) || self.nets.iter().any(|net| net.contains(&ip))
    }
}

/// What the kernel drops in fail2ban's sets and chains that none of `banned` accounts for.
pub fn unknown_to_fail2ban(kernel: &KernelFirewall, banned: &[IpAddr]) -> Vec<(IpNet, String)> {
    let hosts: HashSet<&IpAddr> = banned.iter().collect();
    kernel
        .fail2ban_drops()
        .into_iter()
        .filter(|(net, _)| {
            if net.prefix_len() == net.max_prefix_len() {
                !hosts.contains(&net.addr())
            } else {
                !banned.iter().any(|ip| net.contains(ip))
            }
        })
        .collect()
}

impl KernelFirewall {
    /// Where the kernel drops `ip`, if it does: the first dropping set holding it, else the
    /// first chain rule dropping it.
    pub fn dropped_where(&self, ip: IpAddr) -> Option<String> {
        self.sets
            .iter()
            .filter(|set| !set.dropped_by.is_empty())
            .find_map(|set| {
                let element = set.elements.iter().find(|e| e.net.contains(&ip))?;
                Some(format!(
                    "set {} {} {} holds {}",
                    set.family, set.table, set.name, element.net
                ))
            })
            .or_else(|| {
                self.chain_drops
                    .iter()
                    .find(|rule| rule.source.contains(&ip))
                    .map(|rule| {
                        format!(
                            "chain {} {} {} drops {}",
                            rule.family, rule.table, rule.chain, rule.source
                        )
                    })
            })
    }
}

/// A difference between what fail2ban says and what the kernel does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Drift {
    /// fail2ban lists the ban, but no set or rule in the kernel drops the address.
    NotEnforced {
        /// The jail.
        jail: String,
        /// The address.
        ip: IpAddr,
    },
    /// fail2ban lists a ban that does not read as an address (`198.051.097.002`): whether the
    /// kernel drops it cannot be told, so it is shown as fail2ban holds it.
    Unreadable {
        /// The jail.
        jail: String,
        /// The ban as fail2ban holds it.
        held: String,
    },
    /// The kernel drops the address in a fail2ban set or chain, but no jail lists it.
    UnknownToFail2ban {
        /// The address or network.
        net: IpNet,
        /// Where the kernel drops it.
        place: String,
    },
}

/// Compares fail2ban's bans (jail, address) with the kernel, both ways.
pub fn drift(bans: &[(String, IpAddr)], kernel: &KernelFirewall) -> Vec<Drift> {
    let index = DropIndex::new(kernel);
    let mut found: Vec<Drift> = bans
        .iter()
        .filter(|(_, ip)| !index.drops(*ip))
        .map(|(jail, ip)| Drift::NotEnforced {
            jail: jail.clone(),
            ip: *ip,
        })
        .collect();
    let banned: Vec<IpAddr> = bans.iter().map(|(_, ip)| *ip).collect();
    found.extend(
        unknown_to_fail2ban(kernel, &banned)
            .into_iter()
            .map(|(net, place)| Drift::UnknownToFail2ban { net, place }),
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn drift_both_ways_and_only_dropping_sets_count() {
        let kernel = KernelFirewall {
            sets: vec![
                KernelSet {
                    family: "inet".into(),
                    table: "f2b-table".into(),
                    name: "addr-set-sshd".into(),
                    elements: vec![
                        KernelElement {
                            net: net("192.0.2.1/32"),
                            expires_in: None,
                        },
                        KernelElement {
                            net: net("192.0.2.9/32"),
                            expires_in: Some(5.0),
                        },
                    ],
                    dropped_by: vec!["f2b-chain".into()],
                },
                KernelSet {
                    family: "inet".into(),
                    table: "f2b-table".into(),
                    name: "unused".into(),
                    elements: vec![KernelElement {
                        net: net("192.0.2.2/32"),
                        expires_in: None,
                    }],
                    dropped_by: vec![],
                },
            ],
            chain_drops: vec![ChainDrop {
                family: "ip".into(),
                table: "filter".into(),
                chain: "f2b-ASTERISK".into(),
                source: net("198.51.100.0/24"),
            }],
        };
        let ip = |text: &str| text.parse::<IpAddr>().unwrap_or_else(|_| panic!("{text}"));
        assert_eq!(
            kernel.drops(ip("192.0.2.1")),
            ["inet f2b-table @addr-set-sshd"]
        );
        assert!(
            kernel.drops(ip("192.0.2.2")).is_empty(),
            "a set no rule uses drops nothing"
        );
        assert_eq!(kernel.drops(ip("198.51.100.7")), ["ip filter f2b-ASTERISK"]);
        let bans = vec![
            ("sshd".to_string(), ip("192.0.2.1")),
            ("sshd".to_string(), ip("192.0.2.2")),
            ("asterisk".to_string(), ip("198.51.100.7")),
        ];
        assert_eq!(
            drift(&bans, &kernel),
            vec![
                Drift::NotEnforced {
                    jail: "sshd".into(),
                    ip: ip("192.0.2.2")
                },
                Drift::UnknownToFail2ban {
                    net: net("192.0.2.9/32"),
                    place: "inet f2b-table @addr-set-sshd".into()
                },
            ]
        );
    }
}

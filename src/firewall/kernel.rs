//! Reads every table's sets, elements and rules from the kernel and decodes them into
//! [`KernelFirewall`]: address elements (intervals split into networks), which sets a dropping
//! rule looks sources up in, and single-source drop rules such as iptables-nft's `f2b-*` chains.

use super::netlink::{RawChain, RawElement, RawExpr, RawRule, RawSet};
use super::ruleset::Ruleset;
use crate::model::firewall::{ChainDrop, KernelElement, KernelFirewall, KernelSet};
use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `NFT_SET_INTERVAL`.
const SET_INTERVAL: u32 = 0x4;
/// `NFT_PAYLOAD_NETWORK_HEADER`.
const NETWORK_HEADER: u32 = 1;
/// `NF_DROP`.
const VERDICT_DROP: i32 = 0;

/// Reads the whole ruleset over netlink.
pub fn read() -> std::io::Result<KernelFirewall> {
    super::ruleset::read(std::path::Path::new("/proc")).map(|ruleset| from_ruleset(&ruleset))
}

/// What the ruleset drops: address sets with their elements and the chains that drop their
/// sources, and single-source drop rules, all in reachable chains.
pub fn from_ruleset(ruleset: &Ruleset) -> KernelFirewall {
    let rules = reachable_rules(&ruleset.chains, ruleset.rules.clone());
    let sets = ruleset
        .sets
        .iter()
        .map(|contents| {
            let raw = &contents.set;
            KernelSet {
                family: family_name(raw.family).to_string(),
                dropped_by: chains_dropping_lookups(raw, &rules),
                table: raw.table.clone(),
                name: raw.name.clone(),
                elements: if matches!(raw.key_len, 4 | 16) {
                    decode_elements(raw, &contents.elements)
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let chain_drops = rules.iter().filter_map(single_source_drop).collect();
    KernelFirewall { sets, chain_drops }
}

/// The rules that packets can reach: those of base chains (hooked into the packet path) and of
/// the chains they jump or go to, transitively. A chain nothing jumps to drops nothing, however
/// many bans it lists (a fail2ban chain left behind, or whose jump was deleted).
pub fn reachable_rules(chains: &[RawChain], rules: Vec<RawRule>) -> Vec<RawRule> {
    let key =
        |family: u32, table: &str, chain: &str| (family, table.to_string(), chain.to_string());
    let mut reachable: BTreeSet<(u32, String, String)> = chains
        .iter()
        .filter(|c| c.hooked)
        .map(|c| key(c.family, &c.table, &c.name))
        .collect();
    loop {
        let jumps: Vec<(u32, String, String)> = rules
            .iter()
            .filter(|r| reachable.contains(&key(r.family, &r.table, &r.chain)))
            .flat_map(|r| {
                r.exprs.iter().filter_map(move |e| match e {
                    RawExpr::Jump(target) | RawExpr::Goto(target) => {
                        Some(key(r.family, &r.table, target))
                    }
                    _ => None,
                })
            })
            .filter(|target| !reachable.contains(target))
            .collect();
        if jumps.is_empty() {
            break;
        }
        reachable.extend(jumps);
    }
    rules
        .into_iter()
        .filter(|r| reachable.contains(&key(r.family, &r.table, &r.chain)))
        .collect()
}

/// Why talking to nftables failed, in the operator's words.
pub fn describe_error(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(1) => "permission denied (nftables needs root or CAP_NET_ADMIN)".to_string(),
        Some(93) | Some(97) => "the kernel has no nf_tables support".to_string(),
        _ => error.to_string(),
    }
}

/// nftables' name of an `NFPROTO_*` family.
pub fn family_name(family: u32) -> &'static str {
    match family {
        1 => "inet",
        2 => "ip",
        3 => "arp",
        5 => "netdev",
        7 => "bridge",
        10 => "ip6",
        _ => "unspec",
    }
}

fn address(key: &[u8]) -> Option<IpAddr> {
    match key.len() {
        4 => <[u8; 4]>::try_from(key)
            .ok()
            .map(|b| IpAddr::from(Ipv4Addr::from(b))),
        16 => <[u8; 16]>::try_from(key)
            .ok()
            .map(|b| IpAddr::from(Ipv6Addr::from(b))),
        _ => None,
    }
}

/// The address elements of a set. In an interval set an element opens a range that the next
/// interval-end element (exclusive) closes; a range is listed as the networks that cover it.
pub fn decode_elements(set: &RawSet, raw: &[RawElement]) -> Vec<KernelElement> {
    let expires = |e: &RawElement| e.expires_ms.map(|ms| ms as f64 / 1000.0);
    if set.flags & SET_INTERVAL == 0 {
        return raw
            .iter()
            .filter_map(|e| {
                let ip = address(&e.key)?;
                Some(KernelElement {
                    net: IpNet::from(ip),
                    expires_in: expires(e),
                })
            })
            .collect();
    }
    let mut sorted: Vec<&RawElement> = raw.iter().filter(|e| address(&e.key).is_some()).collect();
    // Where one interval ends the next may start at the same key (two adjacent bans): the end
    // sorts first, or the second interval would look empty and vanish from the reading.
    sorted.sort_by(|a, b| a.key.cmp(&b.key).then(b.interval_end.cmp(&a.interval_end)));
    let mut elements = Vec::new();
    for (index, start) in sorted.iter().enumerate() {
        if start.interval_end {
            continue;
        }
        let end = sorted[index + 1..]
            .iter()
            .find(|e| e.interval_end)
            .map(|e| e.key.as_slice());
        for net in covering_networks(&start.key, end) {
            elements.push(KernelElement {
                net,
                expires_in: expires(start),
            });
        }
    }
    elements
}

/// The networks covering `[start, end)`, or from `start` to the last address without an end.
fn covering_networks(start: &[u8], end: Option<&[u8]>) -> Vec<IpNet> {
    match (address(start), end.and_then(address)) {
        (Some(IpAddr::V4(start)), end) => {
            let last = match end {
                Some(IpAddr::V4(end)) => Ipv4Addr::from(u32::from(end).saturating_sub(1)),
                _ => Ipv4Addr::from(u32::MAX),
            };
            Ipv4Subnets::new(start, last, 0).map(IpNet::V4).collect()
        }
        (Some(IpAddr::V6(start)), end) => {
            let last = match end {
                Some(IpAddr::V6(end)) => Ipv6Addr::from(u128::from(end).saturating_sub(1)),
                _ => Ipv6Addr::from(u128::MAX),
            };
            Ipv6Subnets::new(start, last, 0).map(IpNet::V6).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a rule's verdict drops or rejects what it matched.
fn drops(rule: &RawRule) -> bool {
    rule.exprs.iter().any(|expr| match expr {
        RawExpr::Verdict(verdict) => *verdict == VERDICT_DROP,
        RawExpr::Target(name) => matches!(name.as_str(), "REJECT" | "DROP"),
        RawExpr::Other(name) => name == "reject",
        _ => false,
    })
}

/// Whether `expr` loads the source address (IPv4 at 12, IPv6 at 8 in the network header).
fn loads_source(expr: &RawExpr) -> bool {
    matches!(
        expr,
        RawExpr::Payload {
            base: NETWORK_HEADER,
            offset: 12,
            len: 1..=4,
            ..
        } | RawExpr::Payload {
            base: NETWORK_HEADER,
            offset: 8,
            len: 1..=16,
            ..
        }
    )
}

/// The set a rule looks sources up in, when the rule drops or rejects what it finds.
pub fn set_lookup_drop(rule: &RawRule) -> Option<String> {
    if !drops(rule) {
        return None;
    }
    rule.exprs.windows(2).find_map(|pair| match &pair[1] {
        RawExpr::Lookup {
            set,
            inverted: false,
            dreg: None,
            ..
        } if loads_source(&pair[0]) => Some(set.clone()),
        _ => None,
    })
}

/// The chains of the set's table with a rule that looks sources up in it and drops them.
fn chains_dropping_lookups(set: &RawSet, rules: &[RawRule]) -> Vec<String> {
    let mut chains: Vec<String> = rules
        .iter()
        .filter(|rule| rule.family == set.family && rule.table == set.table)
        .filter(|rule| set_lookup_drop(rule).as_deref() == Some(set.name.as_str()))
        .map(|rule| rule.chain.clone())
        .collect();
    chains.dedup();
    chains
}

/// The source network of a rule that matches one source (`payload`, maybe `bitwise`, `cmp ==`)
/// and drops or rejects it.
pub fn single_source_drop(rule: &RawRule) -> Option<ChainDrop> {
    if !drops(rule) {
        return None;
    }
    let start = rule.exprs.iter().position(loads_source)?;
    let RawExpr::Payload { offset, len, .. } = rule.exprs[start] else {
        return None;
    };
    let width = if offset == 12 { 4 } else { 16 };
    let (mask, compared) = match (rule.exprs.get(start + 1), rule.exprs.get(start + 2)) {
        (Some(RawExpr::Bitwise { mask, .. }), Some(RawExpr::Cmp { op: 0, data, .. })) => {
            (Some(mask), data)
        }
        (Some(RawExpr::Cmp { op: 0, data, .. }), _) => (None, data),
        _ => return None,
    };
    let mut key = compared.clone();
    key.resize(width, 0);
    let prefix = match mask {
        Some(mask) => mask.iter().map(|byte| byte.count_ones()).sum::<u32>(),
        None => len * 8,
    };
    let source = IpNet::new(address(&key)?, u8::try_from(prefix).ok()?).ok()?;
    Some(ChainDrop {
        family: family_name(rule.family).to_string(),
        table: rule.table.clone(),
        chain: rule.chain.clone(),
        source: source.trunc(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(key: &[u8], end: bool, expires_ms: Option<u64>) -> RawElement {
        RawElement {
            key: key.to_vec(),
            interval_end: end,
            timeout_ms: None,
            expires_ms,
            verdict: None,
            chain: None,
        }
    }

    fn set(flags: u32) -> RawSet {
        RawSet {
            family: 1,
            table: "bantop".into(),
            name: "ban4".into(),
            flags,
            key_len: 4,
        }
    }

    #[test]
    fn intervals_become_the_networks_that_cover_them() {
        // As the kernel dumps them: unsorted, ends flagged, the top range without an end.
        let raw = [
            element(&[10, 0, 0, 0], false, Some(60_000)),
            element(&[192, 0, 2, 78], true, None),
            element(&[11, 0, 0, 0], true, None),
            element(&[192, 0, 2, 77], false, Some(1_500)),
            element(&[255, 255, 255, 255], false, None),
        ];
        let nets: Vec<(String, Option<f64>)> = decode_elements(&set(SET_INTERVAL | 0x10), &raw)
            .into_iter()
            .map(|e| (e.net.to_string(), e.expires_in))
            .collect();
        assert_eq!(
            nets,
            vec![
                ("10.0.0.0/8".to_string(), Some(60.0)),
                ("192.0.2.77/32".to_string(), Some(1.5)),
                ("255.255.255.255/32".to_string(), None),
            ]
        );
        let plain = decode_elements(&set(0), &[element(&[192, 0, 2, 1], false, None)]);
        assert_eq!(plain[0].net.to_string(), "192.0.2.1/32");
    }

    #[test]
    fn adjacent_intervals_are_both_read_whichever_order_the_kernel_dumps_them() {
        // 198.51.103.3 and .4 banned one after the other: the end of the first and the start
        // of the second share the key .4.
        let three = element(&[198, 51, 103, 3], false, None);
        let four_end = element(&[198, 51, 103, 4], true, None);
        let four = element(&[198, 51, 103, 4], false, None);
        let five_end = element(&[198, 51, 103, 5], true, None);
        for raw in [
            [
                five_end.clone(),
                four.clone(),
                four_end.clone(),
                three.clone(),
            ],
            [
                three.clone(),
                four.clone(),
                four_end.clone(),
                five_end.clone(),
            ],
            [
                four.clone(),
                three.clone(),
                five_end.clone(),
                four_end.clone(),
            ],
        ] {
            let nets: Vec<String> = decode_elements(&set(SET_INTERVAL | 0x10), &raw)
                .into_iter()
                .map(|e| e.net.to_string())
                .collect();
            assert_eq!(nets, ["198.51.103.3/32", "198.51.103.4/32"], "{raw:?}");
        }
    }

    #[test]
    fn only_chains_reached_from_a_hook_count() {
        let chain = |name: &str, hooked| RawChain {
            family: 2,
            table: "filter".into(),
            name: name.into(),
            hooked,
            hook: hooked.then_some(1),
            priority: 0,
            policy: hooked.then_some(1),
            kind: "filter".into(),
        };
        let rule = |chain: &str, exprs: Vec<RawExpr>| RawRule {
            family: 2,
            table: "filter".into(),
            chain: chain.into(),
            handle: 0,
            exprs,
        };
        let drop = || vec![RawExpr::Verdict(0)];
        let rules = vec![
            rule("INPUT", vec![RawExpr::Jump("f2b-a".into())]),
            rule("f2b-a", vec![RawExpr::Jump("f2b-b".into())]),
            rule("f2b-b", drop()),
            rule("f2b-orphan", drop()),
        ];
        let chains = [
            chain("INPUT", true),
            chain("f2b-a", false),
            chain("f2b-b", false),
            chain("f2b-orphan", false),
        ];
        let kept: Vec<String> = reachable_rules(&chains, rules)
            .into_iter()
            .map(|r| r.chain)
            .collect();
        assert_eq!(kept, ["INPUT", "f2b-a", "f2b-b"]);
    }

    #[test]
    fn iptables_nft_source_rules_are_read_with_their_prefix() {
        let rule = |exprs: Vec<RawExpr>| RawRule {
            family: 2,
            table: "filter".into(),
            chain: "f2b-sshd".into(),
            handle: 0,
            exprs,
        };
        let payload = |len| RawExpr::Payload {
            base: 1,
            offset: 12,
            len,
            dreg: 1,
        };
        let reject = RawExpr::Target("REJECT".into());
        let host = rule(vec![
            payload(4),
            RawExpr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![203, 0, 113, 5],
            },
            RawExpr::Other("counter".into()),
            reject.clone(),
        ]);
        let drop = single_source_drop(&host).map(|d| d.source.to_string());
        assert_eq!(drop.as_deref(), Some("203.0.113.5/32"));
        let bytes = rule(vec![
            payload(3),
            RawExpr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![198, 51, 100],
            },
            reject.clone(),
        ]);
        let drop = single_source_drop(&bytes).map(|d| d.source.to_string());
        assert_eq!(drop.as_deref(), Some("198.51.100.0/24"));
        let masked = rule(vec![
            payload(4),
            RawExpr::Bitwise {
                sreg: 1,
                dreg: 1,
                mask: vec![255, 255, 240, 0],
                xor: vec![0; 4],
            },
            RawExpr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![10, 1, 16, 0],
            },
            RawExpr::Verdict(0),
        ]);
        let drop = single_source_drop(&masked).map(|d| d.source.to_string());
        assert_eq!(drop.as_deref(), Some("10.1.16.0/20"));
        let accept = rule(vec![
            payload(4),
            RawExpr::Cmp {
                sreg: 1,
                op: 0,
                data: vec![1, 2, 3, 4],
            },
            RawExpr::Verdict(1),
        ]);
        assert_eq!(
            single_source_drop(&accept),
            None,
            "an accept rule drops nothing"
        );
    }
}

//! Firewalls bantop writes to and reads from: nftables over netlink (bantop's own `inet bantop`
//! table, and every set and rule in the kernel), and the demo's simulated firewall, which keeps
//! the same operations, with the same rules, in memory.

pub mod kernel;
pub mod netlink;
pub mod nftables;
pub mod reachability;
pub mod rule_match;
pub mod ruleset;
pub mod simulated;

use crate::model::firewall::KernelElement;
use ipnet::IpNet;
pub use nftables::{BanOutcome, Element, NftablesError};
pub use simulated::SimulatedFirewall;

/// bantop's own set of banned addresses and networks, in the kernel or simulated.
pub trait OwnSet {
    /// Adds elements at once, replacing the same networks and networks inside them; an element
    /// inside a wider one already there is refused (the kernel would reject the overlap).
    fn ban(&mut self, elements: &[Element], now: f64) -> Result<BanOutcome, NftablesError>;
    /// Lifts `target`: deletes every element inside it, and splits a wider element holding it
    /// into the pieces around it (with the time the wider one had left).
    fn unban(&mut self, target: IpNet, now: f64) -> Result<UnbanOutcome, NftablesError>;
    /// The elements in force at `now`.
    fn elements(&self, now: f64) -> Result<Vec<KernelElement>, NftablesError>;
}

/// What adding `new` to a set holding `present` replaces, or why it is refused.
pub fn replaced_by(present: &[IpNet], new: &[Element]) -> Result<Vec<IpNet>, String> {
    let mut replaced = Vec::new();
    for element in new {
        if let Some(wider) = present
            .iter()
            .find(|p| **p != element.net && p.contains(&element.net))
        {
            return Err(format!(
                "{} is already inside {wider} in bantop's set",
                element.net
            ));
        }
        for inside in present.iter().filter(|p| element.net.contains(*p)) {
            if !replaced.contains(inside) {
                replaced.push(*inside);
            }
        }
    }
    Ok(replaced)
}

/// What an unban changed in bantop's set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnbanOutcome {
    /// Elements deleted.
    pub lifted: Vec<IpNet>,
    /// Pieces of a deleted wider network added back, so that only the target is lifted.
    pub kept: Vec<IpNet>,
}

impl UnbanOutcome {
    /// The difference between the set before and after, as the kernel reads it.
    pub fn between(before: &[IpNet], after: &[IpNet]) -> Self {
        UnbanOutcome {
            lifted: before
                .iter()
                .filter(|n| !after.contains(n))
                .copied()
                .collect(),
            kept: after
                .iter()
                .filter(|n| !before.contains(n))
                .copied()
                .collect(),
        }
    }
}

/// The writes of an unban of `target` in a set holding `present`: the elements to delete (those
/// inside `target` and those holding it) and the pieces of the latter around `target` to add
/// back with the time they had left.
pub fn unban_changes(present: &[KernelElement], target: IpNet) -> (Vec<IpNet>, Vec<Element>) {
    let target = target.trunc();
    let mut delete = Vec::new();
    let mut add_back = Vec::new();
    for element in present {
        if target.contains(&element.net) {
            delete.push(element.net);
        } else if element.net.contains(&target) {
            delete.push(element.net);
            let timeout = element
                .expires_in
                .map(|seconds| (seconds.ceil() as u64).max(1));
            add_back.extend(
                around(element.net, target)
                    .into_iter()
                    .map(|net| Element { net, timeout }),
            );
        }
    }
    (delete, add_back)
}

/// The networks that cover `outer` except `inner` (which it holds): one per bit between their
/// prefixes, the half not holding `inner` at each step.
pub fn around(outer: IpNet, inner: IpNet) -> Vec<IpNet> {
    let mut pieces = Vec::new();
    let mut current = outer.trunc();
    while current.prefix_len() < inner.prefix_len() {
        let Ok(halves) = current.subnets(current.prefix_len() + 1) else {
            break;
        };
        let mut next = current;
        for half in halves {
            if half.contains(&inner) {
                next = half;
            } else {
                pieces.push(half);
            }
        }
        if next == current {
            break;
        }
        current = next;
    }
    pieces
}

/// Whether `target` is still dropped, wholly or in part, by a set holding `present`.
pub fn still_dropped(present: &[IpNet], target: IpNet) -> Option<IpNet> {
    present
        .iter()
        .find(|net| net.contains(&target) || target.contains(*net))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn an_address_is_cut_out_of_a_network_in_one_piece_per_bit() {
        let pieces = around(net("198.51.103.0/24"), net("198.51.103.4/32"));
        assert_eq!(pieces.len(), 8);
        let texts: Vec<String> = pieces.iter().map(IpNet::to_string).collect();
        assert_eq!(
            texts,
            [
                "198.51.103.128/25",
                "198.51.103.64/26",
                "198.51.103.32/27",
                "198.51.103.16/28",
                "198.51.103.8/29",
                "198.51.103.0/30",
                "198.51.103.6/31",
                "198.51.103.5/32"
            ]
        );
        let v6 = around(net("2001:db8::/48"), net("2001:db8::1/128"));
        assert_eq!(v6.len(), 80);
        assert!(v6.iter().all(|p| !p.contains(&net("2001:db8::1/128"))));
    }

    #[test]
    fn an_unban_deletes_what_is_inside_and_splits_what_holds_the_target() {
        let element = |text: &str, expires_in| KernelElement {
            net: net(text),
            expires_in,
        };
        let present = [
            element("198.51.103.3/32", None),
            element("198.51.103.4/32", None),
            element("203.0.113.0/24", Some(99.2)),
        ];
        let (delete, add) = unban_changes(&present, net("198.51.103.4/32"));
        assert_eq!(delete, [net("198.51.103.4/32")]);
        assert!(add.is_empty());
        let (delete, add) = unban_changes(&present, net("203.0.113.200/32"));
        assert_eq!(delete, [net("203.0.113.0/24")]);
        assert_eq!(add.len(), 8);
        assert!(add.iter().all(|e| e.timeout == Some(100)));
        let (delete, _) = unban_changes(&present, net("198.51.103.0/24"));
        assert_eq!(delete, [net("198.51.103.3/32"), net("198.51.103.4/32")]);
    }
}

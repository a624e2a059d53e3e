//! Sets of addresses of one family as sorted, disjoint, inclusive ranges: what a firewall lets
//! through from which sources, with the set algebra a rule-by-rule reading needs (union,
//! intersection, difference, complement) and the networks that cover a set.

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4: 32-bit addresses.
    V4,
    /// IPv6: 128-bit addresses.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(ip: IpAddr) -> Family {
        if ip.is_ipv4() { Family::V4 } else { Family::V6 }
    }

    /// Address width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The largest address, as a number.
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u32::MAX as u128,
            Family::V6 => u128::MAX,
        }
    }
}

/// A set of addresses of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRanges {
    family: Family,
    /// Sorted, disjoint, not touching, inclusive.
    ranges: Vec<(u128, u128)>,
}

impl AddressRanges {
    /// No address.
    pub fn empty(family: Family) -> Self {
        AddressRanges {
            family,
            ranges: Vec::new(),
        }
    }

    /// Every address of the family.
    pub fn full(family: Family) -> Self {
        Self::range(family, 0, family.max())
    }

    /// The addresses from `first` to `last`, both included (none when `first > last`).
    pub fn range(family: Family, first: u128, last: u128) -> Self {
        let last = last.min(family.max());
        let ranges = if first <= last {
            vec![(first, last)]
        } else {
            Vec::new()
        };
        AddressRanges { family, ranges }
    }

    /// The addresses of a network (empty when it is of the other family).
    pub fn network(family: Family, net: IpNet) -> Self {
        match (family, net) {
            (Family::V4, IpNet::V4(net)) => Self::range(
                family,
                u32::from(net.network()) as u128,
                u32::from(net.broadcast()) as u128,
            ),
            (Family::V6, IpNet::V6(net)) => Self::range(
                family,
                u128::from(net.network()),
                u128::from(net.broadcast()),
            ),
            _ => Self::empty(family),
        }
    }

    /// Its family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Whether it holds no address.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether it holds every address of its family.
    pub fn is_full(&self) -> bool {
        self.ranges == [(0, self.family.max())]
    }

    /// The share of the family's addresses it holds, from 0 to 1.
    pub fn share(&self) -> f64 {
        let count: f64 = self.ranges.iter().map(|(a, b)| (b - a) as f64 + 1.0).sum();
        count / (self.family.max() as f64 + 1.0)
    }

    /// Whether it holds `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let value = match ip {
            IpAddr::V4(v4) if self.family == Family::V4 => u32::from(v4) as u128,
            IpAddr::V6(v6) if self.family == Family::V6 => u128::from(v6),
            _ => return false,
        };
        self.ranges.iter().any(|(a, b)| *a <= value && value <= *b)
    }

    /// Every address in either.
    pub fn union(&self, other: &Self) -> Self {
        let mut all: Vec<(u128, u128)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut ranges: Vec<(u128, u128)> = Vec::with_capacity(all.len());
        for (first, last) in all {
            match ranges.last_mut() {
                Some(previous) if first <= previous.1.saturating_add(1) => {
                    previous.1 = previous.1.max(last);
                }
                _ => ranges.push((first, last)),
            }
        }
        AddressRanges {
            family: self.family,
            ranges,
        }
    }

    /// Every address not in it.
    pub fn complement(&self) -> Self {
        let mut ranges = Vec::new();
        let mut next = Some(0u128);
        for (first, last) in &self.ranges {
            if let Some(start) = next
                && start < *first
            {
                ranges.push((start, first - 1));
            }
            next = last.checked_add(1);
        }
        if let Some(start) = next
            && start <= self.family.max()
        {
            ranges.push((start, self.family.max()));
        }
        AddressRanges {
            family: self.family,
            ranges,
        }
    }

    /// Every address in both.
    pub fn intersection(&self, other: &Self) -> Self {
        self.complement().union(&other.complement()).complement()
    }

    /// Every address in it and not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        self.intersection(&other.complement())
    }

    /// The fewest networks that cover it exactly, in address order.
    pub fn networks(&self) -> Vec<IpNet> {
        let mut nets = Vec::new();
        for (first, last) in &self.ranges {
            match self.family {
                Family::V4 => nets.extend(
                    Ipv4Subnets::new(
                        Ipv4Addr::from(*first as u32),
                        Ipv4Addr::from(*last as u32),
                        0,
                    )
                    .map(IpNet::V4),
                ),
                Family::V6 => nets.extend(
                    Ipv6Subnets::new(Ipv6Addr::from(*first), Ipv6Addr::from(*last), 0)
                        .map(IpNet::V6),
                ),
            }
        }
        nets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    fn texts(set: &AddressRanges) -> Vec<String> {
        set.networks().iter().map(IpNet::to_string).collect()
    }

    #[test]
    fn the_algebra_of_networks() {
        let v4 = Family::V4;
        let a = AddressRanges::network(v4, net("192.0.2.0/24"));
        let b = AddressRanges::network(v4, net("192.0.2.128/25"));
        assert_eq!(texts(&a.difference(&b)), ["192.0.2.0/25"]);
        assert_eq!(texts(&a.intersection(&b)), ["192.0.2.128/25"]);
        let c = AddressRanges::network(v4, net("192.0.3.0/24"));
        assert_eq!(texts(&a.union(&c)), ["192.0.2.0/23"]);
        assert!(a.complement().complement() == a);
        assert!(AddressRanges::full(v4).complement().is_empty());
        assert!(AddressRanges::empty(v4).complement().is_full());
        let all_but_one =
            AddressRanges::full(v4).difference(&AddressRanges::network(v4, net("203.0.113.5/32")));
        assert!(all_but_one.share() > 0.99 && !all_but_one.is_full());
        assert!(!all_but_one.contains("203.0.113.5".parse().unwrap_or(IpAddr::V4(0.into()))));
        let v6 = AddressRanges::network(Family::V6, net("2001:db8::/32"));
        assert_eq!(texts(&v6.complement().complement()), ["2001:db8::/32"]);
        assert!(AddressRanges::full(Family::V6).is_full());
        assert!(
            AddressRanges::network(Family::V4, net("2001:db8::/32")).is_empty(),
            "a network of the other family holds nothing"
        );
    }
}

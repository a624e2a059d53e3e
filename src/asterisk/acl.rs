//! Asterisk ACLs (`acl.c`): items split on commas in file order, `permit` gives ALLOW and any
//! other sense DENY, a leading `!` inverts the item, no mask means a host, masks are CIDR or
//! dotted (IPv4 only). Evaluation starts at ALLOW and tests every rule: the last rule that
//! matches wins. IPv4 rules never match IPv6 sources and the other way round (an IPv4-mapped
//! IPv6 source counts as IPv4).

use super::conf::Origin;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// Let the source in.
    Allow,
    /// Keep it out.
    Deny,
}

/// One ACL item.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What it does.
    pub sense: Sense,
    /// Whether it is an IPv6 rule.
    pub ipv6: bool,
    /// The network, already masked, as a 128-bit number (IPv4 in the low 32 bits).
    pub network: u128,
    /// The mask, same layout.
    pub mask: u128,
    /// The line as written, e.g. `permit = !0.0.0.0/0`.
    pub written: String,
    /// Where.
    pub origin: Option<Origin>,
}

/// The outcome of evaluating a source against a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    /// Whether the source is let in.
    pub allowed: bool,
    /// The rule that decided (the last that matched), `None` when none matched.
    pub rule: Option<&'a Rule>,
}

/// Parses one item of a `permit`/`deny` list; `key` is `permit`, `deny` or any other sense.
pub fn parse_item(key: &str, item: &str) -> Result<Rule, String> {
    let base = if key.eq_ignore_ascii_case("permit") {
        Sense::Allow
    } else {
        Sense::Deny
    };
    let text = item.trim();
    let (sense, text) = match text.strip_prefix('!') {
        Some(rest) => (
            if base == Sense::Allow {
                Sense::Deny
            } else {
                Sense::Allow
            },
            rest,
        ),
        None => (base, text),
    };
    let (address, mask) = match text.split_once('/') {
        Some((address, mask)) => (address, Some(mask)),
        None => (text, None),
    };
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let address: IpAddr = address
        .parse()
        .map_err(|_| format!("{item:?}: {address:?} is not an IP address"))?;
    let (ipv6, bits, value) = match address {
        IpAddr::V4(v4) => (false, 32, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, 128, u128::from(v6)),
    };
    let mask = match mask {
        None => prefix_mask(bits, bits),
        Some(mask) if mask.contains('.') => {
            if ipv6 {
                return Err(format!(
                    "{item:?}: a dotted mask cannot apply to an IPv6 address"
                ));
            }
            let dotted: Ipv4Addr = mask
                .parse()
                .map_err(|_| format!("{item:?}: {mask:?} is not a netmask"))?;
            u128::from(u32::from(dotted))
        }
        Some(mask) => {
            let length: u32 = mask
                .parse()
                .map_err(|_| format!("{item:?}: {mask:?} is not a prefix length"))?;
            if length > bits {
                return Err(format!("{item:?}: /{length} is longer than {bits} bits"));
            }
            prefix_mask(length, bits)
        }
    };
    Ok(Rule {
        sense,
        ipv6,
        network: value & mask,
        mask,
        written: format!("{key} = {item}"),
        origin: None,
    })
}

fn prefix_mask(length: u32, bits: u32) -> u128 {
    let all = if bits == 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    };
    if length == 0 {
        0
    } else {
        all & !((1u128 << (bits - length)) - 1)
    }
}

/// An ordered ACL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Acl {
    /// The rules in evaluation order.
    pub rules: Vec<Rule>,
}

impl Acl {
    /// Appends the items of one `permit`/`deny` line (comma-separated).
    pub fn add_line(
        &mut self,
        key: &str,
        value: &str,
        origin: Option<Origin>,
    ) -> Result<(), String> {
        for item in value.split(',') {
            let mut rule = parse_item(key, item)?;
            rule.origin = origin.clone();
            self.rules.push(rule);
        }
        Ok(())
    }

    /// Evaluates `source` with Asterisk's semantics.
    pub fn evaluate(&self, source: IpAddr) -> Decision<'_> {
        let (ipv6, value) = match source {
            IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (false, u128::from(u32::from(v4))),
                None => (true, u128::from(v6)),
            },
        };
        let rule = self
            .rules
            .iter()
            .rev()
            .find(|rule| rule.ipv6 == ipv6 && value & rule.mask == rule.network);
        Decision {
            allowed: rule.is_none_or(|r| r.sense == Sense::Allow),
            rule,
        }
    }
}

/// `Ipv6Addr` of a rule's network, for display.
pub fn network_text(rule: &Rule) -> String {
    if rule.ipv6 {
        Ipv6Addr::from(rule.network).to_string()
    } else {
        Ipv4Addr::from(rule.network as u32).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(lines: &[(&str, &str)]) -> Acl {
        let mut acl = Acl::default();
        for (key, value) in lines {
            acl.add_line(key, value, None)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        acl
    }

    fn verdicts(source: &str, acls: &[Acl]) -> String {
        let ip: IpAddr = source.parse().unwrap_or_else(|_| panic!("{source}"));
        acls.iter()
            .map(|acl| if acl.evaluate(ip).allowed { 'A' } else { 'D' })
            .collect()
    }

    /// Asterisk's own unit test (`test_acl.c`, `acl_test`), as listed in the facts file.
    #[test]
    fn asterisk_vectors() {
        let acls = [
            acl(&[
                ("deny", "0.0.0.0/0.0.0.0"),
                ("permit", "10.0.0.0/255.0.0.0"),
                ("permit", "192.168.0.0/255.255.255.0"),
            ]),
            acl(&[
                ("deny", "10.0.0.0/8"),
                ("permit", "10.0.0.0/8"),
                ("deny", "10.0.0.0/16"),
                ("permit", "10.0.0.0/24"),
            ]),
            acl(&[("deny", "::/0"), ("permit", "fe80::/64")]),
            acl(&[
                ("deny", "::/0"),
                ("permit", "fe80::/64"),
                ("deny", "fe80::ffff:0:0:0/80"),
                ("permit", "fe80::ffff:0:ffff:0/112"),
            ]),
        ];
        assert_eq!(verdicts("10.1.1.5", &acls), "AAAA");
        assert_eq!(verdicts("192.168.1.5", &acls), "DAAA");
        assert_eq!(verdicts("10.0.10.10", &acls), "ADAA");
        assert_eq!(verdicts("172.16.0.1", &acls), "DAAA");
        assert_eq!(verdicts("fe80::1234", &acls), "AAAA");
        assert_eq!(verdicts("fe80::ffff:1213:dead:beef", &acls), "AAAD");
        assert_eq!(verdicts("fe80::ffff:0:ffff:ABCD", &acls), "AAAA");
    }

    #[test]
    fn inverted_items_and_families() {
        let acl = acl(&[("permit", "!0.0.0.0/0,10.20.30.0/24,1.2.3.4")]);
        for (source, allowed) in [
            ("10.20.30.7", true),
            ("1.2.3.4", true),
            ("1.2.3.5", false),
            ("8.8.8.8", false),
            ("2001:db8::1", true),
            ("::ffff:8.8.8.8", false),
        ] {
            assert_eq!(
                acl.evaluate(source.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
                    .allowed,
                allowed,
                "{source}"
            );
        }
        let decided = acl.evaluate(IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(decided.rule.map(network_text), Some("0.0.0.0".to_string()));
    }

    #[test]
    fn invalid_items_from_asterisk_tests() {
        for item in [
            "57.60.278.900/31",
            "EGGSOFDEATH/4000",
            "1.2.3.4/6.7.8.9.0",
            "::ffff/129",
            "fe80::1234/255.255.255.0",
        ] {
            assert!(
                parse_item("permit", item).is_err(),
                "{item} should be refused"
            );
        }
    }
}

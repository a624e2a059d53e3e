//! One canonical form for every address and network the operator types or fail2ban holds,
//! before any check: an IPv4-mapped IPv6 address (`::ffff:203.0.113.9`) is the IPv4 address, as
//! fail2ban makes it; forms that cannot be a client worth banning or whitelisting (unspecified,
//! multicast, broadcast, IPv4-compatible and NAT64 IPv6) are refused with the reason. A safety
//! check that a second spelling of the same address could pass is no check.

use ipnet::{IpNet, Ipv4Net};
use std::net::{IpAddr, Ipv6Addr};

/// `64:ff9b::/96`, the well-known NAT64 prefix (RFC 6052).
const NAT64: Ipv6Addr = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0);

/// An address or network as the operator wrote it, in canonical form, or why it is refused.
pub fn canonical_target(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if text.contains('%') {
        return Err(format!(
            "{text}: a zone id (%...) names a link, not a host: write the address without it"
        ));
    }
    let net = match text.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => text
            .parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| format!("{text:?} is not an IP address or network"))?,
    };
    let net = canonical_net(net)?;
    if net.trunc() != net {
        return Err(format!(
            "{text} has host bits set: did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// `net` in canonical form (IPv4-mapped networks as IPv4), or why it is refused.
pub fn canonical_net(net: IpNet) -> Result<IpNet, String> {
    if let IpNet::V6(v6) = net
        && let Some(v4) = v6.addr().to_ipv4_mapped()
    {
        if v6.prefix_len() < 96 {
            return Err(format!(
                "{net} reaches beyond the IPv4-mapped range ::ffff:0:0/96"
            ));
        }
        let v4 = Ipv4Net::new(v4, v6.prefix_len() - 96).map_err(|e| format!("{net}: {e}"))?;
        return check_kind(IpNet::V4(v4));
    }
    check_kind(net)
}

/// The network an address is counted in when sources are grouped: its /24 (IPv4) or /48
/// (IPv6), a site's usual allocation.
pub fn network_of(ip: IpAddr) -> IpNet {
    let prefix = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, prefix).map_or_else(|_| IpNet::from(ip), |net| net.trunc())
}

/// An address as fail2ban or a log wrote it, canonical when it reads as one (`::ffff:` forms
/// become IPv4); `None` when it does not read as an address at all.
pub fn read_held(text: &str) -> Option<IpAddr> {
    let ip = text.trim().parse::<IpAddr>().ok()?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

fn check_kind(net: IpNet) -> Result<IpNet, String> {
    let ip = net.addr();
    let host = net.prefix_len() == net.max_prefix_len();
    let refused = match ip {
        IpAddr::V4(v4) if host && v4.is_broadcast() => {
            Some("the broadcast address: no client sends from it")
        }
        IpAddr::V4(v4) if v4.is_multicast() => Some("a multicast address: no client sends from it"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("a multicast address: no client sends from it"),
        _ if host && ip.is_unspecified() => Some("the unspecified address: it stands for no host"),
        IpAddr::V6(v6) if host && is_ipv4_compatible(v6) => Some(
            "an IPv4-compatible IPv6 address (deprecated, never on the wire): write the IPv4 address",
        ),
        IpAddr::V6(v6) if host && is_nat64(v6) => Some(
            "an address of the NAT64 prefix 64:ff9b::/96: it stands for an IPv4 host behind your translator; write that IPv4 address",
        ),
        _ => None,
    };
    match refused {
        Some(why) => Err(format!("{} is {why}", text_of(net))),
        None => Ok(net),
    }
}

fn is_ipv4_compatible(v6: Ipv6Addr) -> bool {
    let segments = v6.segments();
    segments[..6].iter().all(|s| *s == 0) && !v6.is_loopback() && !v6.is_unspecified()
}

fn is_nat64(v6: Ipv6Addr) -> bool {
    v6.segments()[..6] == NAT64.segments()[..6]
}

/// An address as itself, a network in CIDR notation.
pub fn text_of(net: IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> String {
        canonical_target(text).map_or_else(|e| format!("refused: {e}"), text_of)
    }

    #[test]
    fn every_spelling_of_an_address_is_one_address() {
        assert_eq!(ok("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(ok("::FFFF:cb00:7109"), "203.0.113.9");
        assert_eq!(ok("0:0:0:0:0:ffff:127.0.0.1"), "127.0.0.1");
        assert_eq!(ok("::ffff:198.51.100.0/120"), "198.51.100.0/24");
        assert_eq!(ok("2001:DB8::0001"), "2001:db8::1");
        assert_eq!(ok(" 192.0.2.1 "), "192.0.2.1");
        assert!(ok("::ffff:0:0/95").starts_with("refused"));
        assert!(ok("fe80::1%eth0").contains("zone id"));
        assert!(ok("198.051.100.001").contains("not an IP address"));
    }

    #[test]
    fn forms_that_are_no_client_are_refused_with_the_reason() {
        for (text, why) in [
            ("255.255.255.255", "broadcast"),
            ("224.0.0.1", "multicast"),
            ("239.0.0.0/8", "multicast"),
            ("ff02::1", "multicast"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("::203.0.113.9", "IPv4-compatible"),
            ("64:ff9b::203.0.113.9", "NAT64"),
        ] {
            let said = ok(text);
            assert!(
                said.starts_with("refused") && said.contains(why),
                "{text}: {said}"
            );
        }
        assert_eq!(
            ok("::1"),
            "::1",
            "loopback is the refusal policy's to judge"
        );
        assert_eq!(
            ok("0.0.0.0/0"),
            "0.0.0.0/0",
            "width is the refusal policy's to judge"
        );
    }

    #[test]
    fn held_addresses_read_as_fail2ban_holds_them() {
        assert_eq!(
            read_held("::ffff:10.0.0.1"),
            Some(IpAddr::from([10, 0, 0, 1]))
        );
        assert_eq!(read_held("198.051.097.002"), None);
    }
}

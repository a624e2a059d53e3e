//! When a ban needs `--force`: the operator's own address, this machine, a whitelisted
//! address, or a range so wide it is more likely a typo than an attack. One rule for bans in a
//! jail and in bantop's own set.

use super::actions::target_text;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};

/// Widest network a ban takes without `--force`, per family.
const WIDEST_V4: u8 = 16;
const WIDEST_V6: u8 = 48;

/// Why banning `target` could lock someone out or hit far more than meant, if it could.
/// `whitelisted` holds (jail, entry) pairs.
pub fn ban_danger(
    target: IpNet,
    operators: &[IpAddr],
    whitelisted: &[(String, IpNet)],
) -> Option<String> {
    let host = target.prefix_len() == target.max_prefix_len();
    let text = target_text(target);
    if let Some(own) = operators.iter().find(|ip| target.contains(*ip)) {
        let what = if host {
            format!("{text} is your own address")
        } else {
            format!("{text} holds {own}, your own address")
        };
        return Some(format!("{what} (your SSH session or a logged-in user)"));
    }
    let this_machine = [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ];
    if target.addr().is_loopback()
        || target.addr().is_unspecified()
        || this_machine.iter().any(|ip| target.contains(ip))
    {
        return Some(if host {
            format!("{text} is this machine itself")
        } else {
            format!("{text} holds this machine itself")
        });
    }
    if let Some((jail, entry)) = whitelisted
        .iter()
        .find(|(_, entry)| entry.contains(&target.addr()) || target.contains(entry))
    {
        return Some(if host {
            format!("{text} is whitelisted in {jail}")
        } else {
            format!("{text} overlaps {entry}, whitelisted in {jail}")
        });
    }
    let widest = if target.addr().is_ipv4() {
        WIDEST_V4
    } else {
        WIDEST_V6
    };
    (target.prefix_len() < widest).then(|| {
        format!(
            "{target} is wider than /{widest}: {} addresses",
            addresses_in(target)
        )
    })
}

fn addresses_in(net: IpNet) -> String {
    let bits = u32::from(net.max_prefix_len() - net.prefix_len());
    if bits < 64 {
        (1u64 << bits).to_string()
    } else {
        format!("2^{bits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn dangerous_manual_bans_say_why() {
        let me: IpAddr = [198, 51, 100, 7].into();
        let white = vec![("sshd".to_string(), net("192.0.2.0/24"))];
        let danger = |text: &str| ban_danger(net(text), &[me], &white);
        assert!(danger("198.51.100.0/24").is_some_and(|d| d.contains("your own address")));
        assert!(danger("127.0.0.1/32").is_some_and(|d| d.contains("this machine")));
        assert!(danger("::1/128").is_some_and(|d| d.contains("this machine")));
        assert!(danger("192.0.2.9/32").is_some_and(|d| d.contains("whitelisted in sshd")));
        assert!(danger("192.0.0.0/22").is_some_and(|d| d.contains("whitelisted")));
        assert!(danger("10.0.0.0/8").is_some_and(|d| d.contains("16777216 addresses")));
        assert!(danger("2001:db8::/32").is_some_and(|d| d.contains("wider than /48")));
        assert_eq!(danger("203.0.113.0/24"), None);
        assert_eq!(danger("10.20.0.0/16"), None);
        assert_eq!(danger("2001:db8:1::/48"), None);
    }
}

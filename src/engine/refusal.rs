//! When a ban needs a separate confirmation (`--force` on the command line, a second key in the
//! TUI): the operator's own address, this machine, a whitelisted address, or a range so wide it
//! is more likely a typo than an attack. One rule for every path: bans in a jail and in bantop's
//! own set, from the commands and from the TUI. Every address is compared in canonical form
//! (`::ffff:127.0.0.1` is loopback), and a whitelist that cannot be read refuses: the check
//! fails closed.

use crate::model::address::{canonical_net, text_of};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};

/// Widest network a ban or a whitelist entry takes without `--force`, per family.
const WIDEST_V4: u8 = 16;
const WIDEST_V6: u8 = 48;

/// Every whitelist entry the check knows, and the entries it could not read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Whitelists {
    /// (jail, entry) pairs.
    pub entries: Vec<(String, IpNet)>,
    /// (jail, why): an ignore list or entry that could not be read.
    pub unreadable: Vec<(String, String)>,
}

impl Whitelists {
    /// Whitelists read without a fault, each entry in canonical form (`::ffff:192.0.2.0/120`
    /// is `192.0.2.0/24`); an entry that has none is kept as unreadable.
    pub fn known(entries: Vec<(String, IpNet)>) -> Self {
        let mut whitelists = Whitelists::default();
        for (jail, net) in entries {
            match canonical_net(net.trunc()) {
                Ok(net) => whitelists.entries.push((jail, net)),
                Err(why) => whitelists
                    .unreadable
                    .push((jail, format!("entry {net}: {why}"))),
            }
        }
        whitelists
    }

    /// Adds a jail's ignore list as fail2ban holds it: each entry that does not read as an
    /// address or network is kept as unreadable, naming it.
    pub fn add_list(&mut self, jail: &str, list: &[String]) {
        for text in list
            .iter()
            .flat_map(|l| l.split([' ', ',']))
            .filter(|t| !t.is_empty())
        {
            let read = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| "not an address or network".to_string())
                .and_then(|net| canonical_net(net.trunc()));
            match read {
                Ok(net) => self.entries.push((jail.to_string(), net)),
                Err(why) => self
                    .unreadable
                    .push((jail.to_string(), format!("entry {text:?}: {why}"))),
            }
        }
    }
}

/// Why banning `target` could lock someone out or hit far more than meant, if it could.
pub fn ban_danger(target: IpNet, operators: &[IpAddr], whitelists: &Whitelists) -> Option<String> {
    let target = match canonical_net(target) {
        Ok(net) => net,
        Err(why) => return Some(why),
    };
    let host = target.prefix_len() == target.max_prefix_len();
    let text = text_of(target);
    let operators: Vec<IpAddr> = operators
        .iter()
        .filter_map(|ip| canonical_net(IpNet::from(*ip)).ok().map(|n| n.addr()))
        .collect();
    if let Some(own) = operators.iter().find(|ip| target.contains(*ip)) {
        let what = if host {
            format!("{text} is your own address")
        } else {
            format!("{text} holds {own}, your own address")
        };
        return Some(format!(
            "{what}: banning it locks you out (your SSH session or a logged-in user)"
        ));
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
    if let Some((jail, entry)) = whitelists
        .entries
        .iter()
        .find(|(_, entry)| entry.contains(&target.addr()) || target.contains(entry))
    {
        return Some(if host {
            format!("{text} is whitelisted in {jail}")
        } else {
            format!("{text} overlaps {entry}, whitelisted in {jail}")
        });
    }
    if let Some((jail, why)) = whitelists.unreadable.first() {
        return Some(format!(
            "the whitelist of {jail} cannot be read ({why}), so bantop cannot tell whether {text} is in it"
        ));
    }
    too_wide(target)
}

/// Why a ban or whitelist entry this wide needs `--force`, if it does.
pub fn too_wide(target: IpNet) -> Option<String> {
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
        let white = Whitelists::known(vec![("sshd".to_string(), net("192.0.2.0/24"))]);
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

    #[test]
    fn another_spelling_of_a_refused_address_is_refused() {
        let me: IpAddr = [203, 0, 113, 9].into();
        let white = Whitelists::known(vec![("sshd".to_string(), net("192.0.2.0/24"))]);
        let danger = |text: &str| ban_danger(net(text), &[me], &white);
        assert!(danger("::ffff:203.0.113.9/128").is_some_and(|d| d.contains("your own address")));
        assert!(danger("::ffff:127.0.0.1/128").is_some_and(|d| d.contains("this machine")));
        assert!(danger("::ffff:192.0.2.7/128").is_some_and(|d| d.contains("whitelisted")));
        assert!(danger("224.0.0.1/32").is_some_and(|d| d.contains("multicast")));
        let mapped_operator: IpAddr = "::ffff:198.51.100.7".parse().unwrap_or(me);
        assert!(
            ban_danger(net("198.51.100.7/32"), &[mapped_operator], &white)
                .is_some_and(|d| d.contains("your own address"))
        );
    }

    #[test]
    fn whitelists_from_the_configuration_are_compared_in_canonical_form() {
        let white = Whitelists::known(vec![("sshd".to_string(), net("::ffff:192.0.2.0/120"))]);
        assert_eq!(white.entries, [("sshd".to_string(), net("192.0.2.0/24"))]);
        assert!(
            ban_danger(net("192.0.2.7/32"), &[], &white)
                .is_some_and(|d| d.contains("whitelisted in sshd"))
        );
    }

    #[test]
    fn an_unreadable_whitelist_refuses_and_names_the_entry() {
        let mut white = Whitelists::default();
        white.add_list("sshd", &["127.0.0.1/8 office.example.org".to_string()]);
        assert_eq!(white.entries.len(), 1);
        let danger = ban_danger(net("203.0.113.5/32"), &[], &white);
        assert!(
            danger
                .as_deref()
                .is_some_and(|d| d.contains("whitelist of sshd cannot be read")
                    && d.contains("office.example.org")),
            "{danger:?}"
        );
    }
}

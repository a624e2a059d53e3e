//! When a ban needs a separate confirmation (`--force` on the command line, a second key in the
//! TUI): the operator's own address, this machine, a whitelisted address, or a range so wide it
//! is more likely a typo than an attack. One rule for every path: bans in a jail and in bantop's
//! own set, from the commands and from the TUI. Every address is compared in canonical form
//! (`::ffff:127.0.0.1` is loopback), and a whitelist that cannot be read refuses: the check
//! fails closed. Whitelists are checked as fail2ban checks its ignore lists: addresses and
//! networks, host names resolved when the address is checked, the server's own addresses
//! (`ignoreself`), and each jail's `ignorecommand` run for the address.

use super::ignore_command::{self, CommandAnswer};
use crate::fail2ban::dns::{self, NameAnswer};
use crate::fail2ban::jail_conf::{IgnoreEntry, ignore_entry};
use crate::model::JailSettings;
use crate::model::address::{canonical_net, text_of};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// How long a ban check waits for the resolver and for an `ignorecommand`.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

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
    /// (jail, host name): entries resolved when an address is checked ([`Whitelists::settle`]).
    pub names: Vec<(String, String)>,
    /// (jail, command): `ignorecommand`s run for the address checked.
    pub commands: Vec<(String, String)>,
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

    /// Adds a jail's ignore list as fail2ban holds it: addresses and networks (dotted masks
    /// too), and every other word as a host name, which fail2ban resolves when it checks.
    pub fn add_list(&mut self, jail: &str, list: &[String]) {
        for text in list
            .iter()
            .flat_map(|l| l.split([' ', ',']))
            .filter(|t| !t.is_empty())
        {
            match ignore_entry(text) {
                IgnoreEntry::Net(net) => match canonical_net(net.trunc()) {
                    Ok(net) => self.entries.push((jail.to_string(), net)),
                    Err(why) => self
                        .unreadable
                        .push((jail.to_string(), format!("entry {text:?}: {why}"))),
                },
                IgnoreEntry::HostName(name) | IgnoreEntry::Unusable(name) => {
                    self.names.push((jail.to_string(), name));
                }
            }
        }
    }

    /// The whitelists of configured jails: their lists, host names, `ignorecommand`s, and the
    /// server's own addresses `own` for jails with `ignoreself`.
    pub fn of_jails(jails: &[JailSettings], own: &[IpAddr]) -> Self {
        let mut whitelists = Whitelists::known(
            jails
                .iter()
                .flat_map(|j| j.ignoreip.iter().map(|net| (j.name.clone(), *net)))
                .collect(),
        );
        for jail in jails {
            whitelists.names.extend(
                jail.ignore_names
                    .iter()
                    .map(|n| (jail.name.clone(), n.clone())),
            );
            if let Some(command) = jail.ignorecommand.as_ref().filter(|c| !c.trim().is_empty()) {
                whitelists
                    .commands
                    .push((jail.name.clone(), command.clone()));
            }
            if jail.ignoreself {
                whitelists.add_own(&jail.name, own);
            }
        }
        whitelists
    }

    /// The server's own addresses, whitelisted in `jail` by its `ignoreself`.
    pub fn add_own(&mut self, jail: &str, own: &[IpAddr]) {
        let label = format!("{jail} (ignoreself: this server's own address)");
        for ip in own {
            if let Ok(net) = canonical_net(IpNet::from(*ip)) {
                self.entries.push((label.clone(), net));
            }
        }
    }

    /// Decides what only checking `ip` decides, as fail2ban does when it checks it: host
    /// names are resolved (their addresses become entries), and each `ignorecommand` is run
    /// for `ip`. A name or command that gives no answer within `timeout` makes the lists
    /// unreadable, naming the entry, so the check fails closed.
    pub fn settle(&mut self, ip: IpAddr, timeout: Duration) {
        let names: Vec<String> = self.names.iter().map(|(_, name)| name.clone()).collect();
        let answers = dns::resolve(&names, timeout);
        self.apply_names(|name| answers.get(name).cloned());
        for (jail, command) in std::mem::take(&mut self.commands) {
            match ignore_command::ask(&command, ip, timeout) {
                CommandAnswer::Ignored => {
                    if let Ok(net) = canonical_net(IpNet::from(ip)) {
                        self.entries
                            .push((format!("{jail} (by its ignorecommand)"), net));
                    }
                }
                CommandAnswer::NotIgnored => {}
                CommandAnswer::Undecided(why) => {
                    self.unreadable.push((jail, format!("ignorecommand {why}")))
                }
            }
        }
    }

    /// What can be decided without waiting (on the UI task): host names the resolver has
    /// answered for already (start-up resolves every ignore list's names); the others, and
    /// every `ignorecommand`, stay undecided, so the check fails closed.
    pub fn settle_from_cache(&mut self) {
        self.apply_names(dns::cached);
    }

    /// Host names with an answer become entries (or unreadable, when undecided); those
    /// without one stay in `names`.
    fn apply_names(&mut self, answer: impl Fn(&str) -> Option<NameAnswer>) {
        for (jail, name) in std::mem::take(&mut self.names) {
            match answer(&name) {
                Some(NameAnswer::Addresses(found)) => {
                    for address in found {
                        if let Ok(net) = canonical_net(IpNet::from(address)) {
                            self.entries.push((format!("{jail} (as {name})"), net));
                        }
                    }
                }
                Some(NameAnswer::Undecided(why)) => self
                    .unreadable
                    .push((jail, format!("entry {name:?}: {why}"))),
                None => self.names.push((jail, name)),
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
    whitelisted(target, whitelists).or_else(|| too_wide(target))
}

/// Why `target` counts as whitelisted, or cannot be told not to be (an unreadable list or
/// an entry without an answer), if it does. `whitelists` should be settled for it first.
pub fn whitelisted(target: IpNet, whitelists: &Whitelists) -> Option<String> {
    let target = canonical_net(target).ok()?;
    let host = target.prefix_len() == target.max_prefix_len();
    let text = text_of(target);
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
    if let Some((jail, name)) = whitelists.names.first() {
        return Some(format!(
            "the whitelist of {jail} holds the host name {name:?}, not resolved yet, so bantop cannot tell whether {text} is in it"
        ));
    }
    if let Some((jail, command)) = whitelists.commands.first() {
        return Some(format!(
            "the whitelist of {jail} has an ignorecommand ({command:?}) not asked about {text} here (bantop ban asks it), so bantop cannot tell whether {text} is in it"
        ));
    }
    None
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
    fn an_unsettled_or_undecided_whitelist_refuses_and_names_the_entry() {
        let mut white = Whitelists::default();
        white.add_list("sshd", &["127.0.0.1/8 office.example.org".to_string()]);
        assert_eq!(white.entries.len(), 1);
        let danger = ban_danger(net("203.0.113.5/32"), &[], &white);
        assert!(
            danger
                .as_deref()
                .is_some_and(|d| d.contains("not resolved yet") && d.contains("office.example.org")),
            "{danger:?}"
        );
        white.names.clear();
        white
            .commands
            .push(("sshd".to_string(), "sleep 5".to_string()));
        white.settle(
            "203.0.113.5".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            Duration::from_millis(100),
        );
        let danger = ban_danger(net("203.0.113.5/32"), &[], &white);
        assert!(
            danger.as_deref().is_some_and(
                |d| d.contains("whitelist of sshd cannot be read") && d.contains("sleep 5")
            ),
            "{danger:?}"
        );
    }

    /// What fail2ban's `DNSUtils.dnsToIp` finds for `name` on this machine (Python's
    /// `getaddrinfo`, family by family).
    fn fail2ban_resolves(name: &str) -> Vec<String> {
        let script = format!(
            "import socket\nfor f in (socket.AF_INET, socket.AF_INET6):\n try:\n  \
             [print(r[4][0]) for r in socket.getaddrinfo({name:?}, None, f, 0, socket.IPPROTO_TCP)]\n \
             except Exception: pass"
        );
        let output = std::process::Command::new("python3")
            .args(["-c", &script])
            .output();
        let text = output.map(|o| String::from_utf8_lossy(&o.stdout).to_string());
        text.unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn localhost_in_ignoreip_whitelists_the_loopback_addresses_it_resolves_to() {
        // Apart from the rule that refuses this machine: the name alone whitelists them, the
        // ones fail2ban resolves it to here (::1 where /etc/hosts says so).
        let mut white = Whitelists::default();
        white.add_list("sshd", &["localhost".to_string()]);
        let expected = fail2ban_resolves("localhost");
        assert!(expected.contains(&"127.0.0.1".to_string()), "{expected:?}");
        for loopback in ["127.0.0.1/32", "::1/128"] {
            if !expected.contains(&net(loopback).addr().to_string()) {
                continue;
            }
            let mut settled = white.clone();
            settled.settle(net(loopback).addr(), CHECK_TIMEOUT);
            assert!(
                whitelisted(net(loopback), &settled)
                    .is_some_and(|d| d.contains("whitelisted in sshd (as localhost)")),
                "{loopback}: {settled:?}"
            );
        }
    }

    #[test]
    fn without_waiting_names_count_as_answered_and_commands_fail_closed() {
        let mut white = Whitelists::default();
        white.add_list("sshd", &["localhost".to_string()]);
        // The cache has an answer once something resolved the name.
        dns::resolve(&["localhost".to_string()], CHECK_TIMEOUT);
        white
            .commands
            .push(("sshd".to_string(), "true".to_string()));
        white.settle_from_cache();
        assert!(
            whitelisted(net("127.0.0.1/32"), &white)
                .is_some_and(|d| d.contains("whitelisted in sshd (as localhost)"))
        );
        assert!(
            whitelisted(net("203.0.113.5/32"), &white)
                .is_some_and(|d| d.contains("ignorecommand") && d.contains("cannot tell"))
        );
    }

    #[test]
    fn an_ignorecommand_that_says_yes_whitelists_the_address() {
        let mut white = Whitelists::default();
        white
            .commands
            .push(("sshd".to_string(), "test <ip> = 192.0.2.7".to_string()));
        let mut for_seven = white.clone();
        for_seven.settle(net("192.0.2.7/32").addr(), CHECK_TIMEOUT);
        assert!(
            whitelisted(net("192.0.2.7/32"), &for_seven)
                .is_some_and(|d| d.contains("by its ignorecommand"))
        );
        white.settle(net("192.0.2.8/32").addr(), CHECK_TIMEOUT);
        assert_eq!(whitelisted(net("192.0.2.8/32"), &white), None);
    }
}

//! What the attackers are after, from their failures: the accounts they try (SIP extensions,
//! AMI and IAX2 users, SSH users), the numbers rejected calls went to (toll-fraud probes) and
//! the provisioning files they ask for, each with failures, distinct sources and when. Built
//! one failure at a time ([`TargetsBuilder::add`]); plain data, no I/O. Names and numbers are
//! the attacker's text: bounded here, sanitized where they are drawn.

use super::dialled::{Destination, destination, dialled_number};
use super::summary::account;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

/// Longest account or file name kept.
const MAX_NAME_CHARS: usize = 64;
/// Distinct names kept per kind (the rest are counted together).
const MAX_NAMES: usize = 10_000;

/// One account the failures went after, in one jail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountTarget {
    /// The account (extension, user).
    pub account: String,
    /// The jail whose filter found the failures.
    pub jail: String,
    /// Failures.
    pub failures: u64,
    /// Distinct source addresses.
    pub sources: usize,
    /// First failure, epoch seconds.
    pub first_seen: f64,
    /// Last failure, epoch seconds.
    pub last_seen: f64,
    /// Sources banned now (filled by whoever knows the bans).
    pub banned_sources: usize,
}

/// One number rejected calls went to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialledTarget {
    /// The number as dialled.
    pub number: String,
    /// Rejected calls.
    pub failures: u64,
    /// Distinct source addresses.
    pub sources: usize,
    /// Where it goes.
    #[serde(flatten)]
    pub destination: Destination,
}

/// One kind of provisioning file asked for (`{mac}.cfg`: the MAC address in its name taken out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvisioningTarget {
    /// The file name with any MAC address as `{mac}`.
    pub pattern: String,
    /// Requests.
    pub requests: u64,
    /// Distinct source addresses.
    pub sources: usize,
    /// Those outside private networks (phones sit inside; a stranger outside).
    pub outside_sources: usize,
    /// Distinct files.
    pub files: usize,
}

/// Everything targeted, most hit first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Targets {
    /// Accounts tried.
    pub accounts: Vec<AccountTarget>,
    /// Numbers dialled.
    pub dialled: Vec<DialledTarget>,
    /// Provisioning files asked for.
    pub provisioning: Vec<ProvisioningTarget>,
}

/// Rejected calls to one country calling code.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationCalls {
    /// The calling code (`972`).
    pub calling_code: String,
    /// Its country.
    pub country: String,
    /// Rejected calls.
    pub calls: u64,
    /// Whether toll fraud often calls one of its numbers.
    pub high_cost: bool,
}

impl Targets {
    /// The rejected international calls per calling code, most first (national numbers left
    /// out).
    pub fn calls_by_destination(&self) -> Vec<DestinationCalls> {
        let mut by_code: BTreeMap<(String, String), (u64, bool)> = BTreeMap::new();
        for number in &self.dialled {
            let destination = &number.destination;
            if let (Some(code), Some(country)) = (&destination.calling_code, &destination.country) {
                let entry = by_code.entry((code.clone(), country.clone())).or_default();
                entry.0 += number.failures;
                entry.1 |= destination.high_cost;
            }
        }
        let mut calls: Vec<DestinationCalls> = by_code
            .into_iter()
            .map(
                |((calling_code, country), (calls, high_cost))| DestinationCalls {
                    calling_code,
                    country,
                    calls,
                    high_cost,
                },
            )
            .collect();
        calls.sort_by_key(|d| std::cmp::Reverse(d.calls));
        calls
    }
}

/// Counts of one target while they are gathered.
#[derive(Debug, Default)]
struct Tally {
    failures: u64,
    sources: HashSet<IpAddr>,
    first: f64,
    last: f64,
    names: HashSet<String>,
}

impl Tally {
    fn add(&mut self, ip: IpAddr, time: f64) {
        if self.failures == 0 {
            (self.first, self.last) = (time, time);
        }
        self.failures += 1;
        self.sources.insert(ip);
        self.first = self.first.min(time);
        self.last = self.last.max(time);
    }
}

/// Gathers targets from failures.
#[derive(Debug, Default)]
pub struct TargetsBuilder {
    accounts: BTreeMap<(String, String), Tally>,
    dialled: BTreeMap<String, Tally>,
    provisioning: BTreeMap<String, Tally>,
}

impl TargetsBuilder {
    /// Adds a failure of `ip` at `time` found by `jail` in `line` (`user` is the filter's
    /// `<F-USER>` capture, if it has one).
    pub fn add(&mut self, jail: &str, ip: IpAddr, time: f64, line: &str, user: Option<&str>) {
        if let Some(number) = dialled_number(line) {
            if let Some(tally) = entry(&mut self.dialled, number) {
                tally.add(ip, time);
            }
            return;
        }
        if let Some(file) = provisioning_file(line) {
            if let Some(tally) = entry(&mut self.provisioning, mac_pattern(&file)) {
                tally.add(ip, time);
                if tally.names.len() < MAX_NAMES {
                    tally.names.insert(file);
                }
            }
            return;
        }
        let name = match user.filter(|user| !user.is_empty()) {
            Some(user) => user.to_string(),
            None => match account(line) {
                Some(name) if !name.is_empty() => name,
                _ => return,
            },
        };
        let name: String = name.chars().take(MAX_NAME_CHARS).collect();
        let key = (name, jail.to_string());
        if self.accounts.len() < MAX_NAMES || self.accounts.contains_key(&key) {
            self.accounts.entry(key).or_default().add(ip, time);
        }
    }

    /// The targets, most hit first; `banned` tells which sources are banned now.
    pub fn finish(self, banned: &dyn Fn(IpAddr) -> bool) -> Targets {
        let mut accounts: Vec<AccountTarget> = self
            .accounts
            .into_iter()
            .map(|((account, jail), tally)| AccountTarget {
                account,
                jail,
                failures: tally.failures,
                sources: tally.sources.len(),
                first_seen: tally.first,
                last_seen: tally.last,
                banned_sources: tally.sources.iter().filter(|ip| banned(**ip)).count(),
            })
            .collect();
        accounts.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.account.cmp(&b.account)));
        let mut dialled: Vec<DialledTarget> = self
            .dialled
            .into_iter()
            .map(|(number, tally)| DialledTarget {
                destination: destination(&number),
                number,
                failures: tally.failures,
                sources: tally.sources.len(),
            })
            .collect();
        dialled.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.number.cmp(&b.number)));
        let mut provisioning: Vec<ProvisioningTarget> = self
            .provisioning
            .into_iter()
            .map(|(pattern, tally)| ProvisioningTarget {
                pattern,
                requests: tally.failures,
                sources: tally.sources.len(),
                outside_sources: tally.sources.iter().filter(|ip| !is_private(**ip)).count(),
                files: tally.names.len(),
            })
            .collect();
        provisioning.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.pattern.cmp(&b.pattern)));
        Targets {
            accounts,
            dialled,
            provisioning,
        }
    }
}

/// Whether `ip` is in a private, loopback or link-local network, where a PBX's own phones are.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// The tally of `key`, a new one while fewer than [`MAX_NAMES`] are kept.
fn entry(map: &mut BTreeMap<String, Tally>, key: String) -> Option<&mut Tally> {
    if map.len() >= MAX_NAMES && !map.contains_key(&key) {
        return None;
    }
    Some(map.entry(key).or_default())
}

/// The file a wazo-provd "Sensitive file requested" line names, bounded.
fn provisioning_file(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("Sensitive file requested from ")?;
    let (_, file) = rest.split_once(": ")?;
    let file: String = file.trim().chars().take(MAX_NAME_CHARS).collect();
    (!file.is_empty()).then_some(file)
}

/// `name` with each run of exactly 12 hex digits (a MAC address) as `{mac}`:
/// `SEP0004F2ABCDEF.cnf.xml` -> `SEP{mac}.cnf.xml`.
pub fn mac_pattern(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    while at < chars.len() {
        let run = chars[at..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if run == 12 {
            out.push_str("{mac}");
            at += run;
        } else if run > 0 {
            out.extend(&chars[at..at + run]);
            at += run;
        } else {
            out.push(chars[at]);
            at += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn accounts_numbers_and_files_are_counted_per_source() {
        let mut builder = TargetsBuilder::default();
        let register = |user: &str, ip: &str| {
            format!(
                "NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"{user}\" <sip:{user}@x>' failed for '{ip}:5060' (callid: x) - Failed to authenticate"
            )
        };
        for (n, source) in ["203.0.113.1", "203.0.113.2", "203.0.113.1"]
            .iter()
            .enumerate()
        {
            builder.add(
                "asterisk-wazo",
                ip(source),
                n as f64,
                &register("1001", source),
                None,
            );
        }
        builder.add(
            "asterisk-wazo",
            ip("203.0.113.3"),
            9.0,
            &register("1002", "203.0.113.3"),
            None,
        );
        builder.add(
            "sshd",
            ip("198.51.100.1"),
            5.0,
            "sshd[1]: Failed password for root from 198.51.100.1 port 22 ssh2",
            Some("root"),
        );
        let call = "res_pjsip_session.c: Call from '' (UDP:203.0.113.50:5060) to extension '90119725954049' rejected because extension not found in context 'xivo-initconfig'.";
        builder.add("asterisk-wazo", ip("203.0.113.50"), 7.0, call, None);
        builder.add("asterisk-wazo", ip("203.0.113.51"), 8.0, call, None);
        for mac in ["805ec0d57d55", "0004f2abcdef"] {
            let line = format!("[x] Sensitive file requested from 198.51.100.77: {mac}.cfg");
            builder.add("wazo-provd", ip("198.51.100.77"), 3.0, &line, None);
        }
        let banned = |address: IpAddr| address == ip("203.0.113.2");
        let targets = builder.finish(&banned);
        let first = &targets.accounts[0];
        assert_eq!(
            (
                first.account.as_str(),
                first.failures,
                first.sources,
                first.banned_sources
            ),
            ("1001", 3, 2, 1)
        );
        assert_eq!((first.first_seen, first.last_seen), (0.0, 2.0));
        assert_eq!(targets.accounts.len(), 3);
        assert!(
            targets
                .accounts
                .iter()
                .any(|a| a.account == "root" && a.jail == "sshd")
        );
        let number = &targets.dialled[0];
        assert_eq!(
            (number.number.as_str(), number.failures, number.sources),
            ("90119725954049", 2, 2)
        );
        assert_eq!(number.destination.country.as_deref(), Some("IL"));
        assert_eq!(targets.provisioning.len(), 1);
        let files = &targets.provisioning[0];
        assert_eq!(
            (
                files.pattern.as_str(),
                files.requests,
                files.sources,
                files.files
            ),
            ("{mac}.cfg", 2, 1, 2)
        );
    }

    #[test]
    fn mac_addresses_are_taken_out_of_file_names() {
        assert_eq!(mac_pattern("SEP0004F2ABCDEF.cnf.xml"), "SEP{mac}.cnf.xml");
        assert_eq!(mac_pattern("8f4db5964fb6-phone.cfg"), "{mac}-phone.cfg");
        assert_eq!(
            mac_pattern("3f2a7c9e1b4d4e6f8a0b1c2d3e4f5a6b"),
            "3f2a7c9e1b4d4e6f8a0b1c2d3e4f5a6b"
        );
        assert_eq!(mac_pattern("y000000000000.cfg"), "y{mac}.cfg");
    }
}

//! Who one address is, from what bantop can see: its failures in every jail's logs (current
//! and rotated), first and last seen, per jail what it failed and which accounts it tried,
//! fail2ban's ban history of it, and its state now (banned where, dropped by the kernel,
//! whitelisted). Plain data: `bantop inspect` and the TUI's dossier show it, and it is built
//! one failure at a time ([`Dossier::add_failure`]) by whoever reads the logs.

use super::LogEvent;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

/// Events listed at most (the newest); the counts stay exact.
pub const MAX_LISTED_EVENTS: usize = 2000;
/// Distinct accounts listed per jail at most.
pub const MAX_ACCOUNTS: usize = 50;
/// Longest account name kept (an attacker chooses them).
const MAX_ACCOUNT_CHARS: usize = 64;

/// One failure of the address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DossierEvent {
    /// Epoch seconds.
    pub time: f64,
    /// The jail whose filter found it.
    pub jail: String,
    /// The line in a few words.
    pub summary: String,
    /// The log line (attacker's text: sanitize before drawing).
    pub line: String,
    /// The filter's captures under fail2ban's names.
    pub captures: BTreeMap<String, String>,
}

/// What the address did in one jail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JailActivity {
    /// The jail.
    pub jail: String,
    /// Failures found.
    pub failures: u64,
    /// First failure, epoch seconds.
    pub first_seen: f64,
    /// Last failure, epoch seconds.
    pub last_seen: f64,
    /// Accounts (users, extensions) it tried, most tried first, at most [`MAX_ACCOUNTS`].
    pub accounts: Vec<(String, u64)>,
    /// Bans of it in fail2ban's history for this jail.
    pub bans: u64,
}

/// One ban of the address in fail2ban's database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PastBan {
    /// The jail.
    pub jail: String,
    /// When, epoch seconds.
    pub time: i64,
    /// For how long, seconds (-1: permanent).
    pub bantime: i64,
    /// The how-many-th ban of the address in that jail.
    pub bancount: i64,
    /// Failures that led to it.
    pub failures: i64,
    /// The log lines that led to it.
    pub matches: Vec<String>,
}

/// The address's state now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PresentState {
    /// The jails where fail2ban bans it (None: fail2ban did not answer).
    pub banned_in: Option<Vec<String>>,
    /// Where the kernel drops it (`family table @set` or a chain rule; None: not readable).
    pub kernel_drops: Option<Vec<String>>,
    /// Why it counts as whitelisted, if it does.
    pub whitelisted: Option<String>,
}

/// Everything about one address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dossier {
    /// The address.
    pub address: IpAddr,
    /// First failure, epoch seconds.
    pub first_seen: Option<f64>,
    /// Last failure, epoch seconds.
    pub last_seen: Option<f64>,
    /// Failures found in all.
    pub failures: u64,
    /// Its failures, oldest first (the newest [`MAX_LISTED_EVENTS`]).
    pub events: VecDeque<DossierEvent>,
    /// Older failures not listed.
    pub events_left_out: u64,
    /// Per jail, in the order first seen.
    pub jails: Vec<JailActivity>,
    /// fail2ban's bans of it, oldest first.
    pub bans: Vec<PastBan>,
    /// Its state now.
    pub now: PresentState,
    /// Country (ISO code).
    pub country: Option<String>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// The AS's organisation.
    pub org: Option<String>,
    /// Where country and AS come from, with the data's attribution.
    pub place_sources: Vec<String>,
    /// Its reverse DNS name, when asked for (the network's word, not proof).
    pub reverse_dns: Option<String>,
    /// What was read (files with their lines, the journal, the database).
    pub read: Vec<String>,
    /// What could not be read, each naming the file.
    pub problems: Vec<String>,
}

impl Dossier {
    /// Nothing known yet about `address`.
    pub fn new(address: IpAddr) -> Self {
        Dossier {
            address,
            first_seen: None,
            last_seen: None,
            failures: 0,
            events: VecDeque::new(),
            events_left_out: 0,
            jails: Vec::new(),
            bans: Vec::new(),
            now: PresentState::default(),
            country: None,
            asn: None,
            org: None,
            place_sources: Vec::new(),
            reverse_dns: None,
            read: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Adds a failure when it is this address's (in the order the logs give them).
    pub fn add_failure(&mut self, log: &LogEvent) {
        let failure = &log.failure;
        if failure.ip != Some(self.address) {
            return;
        }
        let time = failure.time;
        self.failures += 1;
        self.first_seen = Some(self.first_seen.map_or(time, |t| t.min(time)));
        self.last_seen = Some(self.last_seen.map_or(time, |t| t.max(time)));
        let jail = match self.jails.iter().position(|j| j.jail == failure.jail) {
            Some(index) => &mut self.jails[index],
            None => {
                self.jails.push(JailActivity {
                    jail: failure.jail.clone(),
                    failures: 0,
                    first_seen: time,
                    last_seen: time,
                    accounts: Vec::new(),
                    bans: 0,
                });
                let last = self.jails.len() - 1;
                &mut self.jails[last]
            }
        };
        jail.failures += 1;
        jail.first_seen = jail.first_seen.min(time);
        jail.last_seen = jail.last_seen.max(time);
        if let Some(account) = account_of(&failure.captures, &failure.line) {
            let full = jail.accounts.len() >= MAX_ACCOUNTS;
            match jail.accounts.iter_mut().find(|(name, _)| *name == account) {
                Some((_, count)) => *count += 1,
                None if !full => jail.accounts.push((account, 1)),
                None => {}
            }
        }
        if self.events.len() == MAX_LISTED_EVENTS {
            self.events.pop_front();
            self.events_left_out += 1;
        }
        self.events.push_back(DossierEvent {
            time,
            jail: failure.jail.clone(),
            summary: log.summary.clone(),
            line: failure.line.clone(),
            captures: failure.captures.clone(),
        });
    }

    /// Adds fail2ban's bans of the address (any order; kept oldest first, counted per jail).
    pub fn add_bans(&mut self, bans: Vec<PastBan>) {
        for ban in &bans {
            if let Some(jail) = self.jails.iter_mut().find(|j| j.jail == ban.jail) {
                jail.bans += 1;
            }
        }
        self.bans.extend(bans);
        self.bans.sort_by_key(|ban| ban.time);
    }

    /// Sets where the address is from, and from which files.
    pub fn set_place(&mut self, place: super::Place, sources: &[super::PlaceSource]) {
        (self.country, self.asn, self.org) = (place.country, place.asn, place.org);
        self.place_sources = sources.iter().map(ToString::to_string).collect();
    }

    /// Sorts what was added: accounts most tried first.
    pub fn finish(&mut self) {
        for jail in &mut self.jails {
            jail.accounts
                .sort_by(|(a, m), (b, n)| n.cmp(m).then_with(|| a.cmp(b)));
        }
    }
}

/// The account a failure tried: the filter's `user` capture (fail2ban's `<F-USER>`), else
/// what the line names ([`super::summary::account`]), bounded in length.
fn account_of(captures: &BTreeMap<String, String>, line: &str) -> Option<String> {
    let raw = match captures.get("user").filter(|user| !user.is_empty()) {
        Some(user) => user.clone(),
        None => super::summary::account(line).filter(|account| !account.is_empty())?,
    };
    Some(raw.chars().take(MAX_ACCOUNT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, Failure};

    fn failure(ip: &str, jail: &str, time: f64, user: Option<&str>) -> LogEvent {
        LogEvent {
            failure: Failure {
                jail: jail.into(),
                host: ip.into(),
                ip: ip.parse().ok(),
                time,
                fid: 0,
                captures: user
                    .map(|u| BTreeMap::from([("user".to_string(), u.to_string())]))
                    .unwrap_or_default(),
                line: format!("line at {time}"),
            },
            kind: EventKind::Counted {
                count: 1,
                maxretry: 5,
            },
            summary: "failed".into(),
        }
    }

    #[test]
    fn only_the_address_counts_and_each_jail_keeps_its_own() {
        let address: IpAddr = "203.0.113.9".parse().unwrap_or_else(|e| panic!("{e}"));
        let mut dossier = Dossier::new(address);
        dossier.add_failure(&failure("203.0.113.9", "sshd", 20.0, Some("root")));
        dossier.add_failure(&failure("203.0.113.10", "sshd", 25.0, Some("root")));
        dossier.add_failure(&failure("203.0.113.9", "sshd", 10.0, Some("admin")));
        dossier.add_failure(&failure("203.0.113.9", "asterisk", 30.0, None));
        dossier.add_failure(&failure("203.0.113.9", "sshd", 40.0, Some("root")));
        dossier.add_bans(vec![PastBan {
            jail: "sshd".into(),
            time: 50,
            bantime: 600,
            bancount: 1,
            failures: 3,
            matches: Vec::new(),
        }]);
        dossier.finish();
        assert_eq!(dossier.failures, 4);
        assert_eq!(
            (dossier.first_seen, dossier.last_seen),
            (Some(10.0), Some(40.0))
        );
        assert_eq!(dossier.jails.len(), 2);
        let sshd = &dossier.jails[0];
        assert_eq!((sshd.failures, sshd.bans), (3, 1));
        assert_eq!(
            sshd.accounts,
            [("root".to_string(), 2), ("admin".to_string(), 1)]
        );
        assert_eq!(dossier.jails[1].accounts, []);
    }

    #[test]
    fn events_listed_are_bounded_and_counts_stay_exact() {
        let address: IpAddr = "2001:db8::7".parse().unwrap_or_else(|e| panic!("{e}"));
        let mut dossier = Dossier::new(address);
        let long = "x".repeat(1000);
        for n in 0..(MAX_LISTED_EVENTS + 10) {
            let user = format!("{n}{long}");
            dossier.add_failure(&failure("2001:db8::7", "sshd", n as f64, Some(&user)));
        }
        assert_eq!(dossier.failures, MAX_LISTED_EVENTS as u64 + 10);
        assert_eq!(dossier.events.len(), MAX_LISTED_EVENTS);
        assert_eq!(dossier.events_left_out, 10);
        assert_eq!(dossier.events.front().map(|e| e.time), Some(10.0));
        let accounts = &dossier.jails[0].accounts;
        assert_eq!(accounts.len(), MAX_ACCOUNTS);
        assert!(accounts.iter().all(|(a, _)| a.chars().count() <= 64));
    }
}

//! One jail's failure counting and bans, as fail2ban's `FailManager` does it: a failure adds to
//! the address's ticket; when the ticket spans more than `findtime`, its count is scaled down to
//! the rate over `findtime` (`FailTicket.adjustTime`); at `maxretry` the address is banned for
//! `bantime` and the ticket dropped. Time is passed in (log time in the demo), never read here.

use crate::model::{Ban, BanOrigin, EventKind, JailSettings};
use std::collections::HashMap;
use std::net::IpAddr;

/// Failures of one address not yet leading to a ban. Times are whole seconds (fail2ban's
/// windows are in seconds): a ticket is 12 bytes, so a million attacking addresses stay small.
#[derive(Debug, Clone, Copy)]
struct Ticket {
    first: u32,
    last: u32,
    retry: u32,
}

/// Epoch seconds as a ticket stores them.
fn seconds(time: f64) -> u32 {
    time.clamp(0.0, f64::from(u32::MAX)) as u32
}

/// A jail's live state.
#[derive(Debug, Clone)]
pub struct JailState {
    /// The jail's settings.
    pub settings: JailSettings,
    tickets: HashMap<IpAddr, Ticket>,
    /// Each address's recent lines, kept only where bantop itself bans (the demo).
    evidence: HashMap<IpAddr, Vec<String>>,
    bans: HashMap<IpAddr, Ban>,
    ban_counts: HashMap<IpAddr, u32>,
    keep_evidence: bool,
}

/// The result of recording one failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// How the failure was treated.
    pub kind: EventKind,
    /// The ban it caused, if it reached `maxretry`.
    pub ban: Option<Ban>,
}

impl JailState {
    /// A jail with no failures and no bans, keeping each address's lines as ban evidence.
    pub fn new(settings: JailSettings) -> Self {
        Self {
            settings,
            tickets: HashMap::new(),
            evidence: HashMap::new(),
            bans: HashMap::new(),
            ban_counts: HashMap::new(),
            keep_evidence: true,
        }
    }

    /// The same, keeping only counts: memory stays small under a flood of addresses (on a real
    /// server the evidence comes from fail2ban's database).
    pub fn without_evidence(settings: JailSettings) -> Self {
        Self {
            keep_evidence: false,
            ..Self::new(settings)
        }
    }

    /// Records a failure of `ip` at `time` with its log line.
    pub fn record_failure(&mut self, ip: IpAddr, time: f64, line: &str) -> Outcome {
        if self.settings.ignores(ip) {
            return Outcome {
                kind: EventKind::Ignored,
                ban: None,
            };
        }
        if self.bans.contains_key(&ip) {
            return Outcome {
                kind: EventKind::AlreadyBanned,
                ban: None,
            };
        }
        let findtime = self.settings.findtime.max(0) as u32;
        let maxretry = self.settings.maxretry;
        let now = seconds(time);
        let ticket = self.tickets.entry(ip).or_insert(Ticket {
            first: now,
            last: now,
            retry: 0,
        });
        if now > ticket.last {
            // fail2ban's FailTicket.adjustTime: scale the count to the rate over findtime.
            if ticket.first < now.saturating_sub(findtime) {
                let rate =
                    f64::from(ticket.retry) / f64::from(now - ticket.first) * f64::from(findtime);
                ticket.retry = rate.round() as u32;
                ticket.first = now.saturating_sub(findtime);
            }
            ticket.last = now;
        }
        ticket.retry += 1;
        if self.keep_evidence {
            let lines = self.evidence.entry(ip).or_default();
            lines.push(line.to_string());
            let keep = maxretry.max(1) as usize;
            if lines.len() > keep {
                lines.drain(..lines.len() - keep);
            }
        }
        let count = ticket.retry;
        let kind = EventKind::Counted { count, maxretry };
        if count < maxretry {
            return Outcome { kind, ban: None };
        }
        self.tickets.remove(&ip);
        let evidence = self.evidence.remove(&ip).unwrap_or_default();
        let ban = self.ban(
            ip,
            time,
            self.settings.bantime,
            evidence,
            count,
            BanOrigin::Jail,
        );
        Outcome {
            kind,
            ban: Some(ban),
        }
    }

    /// Bans `ip` at `now` for `seconds` (negative: permanent) and returns the ban.
    pub fn ban(
        &mut self,
        ip: IpAddr,
        now: f64,
        seconds: i64,
        evidence: Vec<String>,
        failures: u32,
        origin: BanOrigin,
    ) -> Ban {
        let count = self.ban_counts.entry(ip).or_insert(0);
        *count += 1;
        let ban = Ban {
            jail: self.settings.name.clone(),
            ip,
            since: now,
            until: (seconds >= 0).then_some(now + seconds as f64),
            count: *count,
            failures,
            evidence,
            origin,
        };
        self.tickets.remove(&ip);
        self.evidence.remove(&ip);
        self.bans.insert(ip, ban.clone());
        ban
    }

    /// Lifts the ban of `ip`, if any.
    pub fn unban(&mut self, ip: IpAddr) -> Option<Ban> {
        self.bans.remove(&ip)
    }

    /// Ends the bans whose time is up at `now` and forgets tickets older than `findtime`.
    pub fn expire(&mut self, now: f64) -> Vec<Ban> {
        let cutoff = now - self.settings.findtime as f64;
        self.tickets
            .retain(|_, ticket| f64::from(ticket.last) > cutoff);
        let tickets = &self.tickets;
        self.evidence.retain(|ip, _| tickets.contains_key(ip));
        let ended: Vec<IpAddr> = self
            .bans
            .values()
            .filter(|ban| ban.until.is_some_and(|until| until <= now))
            .map(|ban| ban.ip)
            .collect();
        let mut expired: Vec<Ban> = ended
            .into_iter()
            .filter_map(|ip| self.bans.remove(&ip))
            .collect();
        expired.sort_by(|a, b| a.since.total_cmp(&b.since));
        expired
    }

    /// Current failure count of `ip` (0 when it has no ticket).
    pub fn failures_of(&self, ip: IpAddr) -> u32 {
        self.tickets.get(&ip).map_or(0, |t| t.retry)
    }

    /// The bans in force.
    pub fn bans(&self) -> impl Iterator<Item = &Ban> {
        self.bans.values()
    }

    /// Whether `ip` is banned in this jail.
    pub fn is_banned(&self, ip: IpAddr) -> bool {
        self.bans.contains_key(&ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fail2ban::jail_conf::parse_ignoreip;

    fn jail(maxretry: u32, findtime: i64, bantime: i64) -> JailState {
        JailState::new(JailSettings {
            name: "sshd".into(),
            filter: "sshd".into(),
            maxretry,
            findtime,
            bantime,
            ignoreip: parse_ignoreip("127.0.0.1/8 192.0.2.0/28").unwrap_or_default(),
            ignore_names: Vec::new(),
            logpath: vec![],
            backend: "auto".into(),
            action: String::new(),
            port: "ssh".into(),
            ignoreself: true,
            ignorecommand: None,
            bantime_increment: false,
        })
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn bans_at_maxretry_with_the_evidence() {
        let mut state = jail(3, 600, 600);
        let attacker = ip("198.51.100.7");
        assert_eq!(
            state.record_failure(attacker, 100.0, "a").kind,
            EventKind::Counted {
                count: 1,
                maxretry: 3
            }
        );
        state.record_failure(attacker, 110.0, "b");
        let outcome = state.record_failure(attacker, 120.0, "c");
        let ban = outcome.ban.unwrap_or_else(|| panic!("no ban at maxretry"));
        assert_eq!(
            (ban.since, ban.until, ban.count, ban.failures),
            (120.0, Some(720.0), 1, 3)
        );
        assert_eq!(ban.evidence, vec!["a", "b", "c"]);
        assert_eq!(
            state.record_failure(attacker, 130.0, "d").kind,
            EventKind::AlreadyBanned
        );
    }

    #[test]
    fn slow_failures_are_scaled_to_the_rate_over_findtime() {
        let mut state = jail(3, 60, 600);
        let slow = ip("203.0.113.9");
        state.record_failure(slow, 0.0, "a");
        state.record_failure(slow, 50.0, "b");
        // Two failures over 120 s is a rate of one per 60 s: the third counts as 2, no ban.
        let outcome = state.record_failure(slow, 120.0, "c");
        assert_eq!(
            outcome.kind,
            EventKind::Counted {
                count: 2,
                maxretry: 3
            }
        );
        assert!(outcome.ban.is_none());
    }

    #[test]
    fn ignored_addresses_are_never_counted() {
        let mut state = jail(1, 600, 600);
        let outcome = state.record_failure(ip("192.0.2.10"), 1.0, "x");
        assert_eq!(
            outcome,
            Outcome {
                kind: EventKind::Ignored,
                ban: None
            }
        );
    }

    #[test]
    fn bans_expire_and_count_up_when_repeated() {
        let mut state = jail(1, 600, 100);
        let attacker = ip("2001:db8::5");
        state.record_failure(attacker, 0.0, "x");
        assert!(state.expire(99.0).is_empty());
        assert_eq!(state.expire(100.0).len(), 1);
        let again = state
            .record_failure(attacker, 200.0, "y")
            .ban
            .map(|b| b.count);
        assert_eq!(again, Some(2));
        assert!(state.unban(attacker).is_some());
        assert!(!state.is_banned(attacker));
    }

    #[test]
    fn old_tickets_are_forgotten() {
        let mut state = jail(5, 60, 100);
        let attacker = ip("203.0.113.5");
        state.record_failure(attacker, 0.0, "x");
        state.expire(30.0);
        assert_eq!(state.failures_of(attacker), 1);
        state.expire(61.0);
        assert_eq!(state.failures_of(attacker), 0);
    }
}

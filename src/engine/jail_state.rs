//! One jail's failure counting and bans, as fail2ban's `FailManager` does it: a failure adds to
//! the address's ticket; when the ticket spans more than `findtime`, its count is scaled down to
//! the rate over `findtime` (`FailTicket.adjustTime`); at `maxretry` the address is banned and
//! the ticket dropped. The ban lasts `bantime`, or with `bantime.increment` what fail2ban's
//! formula gives for the address's earlier bans, counted as its database counts them: every ban
//! here, kept when a ban expires, forgotten when the operator unbans. Time is passed in (log
//! time in the demo), never read here.

use crate::model::ban_increment::BanTimeOutcome;
use crate::model::{Ban, BanLengthCaveat, BanOrigin, EventKind, JailSettings};
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

/// How long a ban lasts: seconds (negative: permanent) and what they leave out.
#[derive(Debug, Clone, Copy)]
struct BanLength {
    seconds: f64,
    caveat: Option<BanLengthCaveat>,
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
    /// No timed ban ends before this (epoch seconds; a lower bound, made exact by the next
    /// look): most calls of [`JailState::end_bans`] look at no ban.
    next_ban_end: f64,
    /// Each address's bans in this jail that fail2ban's database still counts.
    ban_counts: HashMap<IpAddr, u32>,
    keep_evidence: bool,
}

/// The jail at `index` to change, and every other one to read: a ban in it may count the
/// address's bans in the others (`bantime.overalljails`).
pub fn jail_and_others<T>(
    jails: &mut [T],
    index: usize,
) -> Option<(&mut T, impl Iterator<Item = &T>)> {
    let (before, rest) = jails.split_at_mut_checked(index)?;
    let (jail, after) = rest.split_first_mut()?;
    let before: &[T] = before;
    let after: &[T] = after;
    Some((jail, before.iter().chain(after)))
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
            next_ban_end: f64::INFINITY,
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

    /// Records a failure of `ip` at `time` with its log line. `bans_elsewhere` counts the
    /// address's bans in the other jails, for a ban with `bantime.overalljails`.
    pub fn record_failure(
        &mut self,
        ip: IpAddr,
        time: f64,
        line: &str,
        bans_elsewhere: impl FnOnce() -> u32,
    ) -> Outcome {
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
        // A ticket older than findtime is gone, whether or not a sweep came by since.
        if self
            .tickets
            .get(&ip)
            .is_some_and(|ticket| ticket.last.saturating_add(findtime) <= now)
        {
            self.tickets.remove(&ip);
            self.evidence.remove(&ip);
        }
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
        let ban =
            self.ban_as_configured(ip, time, evidence, count, BanOrigin::Jail, bans_elsewhere);
        Outcome {
            kind,
            ban: Some(ban),
        }
    }

    /// Bans `ip` at `now` for as long as fail2ban would: `bantime`, or with `bantime.increment`
    /// its formula for the address's earlier bans here (plus `bans_elsewhere()`, its bans in the
    /// other jails, with `bantime.overalljails`).
    pub fn ban_as_configured(
        &mut self,
        ip: IpAddr,
        now: f64,
        evidence: Vec<String>,
        failures: u32,
        origin: BanOrigin,
        bans_elsewhere: impl FnOnce() -> u32,
    ) -> Ban {
        let mut earlier_bans = self.earlier_bans(ip);
        if self.settings.counts_bans_of_all_jails() {
            earlier_bans = earlier_bans.saturating_add(bans_elsewhere());
        }
        let length = match self.settings.ban_seconds(earlier_bans) {
            BanTimeOutcome::Seconds {
                seconds,
                random_below,
            } => BanLength {
                seconds,
                caveat: random_below.map(BanLengthCaveat::PlusRandomBelow),
            },
            // bantop does not evaluate the jail's own formula: the plain bantime, said so.
            BanTimeOutcome::CustomFormula(_) => BanLength {
                seconds: self.settings.bantime as f64,
                caveat: Some(BanLengthCaveat::CustomFormula),
            },
        };
        self.insert_ban(ip, now, length, evidence, failures, origin)
    }

    /// Bans `ip` at `now` for `seconds` (negative: permanent), whatever the jail's settings say
    /// (bantop's own set, whose bans the operator times).
    pub fn ban(
        &mut self,
        ip: IpAddr,
        now: f64,
        seconds: i64,
        evidence: Vec<String>,
        failures: u32,
        origin: BanOrigin,
    ) -> Ban {
        let length = BanLength {
            seconds: seconds as f64,
            caveat: None,
        };
        self.insert_ban(ip, now, length, evidence, failures, origin)
    }

    fn insert_ban(
        &mut self,
        ip: IpAddr,
        now: f64,
        length: BanLength,
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
            until: (length.seconds >= 0.0).then_some(now + length.seconds),
            count: *count,
            failures,
            evidence,
            origin,
            length_caveat: length.caveat,
        };
        self.tickets.remove(&ip);
        self.evidence.remove(&ip);
        if let Some(until) = ban.until {
            self.next_ban_end = self.next_ban_end.min(until);
        }
        self.bans.insert(ip, ban.clone());
        ban
    }

    /// How many bans of `ip` in this jail fail2ban's database counts for its next ban here.
    pub fn earlier_bans(&self, ip: IpAddr) -> u32 {
        self.ban_counts.get(&ip).copied().unwrap_or(0)
    }

    /// Lifts the ban of `ip`, if any, and forgets the address's earlier bans: fail2ban's
    /// `unbanip` deletes them from its database.
    pub fn unban(&mut self, ip: IpAddr) -> Option<Ban> {
        let lifted = self.bans.remove(&ip);
        if lifted.is_some() {
            self.ban_counts.remove(&ip);
        }
        lifted
    }

    /// Ends the bans whose time is up at `now` and forgets tickets older than `findtime`.
    pub fn expire(&mut self, now: f64) -> Vec<Ban> {
        self.forget_old_failures(now);
        self.end_bans(now)
    }

    /// Forgets tickets older than `findtime` at `now` (memory: a failure after that starts a
    /// new ticket anyway).
    pub fn forget_old_failures(&mut self, now: f64) {
        let cutoff = now - self.settings.findtime as f64;
        self.tickets
            .retain(|_, ticket| f64::from(ticket.last) > cutoff);
        let tickets = &self.tickets;
        self.evidence.retain(|ip, _| tickets.contains_key(ip));
    }

    /// Ends the bans whose time is up at `now`, oldest first.
    pub fn end_bans(&mut self, now: f64) -> Vec<Ban> {
        if self.next_ban_end > now {
            return Vec::new();
        }
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
        self.next_ban_end = self
            .bans
            .values()
            .filter_map(|ban| ban.until)
            .fold(f64::INFINITY, f64::min);
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
    use crate::model::ban_increment::{BanIncrement, ban_seconds};

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
            ban_increment: None,
        })
    }

    /// The address's bans in other jails, for a jail alone.
    fn no_other_jails() -> u32 {
        0
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn bans_at_maxretry_with_the_evidence() {
        let mut state = jail(3, 600, 600);
        let attacker = ip("198.51.100.7");
        assert_eq!(
            state
                .record_failure(attacker, 100.0, "a", no_other_jails)
                .kind,
            EventKind::Counted {
                count: 1,
                maxretry: 3
            }
        );
        state.record_failure(attacker, 110.0, "b", no_other_jails);
        let outcome = state.record_failure(attacker, 120.0, "c", no_other_jails);
        let ban = outcome.ban.unwrap_or_else(|| panic!("no ban at maxretry"));
        assert_eq!(
            (ban.since, ban.until, ban.count, ban.failures),
            (120.0, Some(720.0), 1, 3)
        );
        assert_eq!(ban.evidence, vec!["a", "b", "c"]);
        assert_eq!(
            state
                .record_failure(attacker, 130.0, "d", no_other_jails)
                .kind,
            EventKind::AlreadyBanned
        );
    }

    #[test]
    fn slow_failures_are_scaled_to_the_rate_over_findtime() {
        let mut state = jail(3, 60, 600);
        let slow = ip("203.0.113.9");
        state.record_failure(slow, 0.0, "a", no_other_jails);
        state.record_failure(slow, 50.0, "b", no_other_jails);
        // Two failures over 100 s is a rate of 1.2 per 60 s: the third counts as 2, no ban.
        let outcome = state.record_failure(slow, 100.0, "c", no_other_jails);
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
    fn a_failure_after_findtime_of_quiet_starts_a_new_ticket_without_a_sweep() {
        // fail2ban's cleanup (every few seconds of its clock) drops a ticket whose last
        // failure is findtime old; reading history by the log's clock, no sweep has to run.
        let mut state = jail(3, 60, 600);
        let slow = ip("203.0.113.9");
        state.record_failure(slow, 0.0, "a", no_other_jails);
        state.record_failure(slow, 50.0, "b", no_other_jails);
        let outcome = state.record_failure(slow, 110.0, "c", no_other_jails);
        assert_eq!(
            outcome.kind,
            EventKind::Counted {
                count: 1,
                maxretry: 3
            }
        );
    }

    #[test]
    fn bans_end_when_due_however_often_they_are_looked_at() {
        let mut state = jail(1, 600, 100);
        state.record_failure(ip("198.51.100.7"), 0.0, "x", no_other_jails);
        state.record_failure(ip("198.51.100.8"), 50.0, "x", no_other_jails);
        assert!(state.end_bans(99.0).is_empty());
        assert_eq!(state.end_bans(100.0).len(), 1);
        assert!(state.end_bans(149.0).is_empty());
        let ended = state.end_bans(1000.0);
        assert_eq!(ended.first().map(|b| b.ip), Some(ip("198.51.100.8")));
        assert!(state.end_bans(1e9).is_empty());
    }

    #[test]
    fn ignored_addresses_are_never_counted() {
        let mut state = jail(1, 600, 600);
        let outcome = state.record_failure(ip("192.0.2.10"), 1.0, "x", no_other_jails);
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
        state.record_failure(attacker, 0.0, "x", no_other_jails);
        assert!(state.expire(99.0).is_empty());
        assert_eq!(state.expire(100.0).len(), 1);
        let again = state
            .record_failure(attacker, 200.0, "y", no_other_jails)
            .ban
            .map(|b| b.count);
        assert_eq!(again, Some(2));
        assert!(state.unban(attacker).is_some());
        assert!(!state.is_banned(attacker));
    }

    fn incrementing(increment: BanIncrement) -> JailState {
        let mut state = jail(1, 600, 600);
        state.settings.ban_increment = Some(increment);
        state
    }

    /// Bans `attacker` once at each of `times` (each after the previous ban ended) and gives
    /// each ban's length.
    fn lengths(state: &mut JailState, attacker: IpAddr, times: &[f64]) -> Vec<Option<f64>> {
        times
            .iter()
            .map(|time| {
                state.expire(*time);
                let ban = state
                    .record_failure(attacker, *time, "x", no_other_jails)
                    .ban;
                ban.and_then(|ban| ban.until.map(|until| until - ban.since))
            })
            .collect()
    }

    #[test]
    fn repeated_bans_last_as_fail2ban_s_count_of_earlier_bans_says() {
        let increment = BanIncrement {
            factor: 2.0,
            ..BanIncrement::default()
        };
        let mut state = incrementing(increment.clone());
        let attacker = ip("203.0.113.5");
        let times = [0.0, 1000.0, 4000.0, 9000.0];
        let expected: Vec<Option<f64>> = (0..4)
            .map(
                |earlier_bans| match ban_seconds(600, &increment, earlier_bans) {
                    BanTimeOutcome::Seconds { seconds, .. } => Some(seconds),
                    BanTimeOutcome::CustomFormula(_) => None,
                },
            )
            .collect();
        assert_eq!(
            expected,
            [Some(600.0), Some(2400.0), Some(4800.0), Some(9600.0)]
        );
        assert_eq!(lengths(&mut state, attacker, &times), expected);
        assert_eq!(state.earlier_bans(attacker), 4);
    }

    #[test]
    fn an_operator_unban_forgets_the_earlier_bans_an_expiry_keeps_them() {
        let mut state = incrementing(BanIncrement::default());
        let attacker = ip("203.0.113.5");
        assert_eq!(
            lengths(&mut state, attacker, &[0.0, 1000.0]),
            [Some(600.0), Some(1200.0)]
        );
        assert!(state.unban(attacker).is_some());
        assert_eq!(state.earlier_bans(attacker), 0);
        assert_eq!(lengths(&mut state, attacker, &[1100.0]), [Some(600.0)]);
    }

    #[test]
    fn bans_elsewhere_count_only_with_overalljails() {
        let attacker = ip("203.0.113.5");
        let mut alone = incrementing(BanIncrement::default());
        let ban = alone.record_failure(attacker, 0.0, "x", || {
            panic!("asked for other jails' bans without overalljails")
        });
        assert_eq!(ban.ban.and_then(|b| b.until), Some(600.0));
        let mut overall = incrementing(BanIncrement {
            overalljails: true,
            ..BanIncrement::default()
        });
        let ban = overall.record_failure(attacker, 0.0, "x", || 2).ban;
        assert_eq!(
            ban.map(|b| (b.until, b.count)),
            Some((Some(2400.0), 1)),
            "two bans elsewhere: the formula's count 2, this jail's first ban"
        );
    }

    #[test]
    fn a_ban_says_what_its_time_leaves_out() {
        let attacker = ip("203.0.113.5");
        let mut random = incrementing(BanIncrement {
            rndtime: Some(60),
            ..BanIncrement::default()
        });
        let first = random
            .record_failure(attacker, 0.0, "x", no_other_jails)
            .ban;
        assert_eq!(first.map(|b| b.length_caveat), Some(None));
        random.expire(1000.0);
        let second = random
            .record_failure(attacker, 1000.0, "x", no_other_jails)
            .ban;
        assert_eq!(
            second.map(|b| (b.until, b.length_caveat)),
            Some((Some(2200.0), Some(BanLengthCaveat::PlusRandomBelow(60))))
        );
        let mut custom = incrementing(BanIncrement {
            formula: Some("ban.Time * 3".to_string()),
            ..BanIncrement::default()
        });
        custom.record_failure(attacker, 0.0, "x", no_other_jails);
        custom.expire(1000.0);
        let second = custom
            .record_failure(attacker, 1000.0, "x", no_other_jails)
            .ban;
        assert_eq!(
            second.map(|b| (b.until, b.length_caveat)),
            Some((Some(1600.0), Some(BanLengthCaveat::CustomFormula))),
            "the plain bantime, marked as fail2ban's formula"
        );
    }

    #[test]
    fn jail_and_others_splits_at_the_jail() {
        let mut numbers = [1, 2, 3, 4];
        let (two, others) = jail_and_others(&mut numbers, 1).unwrap_or_else(|| panic!("none"));
        assert_eq!(*two, 2);
        assert_eq!(others.copied().collect::<Vec<_>>(), [1, 3, 4]);
        assert!(jail_and_others(&mut numbers, 4).is_none());
    }

    #[test]
    fn old_tickets_are_forgotten() {
        let mut state = jail(5, 60, 100);
        let attacker = ip("203.0.113.5");
        state.record_failure(attacker, 0.0, "x", no_other_jails);
        state.expire(30.0);
        assert_eq!(state.failures_of(attacker), 1);
        state.expire(61.0);
        assert_eq!(state.failures_of(attacker), 0);
    }
}

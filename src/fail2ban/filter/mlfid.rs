//! fail2ban's multi-line failure ids (`_mergeFailure`): captures of lines that share an
//! `<F-MLFID>` (e.g. one sshd connection) are merged, `<F-NOFAIL>` and `<F-MLFGAINED>` mark a
//! line as no failure unless failures are pending or several users were tried, and
//! `<F-MLFFORGET>` ends the connection. The ids are kept as fail2ban's `Utils.Cache(maxCount=100,
//! maxTime=5*60)` keeps them: an entry lives five minutes of the clock (wall-clock time, as
//! fail2ban's `time.time()`: a backlog read in seconds forgets nothing) from when it was stored,
//! an update does not renew it, and a full cache drops the oldest stored first.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// fail2ban keeps at most this many connections ...
const MAX_ENTRIES: usize = 100;
/// ... each for at most this long after it was stored (seconds of the clock).
const MAX_AGE: f64 = 300.0;

/// Named captures of a failure, as fail2ban's `fail` dict (absent = `None`).
pub(super) type Groups = BTreeMap<String, String>;

#[derive(Debug, Clone)]
struct Entry {
    /// Clock time after which fail2ban's cache no longer returns it.
    expires: f64,
    groups: Groups,
    users: BTreeSet<String>,
}

/// The cache of open multi-line ids: each entry by its id, with the number that orders it
/// among the others by when it was stored (a busy log drops the oldest of its 100 for nearly
/// every new connection: dropping must not move the others, as removing from the front of a
/// list does).
#[derive(Debug, Clone, Default)]
pub(super) struct MlfidCache {
    entries: HashMap<String, (u64, Entry)>,
    /// The ids by when they were stored, oldest first.
    stored: BTreeMap<u64, String>,
    /// The number of the next entry stored.
    next: u64,
}

/// The clock fail2ban's cache reads (`time.time()`), in seconds.
pub(super) fn clock_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A merged failure: its captures, the users tried on the connection, and how many log lines
/// it stands for (fail2ban's `matches`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Merged {
    /// The captures, merged.
    pub(super) groups: Groups,
    /// Every user tried on this connection (fail2ban's `users`).
    pub(super) users: Vec<String>,
    /// The lines that make the failure.
    pub(super) matches: usize,
}

const NOFAIL: u8 = 1;
const FORGET: u8 = 2;
const CACHED_NOFAIL: u8 = 4;
const GAINED: u8 = 8;
/// Line counts kept in the groups, as fail2ban keeps its lists in the failure dict.
const MATCHES: &str = "matches";
const NOFAIL_MATCHES: &str = "nofail-matches";

fn truthy(groups: &Groups, key: &str) -> bool {
    groups.get(key).is_some_and(|v| !v.is_empty())
}

fn count(groups: &mut Groups, key: &str) -> usize {
    groups.remove(key).and_then(|v| v.parse().ok()).unwrap_or(0)
}

impl MlfidCache {
    /// Merges `fail` (found on `matched_lines` lines) into the entry of `mlfid`, as fail2ban's
    /// `_mergeFailure` does with the one dict it caches and returns; `clock` is the time now.
    /// `None` when the merged failure is none (`nofail`: fail2ban passes it over).
    pub(super) fn merge(
        &mut self,
        mlfid: &str,
        mut fail: Groups,
        clock: f64,
        matched_lines: usize,
    ) -> Option<Merged> {
        let mut flags = 0;
        if truthy(&fail, "mlfgained") {
            flags |= GAINED | NOFAIL;
            if !truthy(&fail, "nofail") {
                let gained = fail.get("mlfgained").cloned().unwrap_or_default();
                fail.insert("nofail".to_string(), gained);
            }
        } else if truthy(&fail, "nofail") {
            flags |= NOFAIL;
        }
        if fail.remove("mlfforget").is_some_and(|v| !v.is_empty()) {
            flags |= FORGET;
        }
        let user = fail.get("user").filter(|u| !u.is_empty()).cloned();
        // fail2ban's `Cache.get`: an expired entry is dropped and not returned.
        if self
            .entries
            .get(mlfid)
            .is_some_and(|(_, entry)| entry.expires <= clock)
        {
            self.remove(mlfid);
        }
        // A cached entry is updated where it is (place and expiry unchanged); a new one is
        // made here, and stored after unless its line forgets it.
        let mut fresh = None;
        let cached = self.entries.get_mut(mlfid);
        let is_cached = cached.is_some();
        let (groups, users) = match cached {
            Some((_, entry)) => {
                entry.users.extend(user);
                if entry.groups.remove("nofail").is_some() {
                    flags |= CACHED_NOFAIL;
                }
                if entry.groups.remove("mlfgained").is_some() {
                    flags |= CACHED_NOFAIL;
                }
                if flags & GAINED != 0 {
                    entry.groups.remove("mlfpending");
                }
                if flags & CACHED_NOFAIL == 0 && !entry.groups.contains_key("mlfpending") {
                    entry.groups.remove(MATCHES);
                }
                entry.groups.extend(fail);
                (&mut entry.groups, &mut entry.users)
            }
            // A new id gets `users` only when its line does not forget it.
            None => {
                let users = if flags & FORGET == 0 {
                    user.into_iter().collect()
                } else {
                    BTreeSet::new()
                };
                let (groups, users) = fresh.insert((fail, users));
                (groups, users)
            }
        };
        if groups.remove("mlfpending").is_some() || users.len() > 1 {
            groups.remove("nofail");
            groups.remove("mlfgained");
            flags &= !(GAINED | NOFAIL);
        }
        if flags & NOFAIL == 0 {
            let mut matches = count(groups, NOFAIL_MATCHES) + count(groups, MATCHES);
            if flags & GAINED == 0 {
                matches += matched_lines;
            }
            groups.insert(MATCHES.to_string(), matches.to_string());
        } else if flags & (NOFAIL | FORGET) == NOFAIL {
            let waiting = count(groups, NOFAIL_MATCHES) + matched_lines;
            groups.insert(NOFAIL_MATCHES.to_string(), waiting.to_string());
        }
        // What the failure is made of: copied when the entry stays, not when it goes.
        let failed = !truthy(groups, "nofail");
        let merged = match (is_cached, fresh) {
            (true, _) if flags & FORGET != 0 => {
                self.remove(mlfid).map(|entry| (entry.groups, entry.users))
            }
            (true, _) => self
                .entries
                .get(mlfid)
                .filter(|_| failed)
                .map(|(_, entry)| (entry.groups.clone(), entry.users.clone())),
            (false, Some((groups, users))) if flags & FORGET == 0 => {
                let copy = failed.then(|| (groups.clone(), users.clone()));
                let expires = clock + MAX_AGE;
                let entry = Entry {
                    expires,
                    groups,
                    users,
                };
                self.store(mlfid, entry, clock);
                copy
            }
            (false, fresh) => fresh,
        };
        let (mut groups, users) = merged.filter(|_| failed)?;
        let matches = groups
            .get(MATCHES)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        groups.remove(MATCHES);
        groups.remove(NOFAIL_MATCHES);
        Some(Merged {
            groups,
            users: users.into_iter().collect(),
            matches,
        })
    }

    /// Marks the entry of `mlfid` as having a failure waiting for its address.
    pub(super) fn mark_pending(&mut self, mlfid: &str) {
        if let Some((_, entry)) = self.entries.get_mut(mlfid) {
            entry
                .groups
                .insert("mlfpending".to_string(), "1".to_string());
        }
    }

    /// fail2ban's `Cache.set` of a new entry: when full, the oldest stored go first (those
    /// expired, and one more).
    fn store(&mut self, mlfid: &str, entry: Entry, clock: f64) {
        if self.entries.len() >= MAX_ENTRIES {
            while let Some((_, oldest)) = self.stored.pop_first() {
                let Some((_, oldest)) = self.entries.remove(&oldest) else {
                    continue;
                };
                if oldest.expires > clock && self.entries.len() < MAX_ENTRIES {
                    break;
                }
            }
        }
        let number = self.next;
        self.next += 1;
        self.stored.insert(number, mlfid.to_string());
        if let Some((replaced, _)) = self.entries.insert(mlfid.to_string(), (number, entry)) {
            self.stored.remove(&replaced);
        }
    }

    /// Takes the entry of `mlfid` out of the cache.
    fn remove(&mut self, mlfid: &str) -> Option<Entry> {
        let (number, entry) = self.entries.remove(mlfid)?;
        self.stored.remove(&number);
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(pairs: &[(&str, &str)]) -> Groups {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_nofail_line_lends_its_address_to_the_failure_that_follows() {
        let mut cache = MlfidCache::default();
        let first = cache.merge(
            "sshd[1]:",
            groups(&[("nofail", "Connection from"), ("ip4", "192.0.2.1")]),
            0.0,
            1,
        );
        assert_eq!(first, None, "a nofail line is no failure");
        let second = cache
            .merge("sshd[1]:", groups(&[("user", "root")]), 1.0, 1)
            .unwrap_or_else(|| panic!("a failure"));
        assert_eq!(
            second.groups.get("ip4").map(String::as_str),
            Some("192.0.2.1")
        );
        assert!(!truthy(&second.groups, "nofail"));
        assert_eq!(
            second.matches, 2,
            "the nofail line counts once a failure follows"
        );
        assert_eq!(second.users, ["root"]);
    }

    #[test]
    fn a_gained_login_is_no_failure_and_forget_closes_the_connection() {
        let mut cache = MlfidCache::default();
        let gained = cache.merge(
            "sshd[2]:",
            groups(&[
                ("mlfgained", "Accepted publickey"),
                ("mlfforget", "Accepted publickey"),
                ("ip4", "192.0.2.10"),
            ]),
            0.0,
            1,
        );
        assert_eq!(gained, None);
        assert!(cache.entries.is_empty());
    }

    #[test]
    fn an_entry_lives_five_minutes_from_when_it_was_stored_and_updates_do_not_renew_it() {
        let mut cache = MlfidCache::default();
        cache.merge(
            "sshd[4]:",
            groups(&[("ip4", "192.0.2.4"), ("nofail", "x")]),
            0.0,
            1,
        );
        // Updated at 200 s: still the entry stored at 0 s.
        cache.merge("sshd[4]:", groups(&[("nofail", "y")]), 200.0, 1);
        let kept = cache.merge("sshd[4]:", groups(&[("user", "root")]), 299.0, 1);
        assert_eq!(
            kept.and_then(|kept| kept.groups.get("ip4").cloned()),
            Some("192.0.2.4".to_string())
        );
        // At 301 s it has expired, though updated 101 s before.
        let later = cache.merge("sshd[4]:", groups(&[("user", "root")]), 301.0, 1);
        assert_eq!(
            later.and_then(|later| later.groups.get("ip4").cloned()),
            None
        );
    }

    #[test]
    fn a_forgetting_line_without_an_entry_gets_no_users() {
        let mut cache = MlfidCache::default();
        let forgot = cache.merge(
            "sshd[5]:",
            groups(&[
                ("user", "backup"),
                ("mlfforget", "Disconnected"),
                ("ip4", "192.0.2.5"),
            ]),
            0.0,
            1,
        );
        assert_eq!(forgot.map(|forgot| forgot.users), Some(Vec::new()));
    }

    #[test]
    fn a_full_cache_drops_the_oldest_stored_first() {
        let mut cache = MlfidCache::default();
        for n in 0..MAX_ENTRIES {
            cache.merge(&format!("c{n}"), groups(&[("nofail", "x")]), 0.0, 1);
        }
        // Updating the oldest does not make it younger.
        cache.merge("c0", groups(&[("nofail", "y")]), 1.0, 1);
        cache.merge("new", groups(&[("nofail", "x")]), 2.0, 1);
        assert_eq!(cache.entries.len(), MAX_ENTRIES);
        assert!(!cache.entries.contains_key("c0") && cache.entries.contains_key("c1"));
        // A forgotten entry leaves room; after that the oldest stored goes again.
        cache.merge("c1", groups(&[("mlfforget", "x")]), 3.0, 1);
        cache.merge("n2", groups(&[("nofail", "x")]), 3.0, 1);
        assert!(cache.entries.contains_key("c2"));
        cache.merge("n3", groups(&[("nofail", "x")]), 3.0, 1);
        assert!(!cache.entries.contains_key("c2") && cache.entries.contains_key("c3"));
        assert_eq!(cache.entries.len(), MAX_ENTRIES);
        assert_eq!(cache.stored.len(), MAX_ENTRIES);
    }

    #[test]
    fn several_users_on_one_connection_reset_nofail() {
        let mut cache = MlfidCache::default();
        cache.merge(
            "sshd[3]:",
            groups(&[("user", "a"), ("nofail", "x"), ("ip4", "192.0.2.1")]),
            0.0,
            1,
        );
        let second = cache.merge(
            "sshd[3]:",
            groups(&[("user", "b"), ("nofail", "x")]),
            1.0,
            1,
        );
        assert_eq!(
            second.map(|second| second.users),
            Some(vec!["a".to_string(), "b".to_string()]),
            "several users reset nofail"
        );
    }
}

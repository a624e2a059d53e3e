//! fail2ban's multi-line failure ids (`_mergeFailure`): captures of lines that share an
//! `<F-MLFID>` (e.g. one sshd connection) are merged, `<F-NOFAIL>` and `<F-MLFGAINED>` mark a
//! line as no failure unless failures are pending or several users were tried, and
//! `<F-MLFFORGET>` ends the connection.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// fail2ban keeps at most this many connections ...
const MAX_ENTRIES: usize = 100;
/// ... for at most this long (seconds).
const MAX_AGE: f64 = 300.0;

/// Named captures of a failure, as fail2ban's `fail` dict (absent = `None`).
pub type Groups = BTreeMap<String, String>;

#[derive(Debug, Clone)]
struct Entry {
    time: f64,
    groups: Groups,
    users: BTreeSet<String>,
}

/// The cache of open multi-line ids.
#[derive(Debug, Clone, Default)]
pub struct MlfidCache {
    entries: HashMap<String, Entry>,
}

const FORGET: u8 = 2;
const CACHED_NOFAIL: u8 = 4;
const GAINED: u8 = 8;

fn truthy(groups: &Groups, key: &str) -> bool {
    groups.get(key).is_some_and(|v| !v.is_empty())
}

impl MlfidCache {
    /// Merges `fail` into the entry of `mlfid`; the result is the failure fail2ban goes on with.
    pub fn merge(&mut self, mlfid: &str, mut fail: Groups, time: f64) -> Groups {
        let mut flags = 0;
        if truthy(&fail, "mlfgained") {
            flags |= GAINED;
            if !truthy(&fail, "nofail") {
                let gained = fail.get("mlfgained").cloned().unwrap_or_default();
                fail.insert("nofail".to_string(), gained);
            }
        }
        if fail.remove("mlfforget").is_some_and(|v| !v.is_empty()) {
            flags |= FORGET;
        }
        let user = fail.get("user").filter(|u| !u.is_empty()).cloned();
        self.entries.retain(|_, entry| entry.time > time - MAX_AGE);
        let users;
        if let Some(entry) = self.entries.get_mut(mlfid) {
            entry.users.extend(user);
            users = entry.users.len();
            if entry.groups.remove("nofail").is_some() {
                flags |= CACHED_NOFAIL;
            }
            if entry.groups.remove("mlfgained").is_some() {
                flags |= CACHED_NOFAIL;
            }
            if flags & GAINED != 0 {
                entry.groups.remove("mlfpending");
            }
            entry.groups.extend(fail);
            entry.time = time;
            fail = entry.groups.clone();
            if flags & FORGET != 0 {
                self.entries.remove(mlfid);
            }
        } else {
            let users_set: BTreeSet<String> = user.into_iter().collect();
            users = users_set.len();
            if flags & FORGET == 0 {
                self.insert(
                    mlfid,
                    Entry {
                        time,
                        groups: fail.clone(),
                        users: users_set,
                    },
                );
            }
        }
        let pending = fail.remove("mlfpending").is_some();
        if pending || users > 1 {
            fail.remove("nofail");
            fail.remove("mlfgained");
        }
        fail
    }

    /// Marks the entry of `mlfid` as having a failure waiting for its address.
    pub fn mark_pending(&mut self, mlfid: &str) {
        if let Some(entry) = self.entries.get_mut(mlfid) {
            entry
                .groups
                .insert("mlfpending".to_string(), "1".to_string());
        }
    }

    fn insert(&mut self, mlfid: &str, entry: Entry) {
        if self.entries.len() >= MAX_ENTRIES
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by(|a, b| a.1.time.total_cmp(&b.1.time))
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(mlfid.to_string(), entry);
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
        );
        assert!(truthy(&first, "nofail"));
        let second = cache.merge("sshd[1]:", groups(&[("user", "root")]), 1.0);
        assert_eq!(second.get("ip4").map(String::as_str), Some("192.0.2.1"));
        assert!(!truthy(&second, "nofail"));
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
        );
        assert!(truthy(&gained, "nofail"));
        assert!(cache.entries.is_empty());
    }

    #[test]
    fn several_users_on_one_connection_reset_nofail() {
        let mut cache = MlfidCache::default();
        cache.merge(
            "sshd[3]:",
            groups(&[("user", "a"), ("nofail", "x"), ("ip4", "192.0.2.1")]),
            0.0,
        );
        let second = cache.merge("sshd[3]:", groups(&[("user", "b"), ("nofail", "x")]), 1.0);
        assert!(!truthy(&second, "nofail"));
    }
}

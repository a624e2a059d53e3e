//! No event twice after a reconnect: the stream starts again a little before the newest event
//! seen, and the events of that overlap that were already seen are passed over, as a multiset
//! (two identical lines in the same second are two failures, and both stay counted).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

/// Events remembered per host (the overlap of a reconnect must fit in it).
const REMEMBERED: usize = 50_000;
/// Seconds read again before the newest event seen.
pub const OVERLAP: f64 = 5.0;

/// The recent events of one host's stream, and what a reconnect owes.
#[derive(Debug, Default)]
pub struct Replayed {
    recent: VecDeque<(u64, f64)>,
    newest: Option<f64>,
    owed: HashMap<u64, u32>,
    owed_until: f64,
}

/// One event's identity: its jail, time and line.
pub fn key(jail: &str, time: f64, line: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (jail, time.to_bits(), line).hash(&mut hasher);
    hasher.finish()
}

impl Replayed {
    /// Seconds to read back when reconnecting at `now`: from a little before the newest event
    /// seen; `None` when nothing was seen (the stream's own default).
    pub fn since(&self, now: f64) -> Option<u64> {
        self.newest
            .map(|newest| ((now - newest).max(0.0) + OVERLAP).ceil() as u64)
    }

    /// A new connection: the events seen are owed once each by the stream that starts again.
    pub fn reconnected(&mut self) {
        self.owed.clear();
        for (key, _) in &self.recent {
            *self.owed.entry(*key).or_default() += 1;
        }
        self.owed_until = self.newest.unwrap_or(0.0);
    }

    /// Whether the event with `key` at `time` is new (and remembers it), or a copy of one seen.
    pub fn is_new(&mut self, key: u64, time: f64) -> bool {
        if let Some(count) = self.owed.get_mut(&key).filter(|c| **c > 0) {
            *count -= 1;
            return false;
        }
        if time > self.owed_until + OVERLAP && !self.owed.is_empty() {
            // Past what was seen before the reconnect: nothing more is owed.
            self.owed.clear();
        }
        if self.recent.len() == REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back((key, time));
        self.newest = Some(self.newest.map_or(time, |n| n.max(time)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_passes_over_exactly_what_was_seen() {
        let mut replayed = Replayed::default();
        let same = key("pbx1/sshd", 100.0, "Failed password");
        assert!(replayed.is_new(same, 100.0));
        assert!(replayed.is_new(same, 100.0));
        assert!(replayed.is_new(key("pbx1/sshd", 101.0, "x"), 101.0));
        assert_eq!(replayed.since(110.0), Some(14));
        replayed.reconnected();
        // The overlap again: both copies and the other line are owed, then a third copy is new.
        assert!(!replayed.is_new(same, 100.0));
        assert!(!replayed.is_new(same, 100.0));
        assert!(!replayed.is_new(key("pbx1/sshd", 101.0, "x"), 101.0));
        assert!(replayed.is_new(same, 100.0));
        assert!(replayed.is_new(key("pbx1/sshd", 105.0, "y"), 105.0));
    }

    #[test]
    fn nothing_seen_reads_the_default() {
        assert_eq!(Replayed::default().since(5.0), None);
    }
}

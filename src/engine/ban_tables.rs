//! The bans in force as last read, and what changed at the next reading: a ban not seen
//! before started, one no longer there was lifted (expired or unbanned). The live engine
//! reads fail2ban's tables this way, the fleet each host's.

use crate::model::{Ban, EngineEvent};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Bans in force by jail and address, as last read.
#[derive(Debug, Default, Clone)]
pub struct BanTables {
    known: BTreeMap<(String, IpAddr), Ban>,
}

impl BanTables {
    /// Whether nothing has been read yet (or nothing is banned).
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Takes a new reading: the bans that started and those that ended since the last one.
    pub fn update(&mut self, bans: impl IntoIterator<Item = Ban>) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        let mut current = BTreeMap::new();
        for ban in bans {
            let key = (ban.jail.clone(), ban.ip);
            if !self.known.contains_key(&key) {
                events.push(EngineEvent::Banned(ban.clone()));
            }
            current.insert(key, ban);
        }
        for (key, ban) in &self.known {
            if !current.contains_key(key) {
                events.push(EngineEvent::Unbanned {
                    ban: ban.clone(),
                    reason: "lifted (expired or unbanned)".to_string(),
                });
            }
        }
        self.known = current;
        events
    }
}

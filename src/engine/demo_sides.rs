//! The executor's backends in the demo: a simulated fail2ban (the demo's jail states, their
//! ignore lists and the drop-in's entries in memory) and the simulated set. They do what a real
//! server would, and collect the engine events the TUI needs to show it.

use super::command::WHITELIST_DROPIN;
use super::execute::{Fail2banSide, FirewallSide};
use super::jail_state::{JailState, jail_and_others};
use super::manual_bans::ManualUnban;
use crate::fail2ban::dropin::{entry_text, render};
use crate::firewall::{BanOutcome, Element, OwnSet, SimulatedFirewall};
use crate::model::event::UNBANNED_BY_OPERATOR;
use crate::model::port::Proto;
use crate::model::restriction::{Restriction, port_label, put_in, revert_in};
use crate::model::{BanOrigin, EngineEvent, WhitelistEntry};
use ipnet::IpNet;
use std::net::IpAddr;

/// The demo's fail2ban: its jails and the drop-in's entries.
pub struct SimulatedFail2ban<'a> {
    /// Every jail fail2ban would run.
    pub jails: Vec<&'a mut JailState>,
    /// The drop-in's entries.
    pub whitelist: &'a mut Vec<WhitelistEntry>,
    /// The replay's time.
    pub now: f64,
    /// What the TUI is told.
    pub events: Vec<EngineEvent>,
    /// The comment of the entry being whitelisted.
    comment: String,
}

impl<'a> SimulatedFail2ban<'a> {
    /// The simulation over `jails` and `whitelist`, at `now`.
    pub fn new(
        jails: Vec<&'a mut JailState>,
        whitelist: &'a mut Vec<WhitelistEntry>,
        now: f64,
    ) -> Self {
        SimulatedFail2ban {
            jails,
            whitelist,
            now,
            events: Vec::new(),
            comment: String::new(),
        }
    }

    fn jail(&mut self, name: &str) -> Result<&mut JailState, String> {
        self.jails
            .iter_mut()
            .find(|s| s.settings.name == name)
            .map(|s| &mut **s)
            .ok_or_else(|| format!("no jail named {name:?}"))
    }
}

impl Fail2banSide for SimulatedFail2ban<'_> {
    async fn ban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, String> {
        let (state, others) = self
            .jails
            .iter()
            .position(|s| s.settings.name == jail)
            .and_then(|index| jail_and_others(&mut self.jails, index))
            .ok_or_else(|| format!("no jail named {jail:?}"))?;
        if state.is_banned(ip) {
            return Ok(false);
        }
        let bans_elsewhere = || others.map(|other| other.earlier_bans(ip)).sum();
        let ban = state.ban_as_configured(
            ip,
            self.now,
            Vec::new(),
            0,
            BanOrigin::Manual,
            bans_elsewhere,
        );
        self.events.push(EngineEvent::Banned(ban));
        Ok(true)
    }

    async fn unban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, String> {
        let lifted = self.jail(jail)?.unban(ip);
        let was = lifted.is_some();
        if let Some(ban) = lifted {
            self.events.push(EngineEvent::Unbanned {
                ban,
                reason: UNBANNED_BY_OPERATOR.to_string(),
            });
        }
        Ok(was)
    }

    async fn unban_everywhere(&mut self, ip: IpAddr) -> Result<i64, String> {
        let mut count = 0;
        for state in &mut self.jails {
            if let Some(ban) = state.unban(ip) {
                count += 1;
                self.events.push(EngineEvent::Unbanned {
                    ban,
                    reason: UNBANNED_BY_OPERATOR.to_string(),
                });
            }
        }
        Ok(count)
    }

    async fn write_dropin(
        &mut self,
        entry: IpNet,
        jails: &[String],
        remove: bool,
        comment: &str,
    ) -> Result<Option<String>, String> {
        let text = entry_text(entry);
        let before = self.whitelist.clone();
        if remove {
            self.whitelist
                .retain(|w| !(jails.contains(&w.jail) && w.entry == text));
        } else {
            for jail in jails {
                let record = WhitelistEntry {
                    jail: jail.clone(),
                    entry: text.clone(),
                    comment: comment.to_string(),
                };
                if !self
                    .whitelist
                    .iter()
                    .any(|w| w.jail == *jail && w.entry == text)
                {
                    self.whitelist.push(record);
                }
            }
        }
        self.comment = comment.to_string();
        self.events
            .push(EngineEvent::Dropin(render(self.whitelist)));
        Ok((*self.whitelist != before).then(|| format!("{WHITELIST_DROPIN} (simulated)")))
    }

    async fn ignore(&mut self, jail: &str, entry: IpNet, remove: bool) -> Result<bool, String> {
        let state = self.jail(jail)?;
        let had = state.settings.ignoreip.contains(&entry);
        if remove {
            state.settings.ignoreip.retain(|net| *net != entry);
        } else if !state.settings.ignoreip.contains(&entry) {
            state.settings.ignoreip.push(entry);
        }
        let text = entry_text(entry);
        self.events.push(if remove {
            EngineEvent::Unwhitelisted {
                entry: text,
                jails: vec![jail.to_string()],
            }
        } else {
            EngineEvent::Whitelisted(WhitelistEntry {
                jail: jail.to_string(),
                entry: text,
                comment: self.comment.clone(),
            })
        });
        Ok(had == remove)
    }
}

/// The demo's set: the simulated firewall, and its bans shown as the own set's table.
pub struct SimulatedSet<'a> {
    /// The simulated firewall.
    pub firewall: &'a mut SimulatedFirewall,
    /// The table the TUI shows for bantop's set.
    pub table: &'a mut JailState,
    /// The replay's time.
    pub now: f64,
    /// What the TUI is told.
    pub events: Vec<EngineEvent>,
}

impl FirewallSide for SimulatedSet<'_> {
    fn ban(&mut self, net: IpNet, seconds: Option<u64>) -> Result<BanOutcome, String> {
        let element = Element {
            net,
            timeout: seconds,
        };
        let outcome = self
            .firewall
            .ban(&[element], self.now)
            .map_err(|e| e.to_string())?;
        let seconds = seconds.map_or(-1, |s| s as i64);
        let ban = self.table.ban(
            net.addr(),
            self.now,
            seconds,
            Vec::new(),
            0,
            BanOrigin::Manual,
        );
        self.events.push(EngineEvent::Banned(ban));
        Ok(outcome)
    }

    fn unban(&mut self, net: IpNet) -> Result<ManualUnban, String> {
        let kernel = self
            .firewall
            .unban(net, self.now)
            .map_err(|e| e.to_string())?;
        for lifted in &kernel.lifted {
            if let Some(ban) = self.table.unban(lifted.addr()) {
                self.events.push(EngineEvent::Unbanned {
                    ban,
                    reason: UNBANNED_BY_OPERATOR.to_string(),
                });
            }
        }
        Ok(ManualUnban {
            kernel,
            forgotten: Vec::new(),
        })
    }

    fn restrict(&mut self, restriction: &Restriction) -> Result<(), String> {
        put_in(&mut self.firewall.restrictions, restriction.clone());
        Ok(())
    }

    fn keep_restriction(&mut self, port: u16, proto: Proto) -> Result<bool, String> {
        let found = self
            .firewall
            .restrictions
            .iter_mut()
            .find(|r| (r.port, r.proto) == (port, proto));
        Ok(found.is_some_and(|r| {
            r.rollback_at = None;
            r.replaced = None;
            true
        }))
    }

    fn revert_restriction(&mut self, port: u16, proto: Proto) -> Result<Option<String>, String> {
        let all = &mut self.firewall.restrictions;
        Ok(all
            .iter()
            .position(|r| (r.port, r.proto) == (port, proto) && r.rollback_at.is_some())
            .map(|index| revert_in(all, index).describe()))
    }

    fn unrestrict(&mut self, port: u16, proto: Proto) -> Result<bool, String> {
        let before = self.firewall.restrictions.len();
        self.firewall
            .restrictions
            .retain(|r| (r.port, r.proto) != (port, proto));
        Ok(self.firewall.restrictions.len() < before)
    }

    fn port_now(&mut self, port: u16, proto: Proto) -> String {
        match self
            .firewall
            .restrictions
            .iter()
            .find(|r| (r.port, r.proto) == (port, proto))
        {
            Some(r) => format!("{} is restricted in the simulation", r.label()),
            None => format!(
                "{} is not restricted in the simulation",
                port_label(port, proto)
            ),
        }
    }

    /// The simulated set alone: the demo's jails hold no kernel sets of their own.
    fn dropped_where(&mut self, ip: IpAddr) -> Result<Option<String>, String> {
        let elements = self
            .firewall
            .elements(self.now)
            .map_err(|e| e.to_string())?;
        Ok(elements
            .iter()
            .find(|e| e.net.contains(&ip))
            .map(|e| format!("set inet bantop holds {}", e.net)))
    }
}

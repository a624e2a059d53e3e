//! The App's dossier: `Enter` on an address opens what bantop knows about it over the view.
//! What this session saw is shown at once (its events, the bans in force, the kernel's drops,
//! the whitelists); on a real server the engine's reading of every log, rotated ones too,
//! and of fail2ban's database replaces it when it arrives.

use super::app::{App, EventRow};
use super::dossier_pane::{DossierPane, DossierSource};
use crate::model::dossier::{Dossier, PastBan};
use std::net::IpAddr;

impl App {
    /// Opens the dossier of `address` and asks for its history where there is an engine to
    /// read it.
    pub fn open_dossier(&mut self, address: IpAddr) {
        self.dossier = Some(DossierPane {
            address,
            scroll: 0,
            gathered: None,
        });
        self.dossier_wanted = Some(address);
    }

    /// The dossier to show and where it comes from.
    pub fn shown_dossier(&self) -> Option<(Dossier, DossierSource)> {
        let pane = self.dossier.as_ref()?;
        if let Some(gathered) = &pane.gathered {
            let mut dossier = (**gathered).clone();
            // The state now is the session's, which is newer than the reading.
            dossier.now.whitelisted = self.whitelist_text(pane.address);
            return Some((dossier, DossierSource::Gathered));
        }
        let source = if self.replay.is_some() {
            DossierSource::Session
        } else {
            DossierSource::SessionWhileReading
        };
        Some((self.session_dossier(pane.address), source))
    }

    /// What this session saw of `address`.
    pub fn session_dossier(&self, address: IpAddr) -> Dossier {
        let mut dossier = Dossier::new(address);
        dossier.set_place(self.geoip.lookup(address), &self.geoip.sources());
        let mut bans = Vec::new();
        for row in self.events.iter() {
            if !self.in_period(row) {
                continue;
            }
            match row {
                EventRow::Failure(log) => dossier.add_failure(log),
                EventRow::Banned(ban) if ban.ip == address => bans.push(PastBan {
                    jail: ban.jail.clone(),
                    time: ban.since as i64,
                    bantime: ban.until.map_or(-1, |until| (until - ban.since) as i64),
                    bancount: i64::from(ban.count),
                    failures: i64::from(ban.failures),
                    matches: ban.evidence.clone(),
                }),
                _ => {}
            }
        }
        dossier.add_bans(bans);
        dossier.now.banned_in = Some(self.banned_in(address));
        dossier.now.kernel_drops = self.kernel_drops(address).map(|drops| {
            if drops {
                vec!["dropped".to_string()]
            } else {
                Vec::new()
            }
        });
        dossier.now.whitelisted = self.whitelist_text(address);
        dossier.finish();
        dossier
    }

    /// Where `address` is whitelisted, in words.
    fn whitelist_text(&self, address: IpAddr) -> Option<String> {
        let jails = self.whitelisted_in(address);
        (!jails.is_empty()).then(|| format!("whitelisted in {}", jails.join(", ")))
    }

    /// Takes in a gathered dossier, if it is the open one's.
    pub fn take_dossier(&mut self, dossier: Box<Dossier>) {
        if let Some(pane) = self.dossier.as_mut()
            && pane.address == dossier.address
        {
            pane.gathered = Some(dossier);
        }
    }
}

//! The dossier pane: `Enter` on an address opens what bantop knows about it over the view.
//! What this session saw is shown at once (its events, the bans in force, the kernel's drops,
//! the whitelists); on a real server the engine's reading of every log, rotated ones included,
//! and of fail2ban's database replaces it when it arrives.

use crate::model::dossier::Dossier;
use std::net::IpAddr;

/// An open dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierPane {
    /// The address.
    pub address: IpAddr,
    /// First line of the pane in view.
    pub scroll: usize,
    /// The whole history, once gathered (live only).
    pub gathered: Option<Box<Dossier>>,
}

/// Where the dossier shown comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierSource {
    /// Every log and fail2ban's database, read for it.
    Gathered,
    /// What this session saw; the full reading is on its way.
    SessionWhileReading,
    /// What this session saw (the demo: its replay is the whole history).
    Session,
}

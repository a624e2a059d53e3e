//! A ban of one address in one jail (or in bantop's own manual set).

use std::net::IpAddr;

/// The name bantop's own nftables set is shown under beside the jails. A display name only:
/// what acts on the set is told by [`BanPlace::OwnSet`], never by this name, so a real jail of
/// the same name is still a jail.
pub const OWN_SET_NAME: &str = "bantop's set";
/// The backend bantop's own set is shown with: what tells its panel from a jail's.
pub const OWN_SET_BACKEND: &str = "bantop";

/// Where a ban is held: in a fail2ban jail, or in bantop's own nftables set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BanPlace {
    /// A fail2ban jail, by name.
    Jail(String),
    /// bantop's own set (`inet bantop`, `ban4`/`ban6`).
    OwnSet,
}

impl BanPlace {
    /// The name it is shown under.
    pub fn name(&self) -> &str {
        match self {
            BanPlace::Jail(name) => name,
            BanPlace::OwnSet => OWN_SET_NAME,
        }
    }
}

/// Who put a ban in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanOrigin {
    /// The jail reached `maxretry`.
    Jail,
    /// The operator banned by hand.
    Manual,
}

/// What `until` leaves out of a ban whose length bantop works out from the jail's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanLengthCaveat {
    /// fail2ban adds a random part below this many seconds (`bantime.rndtime`).
    PlusRandomBelow(i64),
    /// The jail's own `bantime.formula` sets the length; `until` is its plain `bantime`.
    CustomFormula,
}

/// An address banned in a jail, with the evidence that led to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ban {
    /// Jail name (`manual` for bantop's own set).
    pub jail: String,
    /// The banned address.
    pub ip: IpAddr,
    /// Epoch seconds when the ban started.
    pub since: f64,
    /// Epoch seconds when it ends; `None` for a permanent ban.
    pub until: Option<f64>,
    /// How many times this address has been banned in this jail, this ban included, as
    /// fail2ban's database counts them (an operator's unban starts them again).
    pub count: u32,
    /// Failures counted before the ban.
    pub failures: u32,
    /// The log lines that led to the ban.
    pub evidence: Vec<String>,
    /// Who made the ban.
    pub origin: BanOrigin,
    /// What `until` leaves out (bans whose length bantop works out, not fail2ban's own).
    pub length_caveat: Option<BanLengthCaveat>,
}

impl Ban {
    /// Seconds left at `now`, or `None` for a permanent ban.
    pub fn remaining(&self, now: f64) -> Option<f64> {
        self.until.map(|until| (until - now).max(0.0))
    }
}

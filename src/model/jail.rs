//! The settings of one jail, resolved from fail2ban's configuration.

use crate::model::ban_increment::{BanIncrement, BanTimeOutcome, ban_seconds};
use ipnet::IpNet;
use std::net::IpAddr;

/// A jail as fail2ban would run it: the values bantop needs to count, ban and display.
#[derive(Debug, Clone, PartialEq)]
pub struct JailSettings {
    /// Section name in jail.conf, e.g. `asterisk-wazo`.
    pub name: String,
    /// Filter name with its options as written, e.g. `sshd[mode=aggressive]`.
    pub filter: String,
    /// Failures within `findtime` that cause a ban.
    pub maxretry: u32,
    /// Window for counting failures, in seconds.
    pub findtime: i64,
    /// Ban duration in seconds; negative means permanent, as in fail2ban.
    pub bantime: i64,
    /// Addresses and networks whose failures are ignored.
    pub ignoreip: Vec<IpNet>,
    /// Host names (and other words) of `ignoreip`, which fail2ban resolves when it checks.
    pub ignore_names: Vec<String>,
    /// Log files (or `systemd` journal) the jail reads, as configured.
    pub logpath: Vec<String>,
    /// The configured backend (`auto`, `systemd`, ...).
    pub backend: String,
    /// The ban action as written, for display.
    pub action: String,
    /// Ports the action protects, as written.
    pub port: String,
    /// Whether the server's own addresses are ignored (`ignoreself`, fail2ban's default).
    pub ignoreself: bool,
    /// `ignorecommand`: run for an address, exit 0 means it is ignored.
    pub ignorecommand: Option<String>,
    /// How repeated bans get longer (`bantime.increment` and the other `bantime.*` keys);
    /// `None` when `bantime.increment` is off.
    pub ban_increment: Option<BanIncrement>,
}

impl JailSettings {
    /// Where the bans of this table are held: bantop's own set, or the jail of this name.
    pub fn place(&self) -> crate::model::BanPlace {
        if self.backend == crate::model::ban::OWN_SET_BACKEND {
            crate::model::BanPlace::OwnSet
        } else {
            crate::model::BanPlace::Jail(self.name.clone())
        }
    }

    /// How long fail2ban bans an address with `earlier_bans` bans in its database: this jail's
    /// (or, with `bantime.overalljails`, every jail's) bans of it that fail2ban still counts.
    pub fn ban_seconds(&self, earlier_bans: u32) -> BanTimeOutcome {
        match &self.ban_increment {
            Some(increment) => ban_seconds(self.bantime, increment, earlier_bans),
            None => BanTimeOutcome::Seconds {
                seconds: self.bantime as f64,
                random_below: None,
            },
        }
    }

    /// Whether a ban's length counts the address's bans in every jail (`bantime.overalljails`).
    pub fn counts_bans_of_all_jails(&self) -> bool {
        self.ban_increment
            .as_ref()
            .is_some_and(|increment| increment.overalljails)
    }

    /// Whether failures from `ip` are ignored by this jail's `ignoreip`.
    pub fn ignores(&self, ip: IpAddr) -> bool {
        self.ignoreip.iter().any(|net| net.contains(&ip))
    }
}

//! The settings of one jail, resolved from fail2ban's configuration.

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
    /// Whether repeated bans get longer (`bantime.increment`).
    pub bantime_increment: bool,
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

    /// Whether failures from `ip` are ignored by this jail's `ignoreip`.
    pub fn ignores(&self, ip: IpAddr) -> bool {
        self.ignoreip.iter().any(|net| net.contains(&ip))
    }
}

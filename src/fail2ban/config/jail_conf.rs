//! The jails of a fail2ban configuration directory, as fail2ban's client reads them
//! ([`jail_reader`](super::jail_reader)), turned into what bantop's engines use: each started
//! jail's [`JailSettings`] and its resolved filter, plus the jails fail2ban skips and its
//! warnings.

use super::filter_conf::FilterConf;
use super::jail_reader::read_report;
use super::merged::ConfigError;
use super::resolved_jail::TimeValue;
use super::resolved_jail::{ResolvedJail, SkippedJail};
use crate::model::JailSettings;
use crate::model::ban_increment::BanIncrement;
use crate::model::configuration::{ConfigurationNotes, ConfigurationView};
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::Path;

/// The configuration could not be used at all (fail2ban's client would stop too).
#[derive(Debug, thiserror::Error)]
pub enum JailConfError {
    /// Reading or resolving the files failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A jail fail2ban starts, ready for bantop's engines.
#[derive(Debug, Clone)]
pub struct JailConf {
    /// The settings shown and used for counting.
    pub settings: JailSettings,
    /// Its filter options as fail2ban sends them.
    pub filter: FilterConf,
    /// Every value as fail2ban resolves it, with its origin.
    pub resolved: ResolvedJail,
}

/// Every jail of a configuration: the started ones, the skipped ones, the warnings.
#[derive(Debug, Clone, Default)]
pub struct Jails {
    /// Jails fail2ban starts.
    pub jails: Vec<JailConf>,
    /// Enabled jails fail2ban skips, with its reason.
    pub skipped: Vec<SkippedJail>,
    /// What fail2ban warns about, and what bantop cannot use.
    pub warnings: Vec<String>,
}

/// Reads the configuration in `dir` as fail2ban does.
pub fn read_configuration(dir: &Path) -> Result<Jails, JailConfError> {
    let report = read_report(dir)?;
    let mut warnings = report.warnings;
    let jails = report
        .jails
        .into_iter()
        .map(|resolved| {
            let filter_name = resolved
                .filter
                .split('[')
                .next()
                .unwrap_or_default()
                .to_string();
            let filter = FilterConf::of_jail(
                &resolved,
                dir.join("filter.d").join(format!("{filter_name}.conf")),
            );
            let settings = settings_of(&resolved, &mut warnings);
            JailConf {
                settings,
                filter,
                resolved,
            }
        })
        .collect();
    Ok(Jails {
        jails,
        skipped: report.skipped,
        warnings,
    })
}

impl Jails {
    /// The skipped jails, warnings and each started jail's origins (files named relative to
    /// `dir`), for the TUI.
    pub fn view(&self, dir: &Path) -> ConfigurationView {
        ConfigurationView {
            notes: ConfigurationNotes {
                skipped: self.skipped.clone(),
                warnings: self.warnings.clone(),
            },
            origins: self.jails.iter().map(|j| j.resolved.origins(dir)).collect(),
        }
    }
}

/// The jails fail2ban starts from the configuration in `dir`, in its order.
pub fn read_jails(dir: &Path) -> Result<Vec<JailConf>, JailConfError> {
    read_configuration(dir).map(|jails| jails.jails)
}

/// What bantop's engines keep of a resolved jail; fail2ban's server defaults where its client
/// sends nothing or a value its server cannot use.
fn settings_of(jail: &ResolvedJail, warnings: &mut Vec<String>) -> JailSettings {
    let mut ignoreip = Vec::new();
    let mut ignore_names = Vec::new();
    for entry in &jail.ignoreip {
        match ignore_entry(entry) {
            IgnoreEntry::Net(net) => ignoreip.push(net),
            IgnoreEntry::HostName(name) => ignore_names.push(name),
            IgnoreEntry::Unusable(text) => {
                warnings.push(format!(
                    "[{}] ignoreip entry {text:?} is not an address, a network or a host \
                     name: fail2ban tries to resolve it and it never matches",
                    jail.name
                ));
                ignore_names.push(text);
            }
        }
    }
    JailSettings {
        name: jail.name.clone(),
        filter: jail.filter.clone(),
        maxretry: jail
            .maxretry
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(3),
        findtime: jail.findtime.seconds().unwrap_or(600),
        bantime: jail.bantime.seconds().unwrap_or(600),
        ignoreip,
        ignore_names,
        logpath: jail.logpath.clone(),
        backend: jail.backend.clone(),
        action: jail.action_text.clone(),
        port: jail.port.clone(),
        ignoreself: jail.ignoreself,
        ignorecommand: jail.ignorecommand.clone().filter(|c| !c.trim().is_empty()),
        ban_increment: ban_increment_of(jail, warnings),
    }
}

/// The `bantime.*` keys as fail2ban's server reads them (`Jail.setBanTimeExtra`), when
/// `bantime.increment` is on; a value it cannot read is a warning and fail2ban's default.
fn ban_increment_of(jail: &ResolvedJail, warnings: &mut Vec<String>) -> Option<BanIncrement> {
    if jail.bantime_increment != Some(true) {
        return None;
    }
    let written = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    let mut unreadable = |key: &str, text: &str, default: &str| {
        warnings.push(format!(
            "[{}] {key} = {text:?}: not a value bantop can read, it uses fail2ban's default \
             ({default})",
            jail.name
        ));
    };
    // fail2ban evals the factor as Python.
    let factor = match written(&jail.bantime_factor) {
        None => 1.0,
        Some(text) => match super::arithmetic::evaluate(&text) {
            Ok(factor) if factor.is_finite() => factor,
            _ => {
                unreadable("bantime.factor", &text, "1");
                1.0
            }
        },
    };
    let multipliers = match written(&jail.bantime_multipliers) {
        None => Vec::new(),
        Some(text) => match text.split_whitespace().map(str::parse).collect() {
            Ok(multipliers) => multipliers,
            Err(_) => {
                unreadable("bantime.multipliers", &text, "none: the formula");
                Vec::new()
            }
        },
    };
    let mut seconds = |key: &str, value: &Option<TimeValue>| match value {
        None => None,
        Some(TimeValue::Seconds(seconds)) => Some(*seconds),
        // fail2ban's server takes an empty value as not set.
        Some(TimeValue::Unreadable(text)) if text.trim().is_empty() => None,
        Some(TimeValue::Unreadable(text)) => {
            unreadable(key, text, "none");
            None
        }
    };
    let maxtime = seconds("bantime.maxtime", &jail.bantime_maxtime);
    let rndtime = seconds("bantime.rndtime", &jail.bantime_rndtime);
    Some(BanIncrement {
        factor,
        formula: written(&jail.bantime_formula),
        multipliers,
        maxtime,
        rndtime,
        overalljails: jail.bantime_overalljails.unwrap_or(false),
    })
}

/// One `ignoreip` entry as fail2ban's `IPAddr` reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum IgnoreEntry {
    /// An address or a network (CIDR or dotted mask).
    Net(IpNet),
    /// A host name, resolved when an address is checked.
    HostName(String),
    /// Neither: fail2ban looks it up as a name, which never answers.
    Unusable(String),
}

/// Reads one entry: `192.0.2.1`, `10.0.0.0/8`, `10.0.0.0/255.0.0.0`, `::1`, or a host name.
pub fn ignore_entry(entry: &str) -> IgnoreEntry {
    if let Ok(net) = entry.parse::<IpNet>() {
        return IgnoreEntry::Net(net.trunc());
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return IgnoreEntry::Net(IpNet::from(ip));
    }
    if let Some((address, mask)) = entry.split_once('/')
        && let (Ok(address), Ok(mask)) = (
            address.parse::<std::net::Ipv4Addr>(),
            mask.parse::<std::net::Ipv4Addr>(),
        )
        && let Ok(prefix) = ipnet::ipv4_mask_to_prefix(mask)
        && let Ok(net) = ipnet::Ipv4Net::new(address, prefix)
    {
        return IgnoreEntry::Net(IpNet::V4(net.trunc()));
    }
    let host_name = entry.len() <= 253
        && entry.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if host_name {
        IgnoreEntry::HostName(entry.to_string())
    } else {
        IgnoreEntry::Unusable(entry.to_string())
    }
}

/// Addresses and networks separated by spaces or commas (as the operator types them: host
/// names are refused here).
pub fn parse_ignoreip(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|entry| !entry.is_empty())
        .map(|entry| match ignore_entry(entry) {
            IgnoreEntry::Net(net) => Ok(net),
            _ => Err(format!("{entry:?} is not an address or network")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignoreip_takes_addresses_and_networks() {
        let nets = parse_ignoreip("127.0.0.1/8 ::1, 192.0.2.10 10.1.0.0/255.255.0.0");
        assert_eq!(
            nets.map(|n| n.iter().map(ToString::to_string).collect::<Vec<_>>()),
            Ok(vec![
                "127.0.0.0/8".to_string(),
                "::1/128".to_string(),
                "192.0.2.10/32".to_string(),
                "10.1.0.0/16".to_string()
            ])
        );
        assert!(parse_ignoreip("10.0.0.1; rm -rf /").is_err());
    }

    fn increment_of(jail: ResolvedJail) -> (Option<BanIncrement>, Vec<String>) {
        let mut warnings = Vec::new();
        let settings = settings_of(&jail, &mut warnings);
        (settings.ban_increment, warnings)
    }

    fn incrementing(name: &str) -> ResolvedJail {
        ResolvedJail {
            name: name.to_string(),
            bantime_increment: Some(true),
            ..ResolvedJail::default()
        }
    }

    #[test]
    fn bantime_keys_become_the_jail_s_ban_increment() {
        let (increment, warnings) = increment_of(ResolvedJail {
            bantime_factor: Some("1.5".to_string()),
            bantime_multipliers: Some("1 5 30 60".to_string()),
            bantime_maxtime: Some(TimeValue::Seconds(86_400)),
            bantime_rndtime: Some(TimeValue::Seconds(300)),
            bantime_overalljails: Some(true),
            bantime_formula: Some("ban.Time * 3".to_string()),
            ..incrementing("sshd")
        });
        assert_eq!(
            increment,
            Some(BanIncrement {
                factor: 1.5,
                formula: Some("ban.Time * 3".to_string()),
                multipliers: vec![1, 5, 30, 60],
                maxtime: Some(86_400),
                rndtime: Some(300),
                overalljails: true,
            })
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        // fail2ban evals the factor: an expression (and a comment) is a number too.
        let (increment, _) = increment_of(ResolvedJail {
            bantime_factor: Some("2 # twice".to_string()),
            ..incrementing("sshd")
        });
        assert_eq!(increment.map(|i| i.factor), Some(2.0));
    }

    #[test]
    fn no_increment_without_bantime_increment() {
        for flag in [None, Some(false)] {
            let (increment, warnings) = increment_of(ResolvedJail {
                bantime_increment: flag,
                bantime_factor: Some("two".to_string()),
                ..ResolvedJail::default()
            });
            assert_eq!((increment, warnings.len()), (None, 0), "{flag:?}");
        }
        let (increment, warnings) = increment_of(ResolvedJail {
            bantime_factor: Some(" ".to_string()),
            bantime_formula: Some(String::new()),
            bantime_multipliers: Some(String::new()),
            bantime_maxtime: Some(TimeValue::Unreadable(String::new())),
            ..incrementing("sshd")
        });
        assert_eq!(
            (increment, warnings.len()),
            (Some(BanIncrement::default()), 0),
            "empty values are fail2ban's defaults"
        );
    }

    #[test]
    fn unreadable_bantime_keys_warn_and_keep_fail2ban_s_defaults() {
        let (increment, warnings) = increment_of(ResolvedJail {
            bantime_factor: Some("two".to_string()),
            bantime_multipliers: Some("1 2 x".to_string()),
            bantime_maxtime: Some(TimeValue::Unreadable("1 fortnight".to_string())),
            bantime_rndtime: Some(TimeValue::Unreadable("?".to_string())),
            ..incrementing("asterisk-wazo")
        });
        assert_eq!(increment, Some(BanIncrement::default()));
        assert_eq!(
            warnings,
            [
                "[asterisk-wazo] bantime.factor = \"two\": not a value bantop can read, it uses \
                 fail2ban's default (1)",
                "[asterisk-wazo] bantime.multipliers = \"1 2 x\": not a value bantop can read, it \
                 uses fail2ban's default (none: the formula)",
                "[asterisk-wazo] bantime.maxtime = \"1 fortnight\": not a value bantop can read, it \
                 uses fail2ban's default (none)",
                "[asterisk-wazo] bantime.rndtime = \"?\": not a value bantop can read, it uses \
                 fail2ban's default (none)",
            ]
        );
    }

    #[test]
    fn entries_are_addresses_host_names_or_unusable() {
        assert_eq!(
            ignore_entry("office.example.org"),
            IgnoreEntry::HostName("office.example.org".to_string())
        );
        for unusable in ["#and", "PUBLIC_IP", "__MGMT_IP__"] {
            assert_eq!(
                ignore_entry(unusable),
                IgnoreEntry::Unusable(unusable.to_string())
            );
        }
    }
}

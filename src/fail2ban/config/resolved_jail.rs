//! A jail as fail2ban's client resolves it and hands it to its server: every value fail2ban
//! sends, with the file and line it came from, plus the jails it skips and the warnings it
//! gives. This is what `bantop jails` prints and what the engines are built from.

use crate::fail2ban::config::duration::format_seconds;
pub use crate::model::configuration::SkippedJail;
use crate::model::configuration::{JailOrigins, OriginRow};
use serde::Serialize;
use std::collections::BTreeMap;

/// A time value as fail2ban's server reads it: seconds, or the text when it cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TimeValue {
    /// Seconds (`-1`: permanent).
    Seconds(i64),
    /// Text fail2ban's server would refuse, as written.
    Unreadable(String),
}

impl TimeValue {
    /// The seconds, if readable.
    pub fn seconds(&self) -> Option<i64> {
        match self {
            TimeValue::Seconds(seconds) => Some(*seconds),
            TimeValue::Unreadable(_) => None,
        }
    }
}

/// One jail fail2ban starts, with the values it sends for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResolvedJail {
    /// The section name.
    pub name: String,
    /// Always true for a jail fail2ban starts.
    pub enabled: bool,
    /// `backend`, with its options as written (`auto`, `systemd[journalflags=1]`, ...).
    pub backend: String,
    /// `filter` as written after interpolation, with its options.
    pub filter: String,
    /// The `logpath` patterns (without a trailing ` head`/` tail`).
    pub logpath: Vec<String>,
    /// The files those patterns match now.
    pub logfiles: Vec<String>,
    /// `failregex` lines as sent: interpolated, `<HOST>` still in them.
    pub failregex: Vec<String>,
    /// `ignoreregex` lines as sent.
    pub ignoreregex: Vec<String>,
    /// `prefregex`, when set.
    pub prefregex: Option<String>,
    /// `datepattern`, when set.
    pub datepattern: Option<String>,
    /// `maxlines`, when set (`null` when fail2ban could not read it as a number).
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub maxlines: Unset<Option<i64>>,
    /// One string per `addjournalmatch`: its words joined by single spaces.
    pub journalmatch: Vec<String>,
    /// `maxretry` (fail2ban's default 3 when unset; `null` when not a number).
    pub maxretry: Option<i64>,
    /// `maxmatches`, when set.
    #[serde(skip_serializing_if = "Unset::is_unset")]
    pub maxmatches: Unset<Option<i64>>,
    /// `findtime` in seconds (default 600).
    pub findtime: TimeValue,
    /// `bantime` in seconds, `-1` for permanent (default 600).
    pub bantime: TimeValue,
    /// `bantime.increment`, when set.
    #[serde(rename = "bantime.increment", skip_serializing_if = "Option::is_none")]
    pub bantime_increment: Option<bool>,
    /// `bantime.factor`, when set.
    #[serde(rename = "bantime.factor", skip_serializing_if = "Option::is_none")]
    pub bantime_factor: Option<String>,
    /// `bantime.formula`, when set.
    #[serde(rename = "bantime.formula", skip_serializing_if = "Option::is_none")]
    pub bantime_formula: Option<String>,
    /// `bantime.multipliers`, when set.
    #[serde(
        rename = "bantime.multipliers",
        skip_serializing_if = "Option::is_none"
    )]
    pub bantime_multipliers: Option<String>,
    /// `bantime.maxtime` in seconds, when set.
    #[serde(rename = "bantime.maxtime", skip_serializing_if = "Option::is_none")]
    pub bantime_maxtime: Option<TimeValue>,
    /// `bantime.rndtime` in seconds, when set.
    #[serde(rename = "bantime.rndtime", skip_serializing_if = "Option::is_none")]
    pub bantime_rndtime: Option<TimeValue>,
    /// `bantime.overalljails`, when set.
    #[serde(
        rename = "bantime.overalljails",
        skip_serializing_if = "Option::is_none"
    )]
    pub bantime_overalljails: Option<bool>,
    /// `ignoreip` entries as sent (split on spaces, commas and new lines).
    pub ignoreip: Vec<String>,
    /// The host names of `ignoreip` with what they resolve to now (filled by `bantop jails`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ignoreip_resolved: BTreeMap<String, String>,
    /// `ignoreself` (fail2ban's default true when unset).
    pub ignoreself: bool,
    /// `ignorecommand`, when set and not empty.
    pub ignorecommand: Option<String>,
    /// `usedns`, when set.
    pub usedns: Option<String>,
    /// `logencoding`, when set.
    pub logencoding: Option<String>,
    /// Action names as fail2ban names them (`actname`, e.g. `iptables-ASTERISK`).
    pub actions: Vec<String>,
    /// `action` as written, for display.
    #[serde(skip)]
    pub action_text: String,
    /// `port`, as written, for display.
    #[serde(skip)]
    pub port: String,
    /// Where each value came from: key -> `file:line`, or `fail2ban default`.
    pub origin: BTreeMap<String, String>,
    /// For a key set in several places: the places it overrode, oldest first.
    pub overrode: BTreeMap<String, Vec<String>>,
}

/// A value fail2ban may leave out of what it sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Unset<T> {
    /// fail2ban sends nothing: its server keeps its default.
    #[default]
    NotSent,
    /// fail2ban sends this.
    Sent(T),
}

impl<T> Unset<T> {
    /// Whether nothing is sent.
    pub fn is_unset(&self) -> bool {
        matches!(self, Unset::NotSent)
    }

    /// The value sent, if any.
    pub fn sent(&self) -> Option<&T> {
        match self {
            Unset::Sent(value) => Some(value),
            Unset::NotSent => None,
        }
    }
}

impl<T: Serialize> Serialize for Unset<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Unset::Sent(value) => value.serialize(serializer),
            Unset::NotSent => serializer.serialize_none(),
        }
    }
}

/// Every jail of a configuration directory as fail2ban reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JailsReport {
    /// The jails fail2ban starts, in its order.
    pub jails: Vec<ResolvedJail>,
    /// The enabled jails it skips.
    pub skipped: Vec<SkippedJail>,
    /// What fail2ban warns about (ignored values, missing log files, ...).
    pub warnings: Vec<String>,
    /// Jails defined but not enabled.
    pub disabled: Vec<String>,
}

impl Default for TimeValue {
    /// fail2ban's server default for `findtime` and `bantime`: ten minutes.
    fn default() -> Self {
        TimeValue::Seconds(600)
    }
}

impl TimeValue {
    /// Seconds with their short form (`600 (10m)`), or the unreadable text.
    pub fn describe(&self) -> String {
        match self {
            TimeValue::Seconds(seconds) => format!("{seconds} ({})", format_seconds(*seconds)),
            TimeValue::Unreadable(text) => format!("{text:?} (unreadable)"),
        }
    }
}

impl ResolvedJail {
    /// The values an operator looks for, each with where it comes from (files under `dir`,
    /// the configuration directory, named relative to it).
    pub fn origins(&self, dir: &std::path::Path) -> JailOrigins {
        let prefix = format!("{}/", dir.display().to_string().trim_end_matches('/'));
        let relative = |place: &String| place.strip_prefix(&prefix).unwrap_or(place).to_string();
        let mut values: Vec<(&str, String)> = vec![
            ("backend", self.backend.clone()),
            ("filter", self.filter.clone()),
            ("logpath", self.logpath.join(" ")),
            (
                "maxretry",
                self.maxretry
                    .map_or("None (not a number)".to_string(), |n| n.to_string()),
            ),
            ("findtime", self.findtime.describe()),
            ("bantime", self.bantime.describe()),
        ];
        if let Some(flag) = self.bantime_increment {
            values.push(("bantime.increment", flag.to_string()));
        }
        for (key, value) in [
            ("bantime.factor", &self.bantime_factor),
            ("bantime.formula", &self.bantime_formula),
            ("bantime.multipliers", &self.bantime_multipliers),
        ] {
            if let Some(value) = value {
                values.push((key, value.clone()));
            }
        }
        for (key, value) in [
            ("bantime.maxtime", &self.bantime_maxtime),
            ("bantime.rndtime", &self.bantime_rndtime),
        ] {
            if let Some(value) = value {
                values.push((key, value.describe()));
            }
        }
        if let Some(flag) = self.bantime_overalljails {
            values.push(("bantime.overalljails", flag.to_string()));
        }
        let ignoreip: Vec<String> = self
            .ignoreip
            .iter()
            .map(|entry| match self.ignoreip_resolved.get(entry) {
                Some(resolved) => format!("{entry} ({resolved})"),
                None => entry.clone(),
            })
            .collect();
        values.push(("ignoreip", ignoreip.join(" ")));
        values.push(("ignoreself", self.ignoreself.to_string()));
        if let Some(command) = self.ignorecommand.as_ref().filter(|c| !c.is_empty()) {
            values.push(("ignorecommand", command.clone()));
        }
        if let Some(usedns) = &self.usedns {
            values.push(("usedns", usedns.clone()));
        }
        values.push(("action", self.actions.join(" ")));
        values.push(("failregex", format!("{} lines", self.failregex.len())));
        let rows = values
            .into_iter()
            .map(|(key, value)| OriginRow {
                key: key.to_string(),
                value,
                origin: self.origin.get(key).map(relative).unwrap_or_default(),
                overrode: self
                    .overrode
                    .get(key)
                    .map(|places| places.iter().map(relative).collect())
                    .unwrap_or_default(),
            })
            .collect();
        JailOrigins {
            jail: self.name.clone(),
            rows,
        }
    }
}

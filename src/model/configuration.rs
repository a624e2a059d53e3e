//! What fail2ban makes of the configuration besides the jails it starts: the jails it skips
//! with its reason, its warnings, and where each jail's values come from (file and line, and
//! what they overrode), for the TUI's "where from" pane, `bantop jails` and `check`.

use serde::Serialize;

/// A jail fail2ban skips, with its reason as fail2ban words it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedJail {
    /// The section name.
    pub name: String,
    /// fail2ban's reason, e.g. `Unable to read the filter 'x'`.
    pub reason: String,
}

/// The jails fail2ban skips and what it warns about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigurationNotes {
    /// Enabled jails fail2ban skips, with its reason.
    pub skipped: Vec<SkippedJail>,
    /// Its warnings (ignored values, missing logs, entries that never match).
    pub warnings: Vec<String>,
}

/// One value of a jail with where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginRow {
    /// The key, e.g. `bantime`.
    pub key: String,
    /// The value as shown.
    pub value: String,
    /// `file:line`, or `fail2ban default`.
    pub origin: String,
    /// The places it overrode, oldest first.
    pub overrode: Vec<String>,
}

/// Where a jail's values come from.
#[derive(Debug, Clone, PartialEq)]
pub struct JailOrigins {
    /// The jail.
    pub jail: String,
    /// Its values.
    pub rows: Vec<OriginRow>,
}

/// The configuration as fail2ban reads it, for the TUI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigurationView {
    /// Skipped jails and warnings.
    pub notes: ConfigurationNotes,
    /// Each started jail's values with their origins.
    pub origins: Vec<JailOrigins>,
}

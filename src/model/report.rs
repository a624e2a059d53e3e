//! The report an operator hands on (`bantop report`): per jail failures and bans over a
//! period, what the attackers are after ([`Targets`]), the top sources by address, network,
//! country and AS, the failures no jail counts (blind spots), and the findings in words.
//! Plain data.

use super::targets::Targets;
use serde::Serialize;

/// One jail over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JailSummary {
    /// The jail.
    pub jail: String,
    /// Failures its filter found.
    pub failures: u64,
    /// Distinct source addresses.
    pub sources: usize,
    /// Bans in the period (fail2ban's database; in the demo, the demo's own).
    pub bans: u64,
    /// Addresses banned now.
    pub banned_now: usize,
}

/// Failures of one source (an address, a network, a country or an AS).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceCount {
    /// The address, network, country code or `AS123 Org`.
    pub source: String,
    /// Failures.
    pub failures: u64,
    /// The jails whose filters found them.
    pub jails: Vec<String>,
    /// The country, for an address or a network, when known.
    pub country: Option<String>,
}

/// Failures a stock filter finds in a jail's logs that the jail's own filter does not count.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlindSpot {
    /// The jail.
    pub jail: String,
    /// The stock filter that finds them.
    pub filter: String,
    /// Failures it finds that the jail does not.
    pub failures: u64,
    /// Distinct sources of those.
    pub sources: usize,
    /// The sources with the most of them.
    pub top_sources: Vec<String>,
    /// A few of the lines (the attacker's text: sanitize before drawing).
    pub examples: Vec<String>,
    /// The failregex of the stock filter that caught the first of them.
    pub failregex: String,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// From (epoch seconds).
    pub since: f64,
    /// Until (epoch seconds).
    pub until: f64,
    /// Per jail.
    pub jails: Vec<JailSummary>,
    /// What the attackers are after.
    #[serde(flatten)]
    pub targets: Targets,
    /// The addresses with the most failures.
    pub top_sources: Vec<SourceCount>,
    /// The networks (/24, /48) with the most failures.
    pub top_networks: Vec<SourceCount>,
    /// Failures per country, most first.
    pub countries: Vec<SourceCount>,
    /// Failures per autonomous system, most first.
    pub asns: Vec<SourceCount>,
    /// Failures no jail counts.
    pub blind_spots: Vec<BlindSpot>,
    /// What needs the operator's attention, in words.
    pub findings: Vec<String>,
    /// What was read.
    pub read: Vec<String>,
    /// What could not be read, each naming the file.
    pub problems: Vec<String>,
}

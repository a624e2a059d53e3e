//! What a reading of the logs' history gives the TUI for a period: each jail's failures per
//! minute, and the newest failures themselves. Plain data.

use super::LogEvent;

/// The history of the logs from `since` to `until`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodHistory {
    /// From (epoch seconds).
    pub since: f64,
    /// Until, not included (where what the TUI holds begins).
    pub until: f64,
    /// Per jail, failures per minute (minute since the epoch, count), oldest first.
    pub minutes: Vec<(String, Vec<(i64, u64)>)>,
    /// The newest failures (at most the events view's capacity), oldest first.
    pub events: Vec<LogEvent>,
    /// What could not be read, each naming the file.
    pub problems: Vec<String>,
}

//! Where log lines come from: log files followed through rotation, the systemd journal, and
//! the demo's recordings (replayed by log time), all as [`SourceLine`]s.

pub mod backfill;
pub mod journal;
pub mod journal_json;
pub mod regular;
pub mod replay;
pub mod rotated;
pub mod scenario;
pub mod tail;
pub mod watch;

/// One line from a source, with its time when the source knows it (journald).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    /// The jail this source feeds.
    pub jail: String,
    /// The line as the filter should see it (journald entries built as fail2ban builds them).
    pub text: String,
    /// Epoch seconds of the line.
    pub time: f64,
    /// Whether `time` came from the source itself rather than from the line's text.
    pub time_from_source: bool,
}

//! Where log lines come from. For now the demo's recordings (replayed by log time); live file
//! tailing and journald follow on the same [`SourceLine`] type.

pub mod journal_json;
pub mod replay;
pub mod scenario;

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

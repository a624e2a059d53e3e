//! What a date template finds in a line, before a time is made of it: where the date text is
//! (it is cut out before the failregexes run), and the time as epoch seconds or as wall-clock
//! fields still to be read in a zone. It stands apart from the templates because the
//! hand-written ISO reader produces it too, and the templates call that reader.

use super::strptime::WallTime;

/// What a matched template found, before the time is made of it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TemplateMatch {
    /// Byte range of the date text (cut out of the line before the failregexes run).
    pub(super) start: usize,
    /// End of that range.
    pub(super) end: usize,
    /// Epoch seconds, or the wall-clock fields to be read in the default zone.
    pub(super) time: FoundTime,
}

/// A time as a template reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum FoundTime {
    /// Seconds since the epoch (machine timestamps, dates with a zone).
    Epoch(f64),
    /// A wall-clock time, in the line's zone or else the default one.
    Wall(WallTime),
}

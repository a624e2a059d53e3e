//! What matching one log leaves behind for its next line: the lines a multi-line filter still
//! searches, its open multi-line ids, the last date (fail2ban's `__lastDate`), a remembered
//! date, and the counts `bantop regex` reports. One per log (or per thread of one log), beside
//! a [`CompiledFilter`](super::CompiledFilter) that is shared.

use super::mlfid::MlfidCache;
use super::multiline::{LineBuffer, TailState};
use crate::fail2ban::date::{DateMatch, DateMemo};

/// The per-log state of matching with a compiled filter.
#[derive(Debug, Clone, Default)]
pub struct FilterState {
    pub(super) mlfid: MlfidCache,
    /// The last lines (dates cut out) a multi-line filter searches, not yet part of a failure.
    pub(super) buffer: LineBuffer,
    /// Where the screen of a multi-line filter's buffer stands.
    pub(super) tail: TailState,
    /// The time of the last line that had one.
    pub(super) last_date: Option<f64>,
    /// Room for the line without its date, kept from line to line.
    pub(super) cut: String,
    /// The last date read by hand, for the lines that repeat it.
    pub(super) date_memo: DateMemo,
    /// Lines ignored since [`FilterState::take_ignored`] was last asked.
    pub(super) ignored: u64,
    /// Dates found by each date template since [`FilterState::take_date_hits`] was last asked.
    date_hits: Vec<u64>,
}

impl FilterState {
    /// How many lines were ignored since this was last asked, as fail2ban-regex counts them:
    /// an ignoreregex matched (the whole text, or what a failregex matched in).
    pub(super) fn take_ignored(&mut self) -> u64 {
        std::mem::take(&mut self.ignored)
    }

    /// How many dates each date template found since this was last asked, in the order of
    /// [`CompiledFilter::date_templates`](super::CompiledFilter::date_templates)
    /// (fail2ban-regex's "date template hits").
    pub(super) fn take_date_hits(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.date_hits)
    }

    /// Counts a line's date for its template.
    pub(super) fn count_date(&mut self, date: &DateMatch) {
        if self.date_hits.len() <= date.template {
            self.date_hits.resize(date.template + 1, 0);
        }
        self.date_hits[date.template] += 1;
    }

    /// Sets the time of the last line that had one (fail2ban's `__lastDate`), as if the lines
    /// before had been matched with this state.
    pub(super) fn set_last_date(&mut self, last_date: Option<f64>) {
        self.last_date = last_date;
    }
}

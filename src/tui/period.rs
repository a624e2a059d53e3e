//! The time the events view, the header's counts and sparklines and the dossier cover: the last
//! hour, day, week or 30 days (`t` cycles). On a real server a longer period than bantop has
//! read so far is filled from the logs, rotated ones too, by a reading of its own.

use super::app::{App, EventRow};
use crate::model::period::PeriodHistory;
use std::collections::VecDeque;

/// A period to look back over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last hour.
    Hour,
    /// The last 24 hours.
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
}

/// Minutes of failure counts kept per jail: the longest period.
pub const KEPT_MINUTES: i64 = 30 * 24 * 60;

impl Period {
    /// Its length in seconds.
    pub fn seconds(self) -> f64 {
        match self {
            Period::Hour => 3600.0,
            Period::Day => 86_400.0,
            Period::Week => 7.0 * 86_400.0,
            Period::Month => 30.0 * 86_400.0,
        }
    }

    /// The next one (`t`), back to the hour after 30 days.
    pub fn next(self) -> Period {
        match self {
            Period::Hour => Period::Day,
            Period::Day => Period::Week,
            Period::Week => Period::Month,
            Period::Month => Period::Hour,
        }
    }

    /// As the header shows it.
    pub fn label(self) -> &'static str {
        match self {
            Period::Hour => "1h",
            Period::Day => "24h",
            Period::Week => "7d",
            Period::Month => "30d",
        }
    }

    /// Minutes per sparkline bar for `bars` bars: the period spread over them, a minute at
    /// least (the bars then reach further back than the period).
    pub fn bar_minutes(self, bars: i64) -> i64 {
        let minutes = (self.seconds() / 60.0) as i64;
        (minutes + bars.max(1) - 1) / bars.max(1)
    }
}

impl App {
    /// The oldest time the period shows.
    pub fn period_start(&self) -> f64 {
        self.now - self.period.seconds()
    }

    /// Whether a row falls in the period.
    pub fn in_period(&self, row: &EventRow) -> bool {
        row.time() >= self.period_start()
    }

    /// Switches to the next period; asks for the logs' history when it reaches further back
    /// than what was read.
    pub fn next_period(&mut self) {
        self.period = self.period.next();
        self.selected_event = None;
        // An open dossier covers the new period too.
        if let Some(address) = self.dossier.as_ref().map(|pane| pane.address) {
            self.open_dossier(address);
        }
        let start = self.period_start();
        if start < self.history_from {
            self.history_wanted = Some((start, self.history_until()));
            // Counted as read from now on: a second switch before the answer asks only for
            // what is older, and nothing is counted twice.
            self.history_from = start;
        }
    }

    /// Where a history reading stops: where the earlier one began, or where this session's
    /// own failures begin (they are counted already).
    fn history_until(&self) -> f64 {
        self.history_from.min(self.session_from.unwrap_or(self.now))
    }

    /// Failures of `minutes` (minute, count) of one jail in bars of `bar` minutes ending with
    /// the bar of `now`, `bars` of them, oldest first.
    pub fn bars(minutes: &VecDeque<(i64, u64)>, now: f64, bar: i64, bars: usize) -> Vec<u64> {
        let bar = bar.max(1);
        let last = (now / 60.0).floor() as i64 / bar;
        let first = last - bars as i64 + 1;
        let mut data = vec![0u64; bars];
        for (minute, count) in minutes {
            let index = minute.div_euclid(bar) - first;
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| data.get_mut(i)) {
                *slot += count;
            }
        }
        data
    }

    /// A jail's failures in the period.
    pub fn failures_in_period(minutes: &VecDeque<(i64, u64)>, start: f64) -> u64 {
        let first = (start / 60.0).floor() as i64;
        minutes
            .iter()
            .filter(|(minute, _)| *minute >= first)
            .map(|(_, count)| count)
            .sum()
    }

    /// Takes in a reading of the logs' history: its failure counts join each jail's, its
    /// failures go before the session's in the events.
    pub fn take_history(&mut self, history: PeriodHistory) {
        for (jail, minutes) in history.minutes {
            if let Some(panel) = self.jails.iter_mut().find(|j| j.settings.name == jail) {
                let mut all: Vec<(i64, u64)> = panel.rate.drain(..).chain(minutes).collect();
                all.sort_unstable_by_key(|(minute, _)| *minute);
                for (minute, count) in all {
                    match panel.rate.back_mut() {
                        Some((last, total)) if *last == minute => *total += count,
                        _ => panel.rate.push_back((minute, count)),
                    }
                }
            }
        }
        let session: Vec<EventRow> = self.events.iter().cloned().collect();
        let mut events = crate::model::History::new(super::app::HISTORY);
        for row in history
            .events
            .into_iter()
            .map(EventRow::Failure)
            .chain(session)
        {
            events.push(row);
        }
        self.events = events;
        self.history_from = self.history_from.min(history.since);
        self.status = Some(if history.problems.is_empty() {
            (
                true,
                format!("read the logs back to {}", self.zone.format(history.since)),
            )
        } else {
            (false, format!("history: {}", history.problems.join("; ")))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_add_up_the_minutes_of_each_and_leave_out_the_rest() {
        let minutes: VecDeque<(i64, u64)> = [(0, 1), (1, 2), (59, 3), (60, 4), (120, 5)]
            .into_iter()
            .collect();
        // Minute 120 is now; bars of 60 minutes: [0..59], [60..119], [120..179].
        assert_eq!(App::bars(&minutes, 120.0 * 60.0, 60, 3), [6, 4, 5]);
        assert_eq!(App::bars(&minutes, 120.0 * 60.0, 1, 2), [0, 5]);
        assert_eq!(App::failures_in_period(&minutes, 60.0 * 60.0), 9);
        assert_eq!(Period::Hour.bar_minutes(76), 1);
        assert_eq!(Period::Day.bar_minutes(76), 19);
        assert_eq!(Period::Month.bar_minutes(60), 720);
    }
}

//! The App's period: what the events view, the header and the dossier cover, and the logs'
//! history read for a longer period than bantop has read so far (on a real server, by a
//! reading of its own), merged without counting a failure twice.

use super::app::{App, EventRow};
use crate::model::period::PeriodHistory;
use std::collections::VecDeque;

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
        self.ask_for_history();
    }

    /// Asks for the logs' history the period reaches back to that was not read. Before the
    /// engine has said what time it is, the period has no start: the engine's first clock
    /// asks.
    pub(super) fn ask_for_history(&mut self) {
        if self.now <= 0.0 {
            self.history_on_clock = true;
            return;
        }
        self.history_on_clock = false;
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
    use crate::tui::period::Period;

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

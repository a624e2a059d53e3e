//! The logs' history over a period, for the TUI's period switch: every jail's files (rotated
//! ones too) through the block scanner and the journal of systemd jails, from `since` to
//! `until` (where what the TUI holds already begins), as failures per minute per jail and the
//! newest failures themselves.

use super::history::read_all_logs;
use super::pipeline::Pipeline;
use crate::fail2ban::date::Zone;
use crate::model::period::PeriodHistory;
use crate::model::{History, LogEvent};
use std::collections::BTreeMap;
use std::path::Path;

/// Reads the history of the jails of `fail2ban_dir` from `since` to `until`, keeping the
/// newest `keep` failures.
pub async fn read_period(
    fail2ban_dir: &Path,
    since: f64,
    until: f64,
    now: f64,
    keep: usize,
) -> PeriodHistory {
    let mut history = PeriodHistory {
        since,
        until,
        ..PeriodHistory::default()
    };
    let mut pipeline = match Pipeline::load(fail2ban_dir, Zone::Local) {
        Ok(pipeline) => pipeline,
        Err(error) => {
            history.problems.push(error.to_string());
            return history;
        }
    };
    let mut minutes: BTreeMap<String, BTreeMap<i64, u64>> = BTreeMap::new();
    let mut events = History::new(keep);
    let mut take = |log: &LogEvent| {
        let time = log.failure.time;
        if time < since || time >= until {
            return;
        }
        let minute = (time / 60.0).floor() as i64;
        *minutes
            .entry(log.failure.jail.clone())
            .or_default()
            .entry(minute)
            .or_default() += 1;
        events.push(log.clone());
    };
    let logs = read_all_logs(&mut pipeline, Some(since), now, true, None, &mut take).await;
    history.problems.extend(logs.problems);
    history.minutes = minutes
        .into_iter()
        .map(|(jail, counts)| (jail, counts.into_iter().collect()))
        .collect();
    history.events = events.iter().cloned().collect();
    history
}

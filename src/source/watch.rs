//! Following the log files of jails: `logpath` globs expanded (and looked at again, so a file
//! that appears later is picked up), one [`FileTailer`] per file, woken by inotify on the
//! directories and by a timer as a safety net. Lines and source status changes go out in
//! batches.

use super::SourceLine;
use super::backfill;
use super::tail::{FileTailer, SourceStatus, StartAt};
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often files are polled when inotify says nothing.
const SAFETY_POLL: Duration = Duration::from_secs(1);
/// How often globs are expanded again.
const GLOB_AGAIN: Duration = Duration::from_secs(5);
/// Batches that may wait for the consumer: a flood waits in the file, not in memory.
pub const SOURCE_BATCHES: usize = 4;

/// Something a source reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// A line.
    Line(SourceLine),
    /// A status change of one file (or journal).
    Status {
        /// The jail.
        jail: String,
        /// The file (or `journal`).
        path: String,
        /// What happened.
        status: SourceStatus,
    },
}

/// Reads the time of a line, to decide where the backfill starts.
pub type TimeOf = Arc<dyn Fn(&str) -> Option<f64> + Send + Sync>;

/// Where reading starts.
#[derive(Clone)]
pub enum Start {
    /// Whole files.
    FromStart,
    /// At the end, after the lines at or after `cutoff` (epoch seconds) found by `time_of`.
    Backfill {
        /// The oldest time worth reading.
        cutoff: f64,
        /// How to read a line's time.
        time_of: TimeOf,
    },
}

/// One jail's files.
#[derive(Clone)]
pub struct FileJail {
    /// The jail.
    pub jail: String,
    /// Its `logpath` entries (globs allowed).
    pub patterns: Vec<String>,
    /// Where to start.
    pub start: Start,
}

struct Followed {
    jail: String,
    tailer: FileTailer,
}

/// Paths matching `pattern` now (the pattern itself when it has no wildcard).
fn expand(pattern: &str) -> Vec<PathBuf> {
    if !pattern.contains(['*', '?', '[']) {
        return vec![PathBuf::from(pattern)];
    }
    let mut paths: Vec<PathBuf> = glob::glob(pattern)
        .map(|paths| paths.flatten().collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

fn start_of(start: &Start, path: &Path) -> StartAt {
    match start {
        Start::FromStart => StartAt::Beginning,
        Start::Backfill { cutoff, time_of } => {
            match backfill::start_offset(path, *cutoff, time_of.as_ref()) {
                Ok(offset) => StartAt::Offset(offset),
                Err(_) => StartAt::End,
            }
        }
    }
}

/// Follows the files of `jails` until nobody listens to `events`.
pub async fn follow_files(jails: Vec<FileJail>, events: mpsc::Sender<Vec<SourceEvent>>) {
    let (wake_tx, mut wake) = mpsc::unbounded_channel::<()>();
    let watcher = notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
        let _ = wake_tx.send(());
    });
    let mut watcher = match watcher {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            let status = SourceStatus::Error(format!(
                "inotify unavailable ({error}): polling every second"
            ));
            let _ = events
                .send(
                    jails
                        .iter()
                        .map(|j| SourceEvent::Status {
                            jail: j.jail.clone(),
                            path: j.patterns.join(" "),
                            status: status.clone(),
                        })
                        .collect(),
                )
                .await;
            None
        }
    };
    let mut followed: Vec<Followed> = Vec::new();
    let mut watched_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut safety = tokio::time::interval(SAFETY_POLL);
    let mut globs = tokio::time::interval(GLOB_AGAIN);
    // Set when a tailer had more than one batch to give: poll again at once.
    let mut more = false;
    loop {
        if !more {
            tokio::select! {
                _ = globs.tick() => {
                    for jail in &jails {
                        for pattern in &jail.patterns {
                            for path in expand(pattern) {
                                if followed.iter().any(|f| f.tailer.path() == path) {
                                    continue;
                                }
                                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                                if let Some(watcher) = watcher.as_mut()
                                    && watched_dirs.insert(dir.clone())
                                {
                                    let _ = watcher.watch(&dir, RecursiveMode::NonRecursive);
                                }
                                followed.push(Followed { jail: jail.jail.clone(), tailer: FileTailer::new(&path, start_of(&jail.start, &path)) });
                            }
                        }
                    }
                }
                Some(()) = wake.recv() => {
                    while wake.try_recv().is_ok() {}
                }
                _ = safety.tick() => {}
            }
        }
        more = false;
        let mut batch = Vec::new();
        for followed in &mut followed {
            let out = followed.tailer.poll();
            more |= out.more;
            let path = followed.tailer.path().display().to_string();
            batch.extend(out.statuses.into_iter().map(|status| SourceEvent::Status {
                jail: followed.jail.clone(),
                path: path.clone(),
                status,
            }));
            batch.extend(out.lines.into_iter().map(|text| {
                SourceEvent::Line(SourceLine {
                    jail: followed.jail.clone(),
                    text,
                    time: now(),
                    time_from_source: false,
                })
            }));
        }
        if !batch.is_empty() && events.send(batch).await.is_err() {
            return;
        }
    }
}

fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

//! Following the log files of jails: `logpath` globs expanded (and looked at again, so a file
//! that appears later is picked up), one [`FileTailer`] per file whatever the number of jails
//! that read it (each of them gets every line: sshd and pam-generic on one auth.log), woken
//! by inotify on the
//! directories and by a timer as a safety net. Only changes that can mean new lines wake a
//! tailer (a write, a create, a rename, a delete of its file or of a name beside it), never an
//! open or a read: our own reads raise those. Lines and source status changes go out in
//! batches.

use super::SourceLine;
use super::backfill;
use super::tail::{FileTailer, SourceStatus, StartAt};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
    /// Where the history read of each file ended (files not named here appeared since: whole).
    After(Arc<std::collections::HashMap<PathBuf, u64>>),
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

/// One file and the jails that read it.
struct Followed {
    jails: Vec<String>,
    tailer: FileTailer,
}

/// What inotify reported since the task last looked, shared with notify's own thread.
#[derive(Default)]
struct Changes {
    /// Paths named by events that may mean new lines or a new file (a set: memory stays flat
    /// however busy the directory is).
    paths: Mutex<BTreeSet<PathBuf>>,
    /// An event without a path (queue overflow, an error): every file is looked at.
    everything: AtomicBool,
    /// Wakes the task; a wake that comes while it is busy is kept for its next wait.
    wake: tokio::sync::Notify,
}

impl Changes {
    fn record(&self, event: notify::Result<notify::Event>) {
        match event {
            // An open, a read or a close changes nothing, and our own reads raise them: waking
            // on them made the task read again, for ever (a whole core with one idle log).
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => return,
            Ok(event) if !event.paths.is_empty() => self
                .paths
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(event.paths),
            _ => self.everything.store(true, Ordering::Relaxed),
        }
        self.wake.notify_one();
    }

    /// The changed paths since the last call, and whether everything must be looked at.
    fn take(&self) -> (BTreeSet<PathBuf>, bool) {
        let paths = std::mem::take(&mut *self.paths.lock().unwrap_or_else(PoisonError::into_inner));
        (paths, self.everything.swap(false, Ordering::Relaxed))
    }
}

/// Whether a change to `changed` may concern the file followed at `followed`: the file itself,
/// or a name beside it that starts with its name, where rotation moves it (`auth.log.1`) and
/// where the logger may still be writing.
fn concerns(followed: &Path, changed: &Path) -> bool {
    changed == followed
        || (changed.parent() == followed.parent()
            && match (changed.file_name(), followed.file_name()) {
                (Some(changed), Some(followed)) => changed
                    .as_encoded_bytes()
                    .starts_with(followed.as_encoded_bytes()),
                _ => false,
            })
}

/// Paths matching `pattern` now (the pattern itself when it has no wildcard).
pub(crate) fn expand(pattern: &str) -> Vec<PathBuf> {
    if !pattern.contains(['*', '?', '[']) {
        return vec![PathBuf::from(pattern)];
    }
    let mut paths: Vec<PathBuf> = glob::glob(pattern)
        .map(|paths| paths.flatten().collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

/// The start that reads more of a file: a file shared by jails starts where the first needs.
fn earliest(a: StartAt, b: StartAt) -> StartAt {
    match (a, b) {
        (StartAt::Beginning, _) | (_, StartAt::Beginning) => StartAt::Beginning,
        (StartAt::Offset(a), StartAt::Offset(b)) => StartAt::Offset(a.min(b)),
        (StartAt::Offset(a), StartAt::End) | (StartAt::End, StartAt::Offset(a)) => {
            StartAt::Offset(a)
        }
        (StartAt::End, StartAt::End) => StartAt::End,
    }
}

fn start_of(start: &Start, path: &Path) -> StartAt {
    match start {
        Start::FromStart => StartAt::Beginning,
        Start::After(ends) => ends
            .get(path)
            .map_or(StartAt::Beginning, |end| StartAt::Offset(*end)),
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
    let changes = Arc::new(Changes::default());
    let recorder = Arc::clone(&changes);
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        recorder.record(event)
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
    // The wildcard patterns, to pick up a file they match as soon as it is created.
    let globs: Vec<glob::Pattern> = jails
        .iter()
        .flat_map(|j| &j.patterns)
        .filter(|p| p.contains(['*', '?', '[']))
        .filter_map(|p| glob::Pattern::new(p).ok())
        .collect();
    let mut followed: Vec<Followed> = Vec::new();
    let mut watched_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut safety = tokio::time::interval(SAFETY_POLL);
    let mut glob_again = tokio::time::interval(GLOB_AGAIN);
    // Set when a tailer had more than one batch to give: poll again at once.
    let mut more = false;
    loop {
        // None: every file; otherwise the files these changed paths concern.
        let mut changed: Option<BTreeSet<PathBuf>> = None;
        let mut expand_now = false;
        if !more {
            tokio::select! {
                _ = glob_again.tick() => expand_now = true,
                _ = changes.wake.notified() => {
                    let (paths, everything) = changes.take();
                    expand_now = paths.iter().any(|path| {
                        globs.iter().any(|g| g.matches_path(path))
                            && !followed.iter().any(|f| f.tailer.path() == path)
                    });
                    if !everything && !expand_now {
                        changed = Some(paths);
                    }
                }
                _ = safety.tick() => {}
            }
        }
        if expand_now {
            // Files not followed yet, with the jails that read them and where they start.
            let mut new: Vec<(PathBuf, Vec<String>, StartAt)> = Vec::new();
            for jail in &jails {
                for pattern in &jail.patterns {
                    for path in expand(pattern) {
                        let start = start_of(&jail.start, &path);
                        let (jails, at) =
                            match followed.iter_mut().find(|f| f.tailer.path() == path) {
                                // Followed for another jail: this one reads it too, from now on.
                                Some(known) => (&mut known.jails, None),
                                None => match new.iter_mut().position(|(p, _, _)| *p == path) {
                                    Some(i) => (&mut new[i].1, Some(i)),
                                    None => {
                                        new.push((path, Vec::new(), start));
                                        let i = new.len() - 1;
                                        (&mut new[i].1, Some(i))
                                    }
                                },
                            };
                        if !jails.contains(&jail.jail) {
                            jails.push(jail.jail.clone());
                        }
                        if let Some(i) = at {
                            new[i].2 = earliest(new[i].2, start);
                        }
                    }
                }
            }
            for (path, jails, start) in new {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                if let Some(watcher) = watcher.as_mut()
                    && watched_dirs.insert(dir.clone())
                {
                    let _ = watcher.watch(&dir, RecursiveMode::NonRecursive);
                }
                followed.push(Followed {
                    jails,
                    tailer: FileTailer::new(&path, start),
                });
            }
        }
        more = false;
        let mut batch = Vec::new();
        for followed in &mut followed {
            if let Some(changed) = &changed
                && !changed.iter().any(|c| concerns(followed.tailer.path(), c))
            {
                continue;
            }
            let out = followed.tailer.poll();
            more |= out.more;
            let path = followed.tailer.path().display().to_string();
            for status in out.statuses {
                batch.extend(followed.jails.iter().map(|jail| SourceEvent::Status {
                    jail: jail.clone(),
                    path: path.clone(),
                    status: status.clone(),
                }));
            }
            let time = now();
            for text in out.lines {
                batch.extend(followed.jails.iter().map(|jail| {
                    SourceEvent::Line(SourceLine {
                        jail: jail.clone(),
                        text: text.clone(),
                        time,
                        time_from_source: false,
                    })
                }));
            }
        }
        if !batch.is_empty() && events.send(batch).await.is_err() {
            return;
        }
    }
}

fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_concerns_the_file_and_its_rotated_names_only() {
        let log = Path::new("/var/log/auth.log");
        assert!(concerns(log, log));
        assert!(concerns(log, Path::new("/var/log/auth.log.1")));
        assert!(!concerns(log, Path::new("/var/log/syslog")));
        assert!(!concerns(log, Path::new("/var/log/other/auth.log")));
    }

    #[test]
    fn a_shared_file_starts_where_the_first_jail_needs() {
        use StartAt::{Beginning, End, Offset};
        assert_eq!(earliest(End, Offset(7)), Offset(7));
        assert_eq!(earliest(Offset(9), Offset(7)), Offset(7));
        assert_eq!(earliest(Offset(9), Beginning), Beginning);
        assert_eq!(earliest(End, End), End);
    }

    #[test]
    fn opens_and_reads_do_not_wake() {
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
        let changes = Changes::default();
        let path = PathBuf::from("/var/log/auth.log");
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
        ] {
            changes.record(Ok(notify::Event::new(kind).add_path(path.clone())));
        }
        assert_eq!(changes.take(), (BTreeSet::new(), false));
        changes.record(Ok(
            notify::Event::new(EventKind::Modify(ModifyKind::Any)).add_path(path.clone())
        ));
        changes.record(Ok(
            notify::Event::new(EventKind::Create(CreateKind::File)).add_path(path.clone())
        ));
        assert_eq!(changes.take(), (BTreeSet::from([path]), false));
        changes.record(Err(notify::Error::generic("overflow")));
        assert_eq!(changes.take(), (BTreeSet::new(), true));
    }
}

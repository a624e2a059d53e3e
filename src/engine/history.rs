//! The jails' logs as they are on disk, read at `bantop regex`'s speed: each file (and, when
//! asked, what rotation left beside it, oldest first, gzip'd or not) goes through the block
//! scanner with the jail's compiled filter (threads, literal screening, date memo), and the
//! failures it finds are counted in line order by the same [`count_found`] the live pipeline
//! uses. Bans end by the logs' own clock as the reading goes (a ban of Monday is over when
//! Tuesday's lines come). Where each current file's reading ended is kept, so that following it
//! goes on from there without a line read twice.

use super::pipeline::{FoundLine, Pipeline, count_found};
use crate::fail2ban::log_scan;
use crate::model::EngineEvent;
use crate::source::rotated::{history_of, open_lines, whole_lines_end};
use crate::source::watch::{SourceEvent, expand};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;

/// What to read.
#[derive(Debug, Clone, Copy)]
pub struct HistoryRequest {
    /// The oldest time worth counting (epoch seconds); `None`: everything.
    pub since: Option<f64>,
    /// Whether rotated files are read too (else only the files `logpath` names).
    pub rotated: bool,
    /// Whether the start of a current file is found by reading it backwards (the last
    /// `findtime` at start-up) rather than by reading it whole.
    pub seek_back: bool,
    /// The current time: year inference, undated lines, the bans over at the end.
    pub now: f64,
    /// Matching threads.
    pub jobs: usize,
    /// Whether each failure gets its line in a few words ([`crate::model::summary`]): text
    /// and the TUI show it, JSON does not.
    pub summaries: bool,
}

/// What reading one file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRead {
    /// The jail.
    pub jail: String,
    /// The file.
    pub path: PathBuf,
    /// Lines read.
    pub lines: u64,
    /// Whether it is a file `logpath` names (not one rotation left), which following goes on
    /// with.
    pub current: bool,
    /// Why it could not be read (whole), if so.
    pub problem: Option<String>,
}

/// What a history read leaves behind.
#[derive(Debug, Default)]
pub struct HistoryRead {
    /// Every file, in the order read.
    pub files: Vec<FileRead>,
    /// Where the whole lines of each current file ended, for following it on.
    pub ends: HashMap<PathBuf, u64>,
    /// Whether `each` asked to stop.
    pub stopped: bool,
}

/// Reads the logs of every file-backed jail of `pipeline` as `request` says and gives the
/// events their failures make, in each file's line order, to `each` (false: stop).
pub fn read_file_jails(
    pipeline: &mut Pipeline,
    request: HistoryRequest,
    each: &mut dyn FnMut(EngineEvent) -> bool,
) -> HistoryRead {
    let mut read = HistoryRead::default();
    for index in 0..pipeline.jails.len() {
        let settings = &pipeline.jails[index].state.settings;
        if settings.backend.trim().starts_with("systemd") {
            continue;
        }
        let jail = settings.name.clone();
        let patterns = settings.logpath.clone();
        let time_of = pipeline.time_reader(&jail);
        let mut seen = HashSet::new();
        let current: Vec<PathBuf> = patterns
            .iter()
            .flat_map(|pattern| expand(pattern))
            .collect();
        for log in current {
            let files = if request.rotated {
                history_of(&log, request.since)
            } else {
                vec![log.clone()]
            };
            for path in files {
                if !seen.insert(path.clone()) {
                    continue;
                }
                let is_current = path == log;
                let (start, end) = if is_current {
                    let start = match (request.seek_back, request.since, &time_of) {
                        (true, Some(cutoff), Some(time_of)) => {
                            crate::source::backfill::start_offset(&path, cutoff, time_of.as_ref())
                                .unwrap_or(0)
                        }
                        _ => 0,
                    };
                    (start, whole_lines_end(&path).ok())
                } else {
                    (0, None)
                };
                let outcome = read_one(pipeline, index, &path, start, end, request, each);
                if is_current && let Some(end) = end {
                    read.ends.insert(path.clone(), end.max(start));
                }
                let stopped = outcome.stopped;
                read.files.push(FileRead {
                    jail: jail.clone(),
                    path,
                    lines: outcome.lines,
                    current: is_current,
                    problem: outcome.problem,
                });
                if stopped {
                    read.stopped = true;
                    return read;
                }
            }
        }
    }
    for event in pipeline.expire(request.now) {
        if !each(event) {
            read.stopped = true;
            break;
        }
    }
    read
}

/// What one file gave.
struct Outcome {
    lines: u64,
    problem: Option<String>,
    stopped: bool,
}

/// Reads `path` from `start` to `end` (a plain file) or whole (a gzip'd one) with the filter of
/// `pipeline.jails[index]`, going on from its state and leaving it there.
fn read_one(
    pipeline: &mut Pipeline,
    index: usize,
    path: &std::path::Path,
    start: u64,
    end: Option<u64>,
    request: HistoryRequest,
    each: &mut dyn FnMut(EngineEvent) -> bool,
) -> Outcome {
    let reader: Box<dyn Read + Send> = match open_lines(path, start) {
        Ok(reader) => match end {
            Some(end) => Box::new(reader.take(end.saturating_sub(start))),
            None => reader,
        },
        Err(error) => {
            return Outcome {
                lines: 0,
                problem: Some(error.to_string()),
                stopped: false,
            };
        }
    };
    // The filter leaves the jail while its lines are counted there, and comes back with the
    // state the file left it in.
    let compiled = std::sync::Arc::clone(pipeline.jails[index].filter.compiled());
    let mut filter = std::mem::replace(
        &mut pipeline.jails[index].filter,
        crate::fail2ban::Filter::new(compiled),
    );
    let now = request.now;
    let mut stopped = false;
    // Bans are ended by the log's clock, once a second of it at most; old tickets are swept
    // once a findtime (a failure after findtime starts a new one anyway).
    let mut bans_ended_at = f64::NEG_INFINITY;
    let mut swept_at = f64::NEG_INFINITY;
    let findtime = pipeline.jails[index].state.settings.findtime.max(1) as f64;
    let summaries = request.summaries;
    let prepare = |found: crate::fail2ban::FilterMatch, text: &str| {
        if summaries {
            FoundLine::new(found, text)
        } else {
            FoundLine {
                found,
                text: text.to_string(),
                summary: String::new(),
            }
        }
    };
    let (compiled, state) = filter.parts();
    let scanned = log_scan::scan_continuing(
        reader,
        compiled,
        state,
        now,
        request.jobs,
        &prepare,
        &mut |_, found: FoundLine| {
            let time = found.found.time.unwrap_or(now);
            if request.since.is_some_and(|since| time < since) {
                return true;
            }
            let jail = &mut pipeline.jails[index].state;
            if time >= swept_at + findtime {
                swept_at = time;
                jail.forget_old_failures(time);
            }
            if time >= bans_ended_at + 1.0 {
                bans_ended_at = time;
                for ban in jail.end_bans(time) {
                    let event = EngineEvent::Unbanned {
                        ban,
                        reason: "expired".to_string(),
                    };
                    if !each(event) {
                        stopped = true;
                        return false;
                    }
                }
            }
            for (event, ban) in count_found(&mut pipeline.jails, index, found, time) {
                let events =
                    std::iter::once(EngineEvent::Log(event)).chain(ban.map(EngineEvent::Banned));
                for event in events {
                    if !each(event) {
                        stopped = true;
                        return false;
                    }
                }
            }
            true
        },
    );
    pipeline.jails[index].filter = filter;
    match scanned {
        Ok(totals) => Outcome {
            lines: totals.lines,
            problem: None,
            stopped,
        },
        Err(error) => Outcome {
            lines: 0,
            problem: Some(format!("{}: {error}", path.display())),
            stopped,
        },
    }
}

/// What reading every log gave besides its failures: each file with its lines, the journals,
/// and what could not be read (each naming the file).
#[derive(Debug, Default)]
pub struct LogsRead {
    /// What was read.
    pub read: Vec<String>,
    /// What could not be read.
    pub problems: Vec<String>,
}

/// Reads every jail's logs from `since` (files with what rotation left, through the block
/// scanner, then the journal of systemd jails, from `journal_file` if given) and gives each
/// failure to `each`.
pub async fn read_all_logs(
    pipeline: &mut Pipeline,
    since: Option<f64>,
    now: f64,
    summaries: bool,
    journal_file: Option<std::path::PathBuf>,
    each: &mut (dyn FnMut(&crate::model::LogEvent) + Send),
) -> LogsRead {
    let mut logs = LogsRead {
        problems: pipeline
            .problems
            .iter()
            .map(|(jail, problem)| format!("{jail}: {problem}"))
            .collect(),
        ..LogsRead::default()
    };
    let request = HistoryRequest {
        since,
        rotated: true,
        seek_back: false,
        now,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        summaries,
    };
    let read = tokio::task::block_in_place(|| {
        read_file_jails(pipeline, request, &mut |event| {
            if let EngineEvent::Log(log) = &event {
                each(log);
            }
            true
        })
    });
    for file in read.files {
        match file.problem {
            Some(problem) => logs.problems.push(problem),
            None => logs.read.push(format!(
                "{}: {} ({} lines)",
                file.jail,
                file.path.display(),
                file.lines
            )),
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(crate::source::watch::SOURCE_BATCHES);
    for source in pipeline.journal_sources(since, journal_file, false) {
        logs.read.push(format!("{}: the journal", source.jail));
        tokio::spawn(source.follow(tx.clone()));
    }
    drop(tx);
    while let Some(batch) = rx.recv().await {
        for event in batch {
            match event {
                SourceEvent::Line(line) => {
                    for event in pipeline.process(&line, now, false) {
                        if let EngineEvent::Log(log) = &event {
                            each(log);
                        }
                    }
                }
                SourceEvent::Status { jail, path, status } => {
                    if let crate::source::tail::SourceStatus::Error(error) = status {
                        logs.problems.push(format!("{jail}: {path}: {error}"));
                    }
                }
            }
        }
    }
    logs
}

//! The demo's recordings read into one time-ordered list of lines, and a cursor that hands out
//! the lines up to a given log time. Lines without a readable time are counted and skipped.

use super::SourceLine;
use super::journal_json;
use super::scenario::{Recording, RecordingFormat};
use crate::fail2ban::date::{DateDetector, Zone};
use std::path::PathBuf;

/// Reading a recording failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read recording {}: {source}", path.display())]
pub struct ReplayError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// All recorded lines in time order.
#[derive(Debug, Clone)]
pub struct Replay {
    lines: Vec<SourceLine>,
    next: usize,
    /// Lines skipped per file, because no time could be read from them.
    pub unparsed: Vec<(String, u64)>,
}

impl Replay {
    /// Reads every recording; invalid UTF-8 is kept (replaced), not fatal.
    pub fn load(recordings: &[Recording], zone: Zone) -> Result<Self, ReplayError> {
        let dates = DateDetector::new(None, zone).map_err(|message| ReplayError {
            path: PathBuf::new(),
            source: std::io::Error::other(message),
        })?;
        let mut lines = Vec::new();
        let mut unparsed = Vec::new();
        for recording in recordings {
            let bytes = std::fs::read(&recording.path).map_err(|source| ReplayError {
                path: recording.path.clone(),
                source,
            })?;
            let mut skipped = 0;
            for raw in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let text = String::from_utf8_lossy(raw)
                    .trim_end_matches('\r')
                    .to_string();
                let line = match recording.format {
                    RecordingFormat::File => dates.find(&text, 0.0).map(|date| SourceLine {
                        jail: recording.jail.clone(),
                        text,
                        time: date.time,
                        time_from_source: false,
                    }),
                    RecordingFormat::JournalJson => match journal_json::parse(&text) {
                        Ok(entry) if !entry.matches(&recording.journalmatch) => continue,
                        Ok(entry) => Some(SourceLine {
                            jail: recording.jail.clone(),
                            text: entry.line,
                            time: entry.time,
                            time_from_source: true,
                        }),
                        Err(_) => None,
                    },
                };
                match line {
                    Some(line) => lines.push(line),
                    None => skipped += 1,
                }
            }
            unparsed.push((recording.path.display().to_string(), skipped));
        }
        // A stable sort keeps each file's own order for lines with the same time.
        lines.sort_by(|a, b| a.time.total_cmp(&b.time));
        Ok(Replay {
            lines,
            next: 0,
            unparsed,
        })
    }

    /// Time of the first line, if any.
    pub fn start(&self) -> Option<f64> {
        self.lines.first().map(|l| l.time)
    }

    /// Time of the last line, if any.
    pub fn end(&self) -> Option<f64> {
        self.lines.last().map(|l| l.time)
    }

    /// Whether every line has been handed out.
    pub fn finished(&self) -> bool {
        self.next >= self.lines.len()
    }

    /// Starts again from the first line.
    pub fn rewind(&mut self) {
        self.next = 0;
    }

    /// The lines with a time up to and including `until`, not handed out before.
    pub fn take_until(&mut self, until: f64) -> &[SourceLine] {
        let start = self.next;
        while self.next < self.lines.len() && self.lines[self.next].time <= until {
            self.next += 1;
        }
        &self.lines[start..self.next]
    }
}

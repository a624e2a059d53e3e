//! Following one log file the way fail2ban does, without losing or repeating a line: the open
//! file is read to its end before a new one is taken (rename + create, delete + recreate), a
//! shrunk file or a changed first line means copytruncate (and the copy beside it is read from
//! where we were), a file that is missing or not readable is reported and tried again, and a
//! path that is not a regular file (a FIFO, a device, a directory) is reported and never read.
//! Partial lines wait for their newline; invalid UTF-8 is kept (replaced); a line over
//! [`MAX_LINE`] bytes is cut there, matched on what was kept, reported
//! ([`SourceStatus::LongLines`]), and the next line is read as usual.

use super::regular::{OpenError, open_regular};
use crate::state_file::kind_of;
use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The longest line kept whole, in bytes. fail2ban reads whole lines whatever their length, and
/// an attacker can pad a field before the address (a SIP user name) so that a line cut short
/// loses its address: 4 MiB is 64 times the largest SIP message (64 KiB). A longer line is
/// matched on its first 4 MiB and reported, never dropped in silence; the bound keeps one
/// file's memory flat under a line that never ends.
pub const MAX_LINE: usize = 4 * 1024 * 1024;
/// The most bytes one poll reads; the rest waits for the next poll (a batch stays small, and
/// a file of one endless line does not hold the task).
pub const MAX_POLL_BYTES: u64 = 8 * 1024 * 1024;
/// How much of a file is read at once.
const CHUNK: usize = 64 * 1024;
/// The most lines one poll hands out; the rest waits for the next poll (memory stays flat).
pub const MAX_BATCH: usize = 10_000;

/// What happened to a source, as reported to the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    /// The file was opened.
    Opened,
    /// It was replaced by a new file (rename + create, delete + recreate).
    Rotated,
    /// It was truncated (copytruncate).
    Truncated,
    /// It does not exist (yet).
    Missing,
    /// It cannot be read.
    PermissionDenied,
    /// It is not a regular file: what it is (a FIFO, a device, a directory). It is not read.
    NotRegular(&'static str),
    /// Lines longer than [`MAX_LINE`] were cut to it: how many so far.
    LongLines(u64),
    /// Another error, in words.
    Error(String),
}

impl SourceStatus {
    /// The name used in JSON and the UI.
    pub fn name(&self) -> &'static str {
        match self {
            SourceStatus::Opened => "opened",
            SourceStatus::Rotated => "rotated",
            SourceStatus::Truncated => "truncated",
            SourceStatus::Missing => "missing",
            SourceStatus::PermissionDenied => "permission denied",
            SourceStatus::NotRegular(_) => "not a regular file",
            SourceStatus::LongLines(_) => "long lines",
            SourceStatus::Error(_) => "error",
        }
    }
}

impl SourceStatus {
    /// The state in words, with the reason of an error (`error: ...`).
    pub fn describe(&self) -> String {
        match self {
            SourceStatus::Error(message) => format!("error: {message}"),
            SourceStatus::NotRegular(what) => format!("not a regular file: {what}, not read"),
            SourceStatus::LongLines(count) => format!(
                "long lines: {count} line(s) over {} MiB so far, matched on their first {} MiB",
                MAX_LINE >> 20,
                MAX_LINE >> 20
            ),
            other => other.name().to_string(),
        }
    }
}

/// Where reading starts the first time the file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// At its first byte (`--from-start`, tests).
    Beginning,
    /// At this byte offset (after a backfill decided where recent lines start).
    Offset(u64),
    /// At its end: only new lines.
    End,
}

/// The open file: its identity and what we know of it.
#[derive(Debug)]
struct OpenFile {
    file: File,
    dev: u64,
    ino: u64,
    offset: u64,
    first_line: Option<u64>,
}

/// One followed file.
#[derive(Debug)]
pub struct FileTailer {
    path: PathBuf,
    start: StartAt,
    open: Option<OpenFile>,
    partial: Vec<u8>,
    discarding: bool,
    reported: Option<SourceStatus>,
    /// Lines cut to [`MAX_LINE`] so far, and whether that is news to report.
    long_lines: u64,
    long_lines_news: bool,
}

/// What one poll found.
#[derive(Debug, Default, PartialEq)]
pub struct TailOutput {
    /// Complete lines, in order.
    pub lines: Vec<String>,
    /// Status changes, in order.
    pub statuses: Vec<SourceStatus>,
    /// More is waiting: poll again without waiting.
    pub more: bool,
}

impl FileTailer {
    /// Follows `path` (which may not exist yet).
    pub fn new(path: &Path, start: StartAt) -> Self {
        FileTailer {
            path: path.to_path_buf(),
            start,
            open: None,
            partial: Vec::new(),
            discarding: false,
            reported: None,
            long_lines: 0,
            long_lines_news: false,
        }
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads everything new since the last poll (up to [`MAX_BATCH`] lines or
    /// [`MAX_POLL_BYTES`] bytes, then `more` is set).
    pub fn poll(&mut self) -> TailOutput {
        let mut out = self.poll_lines();
        if std::mem::take(&mut self.long_lines_news) {
            out.statuses.push(SourceStatus::LongLines(self.long_lines));
        }
        out
    }

    fn poll_lines(&mut self) -> TailOutput {
        let mut out = TailOutput::default();
        // A copytruncate of the open file is looked at before it is read: after one, our offset
        // points into new text (written since the truncate), and reading from it would skip
        // some of that text and read the rest again once the truncate is seen.
        if self.open_file_was_truncated() {
            self.after_truncation(&mut out);
        }
        // The open file first: a rotation is only looked at once it has been read to its end.
        if self.drain(&mut out) {
            out.more = true;
            return out;
        }
        match std::fs::metadata(&self.path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                // Not there at start-up: when it comes, all of it is new.
                self.start = StartAt::Beginning;
                self.report(SourceStatus::Missing, &mut out);
            }
            Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                self.report(SourceStatus::PermissionDenied, &mut out)
            }
            Err(error) => self.report(SourceStatus::Error(error.to_string()), &mut out),
            Ok(meta) if !meta.is_file() => {
                // What took the name is never read; the file we had is finished first.
                if self.open.is_some() {
                    if self.drain(&mut out) {
                        out.more = true;
                        return out;
                    }
                    self.flush_partial(&mut out);
                    self.open = None;
                }
                self.report(
                    SourceStatus::NotRegular(kind_of(&meta.file_type())),
                    &mut out,
                );
            }
            Ok(meta) => {
                let same = self
                    .open
                    .as_ref()
                    .is_some_and(|o| o.dev == meta.dev() && o.ino == meta.ino());
                if self.open.is_some() && !same {
                    // A new file took the name: finish the old one first.
                    if self.drain(&mut out) {
                        out.more = true;
                        return out;
                    }
                    self.flush_partial(&mut out);
                    self.open = None;
                    self.open_file(true, &mut out);
                } else if self.open.is_none() {
                    self.open_file(false, &mut out);
                } else if self.was_truncated(meta.len()) {
                    self.after_truncation(&mut out);
                }
                out.more = self.drain(&mut out);
            }
        }
        out
    }

    fn report(&mut self, status: SourceStatus, out: &mut TailOutput) {
        if self.reported.as_ref() != Some(&status) {
            self.reported = Some(status.clone());
            out.statuses.push(status);
        }
    }

    fn open_file(&mut self, rotated: bool, out: &mut TailOutput) {
        let file = match open_regular(&self.path) {
            Ok(file) => file,
            Err(OpenError::NotRegular(what)) => {
                return self.report(SourceStatus::NotRegular(what), out);
            }
            Err(OpenError::Io(error)) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                return self.report(SourceStatus::PermissionDenied, out);
            }
            Err(OpenError::Io(error)) => {
                return self.report(SourceStatus::Error(error.to_string()), out);
            }
        };
        let Ok(meta) = file.metadata() else { return };
        // Only the file there at start-up starts where asked; any later file is new: all of it.
        let offset = match (
            std::mem::replace(&mut self.start, StartAt::Beginning),
            rotated,
        ) {
            (_, true) | (StartAt::Beginning, _) => 0,
            (StartAt::Offset(offset), _) => offset.min(meta.len()),
            (StartAt::End, _) => meta.len(),
        };
        let first_line = first_line_hash(&self.path);
        self.open = Some(OpenFile {
            file,
            dev: meta.dev(),
            ino: meta.ino(),
            offset,
            first_line,
        });
        let status = if rotated {
            SourceStatus::Rotated
        } else {
            SourceStatus::Opened
        };
        self.reported = Some(status.clone());
        out.statuses.push(status);
    }

    /// The open file (by its handle, whatever the path now names) was truncated.
    fn open_file_was_truncated(&mut self) -> bool {
        let Some(len) = self
            .open
            .as_ref()
            .and_then(|open| open.file.metadata().ok())
            .map(|meta| meta.len())
        else {
            return false;
        };
        self.was_truncated(len)
    }

    /// Reads the copy a copytruncate left from where we were, then the file from its start.
    fn after_truncation(&mut self, out: &mut TailOutput) {
        self.read_copy_of_truncated(out);
        if let Some(open) = self.open.as_mut() {
            open.offset = 0;
            open.first_line = None;
        }
        self.partial.clear();
        self.discarding = false;
        out.statuses.push(SourceStatus::Truncated);
    }

    /// Shrunk below what we read, or its first line is not the one we saw.
    fn was_truncated(&mut self, len: u64) -> bool {
        let Some(open) = self.open.as_mut() else {
            return false;
        };
        if len < open.offset {
            return true;
        }
        let now = first_line_hash_of(&open.file);
        match (open.first_line, now) {
            (Some(before), Some(now)) => before != now,
            (None, now) => {
                open.first_line = now;
                false
            }
            _ => false,
        }
    }

    /// copytruncate copied the file aside before truncating it: the copy starts with the same
    /// first line; read it from where we were, so lines written just before are not lost.
    fn read_copy_of_truncated(&mut self, out: &mut TailOutput) {
        let Some(open) = self.open.as_ref() else {
            return;
        };
        let (Some(first_line), offset) = (open.first_line, open.offset) else {
            return;
        };
        let (Some(dir), Some(name)) = (
            self.path.parent(),
            self.path.file_name().and_then(|n| n.to_str()),
        ) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let copy = entries.flatten().map(|e| e.path()).find(|candidate| {
            candidate != &self.path
                && candidate
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(name))
                && std::fs::metadata(candidate).is_ok_and(|m| m.len() >= offset)
                && first_line_hash(candidate) == Some(first_line)
        });
        let Some(copy) = copy else { return };
        if let Ok(mut file) = open_regular(&copy)
            && file.seek(SeekFrom::Start(offset)).is_ok()
        {
            let mut rest = Vec::new();
            if file.read_to_end(&mut rest).is_ok() {
                self.split(&rest, out);
            }
        }
    }

    /// Reads from the offset towards the end of the open file; true when it stopped at
    /// [`MAX_BATCH`] lines with more to read.
    fn drain(&mut self, out: &mut TailOutput) -> bool {
        let mut chunk = vec![0u8; CHUNK];
        let mut polled = 0u64;
        loop {
            if out.lines.len() >= MAX_BATCH || polled >= MAX_POLL_BYTES {
                return true;
            }
            let Some(open) = self.open.as_mut() else {
                return false;
            };
            if open.file.seek(SeekFrom::Start(open.offset)).is_err() {
                return false;
            }
            let read = match open.file.read(&mut chunk) {
                Ok(0) | Err(_) => return false,
                Ok(read) => read,
            };
            open.offset += read as u64;
            polled += read as u64;
            if open.first_line.is_none() {
                open.first_line = first_line_hash(&self.path);
            }
            let data = chunk[..read].to_vec();
            self.split(&data, out);
        }
    }

    /// Splits bytes into lines, keeping an unfinished line for later.
    fn split(&mut self, data: &[u8], out: &mut TailOutput) {
        let mut rest = data;
        while let Some(newline) = rest.iter().position(|b| *b == b'\n') {
            self.append(&rest[..newline]);
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            self.count_cut();
            out.lines.push(String::from_utf8_lossy(&line).into_owned());
            rest = &rest[newline + 1..];
        }
        self.append(rest);
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.discarding {
            return;
        }
        let room = MAX_LINE.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        if bytes.len() > room {
            self.discarding = true;
        }
    }

    /// A line is complete: if it was cut, that is counted for the operator.
    fn count_cut(&mut self) {
        if std::mem::take(&mut self.discarding) {
            self.long_lines += 1;
            self.long_lines_news = true;
        }
    }

    /// A rotated file's last line without a newline is a line all the same.
    fn flush_partial(&mut self, out: &mut TailOutput) {
        if !self.partial.is_empty() {
            out.lines
                .push(String::from_utf8_lossy(&std::mem::take(&mut self.partial)).into_owned());
        }
        self.count_cut();
    }
}

/// A hash of the file's first line (up to 4 KiB), when it is a regular file with one.
fn first_line_hash(path: &Path) -> Option<u64> {
    first_line_hash_of(&open_regular(path).ok()?)
}

/// The same for a file already open (read at offset 0, its own offset untouched).
fn first_line_hash_of(file: &File) -> Option<u64> {
    use std::os::unix::fs::FileExt;
    let mut head = vec![0u8; 4096];
    let read = file.read_at(&mut head, 0).ok()?;
    let line = &head[..read];
    let end = line.iter().position(|b| *b == b'\n')?;
    let mut hasher = DefaultHasher::new();
    line[..end].hash(&mut hasher);
    Some(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|e| panic!("{e}"));
        file.write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn partial_lines_wait_and_rotation_loses_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("app.log");
        let mut tailer = FileTailer::new(&path, StartAt::End);
        assert_eq!(tailer.poll().statuses, [SourceStatus::Missing]);
        append(&path, "one\ntw");
        let out = tailer.poll();
        assert_eq!(
            (out.lines, out.statuses),
            (vec!["one".to_string()], vec![SourceStatus::Opened]),
            "a file that appears later is read whole"
        );
        append(&path, "o\nthree\n");
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap_or_else(|e| panic!("{e}"));
        append(&dir.path().join("app.log.1"), "four\n");
        append(&path, "five\n");
        let out = tailer.poll();
        assert_eq!(out.lines, ["two", "three", "four", "five"]);
        assert_eq!(out.statuses, [SourceStatus::Rotated]);
    }

    #[test]
    fn copytruncate_reads_the_copy_from_where_it_was() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("provd.log");
        append(&path, "old line\n");
        let mut tailer = FileTailer::new(&path, StartAt::End);
        assert!(tailer.poll().lines.is_empty(), "starts at the end");
        append(&path, "a\nb\n");
        // Not polled in between: copytruncate copies, then truncates, then the app writes on.
        std::fs::copy(&path, dir.path().join("provd.log.1")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        append(&path, "c\n");
        let out = tailer.poll();
        assert_eq!(out.lines, ["a", "b", "c"]);
        assert_eq!(out.statuses, [SourceStatus::Truncated]);
    }

    #[test]
    fn long_lines_are_cut_and_reported_without_losing_the_next_and_bad_utf8_is_kept() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.log");
        let mut bytes = vec![b'x'; 1024 * 1024];
        bytes.extend_from_slice(b"\n");
        bytes.extend(std::iter::repeat_n(b'y', MAX_LINE + 1024 * 1024));
        bytes.extend_from_slice(b"\nafter \xff\x00 it\n");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let mut tailer = FileTailer::new(&path, StartAt::Beginning);
        let mut lines = Vec::new();
        let mut statuses = Vec::new();
        loop {
            let out = tailer.poll();
            lines.extend(out.lines);
            statuses.extend(out.statuses);
            if !out.more {
                break;
            }
        }
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].len(), 1024 * 1024, "a 1 MiB line is kept whole");
        assert_eq!(lines[1].len(), MAX_LINE, "a longer one is cut");
        assert_eq!(lines[2], "after \u{fffd}\u{0} it");
        assert_eq!(
            statuses,
            [SourceStatus::Opened, SourceStatus::LongLines(1)],
            "and the cut is reported"
        );
    }

    #[test]
    fn a_big_file_comes_in_batches() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.log");
        let text: String = (0..25_000).map(|n| format!("{n}\n")).collect();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let mut tailer = FileTailer::new(&path, StartAt::Beginning);
        let mut lines = Vec::new();
        loop {
            let out = tailer.poll();
            assert!(out.lines.len() <= MAX_BATCH + CHUNK, "one batch is bounded");
            lines.extend(out.lines);
            if !out.more {
                break;
            }
        }
        assert_eq!(lines.len(), 25_000);
        assert_eq!(lines.last().map(String::as_str), Some("24999"));
    }

    #[test]
    fn a_copytruncate_regrown_past_our_offset_before_the_next_poll_reads_each_line_once() {
        // Seen under load: the file was copied aside, truncated and written again past where we
        // were before we looked; reading on from our offset first skipped some new lines, and
        // they were read twice once the truncate was seen.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.log");
        let old: String = (0..10).map(|n| format!("old {n}\n")).collect();
        append(&path, &old);
        let mut tailer = FileTailer::new(&path, StartAt::Beginning);
        let first = tailer.poll().lines;
        assert_eq!(first.len(), 10);
        append(&path, "old 10\nold 11\n");
        std::fs::copy(&path, dir.path().join("x.log.1")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        let new: String = (0..40).map(|n| format!("new line {n}\n")).collect();
        append(&path, &new);
        let mut lines = Vec::new();
        loop {
            let out = tailer.poll();
            lines.extend(out.lines);
            if !out.more {
                break;
            }
        }
        let mut expected = vec!["old 10".to_string(), "old 11".to_string()];
        expected.extend((0..40).map(|n| format!("new line {n}")));
        assert_eq!(lines, expected);
    }

    #[test]
    fn a_fifo_in_the_logs_place_is_reported_and_never_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.log");
        append(&path, "1\n");
        let mut tailer = FileTailer::new(&path, StartAt::Beginning);
        assert_eq!(tailer.poll().lines, ["1"]);
        append(&path, "2\n");
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&path)
                .status()
                .is_ok_and(|s| s.success())
        );
        let out = tailer.poll();
        assert_eq!(
            (out.lines, out.statuses),
            (
                vec!["2".to_string()],
                vec![SourceStatus::NotRegular("a FIFO (named pipe)")]
            ),
            "the old file is finished, the FIFO is not opened"
        );
        assert_eq!(tailer.poll(), TailOutput::default(), "reported once");
        let mut directory = FileTailer::new(dir.path(), StartAt::Beginning);
        assert_eq!(
            directory.poll().statuses,
            [SourceStatus::NotRegular("a directory")]
        );
    }

    #[test]
    fn deleted_and_recreated() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.log");
        append(&path, "1\n");
        let mut tailer = FileTailer::new(&path, StartAt::Beginning);
        assert_eq!(tailer.poll().lines, ["1"]);
        append(&path, "2\n");
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let out = tailer.poll();
        assert_eq!(
            (out.lines, out.statuses),
            (vec!["2".to_string()], vec![SourceStatus::Missing])
        );
        append(&path, "3\n");
        assert_eq!(tailer.poll().lines, ["3"]);
    }
}

//! A log's history on disk: the file and what rotation left beside it (`auth.log.1`,
//! `auth.log.2.gz`, `auth.log-20261201`, `auth.log-20261201.gz`), oldest first, each opened as
//! lines whatever its compression (gzip is told by its magic bytes, not its name). A rotated
//! file last written before the oldest time wanted is passed over unread.

use super::regular::{OpenError, open_regular};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// What a rotated file's name says about its age; sorting puts the oldest first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Age {
    /// `NAME-YYYYMMDD[HH..]`: older when smaller.
    Dated(String),
    /// `NAME.N`: older when larger.
    Numbered(std::cmp::Reverse<u64>),
}

/// What rotation's suffix after the log's own name says, if it is one: `.N`, `-DIGITS`, each
/// optionally followed by `.gz`.
fn age_of(suffix: &str) -> Option<Age> {
    let suffix = suffix.strip_suffix(".gz").unwrap_or(suffix);
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 14 && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(n) = suffix.strip_prefix('.')
        && all_digits(n)
    {
        return n.parse().ok().map(|n| Age::Numbered(std::cmp::Reverse(n)));
    }
    match suffix.strip_prefix('-') {
        Some(date) if all_digits(date) && date.len() >= 8 => Some(Age::Dated(date.to_string())),
        _ => None,
    }
}

/// The rotated files of `log`, oldest first (dated names by date, then numbered names from the
/// highest number down: logrotate's `dateext` and its default). `log` itself is not among them.
pub fn rotations(log: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (log.parent(), log.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(Age, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name();
            let suffix = file_name.to_str()?.strip_prefix(name)?;
            Some((age_of(suffix)?, dir.join(&file_name)))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// The files of `log`'s history worth reading for lines at or after `since` (epoch seconds;
/// `None`: all of them): the rotated files last written at or after it, oldest first, then
/// `log` itself.
pub fn history_of(log: &Path, since: Option<f64>) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = rotations(log)
        .into_iter()
        .filter(|path| since.is_none_or(|since| modified(path).is_none_or(|m| m >= since)))
        .collect();
    files.push(log.to_path_buf());
    files
}

/// When `path` was last written, epoch seconds.
fn modified(path: &Path) -> Option<f64> {
    let time = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_secs_f64())
}

/// Why a log of the history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// Not a regular file, or the system refused.
    #[error("{}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: OpenError,
    },
}

/// `path` opened as lines from byte `from` on: a gzip file is decompressed (every member, as
/// `zcat` reads it); anything else is read as it is. Only a regular file opens.
pub fn open_lines(path: &Path, from: u64) -> Result<Box<dyn Read + Send>, HistoryError> {
    let error = |source: OpenError| HistoryError::Open {
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_regular(path).map_err(error)?;
    let mut magic = [0u8; 2];
    let gzip = file.read_exact(&mut magic).is_ok() && magic == GZIP_MAGIC;
    file.seek(SeekFrom::Start(if gzip { 0 } else { from }))
        .map_err(|e| error(OpenError::Io(e)))?;
    Ok(if gzip {
        // Decompressing takes longer than matching: it gets a thread of its own.
        Box::new(ReadAhead::new(flate2::read::MultiGzDecoder::new(
            BufReader::new(file),
        )))
    } else {
        Box::new(file)
    })
}

/// Bytes read ahead at a time, and chunks waiting at most.
const AHEAD_CHUNK: usize = 1 << 20;
const AHEAD_CHUNKS: usize = 4;

/// A reader whose bytes another thread reads ahead, a few chunks at most (memory stays
/// bounded); an error there is this reader's error when its turn comes. The thread ends when
/// its input ends or this reader is dropped.
struct ReadAhead {
    chunks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: std::io::Cursor<Vec<u8>>,
}

impl ReadAhead {
    fn new(mut input: impl Read + Send + 'static) -> Self {
        let (sender, chunks) = std::sync::mpsc::sync_channel(AHEAD_CHUNKS);
        std::thread::spawn(move || {
            loop {
                let mut chunk = Vec::with_capacity(AHEAD_CHUNK);
                let read = input
                    .by_ref()
                    .take(AHEAD_CHUNK as u64)
                    .read_to_end(&mut chunk);
                // What was read before an error is given first (the lines before a damaged
                // part of a gzip file still count), then the error.
                let done = !matches!(read, Ok(n) if n > 0);
                if !chunk.is_empty() && sender.send(Ok(chunk)).is_err() {
                    return;
                }
                if let Err(error) = read {
                    let _ = sender.send(Err(error));
                    return;
                }
                if done {
                    return;
                }
            }
        });
        ReadAhead {
            chunks,
            current: std::io::Cursor::new(Vec::new()),
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let read = self.current.read(buf)?;
            if read > 0 || buf.is_empty() {
                return Ok(read);
            }
            match self.chunks.recv() {
                Ok(chunk) => self.current = std::io::Cursor::new(chunk?),
                // The thread ended: the input is over.
                Err(_) => return Ok(0),
            }
        }
    }
}

/// Where the whole lines of `path` end now: after its last newline (a last line still being
/// written is left for whoever follows the file).
pub fn whole_lines_end(path: &Path) -> std::io::Result<u64> {
    const TAIL: u64 = 64 * 1024;
    let mut file = open_regular(path).map_err(|e| match e {
        OpenError::Io(e) => e,
        other => std::io::Error::other(other),
    })?;
    let mut end = file.metadata()?.len();
    while end > 0 {
        let start = end.saturating_sub(TAIL);
        let mut chunk = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        if let Some(at) = memchr::memrchr(b'\n', &chunk) {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(path: &Path, bytes: &[u8]) {
        std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{e}"));
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
        encoder.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    fn read_all(path: &Path, from: u64) -> String {
        let mut text = String::new();
        open_lines(path, from)
            .unwrap_or_else(|e| panic!("{e}"))
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{e}"));
        text
    }

    #[test]
    fn rotations_come_oldest_first_and_other_names_are_left_out() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("auth.log");
        for name in [
            "auth.log",
            "auth.log.1",
            "auth.log.2.gz",
            "auth.log.10.gz",
            "auth.log-20261130",
            "auth.log-20261201.gz",
            "auth.log.old",
            "auth.logger",
            "auth.log.1.bak",
            "xauth.log.1",
        ] {
            write(&dir.path().join(name), b"x\n");
        }
        let names: Vec<String> = rotations(&log)
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect();
        assert_eq!(
            names,
            [
                "auth.log-20261130",
                "auth.log-20261201.gz",
                "auth.log.10.gz",
                "auth.log.2.gz",
                "auth.log.1"
            ]
        );
        let all = history_of(&log, None);
        assert_eq!(all.last(), Some(&log));
        assert_eq!(all.len(), 6);
        // Written before the time wanted: left unread (the log itself always stays).
        assert_eq!(history_of(&log, Some(4e9)), [log]);
    }

    #[test]
    fn gzip_is_known_by_its_bytes_and_every_member_is_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let packed = dir.path().join("a.log.1");
        write(&packed, &[gzip(b"one\n"), gzip(b"two\n")].concat());
        assert_eq!(read_all(&packed, 0), "one\ntwo\n");
        let plain = dir.path().join("a.log.2.gz");
        write(&plain, b"not packed\nat all\n");
        assert_eq!(read_all(&plain, 11), "at all\n");
        let truncated = dir.path().join("a.log.3.gz");
        let whole = gzip(&b"line\n".repeat(10_000));
        write(&truncated, &whole[..whole.len() / 2]);
        let mut text = String::new();
        let read = open_lines(&truncated, 0)
            .unwrap_or_else(|e| panic!("{e}"))
            .read_to_string(&mut text);
        assert!(read.is_err(), "a truncated gzip file is an error");
        let fifo = dir.path().join("fifo.log");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success())
        );
        let refused = open_lines(&fifo, 0).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("fifo.log") && e.contains("FIFO")),
            "{refused:?}"
        );
    }

    #[test]
    fn what_a_damaged_gzip_file_holds_before_the_damage_is_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let truncated = dir.path().join("a.log.2.gz");
        let text: String = (0..200_000).map(|n| format!("line {n}\n")).collect();
        let whole = gzip(text.as_bytes());
        write(&truncated, &whole[..whole.len() * 3 / 4]);
        let mut read = Vec::new();
        let mut reader = open_lines(&truncated, 0).unwrap_or_else(|e| panic!("{e}"));
        let outcome = reader.read_to_end(&mut read);
        assert!(outcome.is_err(), "the damage is an error");
        assert!(
            read.len() > text.len() / 2,
            "{} of {} bytes",
            read.len(),
            text.len()
        );
        assert!(text.as_bytes().starts_with(&read));
    }

    #[test]
    fn whole_lines_end_after_the_last_newline() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = dir.path().join("a.log");
        write(&log, b"one\ntwo\nthr");
        assert_eq!(whole_lines_end(&log).ok(), Some(8));
        write(&log, b"");
        assert_eq!(whole_lines_end(&log).ok(), Some(0));
        let mut long = b"a\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 200_000));
        write(&log, &long);
        assert_eq!(whole_lines_end(&log).ok(), Some(2));
    }
}

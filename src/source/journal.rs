//! The systemd journal through `journalctl -f -o json`: entries of the jail's `journalmatch`
//! from a given time on, each turned into the line fail2ban's systemd backend builds, with the
//! journal's own time. `--file` reads a journal file instead of the system journal.

use super::SourceLine;
use super::journal_json;
use super::tail::SourceStatus;
use super::watch::SourceEvent;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// One jail's journal reader.
#[derive(Debug, Clone)]
pub struct JournalSource {
    /// The jail.
    pub jail: String,
    /// The filter's `journalmatch` lines.
    pub journalmatch: Vec<String>,
    /// Entries from this time on (epoch seconds); `None`: the whole journal.
    pub since: Option<f64>,
    /// A journal file to read instead of the system journal.
    pub file: Option<PathBuf>,
    /// Whether to wait for new entries at the end (else the reading ends there).
    pub follow: bool,
}

impl JournalSource {
    /// The `journalctl` arguments: follow, JSON, the time window and the matches (`+` is OR).
    pub fn arguments(&self) -> Vec<String> {
        let mut args = vec![
            "--output=json".to_string(),
            "--no-pager".to_string(),
            "--lines=all".to_string(),
        ];
        if self.follow {
            args.insert(0, "--follow".to_string());
        }
        if let Some(file) = &self.file {
            args.push(format!("--file={}", file.display()));
        }
        if let Some(since) = self.since {
            args.push(format!("--since=@{}", since.floor() as i64));
        }
        args.extend(
            self.journalmatch
                .iter()
                .flat_map(|line| line.split_whitespace().map(str::to_string)),
        );
        args
    }

    /// Starts `journalctl`; the error says why it could not.
    pub fn spawn(&self) -> std::io::Result<Child> {
        Command::new("journalctl")
            .args(self.arguments())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
    }

    /// Follows the journal until `journalctl` ends or nobody listens; a missing `journalctl`
    /// is reported as the jail's source status.
    pub async fn follow(self, events: mpsc::Sender<Vec<SourceEvent>>) {
        let status = |status: SourceStatus| {
            vec![SourceEvent::Status {
                jail: self.jail.clone(),
                path: "journal".to_string(),
                status,
            }]
        };
        let mut child = match self.spawn() {
            Ok(child) => child,
            Err(error) => {
                let _ = events
                    .send(status(SourceStatus::Error(format!(
                        "journalctl cannot run: {error}"
                    ))))
                    .await;
                return;
            }
        };
        if events.send(status(SourceStatus::Opened)).await.is_err() {
            return;
        }
        let Some(stdout) = child.stdout.take() else {
            return;
        };
        let mut reader = BufReader::new(stdout);
        let mut buffer = Vec::new();
        let mut oversized = 0u64;
        loop {
            let json = match read_bounded_line(&mut reader, &mut buffer, MAX_ENTRY).await {
                Ok(Some(true)) => String::from_utf8_lossy(&buffer),
                Ok(Some(false)) => {
                    oversized += 1;
                    let skipped = SourceStatus::Error(format!(
                        "journal entries over {} MiB skipped: {oversized} so far",
                        MAX_ENTRY >> 20
                    ));
                    if events.send(status(skipped)).await.is_err() {
                        return;
                    }
                    continue;
                }
                Ok(None) | Err(_) => break,
            };
            let Ok(entry) = journal_json::parse(&json) else {
                continue;
            };
            if !entry.matches(&self.journalmatch) {
                continue;
            }
            let line = SourceLine {
                jail: self.jail.clone(),
                text: entry.line,
                time: entry.time,
                time_from_source: true,
            };
            if events.send(vec![SourceEvent::Line(line)]).await.is_err() {
                return;
            }
        }
        let _ = events
            .send(status(SourceStatus::Error(
                "journalctl stopped".to_string(),
            )))
            .await;
    }
}

/// The longest journal entry read, as `journalctl -o json` writes it: four times the longest
/// log line a file may have, room for JSON's escapes. A longer one is skipped and reported, and
/// memory stays bounded whatever a process sends to the journal.
const MAX_ENTRY: usize = 4 * super::tail::MAX_LINE;

/// Reads one line (without its newline) into `buffer`: `Some(true)`; a line longer than `max`
/// is read to its end but not kept: `Some(false)`; `None` at the end of the stream.
async fn read_bounded_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    buffer.clear();
    let mut fits = true;
    let mut read_any = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(read_any.then_some(fits));
        }
        read_any = true;
        let (part, end) = match memchr::memchr(b'\n', available) {
            Some(at) => (&available[..at], Some(at + 1)),
            None => (available, None),
        };
        if fits && buffer.len() + part.len() <= max {
            buffer.extend_from_slice(part);
        } else {
            fits = false;
            buffer.clear();
        }
        let used = end.unwrap_or(available.len());
        reader.consume(used);
        if end.is_some() {
            return Ok(Some(fits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn journal_lines_are_read_within_a_bound_and_a_longer_one_is_skipped_whole() {
        let mut input: Vec<u8> = b"first\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend(b"\nlast");
        let mut reader = BufReader::with_capacity(8, input.as_slice());
        let mut buffer = Vec::new();
        let mut read = Vec::new();
        while let Some(fits) = read_bounded_line(&mut reader, &mut buffer, 10)
            .await
            .unwrap_or(None)
        {
            read.push((fits, String::from_utf8_lossy(&buffer).into_owned()));
        }
        assert_eq!(
            read,
            [
                (true, "first".to_string()),
                (false, String::new()),
                (true, "last".to_string())
            ]
        );
    }

    #[test]
    fn arguments_follow_the_jail() {
        let source = JournalSource {
            jail: "sshd".into(),
            journalmatch: vec!["_SYSTEMD_UNIT=sshd.service + _COMM=sshd".into()],
            since: Some(1000.5),
            file: None,
            follow: true,
        };
        assert_eq!(
            source.arguments(),
            [
                "--follow",
                "--output=json",
                "--no-pager",
                "--lines=all",
                "--since=@1000",
                "_SYSTEMD_UNIT=sshd.service",
                "+",
                "_COMM=sshd"
            ]
        );
    }
}

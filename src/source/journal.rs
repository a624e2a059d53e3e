//! The systemd journal through `journalctl -f -o json`: entries of the jail's `journalmatch`
//! from a given time on, each turned into the line fail2ban's systemd backend builds, with the
//! journal's own time. `--file` reads a journal file instead of the system journal.

use super::SourceLine;
use super::journal_json;
use super::tail::SourceStatus;
use super::watch::SourceEvent;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
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
}

impl JournalSource {
    /// The `journalctl` arguments: follow, JSON, the time window and the matches (`+` is OR).
    pub fn arguments(&self) -> Vec<String> {
        let mut args = vec![
            "--follow".to_string(),
            "--output=json".to_string(),
            "--no-pager".to_string(),
            "--lines=all".to_string(),
        ];
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
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(json)) = lines.next_line().await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_jail() {
        let source = JournalSource {
            jail: "sshd".into(),
            journalmatch: vec!["_SYSTEMD_UNIT=sshd.service + _COMM=sshd".into()],
            since: Some(1000.5),
            file: None,
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

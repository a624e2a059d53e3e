//! Running the remote bantop over `ssh`: one command with a deadline and bounded output, or
//! a stream of lines (`events --json`) read line by line, each line bounded. What comes back
//! is the remote host's word: sizes are capped here, contents are checked by `remote_json`.

use super::hosts_file::Host;
use super::lines::Lines;
pub use super::lines::MAX_LINE;
use super::ssh::{ssh_args, ssh_program};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdout, Command};

/// The most a one-shot remote command may print (a `status --json` of thousands of bans).
pub const MAX_OUTPUT: usize = 16 << 20;
/// How much of the remote's standard error is kept for a message.
const MAX_STDERR: usize = 4096;

/// `ssh`'s own exit status when it could not connect or the connection was lost.
const SSH_FAILED: i32 = 255;
/// A shell's exit status for a command it did not find.
const NOT_FOUND: i32 = 127;

/// What a remote command printed, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteOutput {
    /// The remote command's exit status.
    pub status: i32,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// The last line of its standard error, sanitized (why it failed, when it did).
    pub stderr: String,
}

impl RemoteOutput {
    /// The output when the command ended well, else why not: its exit status and last words
    /// (`sudo: a terminal is required`, a usage error).
    pub fn succeeded(self) -> Result<Vec<u8>, RemoteError> {
        if self.status == 0 {
            Ok(self.stdout)
        } else {
            Err(RemoteError::Failed {
                status: self.status,
                words: self.stderr,
            })
        }
    }
}

/// Why a remote command gave no usable output.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteError {
    /// `ssh` could not be started here.
    #[error("ssh cannot start: {0}")]
    NoSsh(String),
    /// `ssh` could not connect, or lost the connection.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The remote shell did not find bantop.
    #[error("bantop missing on the host ({0})")]
    Missing(String),
    /// The remote command failed: its exit status and last words.
    #[error("the remote command failed (exit {status}): {words}")]
    Failed {
        /// Its exit status.
        status: i32,
        /// The last line of its standard error.
        words: String,
    },
    /// No answer in time.
    #[error("no answer within {0} s")]
    Timeout(u64),
    /// More output than any answer has.
    #[error("more than {} MB of output", MAX_OUTPUT >> 20)]
    TooLarge,
}

/// The `ssh` process that runs `bantop ARGS` on `host`, killed when dropped.
fn command(host: &Host, control_dir: &Path, args: &[String]) -> Command {
    let mut command = Command::new(ssh_program());
    command
        .args(ssh_args(host, control_dir, args))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs `bantop ARGS` on `host` and waits at most `timeout` for it to end.
pub async fn run(
    host: &Host,
    control_dir: &Path,
    args: &[String],
    timeout: Duration,
) -> Result<RemoteOutput, RemoteError> {
    let mut child = command(host, control_dir, args)
        .spawn()
        .map_err(|e| RemoteError::NoSsh(e.to_string()))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(RemoteError::NoSsh("no pipes".to_string()));
    };
    let finished = tokio::time::timeout(timeout, async {
        let (out, err) = tokio::join!(
            read_bounded(stdout, MAX_OUTPUT),
            read_bounded(stderr, MAX_STDERR)
        );
        let status = child.wait().await;
        (out, err, status)
    })
    .await;
    let Ok((out, err, status)) = finished else {
        return Err(RemoteError::Timeout(timeout.as_secs()));
    };
    let (stdout, overflow) = out;
    if overflow {
        return Err(RemoteError::TooLarge);
    }
    let stderr = last_words(&err.0);
    let status = status
        .map_err(|e| RemoteError::NoSsh(e.to_string()))?
        .code()
        .unwrap_or(SSH_FAILED);
    judge(status, stderr.clone()).map(|status| RemoteOutput {
        status,
        stdout,
        stderr,
    })
}

/// The exit status when it is the remote bantop's own, else why there was none.
fn judge(status: i32, stderr: String) -> Result<i32, RemoteError> {
    match status {
        SSH_FAILED => Err(RemoteError::Unreachable(if stderr.is_empty() {
            "ssh failed".to_string()
        } else {
            stderr
        })),
        NOT_FOUND => Err(RemoteError::Missing(stderr)),
        status => Ok(status),
    }
}

/// Reads at most `max` bytes; whether there was more (the rest is drained, not kept).
async fn read_bounded(
    mut reader: impl tokio::io::AsyncRead + Unpin,
    max: usize,
) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut overflow = false;
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => return (kept, overflow),
            Ok(n) => {
                let room = max.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
                overflow |= n > room;
            }
        }
    }
}

/// The last line of standard error, sanitized and short: what `ssh` says went wrong.
fn last_words(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    super::remote_json::bounded(last.trim(), 200)
}

/// A running `bantop ARGS` on a host whose output is read line by line.
pub struct RemoteStream {
    child: Child,
    lines: Lines<ChildStdout>,
    stderr: tokio::task::JoinHandle<Vec<u8>>,
}

impl RemoteStream {
    /// Starts `bantop ARGS` on `host`.
    pub fn start(host: &Host, control_dir: &Path, args: &[String]) -> Result<Self, RemoteError> {
        let mut child = command(host, control_dir, args)
            .spawn()
            .map_err(|e| RemoteError::NoSsh(e.to_string()))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(RemoteError::NoSsh("no pipes".to_string()));
        };
        let stderr = tokio::spawn(async move { read_bounded(stderr, MAX_STDERR).await.0 });
        Ok(RemoteStream {
            child,
            lines: Lines::new(stdout),
            stderr,
        })
    }

    /// The next line (without its newline), or `None` at the end of the stream; cancel-safe.
    pub async fn next_line(&mut self) -> Option<String> {
        self.lines.next_line().await
    }

    /// Lines longer than [`MAX_LINE`] skipped so far.
    pub fn skipped(&self) -> u64 {
        self.lines.skipped
    }

    /// How the stream ended: the remote bantop's exit status, or why there was none.
    pub async fn ended(mut self) -> Result<i32, RemoteError> {
        let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|s| s.code())
            .unwrap_or(SSH_FAILED);
        let _ = self.child.start_kill();
        let stderr = match tokio::time::timeout(Duration::from_secs(1), &mut self.stderr).await {
            Ok(Ok(bytes)) => last_words(&bytes),
            _ => String::new(),
        };
        judge(status, stderr)
    }
}

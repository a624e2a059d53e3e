//! `bantop events --json` as a child process for the integration tests: a copy of the demo's
//! configuration with a given jail.local, the stream's JSON lines on a channel, and provd lines
//! numbered so that a test can tell which ones arrived. Each test crate uses only some of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A copy of the demo's configuration with `jail_local` as its jail.local.
pub fn configuration(dir: &Path, jail_local: &str) -> PathBuf {
    let conf = dir.join("conf");
    let status = Command::new("cp")
        .arg("-r")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban"))
        .arg(&conf)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    std::fs::write(conf.join("jail.local"), jail_local).unwrap_or_else(|e| panic!("{e}"));
    conf
}

/// `bantop events --json` running, its JSON lines arriving on a channel.
pub struct Stream {
    /// The running `bantop`.
    pub child: Child,
    /// Its JSON lines.
    pub lines: mpsc::Receiver<serde_json::Value>,
}

impl Stream {
    pub fn start(conf: &Path, extra: &[&str]) -> Stream {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bantop"))
            .arg("--fail2ban-dir")
            .arg(conf)
            .args(["events", "--json"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        Stream { child, lines }
    }

    /// Events until `done` says enough, or the timeout.
    pub fn collect(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        let mut events = Vec::new();
        while !done(&events) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(event) => events.push(event),
                Err(_) => break,
            }
        }
        events
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A wazo-provd failure line of now, from an address and a file name numbered `n`.
pub fn provd_line(n: usize) -> String {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f");
    format!(
        "[{now}] Sensitive file requested from 10.{}.{}.{}: file-{n}.cfg\n",
        n / 65536,
        n / 256 % 256,
        n % 256
    )
}

/// Appends `text` to `path` (created if missing), as a logger does.
pub fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The `file-N.cfg` numbers of the failures seen.
pub fn numbers(events: &[serde_json::Value]) -> Vec<usize> {
    events
        .iter()
        .filter(|e| e["type"] == "failure")
        .filter_map(|e| {
            e["line"]
                .as_str()?
                .rsplit_once("file-")?
                .1
                .strip_suffix(".cfg")?
                .parse()
                .ok()
        })
        .collect()
}

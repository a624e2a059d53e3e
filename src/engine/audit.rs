//! The audit trail: every action from the TUI and the commands, one JSON line in
//! `<state-dir>/audit.jsonl` with when, who (uid, `SUDO_USER`, tty, SSH address), what, on what,
//! and how it went.

use super::command::Command;
use crate::model::address::text_of;
use crate::model::ban::OWN_SET_NAME;
use crate::model::restriction::port_label;
use crate::model::{AuditEntry, EngineEvent};
use crate::state_file::{self, StateLock};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The size at which the log is rotated.
pub const ROTATE_AT: u64 = 16 << 20;
/// Rotated logs kept beside the current one.
const KEEP: usize = 5;
/// How much of the log's end is read for the recent actions.
const RECENT_WINDOW: u64 = 256 << 10;

/// Where the state lives when not told otherwise.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/bantop";

/// An entry for `action` on `target` by the current process's user, now.
pub fn entry_now(action: &str, target: &str, jails: &[String], result: &str) -> AuditEntry {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| {
            l.strip_prefix("Uid:")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(u32::MAX);
    let tty = std::fs::read_link("/proc/self/fd/0")
        .ok()
        .map(|p| p.display().to_string())
        .filter(|p| p.starts_with("/dev/"));
    AuditEntry {
        time: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
        uid,
        sudo_user: std::env::var("SUDO_USER").ok(),
        tty,
        ssh: super::operator::ssh_client_address().map(|ip| ip.to_string()),
        action: action.to_string(),
        target: target.to_string(),
        jails: jails.to_vec(),
        result: result.to_string(),
    }
}

/// The audit entry of a write command, from the result among the events it produced.
pub fn entry_for(command: &Command, events: &[EngineEvent]) -> Option<AuditEntry> {
    let (action, target, jails) = match command {
        Command::Unban { place, target } => {
            ("unban", text_of(*target), vec![place.name().to_string()])
        }
        Command::UnbanEverywhere { ip } => ("unban", ip.to_string(), Vec::new()),
        Command::JailBan { jail, ip } => ("ban", ip.to_string(), vec![jail.clone()]),
        Command::Ban { target, .. } => ("ban", text_of(*target), vec![OWN_SET_NAME.to_string()]),
        Command::Whitelist { entry, jails, .. } => ("whitelist", entry.to_string(), jails.clone()),
        Command::Unwhitelist { entry, jails } => ("unwhitelist", entry.to_string(), jails.clone()),
        Command::Rescue { ip, jails, .. } => ("rescue", ip.to_string(), jails.clone()),
        Command::Restrict { restriction } => (
            if restriction.rollback_at.is_some() {
                "restrict (pending)"
            } else {
                "restrict"
            },
            restriction_target(restriction),
            Vec::new(),
        ),
        Command::KeepRestriction { port, proto } => {
            ("restrict kept", port_label(*port, *proto), Vec::new())
        }
        Command::RevertRestriction { port, proto } => (
            "restrict rolled back",
            port_label(*port, *proto),
            Vec::new(),
        ),
        Command::Unrestrict { port, proto } => {
            ("unrestrict", port_label(*port, *proto), Vec::new())
        }
        Command::OnHosts { command, hosts } => {
            let mut entry = entry_for(command, events)?;
            entry.action = format!("{} on {}", entry.action, hosts.join(", "));
            return Some(entry);
        }
        Command::TogglePause | Command::Faster | Command::Slower => return None,
    };
    let outcome = events.iter().rev().find_map(|event| match event {
        EngineEvent::ActionResult { ok, message, .. } => Some(if *ok {
            "ok".to_string()
        } else {
            message.clone()
        }),
        _ => None,
    });
    Some(entry_now(
        action,
        &target,
        &jails,
        &outcome.unwrap_or_else(|| "ok".to_string()),
    ))
}

/// `5432/tcp from 192.0.2.0/24, ...` (or `from loopback only`).
pub fn restriction_target(restriction: &crate::model::restriction::Restriction) -> String {
    let allowed: Vec<String> = restriction.allow.iter().map(|n| n.to_string()).collect();
    format!(
        "{} from {}",
        restriction.label(),
        if allowed.is_empty() {
            "loopback only".to_string()
        } else {
            allowed.join(", ")
        }
    )
}

/// The audit log of a state directory.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// The log in `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        AuditLog {
            path: state_dir.join("audit.jsonl"),
        }
    }

    /// Appends `entry` (creating the directory, readable by its owner only), under the log's
    /// lock; a log past [`ROTATE_AT`] bytes is rotated first (`audit.jsonl.1` ... `.KEEP`). A
    /// symlink, FIFO or device at the log's path is refused, never followed or waited on.
    pub fn record(&self, entry: &AuditEntry) -> Result<(), String> {
        let error = |e: std::io::Error| format!("audit log {}: {e}", self.path.display());
        if let Some(dir) = self.path.parent()
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(error)?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(error)?;
        }
        let mut line = serde_json::to_string(entry).map_err(|e| format!("audit log: {e}"))?;
        line.push('\n');
        let _lock = StateLock::exclusive(&self.path).map_err(error)?;
        if let Ok(metadata) = std::fs::symlink_metadata(&self.path) {
            state_file::refuse_special(&self.path, &metadata).map_err(error)?;
            if metadata.len() >= ROTATE_AT {
                self.rotate().map_err(error)?;
            }
        }
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&self.path)
            .map_err(error)?;
        state_file::refuse_special(&self.path, &file.metadata().map_err(error)?).map_err(error)?;
        file.write_all(line.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }

    /// `audit.jsonl` -> `.1` -> `.2` ... the oldest beyond [`KEEP`] is dropped.
    fn rotate(&self) -> std::io::Result<()> {
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        for n in (1..KEEP).rev() {
            match std::fs::rename(numbered(n), numbered(n + 1)) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        std::fs::rename(&self.path, numbered(1))
    }

    /// The last `count` entries, oldest first (unreadable lines are skipped). Only the log's
    /// last [`RECENT_WINDOW`] bytes are read, however large it grew.
    pub fn recent(&self, count: usize) -> Vec<AuditEntry> {
        let Ok(metadata) = std::fs::symlink_metadata(&self.path) else {
            return Vec::new();
        };
        if !metadata.is_file() {
            return Vec::new();
        }
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        use std::io::{Read, Seek, SeekFrom};
        let start = metadata.len().saturating_sub(RECENT_WINDOW);
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(start)).is_err()
            || file.take(RECENT_WINDOW).read_to_end(&mut bytes).is_err()
        {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(&bytes);
        // Past the start of the file, the first line read is likely a part of one.
        let lines = text.lines().skip(usize::from(start > 0));
        let entries: Vec<AuditEntry> = lines.filter_map(|l| serde_json::from_str(l).ok()).collect();
        entries[entries.len().saturating_sub(count)..].to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_reads_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(&dir.path().join("state"));
        for n in 0..3 {
            log.record(&entry_now(
                "unban",
                &format!("203.0.113.{n}"),
                &["sshd".to_string()],
                "ok",
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        }
        let recent = log.recent(2);
        assert_eq!(
            recent.iter().map(|e| e.target.as_str()).collect::<Vec<_>>(),
            ["203.0.113.1", "203.0.113.2"]
        );
        assert_eq!(recent[0].action, "unban");
        assert!(recent[0].uid != u32::MAX);
    }

    #[test]
    fn a_symlink_or_fifo_log_is_refused_and_a_big_one_rotated_and_read_from_its_end() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let entry = entry_now("ban", "203.0.113.1", &[], "ok");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "keep").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&secret, dir.path().join("audit.jsonl"))
            .unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(dir.path());
        assert!(
            log.record(&entry)
                .is_err_and(|e| e.contains("symbolic link"))
        );
        assert_eq!(std::fs::read_to_string(&secret).unwrap_or_default(), "keep");

        let fifo_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let made = std::process::Command::new("mkfifo")
            .arg(fifo_dir.path().join("audit.jsonl"))
            .status();
        assert!(made.is_ok_and(|s| s.success()));
        let log = AuditLog::new(fifo_dir.path());
        assert!(log.record(&entry).is_err_and(|e| e.contains("FIFO")));
        assert!(log.recent(5).is_empty());

        let big_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = big_dir.path().join("audit.jsonl");
        let line = serde_json::to_string(&entry).unwrap_or_default() + "\n";
        let copies = (ROTATE_AT as usize / line.len()) + 1;
        std::fs::write(&path, line.repeat(copies)).unwrap_or_else(|e| panic!("{e}"));
        let log = AuditLog::new(big_dir.path());
        assert_eq!(log.recent(3).len(), 3);
        log.record(&entry_now("unban", "203.0.113.2", &[], "ok"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(big_dir.path().join("audit.jsonl.1").exists(), "rotated");
        let recent = log.recent(5);
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].target, "203.0.113.2");
    }
}

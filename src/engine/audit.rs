//! The audit trail: every action from the TUI and the commands, one JSON line in
//! `<state-dir>/audit.jsonl` with when, who (uid, `SUDO_USER`, tty, SSH address), what, on what,
//! and how it went.

use super::command::{Command, MANUAL_JAIL};
use crate::model::{AuditEntry, EngineEvent};
use std::io::Write;
use std::path::{Path, PathBuf};

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
        Command::Unban { jail, ip } => ("unban", ip.to_string(), vec![jail.clone()]),
        Command::JailBan { jail, ip } => ("ban", ip.to_string(), vec![jail.clone()]),
        Command::Ban { ip, .. } => ("ban", ip.to_string(), vec![MANUAL_JAIL.to_string()]),
        Command::Whitelist { entry, jails, .. } => ("whitelist", entry.to_string(), jails.clone()),
        Command::Unwhitelist { entry, jails } => ("unwhitelist", entry.to_string(), jails.clone()),
        Command::Rescue { ip, jails, .. } => ("rescue", ip.to_string(), jails.clone()),
        Command::TogglePause | Command::Faster | Command::Slower => return None,
    };
    let outcome = events.iter().rev().find_map(|event| match event {
        EngineEvent::ActionResult { ok, message } => Some(if *ok {
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

    /// Appends `entry` (creating the directory, readable by its owner only).
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
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(error)?;
        file.write_all(line.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }

    /// The last `count` entries, oldest first (unreadable lines are skipped).
    pub fn recent(&self, count: usize) -> Vec<AuditEntry> {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let entries: Vec<AuditEntry> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
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
}

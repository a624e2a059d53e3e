//! Port restrictions: bantop's `restrict` chain in the kernel and its saved copy in
//! `<state-dir>/restrictions.json` (written atomically, under an exclusive lock), from which
//! they are restored after a reboot or a flushed ruleset. A restriction applied without `--keep`
//! is pending until the operator confirms it; a watchdog process started with it, outliving the
//! terminal, rolls it back at its deadline if it is still pending, and so does any restore that
//! finds it overdue. The kernel is written first; the file follows what the kernel took.

use super::audit::{AuditLog, entry_now, restriction_target};
use crate::firewall::nftables::{Nftables, NftablesError};
use crate::model::port::Proto;
use crate::model::restriction::{Restriction, Reverted, put_in, revert_in};
use crate::state_file::{self, PreparedWrite, StateLock};
use std::path::{Path, PathBuf};

pub use crate::model::restriction::FILE_NAME;
/// The largest saved copy read.
const MAX_FILE: u64 = 4 << 20;

/// A restriction operation that failed: in the kernel, or in the saved copy.
#[derive(Debug, thiserror::Error)]
pub enum RestrictionError {
    /// The kernel refused or could not be reached.
    #[error(transparent)]
    Firewall(#[from] NftablesError),
    /// The saved copy could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestoredRestrictions {
    /// Restrictions written back to the kernel.
    pub restored: Vec<String>,
    /// Pending restrictions past their deadline, rolled back.
    pub rolled_back: Vec<String>,
}

/// The saved restrictions and the chain they go to.
#[derive(Debug, Clone)]
pub struct Restrictions {
    path: PathBuf,
    state_dir: PathBuf,
}

impl Restrictions {
    /// Restrictions saved under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Restrictions {
            path: state_dir.join(FILE_NAME),
            state_dir: state_dir.to_path_buf(),
        }
    }

    /// The saved copy's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file_error(&self, message: impl std::fmt::Display) -> RestrictionError {
        RestrictionError::File {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    /// The saved restrictions; none when the file does not exist yet.
    pub fn load(&self) -> Result<Vec<Restriction>, RestrictionError> {
        state_file::read_json_list(&self.path, MAX_FILE, "restrictions")
            .map_err(|e| self.file_error(e))
    }

    fn lock(&self) -> Result<StateLock, RestrictionError> {
        std::fs::create_dir_all(&self.state_dir).map_err(|e| self.file_error(e))?;
        StateLock::exclusive(&self.path).map_err(|e| self.file_error(e))
    }

    /// Writes `all` to the kernel, then the file (prepared before, so a full disk changes
    /// neither).
    fn write(&self, all: &[Restriction]) -> Result<(), RestrictionError> {
        let text = serde_json::to_string_pretty(all).map_err(|e| self.file_error(e))?;
        let prepared = PreparedWrite::new(&self.path, format!("{text}\n").as_bytes())
            .map_err(|e| self.file_error(e))?;
        Nftables.write_restrictions(all)?;
        prepared.commit().map_err(|e| self.file_error(e))
    }

    /// Applies `restriction`, replacing the same port's (which a pending one remembers, to put
    /// it back if it is rolled back).
    pub fn apply(&self, restriction: Restriction) -> Result<(), RestrictionError> {
        let _lock = self.lock()?;
        let mut all = self.load()?;
        put_in(&mut all, restriction);
        self.write(&all)
    }

    /// Confirms a pending restriction: it stays. `false` when it is no longer there (rolled
    /// back already).
    pub fn keep(&self, port: u16, proto: Proto) -> Result<bool, RestrictionError> {
        let _lock = self.lock()?;
        let mut all = self.load()?;
        let Some(found) = all.iter_mut().find(|r| (r.port, r.proto) == (port, proto)) else {
            return Ok(false);
        };
        found.rollback_at = None;
        found.replaced = None;
        self.write(&all)?;
        Ok(true)
    }

    /// Lifts a port's restriction; what was lifted, if there was one.
    pub fn remove(&self, port: u16, proto: Proto) -> Result<Option<Restriction>, RestrictionError> {
        let _lock = self.lock()?;
        let mut all = self.load()?;
        let Some(index) = all.iter().position(|r| (r.port, r.proto) == (port, proto)) else {
            return Ok(None);
        };
        let removed = all.remove(index);
        self.write(&all)?;
        Ok(Some(removed))
    }

    /// Rolls back a port's pending restriction: the kept one it replaced comes back, else the
    /// port is left unrestricted. What was done, if the port had a pending restriction.
    pub fn revert(&self, port: u16, proto: Proto) -> Result<Option<Reverted>, RestrictionError> {
        let _lock = self.lock()?;
        let mut all = self.load()?;
        let Some(index) = all
            .iter()
            .position(|r| (r.port, r.proto) == (port, proto) && r.rollback_at.is_some())
        else {
            return Ok(None);
        };
        let reverted = revert_in(&mut all, index);
        self.write(&all)?;
        Ok(Some(reverted))
    }

    /// Rolls back the pending restrictions whose deadline is past, each recorded in the audit
    /// log; the restrictions rolled back.
    pub fn roll_back_overdue(&self, now: f64) -> Result<Vec<Restriction>, RestrictionError> {
        // Asked on every poll of the TUI: nothing saved, nothing to lock or create.
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let _lock = self.lock()?;
        let mut all = self.load()?;
        let overdue: Vec<Restriction> = all
            .iter()
            .filter(|r| r.rollback_at.is_some_and(|at| at <= now))
            .cloned()
            .collect();
        if overdue.is_empty() {
            return Ok(overdue);
        }
        let mut done = Vec::new();
        for restriction in &overdue {
            if let Some(index) = all
                .iter()
                .position(|r| (r.port, r.proto) == (restriction.port, restriction.proto))
            {
                done.push(revert_in(&mut all, index));
            }
        }
        self.write(&all)?;
        for (restriction, reverted) in overdue.iter().zip(&done) {
            self.audit(
                "restrict rolled back",
                restriction,
                &format!("not confirmed in time; {}", reverted.describe()),
            );
        }
        Ok(overdue)
    }

    /// Rolls back what is overdue, then writes the saved restrictions to the kernel again (a
    /// reboot or a flushed ruleset leaves the chain missing).
    pub fn restore(&self, now: f64) -> Result<RestoredRestrictions, RestrictionError> {
        let rolled_back = self.roll_back_overdue(now)?;
        let _lock = self.lock()?;
        let all = self.load()?;
        if !all.is_empty() {
            Nftables.write_restrictions(&all)?;
        }
        Ok(RestoredRestrictions {
            restored: all.iter().map(Restriction::label).collect(),
            rolled_back: rolled_back.iter().map(Restriction::label).collect(),
        })
    }

    /// Records an action on `restriction` in the audit log (a failure to record is not the
    /// action's failure).
    pub fn audit(&self, action: &str, restriction: &Restriction, result: &str) {
        let target = restriction_target(restriction);
        let _ = AuditLog::new(&self.state_dir).record(&entry_now(action, &target, &[], result));
    }

    /// Starts the watchdog that rolls back what is still pending at `deadline`: a process of
    /// its own (this binary's hidden `restrict-watchdog`), in its own process group with no
    /// terminal, so that it outlives a dropped SSH session.
    pub fn spawn_watchdog(&self, deadline: f64) -> std::io::Result<()> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()?;
        std::process::Command::new(exe)
            .arg("--state-dir")
            .arg(&self.state_dir)
            .arg("restrict-watchdog")
            .arg("--at")
            // Every digit: a deadline rounded down would wake the watchdog before it is due.
            .arg(deadline.to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .map(|_| ())
    }
}

/// The watchdog's work: waits until `deadline`, then rolls back what is still pending.
pub fn watch_until(state_dir: &Path, deadline: f64) -> Result<usize, RestrictionError> {
    // A little past the deadline, so the saved one is due when the watchdog looks.
    let wait = deadline + 0.1 - super::clock::now_epoch();
    if wait > 0.0 {
        std::thread::sleep(std::time::Duration::from_secs_f64(wait.min(86_400.0)));
    }
    let restrictions = Restrictions::new(state_dir);
    Ok(restrictions
        .roll_back_overdue(super::clock::now_epoch())?
        .len())
}

//! Manual bans: bantop's own nftables set, and its saved copy in `<state-dir>/manual-bans.json`
//! (written atomically) from which they are restored with their remaining time after a reboot
//! or a flushed ruleset. The kernel is changed first; the file follows what the kernel took.
//! Every change holds the file's exclusive lock from reading it to writing it, so two operators
//! banning at once both keep their bans.

use crate::firewall::nftables::{BanOutcome, Element, Nftables, NftablesError};
use crate::firewall::{OwnSet, UnbanOutcome, around};
use crate::model::JailSettings;
use crate::model::ban::{OWN_SET_BACKEND, OWN_SET_NAME};
use crate::state_file::{self, PreparedWrite, StateLock};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The saved copy's file name in the state directory.
pub const FILE_NAME: &str = "manual-bans.json";
/// The largest saved copy read (about 100,000 bans).
const MAX_FILE: u64 = 32 << 20;

/// What an unban of bantop's set did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManualUnban {
    /// What the kernel shows changed.
    pub kernel: UnbanOutcome,
    /// Saved bans that were not in the kernel (a flushed ruleset), dropped from the saved copy.
    pub forgotten: Vec<IpNet>,
}

impl ManualUnban {
    /// Whether anything was lifted, in the kernel or the saved copy.
    pub fn is_empty(&self) -> bool {
        self.kernel.lifted.is_empty() && self.forgotten.is_empty()
    }
}

/// bantop's own set, shown as a jail: bans only by hand, never by counting.
pub fn jail_settings() -> JailSettings {
    JailSettings {
        name: OWN_SET_NAME.to_string(),
        filter: String::new(),
        maxretry: 0,
        findtime: 0,
        bantime: -1,
        ignoreip: Vec::new(),
        ignore_names: Vec::new(),
        logpath: Vec::new(),
        backend: OWN_SET_BACKEND.to_string(),
        action: "nftables set inet bantop ban4/ban6".to_string(),
        port: "all".to_string(),
        ignoreself: false,
        ignorecommand: None,
        ban_increment: None,
    }
}

/// One manual ban as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualBan {
    /// The address or network.
    pub net: IpNet,
    /// Epoch seconds when it was put in place.
    pub since: f64,
    /// Epoch seconds when it ends; `None`: permanent.
    pub until: Option<f64>,
    /// Why, as the operator said.
    #[serde(default)]
    pub reason: String,
}

impl ManualBan {
    /// Whole seconds left at `now` (at least 1 while it lasts); `None` for permanent.
    pub fn remaining(&self, now: f64) -> Option<u64> {
        self.until.map(|until| (until - now).ceil().max(0.0) as u64)
    }
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restored {
    /// Bans put back into the kernel, with the seconds they had left.
    pub restored: Vec<(IpNet, Option<u64>)>,
    /// Bans already in the kernel.
    pub present: usize,
    /// Bans whose time ran out while they were not in the kernel (dropped from the file).
    pub expired: Vec<IpNet>,
}

/// The saved manual bans and the set they go to.
#[derive(Debug, Clone)]
pub struct ManualBans {
    path: PathBuf,
}

/// A manual-ban operation that failed: in the kernel, or in the saved copy.
#[derive(Debug, thiserror::Error)]
pub enum ManualBanError {
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

impl ManualBans {
    /// Manual bans saved under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        ManualBans {
            path: state_dir.join(FILE_NAME),
        }
    }

    /// The saved copy's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file_error(&self, message: impl std::fmt::Display) -> ManualBanError {
        ManualBanError::File {
            path: self.path.display().to_string(),
            message: message.to_string(),
        }
    }

    /// The saved bans; none when the file does not exist yet.
    pub fn load(&self) -> Result<Vec<ManualBan>, ManualBanError> {
        state_file::read_json_list(&self.path, MAX_FILE, "manual bans")
            .map_err(|e| self.file_error(e))
    }

    /// The file's exclusive lock (creating the state directory).
    fn lock(&self) -> Result<StateLock, ManualBanError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.file_error(e))?;
        }
        StateLock::exclusive(&self.path).map_err(|e| self.file_error(e))
    }

    fn save(&self, bans: &[ManualBan]) -> Result<(), ManualBanError> {
        self.prepare(bans)?.commit().map_err(|e| self.file_error(e))
    }

    /// The saved copy written beside its place, to be renamed in once the kernel took it.
    fn prepare(&self, bans: &[ManualBan]) -> Result<PreparedWrite, ManualBanError> {
        let text = serde_json::to_string_pretty(bans).map_err(|e| self.file_error(e))?;
        PreparedWrite::new(&self.path, format!("{text}\n").as_bytes())
            .map_err(|e| self.file_error(e))
    }

    /// Bans `net` for `seconds` (`None`: permanently) in the kernel and saves it. The saved
    /// copy is written first and renamed in once the kernel took the ban, so a full disk leaves
    /// neither changed.
    pub fn ban(
        &self,
        net: IpNet,
        seconds: Option<u64>,
        reason: &str,
        now: f64,
    ) -> Result<BanOutcome, ManualBanError> {
        let _lock = self.lock()?;
        let mut saved = self.load()?;
        saved.retain(|ban| !net.contains(&ban.net));
        saved.push(ManualBan {
            net,
            since: now,
            until: seconds.map(|s| now + s as f64),
            reason: reason.to_string(),
        });
        let prepared = self.prepare(&saved)?;
        let outcome = Nftables.ban(
            &[Element {
                net,
                timeout: seconds,
            }],
            now,
        )?;
        prepared.commit().map_err(|e| self.file_error(e))?;
        Ok(outcome)
    }

    /// Lifts `target` in the kernel (deleting what is inside it, splitting a wider ban around
    /// it) and in the saved copy the same way; says what the kernel shows changed and what was
    /// only in the saved copy.
    pub fn unban(&self, target: IpNet) -> Result<ManualUnban, ManualBanError> {
        let _lock = self.lock()?;
        let saved = self.load()?;
        let target = target.trunc();
        let touched = |ban: &ManualBan| target.contains(&ban.net) || ban.net.contains(&target);
        let mut kept = Vec::new();
        for ban in &saved {
            if !touched(ban) {
                kept.push(ban.clone());
            } else if ban.net.contains(&target) && ban.net != target {
                for net in around(ban.net, target) {
                    // Two saved bans around the target (one held in the other after a
                    // flush) leave the same pieces: each is kept once.
                    if !kept.iter().any(|k| k.net == net) {
                        kept.push(ManualBan { net, ..ban.clone() });
                    }
                }
            }
        }
        // As for a ban: the new copy is written first, renamed in once the kernel changed.
        let prepared = if kept != saved {
            Some(self.prepare(&kept)?)
        } else {
            None
        };
        let kernel = Nftables.unban(target, 0.0)?;
        if let Some(prepared) = prepared {
            prepared.commit().map_err(|e| self.file_error(e))?;
        }
        // Saved, lifted whole, and not in the kernel: only the saved copy held it. (A wider
        // saved ban is split in the copy and its pieces stay, for a restore.)
        let forgotten = saved
            .iter()
            .filter(|ban| target.contains(&ban.net) && !kernel.lifted.contains(&ban.net))
            .map(|ban| ban.net)
            .collect();
        Ok(ManualUnban { kernel, forgotten })
    }

    /// Puts saved bans missing from the kernel back with their remaining time, in one batch,
    /// and forgets those that ran out.
    pub fn restore(&self, now: f64) -> Result<Restored, ManualBanError> {
        let _lock = self.lock()?;
        let saved = self.load()?;
        let present = Nftables.ensured_elements()?;
        let saved_nets: Vec<IpNet> = saved
            .iter()
            .filter(|ban| ban.remaining(now) != Some(0))
            .map(|ban| ban.net)
            .collect();
        let mut report = Restored::default();
        let mut kept = Vec::new();
        let mut missing = Vec::new();
        for ban in saved {
            if ban.remaining(now) == Some(0) {
                if !present.contains(&ban.net) {
                    report.expired.push(ban.net);
                    continue;
                }
            } else if present.iter().any(|p| p.contains(&ban.net))
                || saved_wider(&saved_nets, ban.net)
                || missing.iter().any(|m: &Element| m.net == ban.net)
            {
                // In force already, or inside a wider saved ban restored with it.
                report.present += 1;
            } else {
                missing.push(Element {
                    net: ban.net,
                    timeout: ban.remaining(now),
                });
                report.restored.push((ban.net, ban.remaining(now)));
            }
            kept.push(ban);
        }
        if !missing.is_empty() {
            Nftables.ban_into(&present, &missing)?;
        }
        if !report.expired.is_empty() {
            self.save(&kept)?;
        }
        Ok(report)
    }
}

/// Whether a saved ban still in time holds `net` and is wider (the two would overlap in the set).
fn saved_wider(saved: &[IpNet], net: IpNet) -> bool {
    saved
        .iter()
        .any(|wider| wider.prefix_len() < net.prefix_len() && wider.contains(&net))
}

//! Manual bans: bantop's own nftables set, and its saved copy in `<state-dir>/manual-bans.json`
//! (written atomically) from which they are restored with their remaining time after a reboot
//! or a flushed ruleset. The kernel is changed first; the file follows what the kernel took.

use super::command::MANUAL_JAIL;
use crate::fail2ban::dropin::write_file_atomically;
use crate::firewall::OwnSet;
use crate::firewall::nftables::{BanOutcome, Element, Nftables, NftablesError};
use crate::model::JailSettings;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The saved copy's file name in the state directory.
pub const FILE_NAME: &str = "manual-bans.json";

/// bantop's own set, shown as a jail: bans only by hand, never by counting.
pub fn jail_settings() -> JailSettings {
    JailSettings {
        name: MANUAL_JAIL.to_string(),
        filter: String::new(),
        maxretry: 0,
        findtime: 0,
        bantime: -1,
        ignoreip: Vec::new(),
        logpath: Vec::new(),
        backend: "bantop".to_string(),
        action: "nftables set inet bantop ban4/ban6".to_string(),
        port: "all".to_string(),
        ignoreself: false,
        bantime_increment: false,
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
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| self.file_error(format!("not a list of manual bans: {e}"))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(self.file_error(error)),
        }
    }

    fn save(&self, bans: &[ManualBan]) -> Result<(), ManualBanError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.file_error(e))?;
        }
        let text = serde_json::to_string_pretty(bans).map_err(|e| self.file_error(e))?;
        write_file_atomically(&self.path, format!("{text}\n").as_bytes())
            .map_err(|e| self.file_error(e))
    }

    /// Bans `net` for `seconds` (`None`: permanently) in the kernel, then saves it.
    pub fn ban(
        &self,
        net: IpNet,
        seconds: Option<u64>,
        reason: &str,
        now: f64,
    ) -> Result<BanOutcome, ManualBanError> {
        let mut saved = self.load()?;
        let outcome = Nftables.ban(
            &[Element {
                net,
                timeout: seconds,
            }],
            now,
        )?;
        saved.retain(|ban| !net.contains(&ban.net));
        saved.push(ManualBan {
            net,
            since: now,
            until: seconds.map(|s| now + s as f64),
            reason: reason.to_string(),
        });
        self.save(&saved)?;
        Ok(outcome)
    }

    /// Lifts every manual ban holding `target`'s address or inside `target`, in the kernel and
    /// in the saved copy; returns what was lifted.
    pub fn unban(&self, target: IpNet) -> Result<Vec<IpNet>, ManualBanError> {
        let mut saved = self.load()?;
        let mut lifted = Nftables.unban(target, 0.0)?;
        let hit = |net: &IpNet| net.contains(&target.addr()) || target.contains(net);
        for ban in saved.iter().filter(|ban| hit(&ban.net)) {
            if !lifted.contains(&ban.net) {
                lifted.push(ban.net);
            }
        }
        let before = saved.len();
        saved.retain(|ban| !hit(&ban.net));
        if saved.len() != before {
            self.save(&saved)?;
        }
        Ok(lifted)
    }

    /// Puts saved bans missing from the kernel back with their remaining time, in one batch,
    /// and forgets those that ran out.
    pub fn restore(&self, now: f64) -> Result<Restored, ManualBanError> {
        let saved = self.load()?;
        let present = Nftables.ensured_elements()?;
        let mut report = Restored::default();
        let mut kept = Vec::new();
        let mut missing = Vec::new();
        for ban in saved {
            if ban.remaining(now) == Some(0) {
                if !present.contains(&ban.net) {
                    report.expired.push(ban.net);
                    continue;
                }
            } else if present.contains(&ban.net) {
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

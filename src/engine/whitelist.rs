//! The whitelist drop-in on a real server (`jail.d/bantop-whitelist.local`), shared by
//! `bantop whitelist`, rescue and the TUI through the executor: edited under its lock, so two
//! operators at once both keep their entries, and written atomically.

use super::command::WHITELIST_DROPIN;
use crate::fail2ban::date::Zone;
use crate::fail2ban::dropin;
use crate::state_file::{self, StateLock};
use ipnet::IpNet;
use std::path::Path;

/// The largest drop-in read (a whitelist of some 10,000 commented entries).
const MAX_DROPIN: u64 = 4 << 20;

/// Adds `entry` to the sections of `jails` in the drop-in under `fail2ban_dir` (or takes it out
/// with `remove`); the path written, or `None` when the file already said so. Nothing is
/// written when the drop-in cannot be read, is not a regular file, or would not read as fail2ban
/// configuration.
pub fn write_dropin(
    fail2ban_dir: &Path,
    entry: IpNet,
    jails: &[String],
    remove: bool,
    comment: &str,
) -> Result<Option<String>, String> {
    let text_entry = dropin::entry_text(entry);
    let path = fail2ban_dir.join(WHITELIST_DROPIN);
    // Held from reading the drop-in to renaming the new one in: a second operator's entry
    // is read, not overwritten.
    let _lock = StateLock::exclusive(&path)
        .map_err(|e| format!("cannot write {} (its lock): {e}", path.display()))?;
    let original = state_file::read_bounded(&path, MAX_DROPIN)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .unwrap_or_default();
    let old = original.replace("\r\n", "\n");
    let mut text = old.clone();
    for jail in jails {
        text = if remove {
            dropin::remove_entry(&text, jail, &text_entry).unwrap_or(text)
        } else {
            dropin::add_entry(&text, jail, &text_entry, comment)
        };
    }
    if text == old {
        return Ok(None);
    }
    dropin::write_atomically(&path, &state_file::keep_line_endings(&original, &text))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}

/// Who, when and why, for the drop-in's comment.
pub fn comment(reason: Option<&str>) -> String {
    let who = ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(current_user);
    let when = Zone::Local.format(chrono::Utc::now().timestamp() as f64);
    match reason {
        Some(reason) => format!("added by {who} on {when}: {reason}"),
        None => format!("added by {who} on {when}"),
    }
}

/// The name of the process's user from `/etc/passwd`, else `uid N`.
fn current_user() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| {
            l.strip_prefix("Uid:")
                .and_then(|u| u.split_whitespace().next().map(str::to_string))
        })
        .unwrap_or_default();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2) == Some(&uid.as_str())).then(|| fields[0].to_string())
    });
    name.unwrap_or(format!("uid {uid}"))
}

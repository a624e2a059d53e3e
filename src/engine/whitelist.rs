//! Whitelisting on a real server, shared by `bantop whitelist` and the TUI: the drop-in in
//! `jail.d/` is written first (it must survive a restart), then the entry is applied live
//! (`addignoreip`/`delignoreip`) and the address unbanned. Every step reports its outcome.

use super::command::WHITELIST_DROPIN;
use crate::fail2ban::date::Zone;
use crate::fail2ban::dropin;
use crate::fail2ban::server::Fail2ban;
use crate::state_file::{self, StateLock};
use ipnet::IpNet;
use std::path::Path;

/// The largest drop-in read (a whitelist of some 10,000 commented entries).
const MAX_DROPIN: u64 = 4 << 20;

/// One step and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What was done, and its outcome, in words.
    pub text: String,
    /// Whether it worked.
    pub ok: bool,
}

/// The text of the first step that failed, if any.
pub fn first_failure(steps: &[Step]) -> Option<String> {
    steps.iter().find(|s| !s.ok).map(|s| s.text.clone())
}

/// Whitelists `entry` in `jails` (or takes it out with `remove`), writing the drop-in under
/// `fail2ban_dir`. Fails before any change when the drop-in cannot be read or written.
pub async fn whitelist(
    fail2ban_dir: &Path,
    server: &mut Fail2ban,
    entry: IpNet,
    jails: &[String],
    remove: bool,
    comment: &str,
) -> Result<Vec<Step>, String> {
    let text_entry = dropin::entry_text(entry);
    let path = fail2ban_dir.join(WHITELIST_DROPIN);
    // Held from reading the drop-in to renaming the new one in: a second operator's entry
    // is read, not overwritten.
    let lock = StateLock::exclusive(&path)
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
    let mut steps = Vec::new();
    if text == old {
        steps.push(Step {
            text: format!("{} already says so: not rewritten", path.display()),
            ok: true,
        });
    } else {
        dropin::write_atomically(&path, &state_file::keep_line_endings(&original, &text))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        steps.push(Step {
            text: format!("wrote {}", path.display()),
            ok: true,
        });
    }
    drop(lock);
    let verb = if remove { "delignoreip" } else { "addignoreip" };
    for jail in jails {
        let live = if remove {
            server.del_ignore(jail, &text_entry).await
        } else {
            server.add_ignore(jail, &text_entry).await
        };
        if let Err(error) = live {
            steps.push(Step { text: format!("fail2ban: set {jail} {verb} {text_entry}: {error} (the drop-in applies when fail2ban starts or reloads)"), ok: false });
            break;
        }
        steps.push(Step {
            text: format!("fail2ban: set {jail} {verb} {text_entry}: done"),
            ok: true,
        });
        if !remove && entry.prefix_len() == entry.max_prefix_len() {
            match server.unban(jail, entry.addr()).await {
                Ok(true) => steps.push(Step {
                    text: format!("fail2ban: set {jail} unbanip {text_entry}: unbanned"),
                    ok: true,
                }),
                Ok(false) => {}
                Err(error) => steps.push(Step {
                    text: format!("fail2ban: set {jail} unbanip {text_entry}: {error}"),
                    ok: false,
                }),
            }
        }
    }
    Ok(steps)
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

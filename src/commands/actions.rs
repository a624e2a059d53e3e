//! `bantop unban`, `bantop ban --jail` and `bantop whitelist`: the operator's actions against
//! a real fail2ban. Each prints every step and its result; a whitelist is written to the
//! drop-in first (it must survive a restart), then applied live and the address unbanned.

use crate::engine::command::WHITELIST_DROPIN;
use crate::fail2ban::date::Zone;
use crate::fail2ban::dropin;
use crate::fail2ban::jail_conf::read_jails;
use crate::fail2ban::server::Fail2ban;
use ipnet::IpNet;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

/// Unbans `ip` in `jail`, or everywhere (every jail and fail2ban's database).
pub async fn unban(
    socket: &Path,
    ip: IpAddr,
    jail: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut server = Fail2ban::new(socket);
    match jail {
        Some(jail) => {
            let was_banned = server.unban(jail, ip).await?;
            if was_banned {
                writeln!(out, "unbanned {ip} in {jail}")?;
            } else {
                writeln!(out, "{ip} was not banned in {jail}")?;
            }
        }
        None => {
            let count = server.unban_everywhere(ip).await?;
            writeln!(out, "unbanned {ip} everywhere ({count} ban(s) lifted)")?;
        }
    }
    Ok(super::OK)
}

/// Bans `ip` in `jail` through fail2ban, so the jail's own actions run.
pub async fn ban(socket: &Path, ip: IpAddr, jail: &str, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut server = Fail2ban::new(socket);
    server.ban(jail, ip).await?;
    writeln!(
        out,
        "banned {ip} in {jail} (fail2ban: set {jail} banip {ip})"
    )?;
    Ok(super::OK)
}

/// What to whitelist and where.
#[derive(Debug, Clone)]
pub struct WhitelistRequest<'a> {
    /// The address or network.
    pub entry: IpNet,
    /// The jails (empty: every enabled jail).
    pub jails: Vec<String>,
    /// Take it out instead of adding it.
    pub remove: bool,
    /// Why, for the comment.
    pub reason: Option<&'a str>,
}

/// Whitelists (or un-whitelists) an entry: drop-in in `fail2ban_dir/jail.d`, then live.
pub async fn whitelist(
    fail2ban_dir: &Path,
    socket: &Path,
    request: WhitelistRequest<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let configured: Vec<String> = read_jails(fail2ban_dir)?
        .into_iter()
        .map(|j| j.settings.name)
        .collect();
    let jails = if request.jails.is_empty() {
        configured.clone()
    } else {
        request.jails.clone()
    };
    if let Some(unknown) = jails.iter().find(|j| !configured.contains(j)) {
        anyhow::bail!(
            "no enabled jail named {unknown:?} in {} (jails: {})",
            fail2ban_dir.display(),
            configured.join(", ")
        );
    }
    let entry = dropin::entry_text(request.entry);
    let path = fail2ban_dir.join(WHITELIST_DROPIN);
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => anyhow::bail!("cannot read {}: {error}", path.display()),
    };
    let comment = comment(request.reason);
    let mut text = old.clone();
    for jail in &jails {
        text = if request.remove {
            dropin::remove_entry(&text, jail, &entry).unwrap_or(text)
        } else {
            dropin::add_entry(&text, jail, &entry, &comment)
        };
    }
    if text == old {
        writeln!(out, "{} already says so: not rewritten", path.display())?;
    } else {
        dropin::write_atomically(&path, &text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    let mut server = Fail2ban::new(socket);
    let mut failed = false;
    for jail in &jails {
        let live = if request.remove {
            server.del_ignore(jail, &entry).await
        } else {
            server.add_ignore(jail, &entry).await
        };
        let verb = if request.remove {
            "delignoreip"
        } else {
            "addignoreip"
        };
        match live {
            Ok(()) => writeln!(out, "fail2ban: set {jail} {verb} {entry}: done")?,
            Err(error) => {
                failed = true;
                writeln!(
                    out,
                    "fail2ban: set {jail} {verb} {entry}: {error} (the drop-in applies when fail2ban starts or reloads)"
                )?;
                break;
            }
        }
        if !request.remove && request.entry.prefix_len() == request.entry.max_prefix_len() {
            match server.unban(jail, request.entry.addr()).await {
                Ok(true) => writeln!(out, "fail2ban: set {jail} unbanip {entry}: unbanned")?,
                Ok(false) => {}
                Err(error) => writeln!(out, "fail2ban: set {jail} unbanip {entry}: {error}")?,
            }
        }
    }
    Ok(if failed { super::ATTENTION } else { super::OK })
}

/// The name of the process's user from `/etc/passwd`, else `uid N`.
fn current_user() -> String {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .and_then(|u| u.split_whitespace().next().map(str::to_string))
            })
        });
    let uid = uid.unwrap_or_default();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2) == Some(&uid.as_str())).then(|| fields[0].to_string())
    });
    name.unwrap_or(format!("uid {uid}"))
}

/// Who, when and why, for the drop-in's comment.
fn comment(reason: Option<&str>) -> String {
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

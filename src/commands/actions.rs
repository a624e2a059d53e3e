//! `bantop unban`, `bantop ban --jail` and `bantop whitelist`: the operator's actions against
//! a real fail2ban. Each prints every step and its result; a whitelist is written to the
//! drop-in first (it must survive a restart), then applied live and the address unbanned.

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
    let mut server = Fail2ban::new(socket);
    let comment = crate::engine::whitelist::comment(request.reason);
    let steps = crate::engine::whitelist::whitelist(
        fail2ban_dir,
        &mut server,
        request.entry,
        &jails,
        request.remove,
        &comment,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    for step in &steps {
        writeln!(out, "{}", step.text)?;
    }
    Ok(if steps.iter().all(|s| s.ok) {
        super::OK
    } else {
        super::ATTENTION
    })
}

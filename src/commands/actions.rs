//! `bantop unban`, `bantop ban --jail`, `bantop whitelist` and `bantop rescue`: the operator's
//! actions against a real fail2ban. Each prints every step and its result, and is written to
//! the audit log. A whitelist goes to the drop-in first (it must survive a restart), then live.
//! Banning the operator's own address, loopback or a whitelisted one needs `--force`.

use crate::engine::audit::{AuditLog, entry_now};
use crate::engine::command::MANUAL_JAIL;
use crate::engine::refusal::{Whitelists, ban_danger, too_wide};
use crate::engine::whitelist;
use crate::fail2ban::jail_conf::read_jails;
use crate::fail2ban::server::Fail2ban;
use crate::fail2ban::socket_client::ClientError;
use crate::model::AuditEntry;
use ipnet::IpNet;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

/// Where fail2ban and bantop keep their things.
#[derive(Debug, Clone, Copy)]
pub struct Places<'a> {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: &'a Path,
    /// fail2ban's socket.
    pub socket: &'a Path,
    /// bantop's state directory (the audit log).
    pub state_dir: &'a Path,
}

/// Records an action in the audit log; a failure to do so is said, not fatal.
pub(super) fn audit(
    places: Places<'_>,
    entry: AuditEntry,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match AuditLog::new(places.state_dir).record(&entry) {
        Ok(()) => Ok(()),
        Err(error) => writeln!(out, "warning: not audited: {error}"),
    }
}

/// The outcome of a fallible step as the audit log's `result`.
pub(super) fn result_text<T, E: std::fmt::Display>(result: &Result<T, E>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(error) => error.to_string(),
    }
}

pub(super) use crate::model::address::text_of as target_text;

/// Unbans `target` in `jail` (`manual`: bantop's set), or everywhere: bantop's set, every jail
/// and fail2ban's database. fail2ban takes single addresses only.
pub async fn unban(
    places: Places<'_>,
    target: IpNet,
    jail: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let single = (target.prefix_len() == target.max_prefix_len()).then_some(target.addr());
    let jails: Vec<String> = jail.map(str::to_string).into_iter().collect();
    let text = target_text(target);
    if jail == Some(MANUAL_JAIL) {
        let lifted = super::firewall::unban(places, target);
        audit(
            places,
            entry_now("unban", &text, &jails, &result_text(&lifted)),
            out,
        )?;
        super::firewall::write_unban(target, &lifted?, out)?;
        return Ok(super::OK);
    }
    let mut server = Fail2ban::new(places.socket);
    match (jail, single) {
        (_, None) => {
            anyhow::bail!(
                "fail2ban bans single addresses, not {target}: use --jail manual for bantop's set"
            )
        }
        (Some(jail), Some(ip)) => {
            let done = server.unban(jail, ip).await;
            audit(
                places,
                entry_now("unban", &text, &jails, &result_text(&done)),
                out,
            )?;
            if done? {
                writeln!(out, "unbanned {ip} in {jail}")?;
            } else {
                writeln!(out, "{ip} was not banned in {jail}")?;
            }
        }
        (None, Some(ip)) => {
            let lifted = super::firewall::unban(places, target);
            let done = server.unban_everywhere(ip).await;
            let result = match (&lifted, &done) {
                (Err(error), _) => error.to_string(),
                (_, Err(error)) => error.to_string(),
                _ => "ok".to_string(),
            };
            audit(places, entry_now("unban", &text, &jails, &result), out)?;
            let lifted_any = match lifted {
                Ok(lifted) => {
                    super::firewall::write_unban(target, &lifted, out)?;
                    !lifted.is_empty()
                }
                Err(error) => {
                    writeln!(out, "bantop's set: {error}")?;
                    false
                }
            };
            match done {
                Ok(count) => writeln!(out, "unbanned {ip} everywhere ({count} ban(s) lifted)")?,
                Err(error @ ClientError::NotRunning { .. }) if lifted_any => {
                    writeln!(out, "{error}: no ban to lift there")?
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(super::OK)
}

/// Bans `ip` in `jail` through fail2ban, so the jail's own actions run. Refused for the
/// operator's own, loopback and whitelisted addresses unless `force`.
pub async fn ban(
    places: Places<'_>,
    ip: IpAddr,
    jail: &str,
    force: bool,
    operators: &[IpAddr],
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut server = Fail2ban::new(places.socket);
    server.require_jail(jail).await?;
    let mut whitelisted = Whitelists::default();
    match server.ignore_list(jail).await {
        Ok(list) => whitelisted.add_list(jail, &list),
        Err(error) => whitelisted.unreadable.push((
            jail.to_string(),
            format!("fail2ban did not give it: {error}"),
        )),
    }
    if let Some(danger) = ban_danger(IpNet::from(ip), operators, &whitelisted)
        && !force
    {
        anyhow::bail!("refused: {danger}; add --force to ban it anyway");
    }
    let done = server.ban(jail, ip).await;
    audit(
        places,
        entry_now(
            "ban",
            &ip.to_string(),
            &[jail.to_string()],
            &result_text(&done),
        ),
        out,
    )?;
    done?;
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
    /// Whitelist even a range wider than the refusal policy allows.
    pub force: bool,
    /// Why, for the comment.
    pub reason: Option<&'a str>,
}

/// The enabled jails of the configuration, or the requested ones if they all exist.
fn choose_jails(fail2ban_dir: &Path, requested: &[String]) -> anyhow::Result<Vec<String>> {
    let configured: Vec<String> = read_jails(fail2ban_dir)?
        .into_iter()
        .map(|j| j.settings.name)
        .collect();
    if let Some(unknown) = requested.iter().find(|j| !configured.contains(j)) {
        anyhow::bail!(
            "no enabled jail named {unknown:?} in {} (jails: {})",
            fail2ban_dir.display(),
            configured.join(", ")
        );
    }
    Ok(if requested.is_empty() {
        configured
    } else {
        requested.to_vec()
    })
}

/// Whitelists (or un-whitelists) an entry: drop-in in `fail2ban_dir/jail.d`, then live.
pub async fn whitelist(
    places: Places<'_>,
    request: WhitelistRequest<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    if let Some(wide) = too_wide(request.entry)
        && !request.remove
        && !request.force
    {
        anyhow::bail!("refused: {wide}; add --force to whitelist it anyway");
    }
    let jails = choose_jails(places.fail2ban_dir, &request.jails)?;
    let mut server = Fail2ban::new(places.socket);
    let comment = whitelist::comment(request.reason);
    let steps = whitelist::whitelist(
        places.fail2ban_dir,
        &mut server,
        request.entry,
        &jails,
        request.remove,
        &comment,
    )
    .await;
    let action = if request.remove {
        "unwhitelist"
    } else {
        "whitelist"
    };
    let ok = steps.as_ref().is_ok_and(|steps| steps.iter().all(|s| s.ok));
    let result = match &steps {
        Ok(steps) => whitelist::first_failure(steps).unwrap_or_else(|| "ok".to_string()),
        Err(error) => error.clone(),
    };
    audit(
        places,
        entry_now(action, &request.entry.to_string(), &jails, &result),
        out,
    )?;
    for step in steps.map_err(anyhow::Error::msg)? {
        writeln!(out, "{}", step.text)?;
    }
    Ok(if ok { super::OK } else { super::ATTENTION })
}

/// Locked out: unbans `ip` everywhere and whitelists it in every jail, step by step.
pub async fn rescue(
    places: Places<'_>,
    ip: IpAddr,
    reason: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let jails = choose_jails(places.fail2ban_dir, &[])?;
    let mut server = Fail2ban::new(places.socket);
    let mut ok = true;
    match server.unban_everywhere(ip).await {
        Ok(count) => writeln!(out, "1. fail2ban: unban {ip}: {count} ban(s) lifted")?,
        Err(error) => {
            ok = false;
            writeln!(out, "1. fail2ban: unban {ip}: {error}")?;
        }
    }
    match super::firewall::unban(places, IpNet::from(ip)) {
        Ok(done) if done.is_empty() => {
            writeln!(out, "2. bantop's own set: {ip} was not banned there")?
        }
        Ok(done) => {
            let mut lines = Vec::new();
            super::firewall::write_unban(IpNet::from(ip), &done, &mut lines)?;
            for line in String::from_utf8_lossy(&lines).lines() {
                writeln!(out, "2. {line}")?;
            }
        }
        Err(error) => {
            ok = false;
            writeln!(out, "2. bantop's own set: {error}")?;
        }
    }
    let comment = whitelist::comment(Some(reason.unwrap_or("rescue")));
    match whitelist::whitelist(
        places.fail2ban_dir,
        &mut server,
        IpNet::from(ip),
        &jails,
        false,
        &comment,
    )
    .await
    {
        Ok(steps) => {
            for step in &steps {
                ok &= step.ok;
                writeln!(out, "3. {}", step.text)?;
            }
        }
        Err(error) => {
            ok = false;
            writeln!(out, "3. whitelist: {error}")?;
        }
    }
    let result = if ok { "ok" } else { "some steps failed" };
    audit(
        places,
        entry_now("rescue", &ip.to_string(), &jails, result),
        out,
    )?;
    writeln!(
        out,
        "{}",
        if ok {
            format!("{ip} is unbanned and whitelisted in {}", jails.join(", "))
        } else {
            "not every step worked: see above".to_string()
        }
    )?;
    Ok(if ok { super::OK } else { super::ATTENTION })
}

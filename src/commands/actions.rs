//! `bantop unban`, `bantop ban --jail`, `bantop whitelist` and `bantop rescue`: the operator's
//! actions against a real fail2ban and bantop's own set, carried out by the one executor
//! (`engine::execute`) that the TUI uses too. Each prints every step as the backends read it
//! back, and is written to the audit log. Banning the operator's own address, loopback, a
//! whitelisted or a too-wide one needs `--force` (the one refusal policy).

use crate::engine::audit::{AuditLog, entry_now};
use crate::engine::command::Command;
use crate::engine::execute::{Step, all_ok, execute, summary};
use crate::engine::manual_bans::ManualBans;
use crate::engine::refusal::{ban_danger, too_wide};
use crate::engine::server_sides::{KernelSet, ServerFail2ban};
use crate::engine::whitelist;
use crate::fail2ban::jail_conf::read_jails;
use crate::fail2ban::server::Fail2ban;
use crate::model::{AuditEntry, BanPlace};
use ipnet::IpNet;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

pub use super::places::Places;

/// Records an action in the audit log; a failure to do so is said on stderr (so that `--json`
/// output stays JSON), not fatal.
fn audit(places: Places<'_>, entry: AuditEntry) {
    if let Err(error) = AuditLog::new(places.state_dir).record(&entry) {
        eprintln!("bantop: warning: not audited: {error}");
    }
}

/// Carries out `command` against the real server and bantop's set, audits it as `action` on
/// `target`, and prints its steps (numbered for a rescue). Exit status: OK when every step
/// worked, ATTENTION when some failed after others changed something; an error (status 2)
/// when a step failed and nothing changed.
pub(super) async fn run_command(
    places: Places<'_>,
    command: &Command,
    reason: &str,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut server = Fail2ban::new(places.socket);
    let bans = ManualBans::new(places.state_dir);
    let restrictions = crate::engine::restrictions::Restrictions::new(places.state_dir);
    let mut fail2ban = ServerFail2ban {
        server: &mut server,
        fail2ban_dir: places.fail2ban_dir,
    };
    let mut own_set = KernelSet {
        bans: &bans,
        reason,
        restrictions: &restrictions,
    };
    let steps = execute(command, &mut fail2ban, &mut own_set).await;
    let (ok, message) = summary(command, &steps);
    let mut entry = crate::engine::audit::entry_for(
        command,
        &[crate::model::EngineEvent::ActionResult {
            ok,
            message,
            changed: true,
        }],
    )
    .unwrap_or_else(|| entry_now("?", "", &[], ""));
    if !all_ok(&steps) {
        entry.result = steps
            .iter()
            .find(|s| !s.ok)
            .map(|s| s.text.clone())
            .unwrap_or_default();
    }
    audit(places, entry);
    if json {
        let report = serde_json::json!({ "ok": all_ok(&steps), "steps": steps });
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(if all_ok(&steps) {
            super::OK
        } else {
            super::ATTENTION
        });
    }
    write_steps(command, &steps, out)
}

fn write_steps(command: &Command, steps: &[Step], out: &mut dyn Write) -> anyhow::Result<u8> {
    // Nothing changed and something failed: an error, with every step's word.
    if !all_ok(steps) && !steps.iter().any(|s| s.changed) {
        let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
        anyhow::bail!("{}", texts.join("; "));
    }
    let numbered = matches!(command, Command::Rescue { .. });
    for (index, step) in steps.iter().enumerate() {
        for line in step.text.lines() {
            if numbered {
                writeln!(out, "{}. {line}", index + 1)?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
    }
    if let Command::Rescue { ip, jails, .. } = command {
        writeln!(
            out,
            "{}",
            if all_ok(steps) {
                format!("{ip} is unbanned and whitelisted in {}", jails.join(", "))
            } else {
                "not every step worked: see above".to_string()
            }
        )?;
    }
    Ok(if all_ok(steps) {
        super::OK
    } else {
        super::ATTENTION
    })
}

/// Unbans `target` in `jail`, in bantop's own set (`own_set`), or everywhere: bantop's set,
/// every jail and fail2ban's database. fail2ban takes single addresses only.
pub async fn unban(
    places: Places<'_>,
    target: IpNet,
    jail: Option<&str>,
    own_set: bool,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let single = (target.prefix_len() == target.max_prefix_len()).then_some(target.addr());
    let command = match (own_set, jail, single) {
        (true, _, _) => Command::Unban {
            place: BanPlace::OwnSet,
            target,
        },
        (false, _, None) => anyhow::bail!(
            "fail2ban bans single addresses, not {target}: use --own-set for bantop's set"
        ),
        (false, Some(jail), Some(ip)) => Command::Unban {
            place: BanPlace::Jail(jail.to_string()),
            target: IpNet::from(ip),
        },
        (false, None, Some(ip)) => Command::UnbanEverywhere { ip },
    };
    run_command(places, &command, "", json, out).await
}

/// Bans `ip` in `jail` through fail2ban, so the jail's own actions run. Refused for the
/// operator's own, loopback and whitelisted addresses unless `force`.
pub async fn ban(
    places: Places<'_>,
    ip: IpAddr,
    jail: &str,
    force: bool,
    operators: &[IpAddr],
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    Fail2ban::new(places.socket).require_jail(jail).await?;
    // Every jail's whitelist, as for a ban in bantop's set and in the TUI: the office's
    // network whitelisted in sshd is not banned in recidive without --force.
    let mut whitelisted = super::whitelists::whitelisted(places).await;
    super::whitelists::settle(&mut whitelisted, ip).await;
    if let Some(danger) = ban_danger(IpNet::from(ip), operators, &whitelisted)
        && !force
    {
        anyhow::bail!("refused: {danger}; add --force to ban it anyway");
    }
    let command = Command::JailBan {
        jail: jail.to_string(),
        ip,
    };
    run_command(places, &command, "", json, out).await
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
    /// The steps as JSON.
    pub json: bool,
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
    let command = if request.remove {
        Command::Unwhitelist {
            entry: request.entry,
            jails,
        }
    } else {
        Command::Whitelist {
            entry: request.entry,
            jails,
            comment: whitelist::comment(request.reason),
        }
    };
    run_command(places, &command, "", request.json, out).await
}

/// Locked out: lifts `ip` from bantop's set, unbans it in every jail and whitelists it in
/// every jail, step by step (the same sequence as the TUI's rescue).
pub async fn rescue(
    places: Places<'_>,
    ip: IpAddr,
    reason: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let command = Command::Rescue {
        ip,
        jails: choose_jails(places.fail2ban_dir, &[])?,
        comment: whitelist::comment(Some(reason.unwrap_or("rescue"))),
    };
    run_command(places, &command, "rescue", json, out).await
}

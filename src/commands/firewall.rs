//! Manual bans in bantop's own nftables set (`bantop ban ADDR|CIDR [--for D]`, the set's part of
//! `bantop unban`, `bantop restore`) and `bantop firewall`: every set and drop rule in the
//! kernel, with the drift between fail2ban's bans and what the kernel drops.

use super::actions::{Places, run_command};
use super::whitelists::whitelisted;
use crate::engine::clock::now_epoch as now;
use crate::engine::command::Command;
use crate::engine::manual_bans::ManualBans;
use crate::engine::refusal::ban_danger;
use crate::fail2ban::duration::format_seconds;
use crate::fail2ban::server::Fail2ban;
use crate::firewall::kernel;
use crate::model::address::read_held;
use crate::model::address::text_of;
use crate::model::firewall::{Drift, KernelFirewall, drift};
use ipnet::IpNet;
use serde::Serialize;
use std::io::Write;
use std::net::IpAddr;

/// What to ban by hand.
#[derive(Debug, Clone, Copy)]
pub struct ManualBanRequest<'a> {
    /// The address or network.
    pub net: IpNet,
    /// Seconds; `None`: permanent.
    pub seconds: Option<u64>,
    /// Ban even a dangerous target.
    pub force: bool,
    /// Why.
    pub reason: Option<&'a str>,
    /// The steps as JSON.
    pub json: bool,
}

/// Bans by hand in bantop's set, saved for restore. Refused for the operator's own, loopback,
/// whitelisted and too-wide targets unless forced.
pub async fn ban(
    places: Places<'_>,
    request: ManualBanRequest<'_>,
    operators: &[IpAddr],
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut whitelist = whitelisted(places).await;
    super::whitelists::settle(&mut whitelist, request.net.addr()).await;
    if let Some(danger) = ban_danger(request.net, operators, &whitelist)
        && !request.force
    {
        anyhow::bail!("refused: {danger}; add --force to ban it anyway");
    }
    let command = Command::Ban {
        target: request.net,
        seconds: request.seconds.map(|s| s as i64),
    };
    let reason = request.reason.unwrap_or("");
    let status = run_command(places, &command, reason, request.json, out).await?;
    if !request.json {
        writeln!(
            out,
            "(saved in {}, restored after a reboot)",
            ManualBans::new(places.state_dir).path().display()
        )?;
    }
    Ok(status)
}

/// Puts saved manual bans back into the kernel with their remaining time, and the saved port
/// restrictions (rolling back pending ones past their deadline).
pub fn restore(places: Places<'_>, out: &mut dyn Write) -> anyhow::Result<u8> {
    let report = ManualBans::new(places.state_dir).restore(now())?;
    for (net, left) in &report.restored {
        let left = left.map_or("permanent".to_string(), |s| {
            format!("{} left", format_seconds(s as i64))
        });
        writeln!(out, "restored {} ({left})", text_of(*net))?;
    }
    for net in &report.expired {
        writeln!(out, "expired: {}", text_of(*net))?;
    }
    writeln!(
        out,
        "{} restored, {} already in place, {} expired",
        report.restored.len(),
        report.present,
        report.expired.len()
    )?;
    let restrictions = crate::engine::restrictions::Restrictions::new(places.state_dir);
    if !restrictions.load()?.is_empty() {
        let report = restrictions.restore(now())?;
        for label in &report.rolled_back {
            writeln!(
                out,
                "rolled back (not confirmed in time): restriction of {label}"
            )?;
        }
        writeln!(
            out,
            "port restrictions restored: {}",
            if report.restored.is_empty() {
                "none".to_string()
            } else {
                report.restored.join(", ")
            }
        )?;
    }
    Ok(super::OK)
}

/// `bantop firewall --json`.
#[derive(Debug, Serialize)]
struct FirewallReport {
    kernel: KernelFirewall,
    fail2ban: Option<String>,
    drift: Vec<Drift>,
}

/// Reads every set and drop rule in the kernel, asks fail2ban for its bans, and reports both
/// with the drift between them. Exit status 1 when there is drift.
pub async fn show(places: Places<'_>, json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let kernel = kernel::read().map_err(|e| {
        anyhow::anyhow!("nftables: read the ruleset: {}", kernel::describe_error(&e))
    })?;
    let mut server = Fail2ban::new(places.socket);
    let mut unreadable = Vec::new();
    let (bans, fail2ban) = match server.jails().await {
        Ok(jails) => {
            let mut bans = Vec::new();
            for jail in jails {
                for ban in server.bans(&jail).await.unwrap_or_default() {
                    match read_held(&ban.ip) {
                        Some(ip) => bans.push((jail.clone(), ip)),
                        None => unreadable.push(Drift::Unreadable {
                            jail: jail.clone(),
                            held: ban.ip.clone(),
                        }),
                    }
                }
            }
            (bans, None)
        }
        Err(error) => (
            Vec::new(),
            Some(format!("not compared with fail2ban: {error}")),
        ),
    };
    // Without fail2ban's list, every address in its sets would look unknown to it.
    let drift = if fail2ban.is_none() {
        let mut found = unreadable;
        found.extend(drift(&bans, &kernel));
        found
    } else {
        Vec::new()
    };
    let attention = !drift.is_empty();
    if json {
        let report = FirewallReport {
            kernel,
            fail2ban,
            drift,
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&kernel, fail2ban.as_deref(), &drift, out)?;
    }
    Ok(if attention {
        super::ATTENTION
    } else {
        super::OK
    })
}

fn write_text(
    kernel: &KernelFirewall,
    fail2ban: Option<&str>,
    drift: &[Drift],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for set in &kernel.sets {
        let used = if set.dropped_by.is_empty() {
            "no rule drops from it".to_string()
        } else {
            format!("dropped by {}", set.dropped_by.join(", "))
        };
        writeln!(
            out,
            "set {} {} {} ({} elements; {used})",
            set.family,
            set.table,
            set.name,
            set.elements.len()
        )?;
        for element in &set.elements {
            let expires = element
                .expires_in
                .map(|s| format!("  expires in {}", format_seconds(s.ceil() as i64)))
                .unwrap_or_default();
            writeln!(out, "  {}{expires}", element.net)?;
        }
    }
    for rule in &kernel.chain_drops {
        writeln!(
            out,
            "chain {} {} {}: drops {}",
            rule.family, rule.table, rule.chain, rule.source
        )?;
    }
    if let Some(note) = fail2ban {
        writeln!(out, "{note}")?;
    }
    for item in drift {
        match item {
            Drift::NotEnforced { jail, ip } => writeln!(
                out,
                "drift: fail2ban has {ip} banned in {jail}, but the kernel does not drop it"
            )?,
            Drift::Unreadable { jail, held } => writeln!(
                out,
                "drift: fail2ban has {held:?} banned in {jail}, which does not read as an address: whether the kernel drops it cannot be told"
            )?,
            Drift::UnknownToFail2ban { net, place } => writeln!(
                out,
                "drift: the kernel drops {net} ({place}), but no jail has it banned"
            )?,
        }
    }
    if drift.is_empty() && fail2ban.is_none() {
        writeln!(
            out,
            "no drift: every fail2ban ban is enforced by the kernel, and only those"
        )?;
    }
    Ok(())
}

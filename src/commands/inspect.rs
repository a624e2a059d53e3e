//! `bantop inspect ADDR [--since DURATION] [--json]`: one address's dossier: its failures in
//! every jail's logs (rotated ones too), first and last seen, per jail the accounts it tried,
//! fail2ban's bans of it, and its state now, whitelists included (read as `bantop ban` reads
//! them). Text or one JSON object; the text goes through the sanitizer whole, since nearly all
//! of it comes from the logs.

use super::places::Places;
use crate::engine::dossier::{DossierRequest, gather};
use crate::engine::refusal::whitelisted;
use crate::fail2ban::date::Zone;
use crate::fail2ban::duration::format_seconds;
use crate::model::dossier::Dossier;
use crate::model::sanitize::sanitize;
use ipnet::IpNet;
use std::io::Write;

/// Gathers the dossier and writes it to `out`.
pub async fn run(
    places: Places<'_>,
    request: DossierRequest,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let address = request.address;
    let mut dossier = gather(request).await;
    let mut whitelists = super::whitelists::whitelisted(places).await;
    super::whitelists::settle(&mut whitelists, address).await;
    dossier.now.whitelisted = whitelisted(IpNet::from(address), &whitelists);
    if json {
        serde_json::to_writer_pretty(&mut *out, &dossier)?;
        writeln!(out)?;
    } else {
        let mut text = Vec::new();
        write_text(&dossier, &mut text)?;
        for line in String::from_utf8_lossy(&text).lines() {
            writeln!(out, "{}", sanitize(line))?;
        }
    }
    Ok(super::OK)
}

/// Events shown in the text (the newest); `--json` has all that were kept.
const TEXT_EVENTS: usize = 50;

fn write_text(dossier: &Dossier, out: &mut dyn Write) -> std::io::Result<()> {
    let clock = |t: f64| Zone::Local.format(t);
    let place = [
        dossier.country.clone(),
        dossier.asn.map(|asn| format!("AS{asn}")),
        dossier.org.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    writeln!(
        out,
        "{}{}",
        dossier.address,
        if place.is_empty() {
            String::new()
        } else {
            format!("  {place}")
        }
    )?;
    match (dossier.first_seen, dossier.last_seen) {
        (Some(first), Some(last)) => writeln!(
            out,
            "seen {} to {}: {} failures in {} jail(s)",
            clock(first),
            clock(last),
            dossier.failures,
            dossier.jails.len()
        )?,
        _ => writeln!(out, "no failure of it in the logs read")?,
    }
    let now = &dossier.now;
    let banned = match &now.banned_in {
        Some(jails) if jails.is_empty() => "fail2ban bans it nowhere".to_string(),
        Some(jails) => format!("fail2ban bans it in {}", jails.join(", ")),
        None => "fail2ban did not answer".to_string(),
    };
    let kernel = match &now.kernel_drops {
        Some(drops) if drops.is_empty() => "the kernel does not drop it".to_string(),
        Some(drops) => format!("the kernel drops it ({})", drops.join(", ")),
        None => "the kernel's ruleset is not readable".to_string(),
    };
    let whitelist = now
        .whitelisted
        .clone()
        .unwrap_or_else(|| "not whitelisted".to_string());
    writeln!(out, "now: {banned}; {kernel}; {whitelist}")?;
    for jail in &dossier.jails {
        let accounts: Vec<String> = jail
            .accounts
            .iter()
            .take(8)
            .map(|(account, count)| format!("{account} ({count})"))
            .collect();
        writeln!(
            out,
            "  {}: {} failures, {} to {}, {} bans{}",
            jail.jail,
            jail.failures,
            clock(jail.first_seen),
            clock(jail.last_seen),
            jail.bans,
            if accounts.is_empty() {
                String::new()
            } else {
                format!("; tried {}", accounts.join(", "))
            }
        )?;
    }
    if !dossier.bans.is_empty() {
        writeln!(out, "bans (fail2ban's database):")?;
        for ban in &dossier.bans {
            writeln!(
                out,
                "  {} {} for {}, ban {} after {} failures",
                clock(ban.time as f64),
                ban.jail,
                format_seconds(ban.bantime),
                ban.bancount,
                ban.failures
            )?;
        }
    }
    if !dossier.events.is_empty() {
        let shown = dossier.events.len().min(TEXT_EVENTS);
        let earlier = dossier.failures - shown as u64;
        writeln!(
            out,
            "failures (the last {shown}{}):",
            if earlier > 0 {
                format!("; {earlier} earlier: --json lists more")
            } else {
                String::new()
            }
        )?;
        for event in dossier.events.iter().skip(dossier.events.len() - shown) {
            writeln!(
                out,
                "  {} {} {}",
                clock(event.time),
                event.jail,
                event.summary
            )?;
        }
    }
    if let Some(name) = &dossier.reverse_dns {
        writeln!(out, "reverse DNS: {name} (the network's word, not proof)")?;
    }
    for source in &dossier.place_sources {
        writeln!(out, "{source}")?;
    }
    for read in &dossier.read {
        writeln!(out, "read {read}")?;
    }
    for problem in &dossier.problems {
        writeln!(out, "problem: {problem}")?;
    }
    Ok(())
}

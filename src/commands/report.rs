//! `bantop report [--since DURATION] [--json] [--demo [--dir DIR]]`: a report to paste into a
//! ticket or mail from cron: per jail failures and bans over the period, the accounts tried,
//! the numbers rejected calls went to, the provisioning files asked for, the top sources by
//! address, network, country and AS, what the jails miss, and the findings. Text or one JSON
//! object; the text goes through the sanitizer whole (names and numbers are the attacker's).

use crate::engine::report::{ReportRequest, gather};
use crate::fail2ban::date::Zone;
use crate::model::report::{Report, SourceCount};
use crate::model::sanitize::sanitize;
use std::io::Write;

/// Rows per list in the text.
const TEXT_ROWS: usize = 10;

/// Gathers the report and writes it to `out`.
pub async fn run(request: ReportRequest, json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let report = gather(request).await;
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        let mut text = Vec::new();
        write_text(&report, &mut text)?;
        for line in String::from_utf8_lossy(&text).lines() {
            writeln!(out, "{}", sanitize(line))?;
        }
    }
    Ok(super::OK)
}

fn write_text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let zone = Zone::Local;
    writeln!(
        out,
        "bantop report: {} to {}",
        zone.format(report.since),
        zone.format(report.until)
    )?;
    if !report.findings.is_empty() {
        writeln!(out, "\nfindings:")?;
        for finding in &report.findings {
            writeln!(out, "  - {finding}")?;
        }
    }
    writeln!(out, "\njails:")?;
    for jail in &report.jails {
        writeln!(
            out,
            "  {:<16} {:>7} failures from {:>5} addresses, {:>4} bans, {:>4} banned now",
            jail.jail, jail.failures, jail.sources, jail.bans, jail.banned_now
        )?;
    }
    let targets = &report.targets;
    if !targets.accounts.is_empty() {
        writeln!(out, "\naccounts tried (failures, addresses, banned now):")?;
        for account in targets.accounts.iter().take(TEXT_ROWS) {
            writeln!(
                out,
                "  {:<24} {:<16} {:>6} {:>5} {:>4}",
                account.account,
                account.jail,
                account.failures,
                account.sources,
                account.banned_sources
            )?;
        }
    }
    if !targets.dialled.is_empty() {
        writeln!(
            out,
            "\nnumbers dialled, rejected (calls, addresses, destination):"
        )?;
        for number in targets.dialled.iter().take(TEXT_ROWS) {
            let destination = &number.destination;
            let place = match (&destination.calling_code, &destination.country) {
                (Some(code), Some(country)) => format!("+{code} {country}"),
                _ => "national".to_string(),
            };
            let flag = if destination.high_cost {
                "  often called by toll fraud"
            } else {
                ""
            };
            writeln!(
                out,
                "  {:<24} {:>6} {:>5}  {place}{flag}",
                number.number, number.failures, number.sources
            )?;
        }
    }
    if !targets.provisioning.is_empty() {
        writeln!(
            out,
            "\nprovisioning files (requests, addresses, outside, files):"
        )?;
        for files in targets.provisioning.iter().take(TEXT_ROWS) {
            writeln!(
                out,
                "  {:<24} {:>6} {:>5} {:>5} {:>5}",
                files.pattern, files.requests, files.sources, files.outside_sources, files.files
            )?;
        }
    }
    for (title, list) in [
        ("top sources", &report.top_sources),
        ("top networks", &report.top_networks),
        ("countries", &report.countries),
        ("autonomous systems", &report.asns),
    ] {
        write_counts(out, title, list)?;
    }
    for spot in &report.blind_spots {
        writeln!(
            out,
            "\nblind spot: {} misses {} failures from {} addresses that {} finds ({})",
            spot.jail,
            spot.failures,
            spot.sources,
            spot.filter,
            spot.top_sources.join(", ")
        )?;
        writeln!(out, "  caught by: {}", spot.failregex)?;
        for line in &spot.examples {
            writeln!(out, "  e.g. {line}")?;
        }
    }
    for problem in &report.problems {
        writeln!(out, "\nproblem: {problem}")?;
    }
    Ok(())
}

fn write_counts(out: &mut dyn Write, title: &str, list: &[SourceCount]) -> std::io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{title}:")?;
    for entry in list {
        writeln!(
            out,
            "  {:<40} {:>7} {:<3} {}",
            entry.source,
            entry.failures,
            entry.country.as_deref().unwrap_or(""),
            entry.jails.join(", ")
        )?;
    }
    Ok(())
}

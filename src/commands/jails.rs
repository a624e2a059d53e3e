//! `bantop jails [--json] [JAIL...]`: every jail as fail2ban resolves it, each value with the
//! file and line it came from (and what it overrode), the jails fail2ban skips with its reason,
//! and its warnings.

use crate::fail2ban::config::duration::format_seconds;
use crate::fail2ban::config::jail_reader::read_report;
use crate::fail2ban::config::{JailsReport, ResolvedJail, TimeValue};
use crate::model::sanitize::sanitize as printable;
use std::io::Write;
use std::path::Path;

/// Writes the jails of `fail2ban_dir` (only those named in `only`, when any) to `out`.
pub fn run(
    fail2ban_dir: &Path,
    only: &[String],
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut report = read_report(fail2ban_dir)?;
    if !only.is_empty() {
        let unknown: Vec<&String> = only
            .iter()
            .filter(|name| {
                !report.jails.iter().any(|j| &j.name == *name)
                    && !report.skipped.iter().any(|s| &s.name == *name)
                    && !report.disabled.contains(name)
            })
            .collect();
        if let Some(name) = unknown.first() {
            anyhow::bail!("no jail {name:?} in {}", fail2ban_dir.display());
        }
        report.jails.retain(|j| only.contains(&j.name));
        report.skipped.retain(|s| only.contains(&s.name));
        report.disabled.retain(|d| only.contains(d));
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&report, out)?;
    }
    Ok(super::OK)
}

fn write_text(report: &JailsReport, out: &mut dyn Write) -> std::io::Result<()> {
    for jail in &report.jails {
        write_jail(jail, out)?;
        writeln!(out)?;
    }
    for skipped in &report.skipped {
        writeln!(
            out,
            "[{}] SKIPPED by fail2ban: {}",
            printable(&skipped.name),
            printable(&skipped.reason)
        )?;
    }
    if !report.disabled.is_empty() {
        writeln!(out, "disabled: {}", printable(&report.disabled.join(" ")))?;
    }
    for warning in &report.warnings {
        writeln!(out, "warning: {}", printable(warning))?;
    }
    Ok(())
}

fn time(value: &TimeValue) -> String {
    match value {
        TimeValue::Seconds(seconds) => format!("{seconds} ({})", format_seconds(*seconds)),
        TimeValue::Unreadable(text) => format!("{text:?} (unreadable)"),
    }
}

fn write_jail(jail: &ResolvedJail, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "[{}]", printable(&jail.name))?;
    let mut rows: Vec<(&str, String)> = vec![
        ("backend", jail.backend.clone()),
        ("filter", jail.filter.clone()),
        ("logpath", jail.logpath.join(" ")),
        (
            "maxretry",
            jail.maxretry
                .map_or("None (not a number)".to_string(), |n| n.to_string()),
        ),
        ("findtime", time(&jail.findtime)),
        ("bantime", time(&jail.bantime)),
    ];
    if let Some(flag) = jail.bantime_increment {
        rows.push(("bantime.increment", flag.to_string()));
    }
    for (key, value) in [
        ("bantime.factor", &jail.bantime_factor),
        ("bantime.formula", &jail.bantime_formula),
        ("bantime.multipliers", &jail.bantime_multipliers),
    ] {
        if let Some(value) = value {
            rows.push((key, value.clone()));
        }
    }
    for (key, value) in [
        ("bantime.maxtime", &jail.bantime_maxtime),
        ("bantime.rndtime", &jail.bantime_rndtime),
    ] {
        if let Some(value) = value {
            rows.push((key, time(value)));
        }
    }
    if let Some(flag) = jail.bantime_overalljails {
        rows.push(("bantime.overalljails", flag.to_string()));
    }
    rows.push(("ignoreip", jail.ignoreip.join(" ")));
    rows.push(("ignoreself", jail.ignoreself.to_string()));
    if let Some(command) = jail.ignorecommand.as_ref().filter(|c| !c.is_empty()) {
        rows.push(("ignorecommand", command.clone()));
    }
    if let Some(usedns) = &jail.usedns {
        rows.push(("usedns", usedns.clone()));
    }
    rows.push(("actions", jail.actions.join(" ")));
    rows.push(("failregex", format!("{} lines", jail.failregex.len())));
    for (key, value) in rows {
        let origin = jail.origin.get(key).map_or("", String::as_str);
        writeln!(
            out,
            "  {key:<21} {:<40} {}",
            printable(&value),
            printable(origin)
        )?;
        if let Some(places) = jail.overrode.get(key) {
            writeln!(
                out,
                "  {:<21} {:<40} overrode {}",
                "",
                "",
                printable(&places.join(", "))
            )?;
        }
    }
    Ok(())
}

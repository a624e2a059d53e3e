//! `bantop jails [--json] [JAIL...]`: every jail as fail2ban resolves it, each value with the
//! file and line it came from (and what it overrode), the jails fail2ban skips with its reason,
//! and its warnings; host names of the ignore lists shown with what they resolve to now.

use crate::engine::refusal::CHECK_TIMEOUT;
use crate::fail2ban::config::JailsReport;
use crate::fail2ban::config::jail_reader::read_report;
use crate::fail2ban::dns::{self, NameAnswer};
use crate::fail2ban::jail_conf::{IgnoreEntry, ignore_entry};
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
        let known = |name: &String| {
            report.jails.iter().any(|j| &j.name == name)
                || report.skipped.iter().any(|s| &s.name == name)
                || report.disabled.contains(name)
        };
        if let Some(name) = only.iter().find(|name| !known(name)) {
            anyhow::bail!("no jail {name:?} in {}", fail2ban_dir.display());
        }
        report.jails.retain(|j| only.contains(&j.name));
        report.skipped.retain(|s| only.contains(&s.name));
        report.disabled.retain(|d| only.contains(d));
    }
    resolve_names(&mut report);
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&report, fail2ban_dir, out)?;
    }
    Ok(super::OK)
}

/// The host names of the ignore lists, resolved as a ban check resolves them (bounded).
fn resolve_names(report: &mut JailsReport) {
    let is_name = |entry: &String| !matches!(ignore_entry(entry), IgnoreEntry::Net(_));
    let names: Vec<String> = report
        .jails
        .iter()
        .flat_map(|j| j.ignoreip.iter().filter(|e| is_name(e)).cloned())
        .collect();
    if names.is_empty() {
        return;
    }
    let answers = dns::resolve(&names, CHECK_TIMEOUT);
    for jail in &mut report.jails {
        for entry in jail.ignoreip.iter().filter(|e| is_name(e)) {
            let text = match answers.get(entry) {
                Some(NameAnswer::Addresses(found)) if found.is_empty() => {
                    "no address: matches nothing".to_string()
                }
                Some(NameAnswer::Addresses(found)) => found
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
                Some(NameAnswer::Undecided(why)) => format!("undecided: {why}"),
                None => continue,
            };
            jail.ignoreip_resolved.insert(entry.clone(), text);
        }
    }
}

fn write_text(report: &JailsReport, dir: &Path, out: &mut dyn Write) -> std::io::Result<()> {
    for jail in &report.jails {
        let origins = jail.origins(dir);
        writeln!(out, "[{}]", printable(&origins.jail))?;
        for row in &origins.rows {
            writeln!(
                out,
                "  {:<21} {:<40} {}",
                row.key,
                printable(&row.value),
                printable(&row.origin)
            )?;
            if !row.overrode.is_empty() {
                writeln!(
                    out,
                    "  {:<21} {:<40} overrode {}",
                    "",
                    "",
                    printable(&row.overrode.join(", "))
                )?;
            }
        }
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

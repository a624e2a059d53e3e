//! `bantop acl check ADDR [--endpoint NAME]`: whether Asterisk lets ADDR in, per endpoint and
//! global ACL, with the rule that decided; then the lints. Exit status 1 when ADDR is denied.

use crate::asterisk::acl::Decision;
use crate::asterisk::endpoints::{self, Guard};
use serde_json::json;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

/// Checks `address` against the ACLs in `asterisk_dir` and writes the verdicts to `out`.
pub fn run(
    asterisk_dir: &Path,
    address: IpAddr,
    endpoint: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let acls = endpoints::load(asterisk_dir)?;
    let guards: Vec<&Guard> = match endpoint {
        Some(name) => {
            let wanted = format!("endpoint {name}");
            let guard = acls.guards.iter().find(|g| g.name == wanted);
            vec![guard.ok_or_else(|| {
                anyhow::anyhow!(
                    "endpoint {name:?} has no ACL in {} (or does not exist)",
                    asterisk_dir.join("pjsip.conf").display()
                )
            })?]
        }
        None => acls.guards.iter().collect(),
    };
    let mut denied = false;
    let mut rows = Vec::new();
    for guard in &guards {
        let verdict = guard.check(address);
        denied |= !verdict.allowed || guard.invalid;
        let reason = if guard.invalid {
            "Asterisk refuses this object's ACL (invalid item), so it is not loaded".to_string()
        } else {
            explain(&verdict.decision, &verdict.list)
        };
        rows.push((
            guard.name.clone(),
            verdict.allowed && !guard.invalid,
            reason,
        ));
    }
    if json {
        let verdicts: Vec<_> = rows.iter().map(|(name, allowed, reason)| json!({"object": name, "allowed": allowed, "reason": reason})).collect();
        let problems: Vec<_> = acls.problems.iter().map(|p| json!({"file": p.origin.path, "line": p.origin.line, "error": p.error, "message": p.message})).collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &json!({"address": address, "verdicts": verdicts, "problems": problems}),
        )?;
        writeln!(out)?;
    } else {
        if rows.is_empty() {
            writeln!(
                out,
                "no endpoint or acl section has an ACL: Asterisk lets {address} in everywhere"
            )?;
        }
        for (name, allowed, reason) in &rows {
            writeln!(
                out,
                "{name}: {} ({reason})",
                if *allowed { "ALLOWED" } else { "DENIED" }
            )?;
        }
        for problem in &acls.problems {
            writeln!(
                out,
                "{}: {}: {}",
                problem.origin,
                if problem.error { "error" } else { "warning" },
                problem.message
            )?;
        }
    }
    Ok(if denied { super::ATTENTION } else { super::OK })
}

fn explain(decision: &Decision<'_>, list: &str) -> String {
    let which = if list == "own" {
        String::new()
    } else {
        format!("named acl {list}, ")
    };
    match decision.rule {
        Some(rule) => {
            let at = rule
                .origin
                .as_ref()
                .map(|o| format!(" at {o}"))
                .unwrap_or_default();
            format!("{which}last matching rule `{}`{at}", rule.written)
        }
        None => format!("{which}no rule matches: Asterisk allows by default"),
    }
}

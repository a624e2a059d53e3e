//! `bantop check [--json]`: the security checklist; exit status 1 when an item fails.

use crate::model::check::{CheckItem, Status};
use crate::posture::{PostureInputs, run_checks};
use std::io::Write;

/// Runs the checklist and writes it to `out`.
pub fn run(inputs: &PostureInputs, json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let items = run_checks(inputs);
    if json {
        serde_json::to_writer_pretty(&mut *out, &items)?;
        writeln!(out)?;
    } else {
        write_list(&items, out)?;
    }
    let failed = items.iter().any(|item| item.status == Status::Fail);
    Ok(if failed { super::ATTENTION } else { super::OK })
}

fn write_list(items: &[CheckItem], out: &mut dyn Write) -> std::io::Result<()> {
    for item in items {
        let mark = match item.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        };
        writeln!(out, "{mark}  {:<28} {}", item.name, item.reason)?;
        if !item.fix.is_empty() {
            writeln!(out, "      {:<28} fix: {}", "", item.fix)?;
        }
    }
    Ok(())
}

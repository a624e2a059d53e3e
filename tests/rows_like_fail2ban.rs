//! `bantop regex --json` row for row against `fail2ban-regex -o row` on realistic generated
//! logs (issue 17), through `benches/rows_vs_fail2ban.py` and `benches/gen_logs.py`: every
//! Debian filter and Wazo's two on a small log (2,000 lines, fixed seed; the filters with modes
//! in their other modes too), and sshd on 100,000 lines with PIDs that come back hours later,
//! interleaved sessions and `Accepted`/`Disconnected`/`Connection closed` lines. Failures must
//! be the same multiset of (host, time) with the same captures, and bantop's output the same
//! for `--jobs 1, 2, 3`. The cases where bantop is known to disagree are listed with their
//! reason (benches/ROWS_FINDINGS.md): the set must be exactly that, so a new disagreement fails
//! and so does one that gets fixed (remove it from the list then).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// The two tests each keep both cores busy: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Known disagreements on the small logs (seed 7, 2,000 lines): case, reason. None left (see
/// benches/ROWS_FINDINGS.md for those that were).
const KNOWN_SMALL: &[(&str, &str)] = &[];

/// Known disagreements on the 100,000-line sshd log (seed 7): case, reason. None left.
const KNOWN_SSHD: &[(&str, &str)] = &[];

/// Runs the comparison with `args`, keeping the logs in `keep`; every case's result.
fn compare(args: &[&str], keep: &Path) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let json = keep.join("results.json");
    let output = Command::new("python3")
        .arg(root.join("benches/rows_vs_fail2ban.py"))
        .arg(env!("CARGO_BIN_EXE_bantop"))
        .args(["--seed", "7", "--jobs", "1,2,3", "--parallel", "2"])
        .args(args)
        .arg("--keep")
        .arg(keep)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("python3 (the test command installs it): {e}"));
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\n{}\n{}",
            json.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let results: Vec<Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", json.display()));
    assert!(!results.is_empty(), "no case ran");
    results
}

/// One line about a case, with its first differences.
fn describe(result: &Value) -> String {
    let mut text = format!(
        "{}: {} lines, fail2ban {}, bantop {}, only fail2ban {}, only bantop {}, captures differ {}",
        result["filter"].as_str().unwrap_or("?"),
        result["lines"],
        result["fail2ban"],
        result["bantop"],
        result["only_fail2ban"],
        result["only_bantop"],
        result["captures_differ"]
    );
    for key in ["generator_error", "bantop_error", "fail2ban_error"] {
        if let Some(error) = result[key].as_str() {
            text += &format!("\n  {key}: {error}");
        }
    }
    for difference in result["differences"]
        .as_array()
        .into_iter()
        .flatten()
        .take(4)
    {
        text += &format!("\n  {difference}");
    }
    text
}

/// Every case ran, gave the same output for every `--jobs`, and disagrees with fail2ban
/// exactly where `known` says.
fn assert_known(results: &[Value], known: &[(&str, &str)]) {
    let mut problems = Vec::new();
    let mut disagree = BTreeMap::new();
    for result in results {
        let name = result["filter"].as_str().unwrap_or("?").to_string();
        if result["jobs_same"] != Value::Bool(true) {
            problems.push(format!(
                "{name}: the output differs between --jobs 1, 2 and 3"
            ));
        }
        if result["generator_error"].is_string() || result["fail2ban_error"].is_string() {
            problems.push(describe(result));
        }
        if result["agree"] != Value::Bool(true) {
            disagree.insert(name, describe(result));
        }
    }
    let expected: BTreeSet<&str> = known.iter().map(|(case, _)| *case).collect();
    for (name, text) in &disagree {
        if !expected.contains(name.as_str()) {
            problems.push(format!("new disagreement: {text}"));
        }
    }
    for (case, reason) in known {
        if !disagree.contains_key(*case) {
            problems.push(format!(
                "{case} now agrees (was: {reason}): remove it from the known list and from benches/ROWS_FINDINGS.md"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_filter_agrees_row_for_row_on_a_small_realistic_log() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let keep = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let results = compare(&["--lines", "2000", "--big-lines", "2000"], keep.path());
    let filters: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r["filter"].as_str())
        .map(|name| name.split(['[', ' ']).next().unwrap_or(name))
        .collect();
    // Debian's 1.0.2 filter.d: 89 filters (without the included *-common), and Wazo's two.
    assert!(
        filters.len() >= 91,
        "only {} filters ran: {filters:?}",
        filters.len()
    );
    let failures: u64 = results.iter().filter_map(|r| r["fail2ban"].as_u64()).sum();
    assert!(
        failures > 50_000,
        "the logs hold too few failures to prove much: {failures}"
    );
    assert_known(&results, KNOWN_SMALL);
}

/// (PID, epoch seconds) of the sshd lines of a generated auth.log (year-less syslog dates, in
/// the days before now).
fn sshd_pids(log: &str) -> Vec<(u32, i64)> {
    use chrono::{Datelike, NaiveDateTime};
    let year = chrono::Utc::now().year();
    log.lines()
        .filter_map(|line| {
            let stamp = NaiveDateTime::parse_from_str(
                &format!("{year} {}", line.get(..15)?),
                "%Y %b %e %H:%M:%S",
            )
            .ok()?;
            let pid = line
                .split_once(" sshd[")?
                .1
                .split_once(']')?
                .0
                .parse()
                .ok()?;
            Some((pid, stamp.and_utc().timestamp()))
        })
        .collect()
}

#[test]
fn sshd_with_recurring_pids_agrees_row_for_row_on_100k_lines() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let keep = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let results = compare(
        &[
            "--lines",
            "100000",
            "--big-lines",
            "100000",
            "--only",
            "sshd,sshd[mode=ddos],sshd[mode=aggressive]",
        ],
        keep.path(),
    );
    assert_eq!(results.len(), 3, "sshd in its three modes");
    let path = keep.path().join("sshd.100000.log");
    let log = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // What makes this log harder than the samples: many sessions at once, PIDs that come back
    // hours later, successful logins and disconnections between the failures.
    let lines = sshd_pids(&log);
    let mut first_seen: BTreeMap<u32, i64> = BTreeMap::new();
    let mut reused_after_an_hour = 0;
    for (pid, time) in &lines {
        let first = *first_seen.entry(*pid).or_insert(*time);
        if (time - first).abs() > 3600 {
            reused_after_an_hour += 1;
        }
    }
    assert!(
        reused_after_an_hour > 1000,
        "PIDs reused hours later: {reused_after_an_hour}"
    );
    let switches = lines.windows(2).filter(|w| w[0].0 != w[1].0).count();
    assert!(
        switches > lines.len() / 2,
        "interleaved sessions: {switches} PID changes"
    );
    for needle in [
        "Accepted publickey for ",
        "Accepted password for ",
        "Disconnected from user ",
        "Disconnected from invalid user ",
        "Connection closed by ",
        "Invalid user ",
        "[preauth]",
        "banner exchange: ",
        "Did not receive identification string from ",
    ] {
        assert!(
            log.matches(needle).count() > 100,
            "{needle:?} is rare in the log"
        );
    }
    let failures: u64 = results.iter().filter_map(|r| r["fail2ban"].as_u64()).sum();
    assert!(failures > 50_000, "failures: {failures}");
    assert_known(&results, KNOWN_SSHD);
}

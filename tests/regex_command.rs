//! `bantop regex` as fail2ban-regex's stand-in: one JSON object per failure with the line number,
//! failregex index, host, time and captures; a summary without `--json`; a clear error for a
//! filter it cannot read yet.

use std::path::Path;
use std::process::{Command, Output};

fn bantop(args: &[&str]) -> Output {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    Command::new(env!("CARGO_BIN_EXE_bantop"))
        .current_dir(&demo)
        .env("TZ", "UTC")
        .args(["--fail2ban-dir", "fail2ban", "regex"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn json_lines_for_each_failure() {
    let output = bantop(&["--json", "logs/asterisk-fail2ban.log", "asterisk-wazo"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let failures: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    assert_eq!(failures.len(), 126, "fail2ban-regex finds 126 on this log");
    let first = &failures[0];
    assert_eq!(
        (
            first["host"].as_str(),
            first["ip4"].as_str(),
            first["fid"].as_u64()
        ),
        (Some("203.0.113.5"), Some("203.0.113.5"), Some(4))
    );
    assert!(first["lineno"].as_u64().is_some_and(|n| n > 1));
    assert!(first["time"].as_f64().is_some_and(|t| t > 1.7e9));
}

#[test]
fn threads_change_nothing_in_the_output() {
    let run = |jobs: &str| {
        let output = bantop(&[
            "--json",
            "--jobs",
            jobs,
            "logs/asterisk-fail2ban.log",
            "asterisk-wazo",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let alone = run("1");
    assert_eq!(alone.lines().count(), 126);
    // The log is one block: three threads each match a part of it.
    assert_eq!(run("3"), alone);
}

#[test]
fn a_summary_without_json_and_filters_by_path_with_options() {
    let output = bantop(&[
        "logs/wazo-provd-fail2ban.log",
        "fail2ban/filter.d/wazo-provd.conf",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Lines: 56 lines, 0 ignored, 56 matched, 0 missed"),
        "{text}"
    );
    assert!(text.contains("|   2) [") && text.contains("Sensitive file requested from <HOST>:"));
    let journal = bantop(&[
        "--json",
        "--datepattern",
        "{NONE}",
        "--now",
        "1768842000",
        "logs/sshd.journal.json",
        "sshd[logtype=journal]",
    ]);
    assert!(
        journal.status.success(),
        "{}",
        String::from_utf8_lossy(&journal.stderr)
    );
}

#[test]
fn custom_datepatterns_work_and_bad_ones_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let filter = dir.path().join("custom.conf");
    std::fs::write(
        &filter,
        "[Definition]\nfailregex = from <HOST>\ndatepattern = ^\\[%%Y-%%m-%%d %%H:%%M:%%S\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = bantop(&[
        "--json",
        "logs/wazo-provd-fail2ban.log",
        &filter.to_string_lossy(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first: serde_json::Value = String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    assert!(
        first["time"].as_f64().is_some_and(|t| t > 1_768_000_000.0),
        "{first}"
    );
    std::fs::write(
        &filter,
        "[Definition]\nfailregex = from <HOST>\ndatepattern = ^%%Y-%%q\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = bantop(&["logs/wazo-provd-fail2ban.log", &filter.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("custom.conf: datepattern") && stderr.contains("unknown field %q"),
        "{stderr}"
    );
    std::fs::write(
        &filter,
        "[Definition]\nfailregex = from <HOST>\ndatepattern = ^%Y\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(
        &bantop(&["logs/wazo-provd-fail2ban.log", &filter.to_string_lossy()]).stderr,
    )
    .into_owned();
    assert!(
        stderr
            .contains("custom.conf: [Definition] datepattern: '%' must be followed by '%' or '('"),
        "a lone % names the file: {stderr}"
    );
}

#[test]
fn invalid_utf8_nul_bytes_and_a_1mb_line_lose_nothing_after_them() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    let failure = |n: u8| {
        format!(
            "[2026-01-19 17:00:{n:02},000] Sensitive file requested from 198.51.100.{n}: x.cfg\n"
        )
    };
    let mut bytes = failure(1).into_bytes();
    bytes.extend_from_slice(b"[2026-01-19 17:00:02,000] \xff\xfe bad \x00 bytes\n");
    bytes.extend(failure(3).into_bytes());
    bytes.extend(std::iter::repeat_n(b'x', 1 << 20));
    bytes.push(b'\n');
    bytes.extend(failure(5).into_bytes());
    bytes.extend_from_slice(b"\x00\x00\x00\n");
    bytes.extend(failure(7).into_bytes());
    std::fs::write(&log, bytes).unwrap_or_else(|e| panic!("{e}"));
    let output = bantop(&["--json", &log.to_string_lossy(), "wazo-provd"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: Vec<(u64, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            (
                v["lineno"].as_u64().unwrap_or(0),
                v["host"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(u64, String)> = [(1, 1), (3, 3), (5, 5), (7, 7)]
        .iter()
        .map(|(line, n)| (*line, format!("198.51.100.{n}")))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn an_unknown_tag_is_an_error_naming_the_filter() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let filter = dir.path().join("typo.conf");
    std::fs::write(&filter, "[Definition]\nfailregex = from <HOTS> port\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = bantop(&["logs/wazo-provd-fail2ban.log", &filter.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("typo.conf") && stderr.contains("failregex"),
        "{stderr}"
    );
}

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

/// fail2ban-regex's summary of `log` through `filter` (in UTC, as `bantop` runs here).
fn fail2ban_regex(log: &str, filter: &str) -> String {
    let output = Command::new("fail2ban-regex")
        .env("TZ", "UTC")
        .args(["--no-check-all", log, filter])
        .output()
        .unwrap_or_else(|e| panic!("fail2ban-regex (the test command installs fail2ban): {e}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `Lines: ...` of a summary.
fn lines_line(text: &str) -> String {
    text.lines()
        .find(|line| line.starts_with("Lines: "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn ignoreregexes_ignore_as_fail2ban_regex_does() {
    // With fewer ignoreregexes than failregexes less two, fail2ban tries them on the whole line
    // before the prefregex cuts the content out: `^host1` ignores host1's lines here, though
    // the content never starts with it. fail2ban-regex is the reference.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let filter = dir.path().join("ignoring.conf");
    let log = dir.path().join("ignoring.log");
    for failregexes in [4, 3] {
        let mut conf =
            "[Definition]\nprefregex = ^\\S+ <F-CONTENT>.+</F-CONTENT>$\nfailregex = ".to_string();
        for word in ["fail", "bad", "worse", "worst"].iter().take(failregexes) {
            conf.push_str(&format!("^{word} from <HOST>$\n            "));
        }
        conf.push_str("\nignoreregex = ^host1 |from 192\\.0\\.2\\.9$\ndatepattern = {NONE}\n");
        std::fs::write(&filter, conf).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            &log,
            "host1 fail from 192.0.2.1\nhost2 fail from 192.0.2.2\nhost1 bad from 192.0.2.3\n\
             host2 bad from 192.0.2.9\nhost2 nothing\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let paths = [log.to_string_lossy(), filter.to_string_lossy()];
        let expected = lines_line(&fail2ban_regex(&paths[0], &paths[1]));
        let summary = bantop(&[&paths[0], &paths[1]]);
        assert_eq!(
            lines_line(&String::from_utf8_lossy(&summary.stdout)),
            expected,
            "{failregexes} failregexes"
        );
        let json = bantop(&["--json", &paths[0], &paths[1]]);
        let matched = String::from_utf8_lossy(&json.stdout).lines().count();
        assert!(
            expected.contains(&format!(" {matched} matched")),
            "{failregexes} failregexes: {matched} JSON lines, fail2ban-regex {expected}"
        );
    }
}

/// The `|  [hits] format` lines of a summary's date template hits, sorted.
fn date_template_hits(text: &str) -> Vec<String> {
    let mut hits: Vec<String> = text
        .lines()
        .skip_while(|line| !line.starts_with("Date template hits:"))
        .take_while(|line| !line.starts_with('`'))
        .filter(|line| line.starts_with("|  ["))
        .map(|line| line.trim_end().to_string())
        .collect();
    hits.sort();
    hits
}

#[test]
fn date_template_hits_are_fail2ban_regexs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let filter = dir.path().join("dated.conf");
    let log = dir.path().join("dated.log");
    std::fs::write(&filter, "[Definition]\nfailregex = fail from <HOST>$\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut text = String::new();
    for i in 0..12 {
        text.push_str(&match i % 4 {
            0 => format!("2026-01-19 17:00:{i:02} fail from 192.0.2.{i}\n"),
            1 => format!("Jan 19 17:00:{i:02} pbx daemon: fail from 192.0.2.{i}\n"),
            2 => format!("17688420{i:02} fail from 192.0.2.{i}\n"),
            _ => format!("[19/Jan/2026:17:00:{i:02} +0000] fail from 192.0.2.{i}\n"),
        });
    }
    std::fs::write(&log, text).unwrap_or_else(|e| panic!("{e}"));
    let paths = [log.to_string_lossy(), filter.to_string_lossy()];
    let expected = date_template_hits(&fail2ban_regex(&paths[0], &paths[1]));
    assert_eq!(expected.len(), 4, "{expected:?}");
    let summary = bantop(&[&paths[0], &paths[1]]);
    assert_eq!(
        date_template_hits(&String::from_utf8_lossy(&summary.stdout)),
        expected
    );
}

/// `(host, time)` of each failure fail2ban-regex reports (`-o row`) for `log` with `filter`.
fn fail2ban_rows(log: &Path, filter: &str, usedns: &str) -> Vec<(String, f64)> {
    let output = Command::new("fail2ban-regex")
        .env("TZ", "UTC")
        .args(["-o", "row", "--usedns", usedns])
        .arg(log)
        .arg(filter)
        .output()
        .unwrap_or_else(|e| panic!("fail2ban-regex: {e}"));
    let script = "import ast,sys\nfor l in sys.stdin:\n l=l.strip().rstrip(',')\n if l.startswith('['):\n  r=ast.literal_eval(l)\n  print(str(r[0]), float(r[1]))";
    let parsed = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .map(|mut stdin| stdin.write_all(&output.stdout))
                .transpose()?;
            child.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("python3: {e}"));
    let mut rows: Vec<(String, f64)> = String::from_utf8_lossy(&parsed.stdout)
        .lines()
        .filter_map(|l| {
            let (host, time) = l.split_once(' ')?;
            Some((host.to_string(), time.parse().ok()?))
        })
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    rows
}

#[test]
fn a_host_name_counts_as_fail2ban_resolves_it_for_each_usedns() {
    // An address, a name that resolves (localhost), one that does not: fail2ban-regex's rows
    // for usedns warn (its default), no and raw are bantop's objects.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "Jan 10 10:00:01 pbx sshd[101]: Failed password for root from 198.51.100.7 port 22 ssh2\n\
         Jan 10 10:00:02 pbx sshd[102]: error: PAM: Authentication failure for bob from localhost\n\
         Jan 10 10:00:03 pbx sshd[103]: error: PAM: Authentication failure for eve from nowhere.invalid\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let filter = "/etc/fail2ban/filter.d/sshd.conf";
    for usedns in ["warn", "no", "raw"] {
        let expected = fail2ban_rows(&log, filter, usedns);
        let mut ours: Vec<(String, f64)> = String::from_utf8_lossy(
            &bantop(&["--json", "--usedns", usedns, &log.to_string_lossy(), filter]).stdout,
        )
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|o| {
            (
                o["host"].as_str().unwrap_or_default().to_string(),
                o["time"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
        ours.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        assert_eq!(ours, expected, "usedns = {usedns}");
        assert!(!expected.is_empty());
    }
}

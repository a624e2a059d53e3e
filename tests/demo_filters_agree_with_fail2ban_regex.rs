//! The demo's filters in bantop's matcher agree with fail2ban's own `fail2ban-regex` (the
//! reference, from Debian's fail2ban package) on the demo's recordings: the same failures, on
//! the same lines, for the same hosts at the same times. sshd journal entries are fed to both as
//! the lines fail2ban's systemd backend builds.

use bantop::fail2ban::Filter;
use bantop::fail2ban::config::Section;
use bantop::fail2ban::date::Zone;
use bantop::source::journal_json;
use std::path::{Path, PathBuf};
use std::process::Command;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("demo")
}

/// (host, time) of every failure fail2ban-regex reports, in line order.
fn reference(log: &Path, filter: &str, extra: &[&str]) -> Vec<(String, f64)> {
    let output = Command::new("fail2ban-regex")
        .env("TZ", "UTC")
        .args(["--no-check-all", "-o", "row"])
        .args(extra)
        .arg(log)
        .arg(filter)
        .output()
        .unwrap_or_else(|e| {
            panic!("fail2ban-regex cannot run (the test command installs fail2ban): {e}")
        });
    assert!(
        output.status.success(),
        "fail2ban-regex: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|row| {
            // ['203.0.113.5',\t1768842063.0,\t{...}],
            let mut fields = row.strip_prefix("['")?.splitn(3, ",\t");
            let host = fields.next()?.strip_suffix('\'')?.to_string();
            let time = fields.next()?.parse().ok()?;
            Some((host, time))
        })
        .collect()
}

fn bantop(
    lines: &[(String, Option<f64>)],
    spec: &str,
    vars: &[(&str, &str)],
) -> Vec<(String, f64)> {
    let vars: Section = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut filter = Filter::load(spec, &demo().join("fail2ban/filter.d"), &vars, Zone::utc())
        .unwrap_or_else(|e| panic!("{e}"));
    lines
        .iter()
        .filter_map(|(line, time)| {
            filter
                .match_line(line, *time, 0.0)
                .map(|m| (m.host, m.time.unwrap_or(-1.0)))
        })
        .collect()
}

fn file_lines(path: &Path) -> Vec<(String, Option<f64>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(|l| (l.to_string(), None))
        .collect()
}

fn assert_same(ours: &[(String, f64)], theirs: &[(String, f64)], compare_time: bool) {
    assert!(
        !theirs.is_empty(),
        "fail2ban-regex found nothing: the comparison would prove nothing"
    );
    assert_eq!(ours.len(), theirs.len(), "number of failures");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(a.0, b.0, "host of failure {}", i + 1);
        if compare_time {
            assert!(
                (a.1 - b.1).abs() < 1e-3,
                "time of failure {}: bantop {} fail2ban {}",
                i + 1,
                a.1,
                b.1
            );
        }
    }
}

#[test]
fn asterisk_wazo_filter() {
    let log = demo().join("logs/asterisk-fail2ban.log");
    let filter = demo().join("fail2ban/filter.d/asterisk-wazo.conf");
    let theirs = reference(&log, &filter.to_string_lossy(), &[]);
    assert_same(
        &bantop(&file_lines(&log), "asterisk-wazo", &[]),
        &theirs,
        true,
    );
}

#[test]
fn wazo_provd_filter() {
    let log = demo().join("logs/wazo-provd-fail2ban.log");
    let filter = demo().join("fail2ban/filter.d/wazo-provd.conf");
    let theirs = reference(&log, &filter.to_string_lossy(), &[]);
    assert_same(&bantop(&file_lines(&log), "wazo-provd", &[]), &theirs, true);
}

#[test]
fn stock_sshd_filter_on_journal_lines() {
    let json = std::fs::read_to_string(demo().join("logs/sshd.journal.json")).unwrap_or_default();
    let entries: Vec<(String, Option<f64>)> = json
        .lines()
        .map(|l| journal_json::parse(l).unwrap_or_else(|e| panic!("{e}")))
        .map(|entry| (entry.line, Some(entry.time)))
        .collect();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lines_file = dir.path().join("sshd.lines");
    let text: String = entries
        .iter()
        .map(|(line, _)| format!("{line}\n"))
        .collect();
    std::fs::write(&lines_file, text).unwrap_or_else(|e| panic!("{e}"));
    let filter = format!(
        "{}[logtype=journal]",
        demo().join("fail2ban/filter.d/sshd.conf").display()
    );
    // The journal gives each entry its time; fail2ban-regex reads these lines as undated.
    let theirs = reference(&lines_file, &filter, &["--datepattern", "{NONE}"]);
    let ours = bantop(&entries, "sshd[mode=normal]", &[("logtype", "journal")]);
    assert_same(&ours, &theirs, false);
}

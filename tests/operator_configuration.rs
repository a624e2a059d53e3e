//! Real-world configurations fail2ban runs, and broken ones: bantop's commands start on
//! what fail2ban starts (a host name, a comment and a placeholder in `ignoreip`, a comment
//! after a time, a jail whose filter is missing, shown as skipped), and bad input gets the file
//! and line, bounded time, and only what fail2ban skips is skipped: never a panic or a hang.

mod stream;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use stream::{Stream, append, configuration, numbers, provd_line};

const TOLERATED: &str = "\
[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 office.example.org PUBLIC_IP #and any other private IPs
bantime = 600 # ten minutes

[broken]
enabled = true
filter = no-such-filter
logpath = /dev/null
";

fn bantop(conf: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bantop"))
        .arg("--fail2ban-dir")
        .arg(conf)
        .arg("--socket")
        .arg(conf.join("no-such.sock"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn jails_json(conf: &Path) -> serde_json::Value {
    let output = bantop(conf, &["jails", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn jails_and_check_start_and_name_the_skipped_jail() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(dir.path(), TOLERATED);
    let report = jails_json(&conf);
    assert_eq!(report["skipped"][0]["name"], "broken");
    assert_eq!(
        report["skipped"][0]["reason"],
        "Unable to read the filter 'no-such-filter'"
    );
    let provd = report["jails"]
        .as_array()
        .and_then(|jails| jails.iter().find(|j| j["name"] == "wazo-provd"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(provd["bantime"], 600);
    assert!(
        provd["ignoreip"]
            .as_array()
            .is_some_and(|list| list.iter().any(|e| e == "office.example.org")),
        "{provd}"
    );
    let output = bantop(
        &conf,
        &["check", "--json", "--asterisk-dir", "/nonexistent"],
    );
    let items: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let item = items
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["name"] == "configuration as fail2ban reads it")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(item["status"], "fail", "{items}");
    assert!(
        item["reason"]
            .as_str()
            .is_some_and(|r| r.contains("broken (Unable to read the filter")),
        "{item}"
    );
}

#[test]
fn events_start_and_match_on_a_configuration_fail2ban_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    let jail_local = format!("{TOLERATED}\n[wazo-provd]\nlogpath = {}\n", log.display());
    let conf = configuration(dir.path(), &jail_local);
    append(&log, &(1..=3).map(provd_line).collect::<String>());
    let stream = Stream::start(&conf, &["--from-start"]);
    let events = stream.collect(Duration::from_secs(20), |events| numbers(events).len() >= 3);
    assert_eq!(numbers(&events), vec![1, 2, 3], "{events:?}");
}

/// A configuration whose jail.local is `text` (bytes), over a copy of the demo's.
fn with_jail_local(dir: &Path, text: &[u8]) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(dir, "");
    std::fs::write(conf.join("jail.local"), text).unwrap_or_else(|e| panic!("{e}"));
    conf
}

fn timed(conf: &Path) -> (Output, Duration) {
    let started = Instant::now();
    let output = bantop(conf, &["jails", "--json"]);
    (output, started.elapsed())
}

#[test]
fn bad_files_are_named_with_their_line_and_cost_bounded_time() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Refused by fail2ban's parser as well: the file and line are named.
    for (case, text, expected) in [
        (
            "duplicate",
            &b"[sshd]\nmaxretry = 3\nmaxretry = 4\n"[..],
            "jail.local:3: key \"maxretry\" appears twice",
        ),
        (
            "bom",
            &b"\xef\xbb\xbf[sshd]\n"[..],
            "jail.local:1: file contains no section headers",
        ),
        (
            "loop",
            &b"[sshd]\nenabled = true\na = %(b)s\nb = %(a)s\nignoreip = %(a)s\n"[..],
            "[sshd] ignoreip: more than 10 nested",
        ),
        (
            "no value",
            &b"[sshd]\nthis is not a key\n"[..],
            "jail.local:2: expected `key = value`",
        ),
    ] {
        let case_dir = dir.path().join(case);
        let conf = with_jail_local(&case_dir, text);
        let (output, took) = timed(&conf);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{case}: accepted");
        assert!(stderr.contains(expected), "{case}: {stderr}");
        assert!(took < Duration::from_secs(5), "{case}: {took:?}");
        let fail2ban = Command::new("fail2ban-client")
            .arg("-c")
            .arg(&conf)
            .arg("-d")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!fail2ban.status.success(), "{case}: fail2ban accepts it");
    }
}

#[test]
fn what_fail2ban_skips_is_skipped_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Invalid UTF-8: fail2ban skips the file (an error in its log) and reads the others.
    let conf = with_jail_local(
        &dir.path().join("latin1"),
        b"[sshd]\nmaxretry = 2 # caf\xe9\n",
    );
    let report = jails_json(&conf);
    assert!(
        report["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("jail.local")))),
        "{report}"
    );
    assert_eq!(report["jails"].as_array().map(Vec::len), Some(3));
    // A FIFO among the drop-ins would hang a reader: it is skipped and named.
    let conf = with_jail_local(&dir.path().join("fifo"), b"");
    let fifo = conf.join("jail.d/zz.local");
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()));
    let (output, took) = timed(&conf);
    assert!(
        output.status.success() && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("zz.local"));
    // An include cycle and a 10 MB line: read in bounded time.
    let cycle = dir.path().join("cycle");
    let conf = with_jail_local(
        &cycle,
        b"[INCLUDES]\nbefore = a.conf\n[DEFAULT]\nbantime = 1h\n",
    );
    std::fs::write(conf.join("a.conf"), "[INCLUDES]\nbefore = jail.local\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut long = b"[DEFAULT]\n# ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 10 << 20));
    long.extend_from_slice(b"\nignoreip = 127.0.0.1 ");
    long.extend(std::iter::repeat_n(b'y', 10 << 20));
    long.push(b'\n');
    std::fs::write(conf.join("jail.d/long.local"), long).unwrap_or_else(|e| panic!("{e}"));
    let (output, took) = timed(&conf);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["jails"][0]["bantime"], 3600);
}

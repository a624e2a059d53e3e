//! `bantop inspect` on a real private fail2ban-server that banned the address twice, with logs
//! written by the test as rotation leaves them (current, `.1`, `.2.gz`): every failure across
//! the rotations, first and last seen, the ban history from fail2ban's own database, the state
//! now as fail2ban and its client say; and `bantop events --no-follow`, which ends by itself
//! with the failures `bantop regex` finds.

mod common;

use common::fail2ban::PrivateServer;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A Wazo PJSIP failure of `ip` at `second` past 2026-01-19 17:00:00 (local time).
fn failure(ip: &str, user: u32, second: u32) -> String {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    format!(
        "[2026-01-19 17:{:02}:{:02}.0000] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"{user}\" <sip:{user}@{host}>' failed for '{host}:5070' (callid: 990de61b3d5d@pc33) - Failed to authenticate\n",
        second / 60,
        second % 60
    )
}

fn noise(second: u32) -> String {
    format!(
        "[2026-01-19 17:{:02}:{:02}.0000] VERBOSE[2411] pbx.c: Executing [s@default:1] NoOp(\"PJSIP/1001\", \"\") in new stack\n",
        second / 60,
        second % 60
    )
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    encoder.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// Writes the rotated logs: 3 failures of the address in `.2.gz`, 2 in `.1`, 1 in the current
/// file (an IPv6 attacker and noise in between).
fn write_logs(log: &Path) {
    let (mut oldest, mut older, mut current) = (String::new(), String::new(), String::new());
    for s in 0..3 {
        oldest += &failure("203.0.113.77", 1000 + s, s * 10);
        oldest += &noise(s * 10 + 1);
        oldest += &failure("2001:db8::66", 500, s * 10 + 2);
    }
    for s in 0..2 {
        older += &failure("203.0.113.77", 2000 + s, 600 + s * 10);
        older += &failure("198.51.100.3", 7, 601 + s * 10);
    }
    current += &noise(1200);
    current += &failure("203.0.113.77", 1000, 1300);
    std::fs::write(log.with_extension("log.2.gz"), gzip(&oldest)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(log.with_extension("log.1"), older).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(log, current).unwrap_or_else(|e| panic!("{e}"));
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// Rows of fail2ban's `bans` table for `ip`, read from its database directly.
fn banned_rows(server: &PrivateServer, ip: &str) -> i64 {
    let db = rusqlite::Connection::open(server.dir.path().join("fail2ban.sqlite3"))
        .unwrap_or_else(|e| panic!("{e}"));
    db.query_row("SELECT count(*) FROM bans WHERE ip = ?1", [ip], |row| {
        row.get(0)
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn inspect_finds_the_address_across_rotations_with_its_ban_history() {
    let server = PrivateServer::start();
    let log = server.dir.path().join("asterisk.log");
    write_logs(&log);
    // Two bans of the address in fail2ban's own database: the first ends by itself.
    server.client_text(&["set", "asterisk-wazo", "bantime", "1"]);
    server.client_text(&["set", "asterisk-wazo", "banip", "203.0.113.77"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while server
        .client_text(&["get", "asterisk-wazo", "banip"])
        .contains("203.0.113.77")
    {
        assert!(Instant::now() < deadline, "the first ban did not end");
        std::thread::sleep(Duration::from_millis(200));
    }
    server.client_text(&["set", "asterisk-wazo", "bantime", "3600"]);
    server.client_text(&["set", "asterisk-wazo", "banip", "203.0.113.77"]);
    assert_eq!(
        banned_rows(&server, "203.0.113.77"),
        2,
        "fail2ban's database"
    );

    // Spelled as an IPv4-mapped IPv6 address: the same address.
    let dossier = json(&server.bantop(&["inspect", "::ffff:203.0.113.77", "--json"]));
    assert_eq!(dossier["address"], "203.0.113.77");
    assert_eq!(dossier["failures"], 6, "{dossier:#}");
    let events = dossier["events"].as_array().cloned().unwrap_or_default();
    let times: Vec<f64> = events.iter().filter_map(|e| e["time"].as_f64()).collect();
    assert_eq!(times.len(), 6);
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    assert_eq!(dossier["first_seen"].as_f64(), times.first().copied());
    assert_eq!(dossier["last_seen"].as_f64(), times.last().copied());
    assert_eq!(
        times[5] - times[0],
        1300.0,
        "from .2.gz to the current file"
    );
    let jail = &dossier["jails"][0];
    assert_eq!(jail["jail"], "asterisk-wazo");
    assert_eq!(jail["bans"], 2);
    assert_eq!(jail["accounts"][0], serde_json::json!(["1000", 2]));
    let bans = dossier["bans"].as_array().cloned().unwrap_or_default();
    assert_eq!(bans.len(), 2, "{dossier:#}");
    assert_eq!(bans[0]["bantime"], 1);
    assert_eq!(bans[1]["bantime"], 3600);
    assert_eq!(
        dossier["now"]["banned_in"],
        serde_json::json!(["asterisk-wazo"])
    );
    let read = dossier["read"].to_string();
    assert!(
        read.contains("asterisk.log.2.gz") && read.contains("asterisk.log.1"),
        "{read}"
    );

    // --since leaves the rotated files older than it unread, and their failures out.
    let recent = json(&server.bantop(&["inspect", "203.0.113.77", "--json", "--since", "1h"]));
    assert!(recent["failures"].as_u64() < Some(6), "{recent:#}");

    // IPv6, in another spelling than the log's.
    let v6 = json(&server.bantop(&["inspect", "2001:DB8:0::66", "--json"]));
    assert_eq!(v6["address"], "2001:db8::66");
    assert_eq!(v6["failures"], 3);
    assert_eq!(v6["now"]["banned_in"], serde_json::json!([]));

    // The text says the same, defused.
    let text = server.bantop(&["inspect", "203.0.113.77"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("6 failures in 1 jail(s)"), "{text}");
    assert!(text.contains("fail2ban bans it in asterisk-wazo"), "{text}");

    // The country from Debian's tor-geoipdb files when they are installed (tests/run.sh
    // installs them), none for a documentation address.
    assert_eq!(dossier["country"], serde_json::Value::Null);
    if Path::new("/usr/share/tor/geoip").is_file() {
        let public = json(&server.bantop(&["inspect", "8.8.8.8", "--json"]));
        assert_eq!(public["country"], "US", "{public:#}");
        assert!(
            public["place_sources"]
                .to_string()
                .contains("/usr/share/tor/geoip")
        );
    } else {
        eprintln!("skipped the country check: tor-geoipdb is not installed");
    }

    // The reverse DNS only when asked for.
    assert_eq!(dossier["reverse_dns"], serde_json::Value::Null);
    let named = json(&server.bantop(&["inspect", "127.0.0.1", "--rdns", "--json"]));
    assert!(named["reverse_dns"].is_string(), "{named:#}");

    // A network or a word is refused with the reason.
    let refused = server.bantop(&["inspect", "203.0.113.0/24"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("give one address"));
}

#[test]
fn a_rotated_file_that_cannot_be_read_is_named_and_the_rest_still_counts() {
    let server = PrivateServer::start();
    let log = server.dir.path().join("asterisk.log");
    write_logs(&log);
    // A truncated gzip file beside them.
    let whole = gzip(&failure("203.0.113.77", 1, 5).repeat(2000));
    std::fs::write(log.with_extension("log.3.gz"), &whole[..whole.len() / 2])
        .unwrap_or_else(|e| panic!("{e}"));
    let dossier = json(&server.bantop(&["inspect", "203.0.113.77", "--json"]));
    let problems = dossier["problems"].to_string();
    assert!(problems.contains("asterisk.log.3.gz"), "{problems}");
    assert!(dossier["failures"].as_u64() >= Some(6), "{dossier:#}");
}

#[test]
fn events_without_following_ends_by_itself_with_the_failures_regex_finds() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let conf = dir.path().join("conf");
    common::fail2ban::copy_dir(Path::new("/etc/fail2ban"), &conf);
    let demo_filters = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban/filter.d");
    std::fs::copy(
        demo_filters.join("asterisk-wazo.conf"),
        conf.join("filter.d/asterisk-wazo.conf"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("asterisk.log");
    write_logs(&log);
    std::fs::write(
        conf.join("jail.local"),
        format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = true\nfilter = asterisk-wazo\nlogpath = {}\nbackend = polling\nmaxretry = 3\nfindtime = 10m\n",
            log.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let bantop = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bantop"));
        command.arg("--fail2ban-dir").arg(&conf).args(args);
        command.output().unwrap_or_else(|e| panic!("{e}"))
    };
    let started = Instant::now();
    let events = bantop(&["events", "--json", "--from-start", "--no-follow"]);
    assert!(
        events.status.success(),
        "{}",
        String::from_utf8_lossy(&events.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it ended by itself"
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&events.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let failures = |kind: &str| -> Vec<(String, f64)> {
        let mut found: Vec<(String, f64)> = events
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| {
                (
                    e["ip"].as_str().unwrap_or("").to_string(),
                    e["time"].as_f64().unwrap_or(0.0),
                )
            })
            .collect();
        found.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        found
    };
    // regex reads one file at a time: the three of the history, in order.
    let mut expected = Vec::new();
    let plain = dir.path().join("all.log");
    let mut all = Vec::new();
    let mut oldest = String::new();
    flate2::read::MultiGzDecoder::new(
        std::fs::File::open(log.with_extension("log.2.gz")).unwrap_or_else(|e| panic!("{e}")),
    )
    .read_to_string(&mut oldest)
    .unwrap_or_else(|e| panic!("{e}"));
    all.extend_from_slice(oldest.as_bytes());
    all.extend(std::fs::read(log.with_extension("log.1")).unwrap_or_default());
    all.extend(std::fs::read(&log).unwrap_or_default());
    std::fs::write(&plain, all).unwrap_or_else(|e| panic!("{e}"));
    let regex = bantop(&[
        "regex",
        "--json",
        plain.to_str().unwrap_or(""),
        "asterisk-wazo",
    ]);
    for line in String::from_utf8_lossy(&regex.stdout).lines() {
        let found: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        expected.push((
            found["host"].as_str().unwrap_or("").to_string(),
            found["time"].as_f64().unwrap_or(0.0),
        ));
    }
    expected.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    assert_eq!(expected.len(), 11);
    assert_eq!(failures("failure"), expected);
    // --since reads back only that far: these lines are older than an hour.
    let recent = bantop(&["events", "--json", "--since", "1h", "--no-follow"]);
    assert!(recent.status.success());
    let recent = String::from_utf8_lossy(&recent.stdout);
    assert!(!recent.contains("\"type\":\"failure\""), "{recent}");

    // maxretry 3 in 10 minutes: the address is banned once in the oldest file, the IPv6
    // attacker too.
    let bans = failures("ban");
    assert_eq!(bans.len(), 2, "{bans:?}");
}

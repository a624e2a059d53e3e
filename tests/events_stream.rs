//! `bantop events --json` on real files: every line reported exactly once while the log is
//! rotated by rename + create, copytruncate and delete + recreate; `logpath` globs and a file
//! that appears later; a real journal file written by systemd-journal-remote.

mod common;
mod stream;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use stream::{Stream, append, configuration, numbers, provd_line};

#[test]
fn every_line_exactly_once_through_three_kinds_of_rotation() {
    const LINES: usize = 3000;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    let conf = configuration(
        dir.path(),
        &format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}\nbackend = polling\nmaxretry = 1000000\n",
            log.display()
        ),
    );
    std::fs::write(&log, "").unwrap_or_else(|e| panic!("{e}"));
    let stream = Stream::start(&conf, &[]);
    let opened = stream.collect(Duration::from_secs(10), |events| {
        events
            .iter()
            .any(|e| e["type"] == "source" && e["status"] == "opened")
    });
    assert!(!opened.is_empty(), "the log was never opened");

    let writer_log = log.clone();
    let writer = std::thread::spawn(move || {
        let mut seed: u64 = 0x5eed;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let rotated = writer_log.with_extension("log.1");
        for n in 0..LINES {
            append(&writer_log, &provd_line(n));
            if n % 600 == 599 {
                match n / 600 % 3 {
                    0 => {
                        std::fs::rename(&writer_log, &rotated).unwrap_or_else(|e| panic!("{e}"));
                        std::fs::write(&writer_log, "").unwrap_or_else(|e| panic!("{e}"));
                    }
                    1 => {
                        std::fs::copy(&writer_log, &rotated).unwrap_or_else(|e| panic!("{e}"));
                        std::fs::OpenOptions::new()
                            .write(true)
                            .truncate(true)
                            .open(&writer_log)
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                    _ => std::fs::remove_file(&writer_log).unwrap_or_else(|e| panic!("{e}")),
                }
            }
            // Mostly bursts, sometimes a pause of up to 200 ms.
            if random() % 100 < 3 {
                std::thread::sleep(Duration::from_millis(random() % 201));
            }
        }
    });
    let events = stream.collect(Duration::from_secs(90), |events| {
        numbers(events).len() >= LINES
    });
    writer
        .join()
        .unwrap_or_else(|_| panic!("the writer failed"));
    // Anything reported twice would arrive shortly after.
    let late = stream.collect(Duration::from_secs(2), |_| false);
    let mut seen = numbers(&events);
    seen.extend(numbers(&late));
    let mut counts = vec![0u32; LINES];
    for n in &seen {
        counts[*n] += 1;
    }
    let missing: Vec<usize> = (0..LINES).filter(|n| counts[*n] == 0).collect();
    let twice: Vec<usize> = (0..LINES).filter(|n| counts[*n] > 1).collect();
    assert!(
        missing.is_empty() && twice.is_empty(),
        "missing {missing:?}, twice {twice:?}"
    );
    let statuses: Vec<String> = events
        .iter()
        .chain(&late)
        .filter(|e| e["type"] == "source")
        .map(|e| e["status"].as_str().unwrap_or("").to_string())
        .collect();
    for status in ["rotated", "truncated"] {
        assert!(
            statuses.iter().any(|s| s == status),
            "no {status} reported: {statuses:?}"
        );
    }
}

#[test]
fn glob_logpaths_and_a_file_that_appears_later() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap_or_else(|e| panic!("{e}"));
    append(&logs.join("a.log"), &provd_line(1));
    let conf = configuration(
        dir.path(),
        &format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}/*.log\nbackend = polling\nmaxretry = 1000\n",
            logs.display()
        ),
    );
    let stream = Stream::start(&conf, &["--from-start"]);
    let first = stream.collect(Duration::from_secs(10), |events| {
        numbers(events).contains(&1)
    });
    assert_eq!(numbers(&first), [1], "whole files with --from-start");
    append(&logs.join("b.log"), &provd_line(2));
    append(&logs.join("a.log"), &provd_line(3));
    append(&logs.join("not-a-log.txt"), &provd_line(4));
    let later = stream.collect(Duration::from_secs(15), |events| numbers(events).len() >= 2);
    let mut found = numbers(&later);
    found.sort();
    assert_eq!(
        found,
        [2, 3],
        "the new file is picked up, the other name is not"
    );
}

#[test]
fn a_real_journal_file() {
    let remote = [
        "/lib/systemd/systemd-journal-remote",
        "/usr/lib/systemd/systemd-journal-remote",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    let remote = remote.unwrap_or_else(|| {
        panic!("systemd-journal-remote is missing (the test command installs it)")
    });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let journal = dir.path().join("sshd.journal");
    let now = chrono::Utc::now().timestamp_micros();
    let mut export = Vec::new();
    for (n, message) in [
        "Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2",
        "Accepted publickey for admin from 192.0.2.10 port 50022 ssh2",
        "Failed password for root from 203.0.113.45 port 41000 ssh2",
    ]
    .iter()
    .enumerate()
    {
        let time = now - 1_000_000 + n as i64 * 1000;
        writeln!(
            export,
            "__REALTIME_TIMESTAMP={time}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=9d2c6f1e0b8a4c3d9e7f6a5b4c3d2e1f\n_HOSTNAME=pbx\nSYSLOG_IDENTIFIER=sshd\n_COMM=sshd\n_PID={}\n_SYSTEMD_UNIT=ssh.service\nMESSAGE={message}\n",
            1_000_000 + n,
            800 + n
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut child = Command::new(remote)
        .arg(format!("--output={}", journal.display()))
        .arg("-")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(&export))
        .transpose()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        child.wait().map(|s| s.success()).unwrap_or(false),
        "systemd-journal-remote failed"
    );
    let conf = configuration(
        dir.path(),
        "[asterisk-wazo]\nenabled = false\n[wazo-provd]\nenabled = false\n",
    );
    let stream = Stream::start(
        &conf,
        &["--from-start", "--journal-file", &journal.to_string_lossy()],
    );
    let events = stream.collect(Duration::from_secs(15), |events| {
        events.iter().filter(|e| e["type"] == "failure").count() >= 2
    });
    let failures: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "failure")
        .map(|e| {
            (
                e["ip"].as_str().unwrap_or("").to_string(),
                e["user"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        [
            ("198.51.100.7".to_string(), "admin".to_string()),
            ("203.0.113.45".to_string(), "root".to_string())
        ]
    );
    let first = events
        .iter()
        .find(|e| e["type"] == "failure")
        .cloned()
        .unwrap_or_default();
    assert!(
        (first["time"].as_f64().unwrap_or(0.0) - (now - 1_000_000) as f64 / 1e6).abs() < 0.01,
        "the journal's own time: {first}"
    );
    assert_eq!(
        first["line"],
        "pbx sshd[800]: Failed password for invalid user admin from 198.51.100.7 port 40022 ssh2"
    );
    // How the jail took it, for a reader that shows "drop" or "ign" (a fleet's view).
    assert_eq!(
        (&first["state"], &first["count"]),
        (&serde_json::json!("counted"), &serde_json::json!(1)),
        "{first}"
    );
    drop(stream);

    // Without following, the journal is read to its end and the stream ends by itself.
    let journal_arg = journal.to_string_lossy().into_owned();
    let bantop = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_bantop"))
            .arg("--fail2ban-dir")
            .arg(&conf)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let ended = bantop(&[
        "events",
        "--json",
        "--from-start",
        "--no-follow",
        "--journal-file",
        &journal_arg,
    ]);
    assert!(ended.status.success());
    let text = String::from_utf8_lossy(&ended.stdout);
    assert_eq!(text.matches("\"type\":\"failure\"").count(), 2, "{text}");

    // The dossier of a journal jail's attacker.
    let dossier = bantop(&[
        "--state-dir",
        &dir.path().join("state").to_string_lossy(),
        "inspect",
        "203.0.113.45",
        "--json",
        "--journal-file",
        &journal_arg,
    ]);
    let dossier: serde_json::Value = serde_json::from_slice(&dossier.stdout).unwrap_or_default();
    assert_eq!(dossier["failures"], 1, "{dossier:#}");
    assert_eq!(dossier["jails"][0]["jail"], "sshd");
    assert_eq!(
        dossier["jails"][0]["accounts"][0],
        serde_json::json!(["root", 1])
    );
}

#[test]
fn sigterm_ends_the_stream_cleanly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    std::fs::write(&log, "").unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(
        dir.path(),
        &format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}\nbackend = polling\n",
            log.display()
        ),
    );
    let mut stream = Stream::start(&conf, &[]);
    stream.collect(Duration::from_secs(10), |events| {
        events.iter().any(|e| e["status"] == "opened")
    });
    let pid = stream.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success())
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(status)) = stream.child.try_wait() {
            assert_eq!(status.code(), Some(0), "a clean exit");
            break;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A log bantop may not read is reported on its jail and read once it may. Runs bantop as
/// `nobody` (root ignores permissions), so it needs root.
#[test]
#[cfg_attr(
    not(tests_as_root),
    ignore = "needs root to run bantop as another user"
)]
fn an_unreadable_log_is_reported_and_retried() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    std::fs::write(&log, provd_line(7)).unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(
        dir.path(),
        &format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}\nbackend = polling\n",
            log.display()
        ),
    );
    let binary = common::binary_for_nobody(dir.path());
    assert!(
        Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success())
    );
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut child = common::as_nobody(&binary)
        .arg("--fail2ban-dir")
        .arg(&conf)
        .args(["events", "--json", "--from-start"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(serde_json::from_str::<serde_json::Value>(&line).unwrap_or_default());
        }
    });
    let stream = Stream { child, lines };
    let denied = stream.collect(Duration::from_secs(10), |events| {
        events.iter().any(|e| e["status"] == "permission denied")
    });
    assert!(
        denied
            .iter()
            .any(|e| e["status"] == "permission denied" && e["jail"] == "wazo-provd"),
        "{denied:?}"
    );
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let after = stream.collect(Duration::from_secs(10), |events| {
        !numbers(events).is_empty()
    });
    assert_eq!(numbers(&after), [7], "read once permitted");
}

#[test]
fn text_output_without_json() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("provd.log");
    std::fs::write(&log, provd_line(5)).unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(
        dir.path(),
        &format!(
            "[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = false\n[wazo-provd]\nlogpath = {}\nbackend = polling\nmaxretry = 1\n",
            log.display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_bantop"))
        .arg("--fail2ban-dir")
        .arg(&conf)
        .args(["events", "--from-start"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    // The history comes first (the ban among it), then the file is followed ("opened").
    let done = |seen: &[String]| {
        seen.iter().any(|l| l.contains(" BAN ")) && seen.iter().any(|l| l.ends_with(": opened"))
    };
    while !done(&seen) && Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        seen.iter()
            .any(|l| l.contains("wazo-provd: ") && l.ends_with(": opened")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|l| l.contains(" wazo-provd 10.0.0.5 1/1 provisioning: sensitive file file-5.cfg")), "{seen:?}");
    assert!(
        seen.iter()
            .any(|l| l.contains(" wazo-provd 10.0.0.5 BAN after 1 failures")),
        "{seen:?}"
    );
}

//! `bantop report`: on the demo's recordings, the accounts, numbers and provisioning files the
//! scenario attacks and what asterisk-wazo misses, with counts read from the recordings here
//! by plain text search; on a configuration and log written by the test, blind spots in the
//! AMI-nonexistent-user and security-log forms reported with fail2ban's stock filter, none for
//! lines the jail counts, and the Asterisk 16.15+ call form that no filter catches left out.

use std::path::Path;
use std::process::Command;

fn bantop(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_bantop"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// Lines of a demo recording that contain every one of `parts`.
fn count_lines(recording: &str, parts: &[&str]) -> u64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo/logs")
        .join(recording);
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .count() as u64
}

#[test]
fn the_demo_report_names_what_the_scenario_attacks_with_exact_counts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let report = bantop(&[
        "report",
        "--demo",
        "--dir",
        &dir.to_string_lossy(),
        "--json",
    ]);

    // The extension brute-forced from 2001:db8:4::5: every REGISTER line for 2000.
    let accounts = report["accounts"].as_array().cloned().unwrap_or_default();
    let account = |name: &str, jail: &str| {
        accounts
            .iter()
            .find(|a| a["account"] == name && a["jail"] == jail)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {jail}: {accounts:?}"))
    };
    let expected = count_lines("asterisk-fail2ban.log", &["<sip:2000@", "failed for"]);
    assert!(expected > 0);
    assert_eq!(account("2000", "asterisk-wazo")["failures"], expected);
    assert_eq!(accounts[0]["account"], "2000", "the most tried first");
    let ami = count_lines(
        "asterisk-fail2ban.log",
        &["192.0.2.11 failed to authenticate as 'admin'"],
    );
    assert_eq!(account("admin", "asterisk-wazo")["failures"], ami);

    // The toll-fraud probes: every rejected call, all to Israel through 9 + 011.
    let dialled = report["dialled"].as_array().cloned().unwrap_or_default();
    let calls = count_lines(
        "asterisk-fail2ban.log",
        &["to extension '", "xivo-initconfig"],
    );
    assert_eq!(calls, 16);
    let total: u64 = dialled.iter().filter_map(|d| d["failures"].as_u64()).sum();
    assert_eq!(total, calls);
    assert!(
        dialled
            .iter()
            .all(|d| d["country"] == "IL" && d["calling_code"] == "972")
    );
    let findings = report["findings"].to_string();
    assert!(
        findings.contains("16 calls to +972 (IL) numbers rejected"),
        "{findings}"
    );

    // Provisioning files: every sensitive file asked for, by pattern.
    let files = report["provisioning"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let requests: u64 = files.iter().filter_map(|f| f["requests"].as_u64()).sum();
    let asked = count_lines(
        "wazo-provd-fail2ban.log",
        &["Sensitive file requested from"],
    );
    assert_eq!(requests, asked);
    assert!(
        files.iter().any(|f| f["pattern"] == "SEP{mac}.cnf.xml"),
        "{files:?}"
    );

    // What asterisk-wazo misses: the AMI logins with nonexistent users from 203.0.113.66
    // (127.0.0.1's are ignored by the jail, so they are no blind spot).
    let spots = report["blind_spots"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(spots.len(), 1, "{spots:?}");
    let missed = count_lines(
        "asterisk-fail2ban.log",
        &["203.0.113.66 tried to authenticate with nonexistent user"],
    );
    assert_eq!(spots[0]["jail"], "asterisk-wazo");
    assert_eq!(spots[0]["filter"], "asterisk");
    assert_eq!(spots[0]["failures"], missed);
    assert_eq!(spots[0]["sources"], 1);
    assert!(
        spots[0]["failregex"]
            .to_string()
            .contains("nonexistent user")
    );

    // Countries from the demo's own made-up GeoIP files.
    assert!(
        report["countries"].to_string().contains("\"NL\""),
        "{}",
        report["countries"]
    );
}

#[test]
fn blind_spots_on_lines_the_test_writes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let conf = dir.path().join("conf");
    // Debian's configuration as installed, without its jail.d (which enables sshd).
    let copied = Command::new("cp")
        .arg("-r")
        .arg("/etc/fail2ban")
        .arg(&conf)
        .status()
        .is_ok_and(|status| status.success());
    assert!(copied, "fail2ban is installed by the test command");
    std::fs::remove_dir_all(conf.join("jail.d")).unwrap_or_else(|e| panic!("{e}"));
    let demo_filter =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban/filter.d/asterisk-wazo.conf");
    std::fs::copy(demo_filter, conf.join("filter.d/asterisk-wazo.conf"))
        .unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("asterisk.log");
    let now = chrono::Local::now() - chrono::Duration::minutes(5);
    let stamp = |second: i64| {
        (now + chrono::Duration::seconds(second))
            .format("[%Y-%m-%d %H:%M:%S%.3f]")
            .to_string()
    };
    let mut lines = Vec::new();
    for n in 0..4 {
        // Counted by the jail: never a blind spot.
        lines.push(format!("{} NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"1001\" <sip:1001@x>' failed for '198.51.100.40:5060' (callid: a{n}) - Failed to authenticate", stamp(n)));
        // AMI with a user that does not exist: the stock filter only.
        lines.push(format!("{} NOTICE[2] manager.c: 198.51.100.41 tried to authenticate with nonexistent user 'admin{n}'", stamp(n)));
        // The security log: the stock filter only.
        lines.push(format!("{} SECURITY[3] res_security_log.c: SecurityEvent=\"InvalidAccountID\",EventTV=\"2026-01-19T10:00:00.000+0000\",Severity=\"Error\",Service=\"SIP\",EventVersion=\"1\",AccountID=\"100{n}\",SessionID=\"0x7f00{n}\",LocalAddress=\"IPV4/UDP/192.0.2.2/5060\",RemoteAddress=\"IPV4/UDP/198.51.100.42/5060\"", stamp(n)));
        // Asterisk 16.15+'s form of a rejected call: no filter catches it.
        lines.push(format!("{} NOTICE[4] res_pjsip_session.c: PJSIP/anon-0000{n}: Call (UDP:198.51.100.43:5060) to extension '0097259540{n}' rejected because extension not found in context 'xivo-initconfig'.", stamp(n)));
    }
    std::fs::write(&log, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        conf.join("jail.local"),
        format!(
            "[DEFAULT]\nbackend = polling\n[sshd]\nenabled = false\n[asterisk-wazo]\nenabled = true\nfilter = asterisk-wazo\nlogpath = {}\n",
            log.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let socket = dir.path().join("no.sock");
    let report = bantop(&[
        "--fail2ban-dir",
        &conf.to_string_lossy(),
        "--socket",
        &socket.to_string_lossy(),
        "report",
        "--since",
        "1h",
        "--json",
    ]);
    assert_eq!(report["jails"][0]["failures"], 4, "{report:#}");
    let spots = report["blind_spots"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(spots.len(), 1, "{spots:?}");
    assert_eq!(spots[0]["filter"], "asterisk");
    assert_eq!(spots[0]["failures"], 8, "4 AMI and 4 security-log lines");
    assert_eq!(spots[0]["sources"], 2);
    let examples = spots[0]["examples"].to_string();
    assert!(
        !examples.contains("198.51.100.40"),
        "a counted line: {examples}"
    );
    assert!(!report["top_sources"].to_string().contains("198.51.100.43"));
    let findings = report["findings"].to_string();
    assert!(
        findings.contains("asterisk-wazo misses 8 failures that fail2ban's asterisk filter finds"),
        "{findings}"
    );

    // The checklist says so too.
    let check = Command::new(env!("CARGO_BIN_EXE_bantop"))
        .arg("--fail2ban-dir")
        .arg(&conf)
        .arg("--socket")
        .arg(&socket)
        .args(["check", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let items: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap_or_default();
    let missed = items
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i["name"] == "failures no jail counts")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(missed["status"], "warn", "{items:#}");
    assert!(
        missed["fix"].to_string().contains("nonexistent user"),
        "{missed}"
    );
}

//! `bantop ports`, `bantop check` and `bantop acl check` as an operator runs them: real
//! sockets opened by the test, a machine without fail2ban, and Asterisk files on disk.

mod common;

use std::net::{Ipv6Addr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bantop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bantop"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asterisk")
}

fn find<'a>(ports: &'a serde_json::Value, proto: &str, port: u16) -> &'a serde_json::Value {
    let list = ports
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {ports}"));
    list.iter()
        .find(|p| p["proto"] == proto && p["port"] == port)
        .unwrap_or_else(|| panic!("{proto}/{port} not listed"))
}

#[test]
fn ports_lists_the_test_sockets_with_their_pid_and_scope() {
    let tcp = TcpListener::bind("0.0.0.0:0").unwrap_or_else(|e| panic!("{e}"));
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let tcp6 = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).ok();
    let output = bantop(&["ports", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ports = json(&output);
    let pid = std::process::id();
    let tcp_port = tcp.local_addr().map(|a| a.port()).unwrap_or_default();
    let udp_port = udp.local_addr().map(|a| a.port()).unwrap_or_default();

    let tcp_entry = find(&ports, "tcp", tcp_port);
    assert_eq!(
        (
            tcp_entry["address"].as_str(),
            tcp_entry["scope"].as_str(),
            tcp_entry["pid"].as_u64()
        ),
        (Some("0.0.0.0"), Some("all"), Some(u64::from(pid)))
    );
    // This machine's own ruleset decides (tests/firewall_exposure.rs pins each verdict).
    let reach = tcp_entry["firewall"].as_str().unwrap_or_default();
    assert!(
        ["open", "restricted", "closed", "unknown"].contains(&reach),
        "{tcp_entry}"
    );
    if matches!(reach, "open" | "unknown") {
        assert_eq!(
            tcp_entry["severity"], "warn",
            "an unknown public service is a finding"
        );
    }
    assert!(tcp_entry["process"].as_str().is_some_and(|p| !p.is_empty()));
    assert!(tcp_entry["user"].as_str().is_some_and(|u| !u.is_empty()));

    let udp_entry = find(&ports, "udp", udp_port);
    assert_eq!(
        (
            udp_entry["address"].as_str(),
            udp_entry["scope"].as_str(),
            udp_entry["pid"].as_u64()
        ),
        (Some("127.0.0.1"), Some("loopback"), Some(u64::from(pid)))
    );
    assert_eq!(udp_entry["severity"], "ok");

    if let Some(tcp6) = tcp6 {
        let port = tcp6.local_addr().map(|a| a.port()).unwrap_or_default();
        let entry = find(&ports, "tcp", port);
        assert_eq!(
            (entry["address"].as_str(), entry["scope"].as_str()),
            (Some("::1"), Some("loopback"))
        );
    }
    let text = bantop(&["ports"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("0.0.0.0:{tcp_port}")));
}

#[test]
fn check_without_fail2ban_fails_that_item() {
    let output = bantop(&[
        "check",
        "--json",
        "--fail2ban-dir",
        "/nonexistent/fail2ban",
        "--asterisk-dir",
        &fixtures().to_string_lossy(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed item gives exit status 1"
    );
    let items = json(&output);
    let first = &items[0];
    assert_eq!(
        (first["name"].as_str(), first["status"].as_str()),
        (Some("fail2ban running"), Some("fail"))
    );
    assert!(
        first["reason"]
            .as_str()
            .is_some_and(|r| r.contains("not installed")),
        "{first}"
    );
    let sip = items
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == "SIP ACLs sane"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        sip["status"], "fail",
        "the invalid ACL item fails the SIP check: {sip}"
    );
    assert!(
        sip["reason"]
            .as_str()
            .is_some_and(|r| r.contains("pjsip_broken.conf:3")),
        "{sip}"
    );
}

#[test]
fn check_reads_the_jails_of_a_configuration() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban");
    let output = bantop(&[
        "check",
        "--json",
        "--fail2ban-dir",
        &demo.to_string_lossy(),
        "--asterisk-dir",
        "/nonexistent",
    ]);
    let items = json(&output);
    let status = |name: &str| {
        items
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == name))
            .map(|i| i["status"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(
        status("jail sshd").as_deref(),
        Some("pass"),
        "sshd reads the journal"
    );
    assert_eq!(
        status("jail asterisk-wazo").as_deref(),
        Some("fail"),
        "its log does not exist here"
    );
    assert_eq!(status("SIP ACLs sane").as_deref(), Some("warn"));
}

#[test]
fn acl_check_names_the_deciding_rule() {
    let dir = fixtures();
    let dir = dir.to_string_lossy();
    let allowed = bantop(&[
        "acl",
        "check",
        "10.20.30.7",
        "--endpoint",
        "1001",
        "--asterisk-dir",
        &dir,
    ]);
    let text = String::from_utf8_lossy(&allowed.stdout);
    assert_eq!(allowed.status.code(), Some(0), "{text}");
    assert!(
        text.contains("endpoint 1001: ALLOWED (last matching rule `permit = 10.20.30.0/24` at"),
        "{text}"
    );
    assert!(
        text.contains("pjsip.conf:10"),
        "the template's line: {text}"
    );

    let denied = bantop(&[
        "acl",
        "check",
        "198.51.100.9",
        "--endpoint",
        "trunk-provider",
        "--asterisk-dir",
        &dir,
    ]);
    let text = String::from_utf8_lossy(&denied.stdout);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text.contains("endpoint trunk-provider: DENIED (named acl carrier, last matching rule `permit = !0.0.0.0/0`"), "{text}");

    let ipv6 = bantop(&[
        "acl",
        "check",
        "2001:db8::1",
        "--endpoint",
        "1001",
        "--asterisk-dir",
        &dir,
    ]);
    assert!(
        String::from_utf8_lossy(&ipv6.stdout)
            .contains("ALLOWED (no rule matches: Asterisk allows by default)"),
        "no IPv6 rule: allowed"
    );

    let all = bantop(&[
        "acl",
        "check",
        "203.0.113.5",
        "--asterisk-dir",
        &dir,
        "--json",
    ]);
    let report = json(&all);
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    let lines: Vec<(String, u64)> = problems
        .iter()
        .map(|p| {
            (
                p["file"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string(),
                p["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        lines.contains(&("pjsip.conf".to_string(), 21)),
        "permit mixed with deny: {problems:?}"
    );
    assert!(
        lines.contains(&("pjsip.conf".to_string(), 27)),
        "space after a comma: {problems:?}"
    );
    assert!(
        lines.contains(&("pjsip_broken.conf".to_string(), 3)),
        "the invalid item: {problems:?}"
    );
}

#[test]
fn acl_check_refuses_garbage() {
    let output = bantop(&[
        "acl",
        "check",
        "10.0.0.1;reboot",
        "--asterisk-dir",
        &fixtures().to_string_lossy(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value"));
    let missing = bantop(&["acl", "check", "10.0.0.1", "--asterisk-dir", "/nonexistent"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/pjsip.conf"));
}

/// As a user who cannot read root's `/proc/<pid>/fd`, the test's sockets are listed without
/// an owner, with the reason. Needs root to switch to `nobody` (CI runs as root).
#[test]
#[cfg_attr(
    not(tests_as_root),
    ignore = "needs root to run bantop as another user"
)]
fn ports_without_privileges_leave_the_owner_blank_with_a_reason() {
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = tcp.local_addr().map(|a| a.port()).unwrap_or_default();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let binary = common::binary_for_nobody(dir.path());
    let output = common::as_nobody(&binary)
        .args(["ports", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("setpriv: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ports = json(&output);
    let entry = find(&ports, "tcp", port);
    assert_eq!(entry["pid"], serde_json::Value::Null);
    assert!(
        entry["owner_unknown"]
            .as_str()
            .is_some_and(|r| r.contains("another user's process")),
        "{entry}"
    );
    assert_eq!(entry["user"], "root");
}

#[test]
fn check_as_text_gives_each_item_with_its_fix() {
    let output = bantop(&[
        "check",
        "--fail2ban-dir",
        "/nonexistent/fail2ban",
        "--asterisk-dir",
        &fixtures().to_string_lossy(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL  fail2ban running") && l.contains("not installed")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("fix: apt-get install fail2ban")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("  firewall drops banned addresses")),
        "{text}"
    );
}

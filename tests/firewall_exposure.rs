//! Which ports the world can reach, and `bantop restrict` with its dead-man switch, judged by
//! real packets: a network namespace with a real listener, an outside namespace joined to it by
//! a veth pair whose clients connect from 192.0.2.5 and 198.51.100.7, and rulesets written
//! with `nft` and `iptables-nft` as an operator would.

mod common;

use common::netns::{Namespace, Outside};
use serde_json::Value;
use std::io::Write;
use std::process::{Output, Stdio};
use std::time::Duration;

const ALLOWED: &str = "192.0.2.5";
const OTHER: &str = "198.51.100.7";

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn port_json(ns: &Namespace, port: u16) -> Value {
    let output = ns.bantop(&["ports", "--json"]);
    assert!(output.status.success(), "{}", text(&output));
    let ports: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("ports --json: {e}: {}", text(&output)));
    ports
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["port"] == port && p["proto"] == "tcp")
        .cloned()
        .unwrap_or_else(|| panic!("{port}/tcp not listed: {ports}"))
}

fn setup() -> (Namespace, Outside) {
    let ns = Namespace::new();
    let outside = ns.outside();
    (ns, outside)
}

#[test]
fn the_firewall_verdict_follows_the_ruleset_and_the_packets_agree() {
    let (ns, outside) = setup();
    let _listener = ns.listen(5432);
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "open", "no ruleset: {port}");
    assert_eq!(port["severity"], "fail");
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected");

    ns.ok(
        "iptables-nft",
        &["-A", "INPUT", "-p", "tcp", "--dport", "5432", "-j", "DROP"],
    );
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "closed", "{port}");
    assert_eq!(port["firewall_rule"]["table"], "filter");
    assert_eq!(port["firewall_rule"]["chain"], "INPUT");
    assert_eq!(port["firewall_rule"]["verdict"], "drop");
    assert!(port["firewall_rule"]["handle"].as_u64().is_some(), "{port}");
    assert_eq!(
        port["severity"], "warn",
        "a loopback-only service the firewall closes is a warning: {port}"
    );
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");
    ns.ok("iptables-nft", &["-F", "INPUT"]);

    ns.ok("nft", &["add", "table", "inet", "site"]);
    ns.ok(
        "nft",
        &["add chain inet site in { type filter hook input priority 0; policy accept; }"],
    );
    ns.ok(
        "nft",
        &["add rule inet site in ct state established,related accept"],
    );
    ns.ok(
        "nft",
        &["add rule inet site in tcp dport 5432 ip saddr != { 192.0.2.0/24, 10.1.0.0/16 } drop"],
    );
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "restricted", "{port}");
    let allowed: Vec<&str> = port["allowed_from"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(allowed, ["10.1.0.0/16", "192.0.2.0/24"], "{port}");
    assert_eq!(port["firewall_rule"]["table"], "site");
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "connected");
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");

    // Verdict maps are read by their elements: a new connection's ct state is in none of
    // these, and the port's own element accepts it.
    ns.ok(
        "nft",
        &["insert rule inet site in ct state vmap { established : accept, related : accept, invalid : drop }"],
    );
    assert_eq!(port_json(&ns, 5432)["firewall"], "restricted");
    ns.ok(
        "nft",
        &["insert rule inet site in tcp dport vmap { 5432 : accept, 22 : drop }"],
    );
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "open", "{port}");
    assert_eq!(port["firewall_rule"]["chain"], "in");
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected");

    // A filter chain on prerouting sees the packet first.
    ns.ok(
        "nft",
        &["add chain inet site pre { type filter hook prerouting priority -150; policy accept; }"],
    );
    ns.ok("nft", &["add rule inet site pre tcp dport 5432 drop"]);
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "closed", "{port}");
    assert_eq!(port["firewall_rule"]["chain"], "pre");
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "timeout");
    ns.ok("nft", &["flush chain inet site pre"]);

    // A construct bantop does not model stops the reading, and says where.
    ns.ok(
        "nft",
        &["insert rule inet site in ip saddr vmap { 198.51.100.0/24 : drop }"],
    );
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "unknown", "{port}");
    assert!(
        port["firewall_reason"]
            .as_str()
            .is_some_and(|r| r.contains("verdict map on the source address")),
        "{port}"
    );
    assert_eq!(port["firewall_rule"]["chain"], "in");
}

#[test]
fn restrict_keep_lets_only_the_allowed_sources_in_until_unrestrict() {
    let (ns, outside) = setup();
    let _listener = ns.listen(5432);
    let output = ns.bantop(&["restrict", "5432/tcp", "--allow", "192.0.2.0/24", "--keep"]);
    assert!(output.status.success(), "{}", text(&output));
    let said = text(&output);
    assert!(
        said.contains("tcp dport 5432 ip saddr 192.0.2.0/24 accept")
            && said.contains("tcp dport 5432 counter drop"),
        "the exact rules first: {said}"
    );
    assert!(
        said.contains("as the kernel now reads: restricted from 192.0.2.0/24"),
        "{said}"
    );
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "connected");
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");
    let port = port_json(&ns, 5432);
    assert_eq!(port["firewall"], "restricted", "{port}");
    assert_eq!(port["firewall_rule"]["table"], "bantop");
    assert_eq!(port["firewall_rule"]["chain"], "restrict");

    // Restored after the ruleset is flushed.
    ns.ok("nft", &["flush", "ruleset"]);
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected");
    let output = ns.bantop(&["restore"]);
    assert!(
        text(&output).contains("port restrictions restored: 5432/tcp"),
        "{}",
        text(&output)
    );
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "connected");

    let output = ns.bantop(&["unrestrict", "5432/tcp"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected");
    assert_eq!(port_json(&ns, 5432)["firewall"], "open");
    let audit = std::fs::read_to_string(ns.state.path().join("audit.jsonl")).unwrap_or_default();
    assert!(
        audit.contains("\"restrict\"") && audit.contains("\"unrestrict\""),
        "{audit}"
    );
}

/// `bantop restrict` without `--keep`, its stdin a pipe the test holds open and never writes.
fn pending_restrict(ns: &Namespace, allow: &str, seconds: &str) -> std::process::Child {
    let missing = ns.state.path().join("no-fail2ban.sock");
    ns.command(env!("CARGO_BIN_EXE_bantop"))
        .arg("--state-dir")
        .arg(ns.state.path())
        .arg("--socket")
        .arg(&missing)
        .args([
            "restrict",
            "5432/tcp",
            "--allow",
            allow,
            "--rollback-after",
            seconds,
        ])
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_CLIENT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("bantop: {e}"))
}

fn wait_for_rule(ns: &Namespace, present: bool) {
    // Up to 15 s: the watchdog is a process of its own, slow to start on a loaded machine.
    for _ in 0..300 {
        let listed = ns.run("nft", &["list", "chain", "inet", "bantop", "restrict"]);
        if listed.status.success() == present {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "the restrict chain is not {}",
        if present { "there" } else { "gone" }
    );
}

#[test]
fn an_unconfirmed_restriction_is_rolled_back_even_when_its_terminal_dies() {
    let (ns, outside) = setup();
    let _listener = ns.listen(5432);
    // Nobody answers: rolled back at the deadline by the command itself.
    let child = pending_restrict(&ns, "192.0.2.0/24", "2");
    wait_for_rule(&ns, true);
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        text(&output).contains("rolled back: not confirmed"),
        "{}",
        text(&output)
    );
    wait_for_rule(&ns, false);
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected");

    // The terminal is lost (the command killed): the watchdog process rolls it back.
    let mut child = pending_restrict(&ns, "192.0.2.0/24", "2");
    wait_for_rule(&ns, true);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        ns.connect(&outside, OTHER, 5432),
        "timeout",
        "still pending"
    );
    std::thread::sleep(Duration::from_millis(2500));
    wait_for_rule(&ns, false);
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected");
    let audit = std::fs::read_to_string(ns.state.path().join("audit.jsonl")).unwrap_or_default();
    assert!(audit.contains("not confirmed in time"), "{audit}");

    // Confirmed in time: kept.
    let mut child = pending_restrict(&ns, "192.0.2.0/24", "10");
    wait_for_rule(&ns, true);
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"y\n");
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("kept"), "{}", text(&output));

    // A pending change of a kept restriction, unconfirmed: the kept one comes back.
    let child = pending_restrict(&ns, "198.51.100.0/24", "1");
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text(&output).contains("the restriction it replaced is back (from 192.0.2.0/24)"),
        "{}",
        text(&output)
    );
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "connected");
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");
}

#[test]
fn restrictions_that_cut_this_session_or_make_no_sense_are_refused_and_write_nothing() {
    let (ns, _outside) = setup();
    let missing = ns.state.path().join("no-fail2ban.sock");
    let output = ns
        .command(env!("CARGO_BIN_EXE_bantop"))
        .arg("--state-dir")
        .arg(ns.state.path())
        .arg("--socket")
        .arg(&missing)
        .args(["restrict", "22/tcp", "--allow", "192.0.2.0/24", "--keep"])
        .env("SSH_CONNECTION", "::ffff:198.51.100.7 50000 10.9.0.1 22")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    assert!(
        text(&output).contains("this SSH session's port and 198.51.100.7"),
        "{}",
        text(&output)
    );
    for (args, says) in [
        (&["restrict", "70000/tcp", "--keep"][..], "out of range"),
        (&["restrict", "22/sctp", "--keep"], "only tcp and udp"),
        (
            &["restrict", "5432/tcp", "--allow", "0.0.0.0/1", "--keep"],
            "too wide",
        ),
        (
            &["restrict", "5432/tcp", "--allow", "192.0.2.300", "--keep"],
            "not an IP",
        ),
        (
            &["restrict", "5432/tcp", "--allow", "192.0.2.1/24", "--keep"],
            "host bits",
        ),
    ] {
        let output = ns.bantop(args);
        assert!(!output.status.success(), "{args:?}");
        assert!(text(&output).contains(says), "{args:?}: {}", text(&output));
    }
    let listed = ns.run("nft", &["list", "chain", "inet", "bantop", "restrict"]);
    assert!(!listed.status.success(), "nothing written");
    assert!(!ns.state.path().join("restrictions.json").exists());
}

#[test]
fn the_tui_restricts_a_port_keeps_it_on_y_and_rolls_it_back_at_the_deadline() {
    let (ns, outside) = setup();
    let _listener = ns.listen(5432);
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = home.path().join(".config/bantop");
    std::fs::create_dir_all(&config).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        config.join("config.toml"),
        "restrict_rollback_seconds = 6\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let state = ns.state.path().to_string_lossy().into_owned();
    let missing = ns.state.path().join("no-fail2ban.sock");
    let missing = missing.to_string_lossy().into_owned();
    // A fail2ban configuration with no jail, and no server: the TUI is read-only for fail2ban,
    // but restrictions are bantop's own.
    let conf = ns.state.path().join("fail2ban");
    std::fs::create_dir_all(&conf).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(conf.join("jail.conf"), "[DEFAULT]\nbantime = 10m\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let no_dir = conf.to_string_lossy().into_owned();
    let home_text = home.path().to_string_lossy().into_owned();
    let tmux = common::tmux::Tmux::start_through(
        &ns.launcher(),
        "restrict-tui",
        120,
        40,
        &[("HOME", &home_text)],
        &[
            "--state-dir",
            &state,
            "--socket",
            &missing,
            "--fail2ban-dir",
            &no_dir,
            "--geoip",
            "/dev/null",
        ],
    );
    // Events, jails, ports.
    tmux.keys(&["Tab", "Tab"]);
    tmux.wait_for("the port, open", Duration::from_secs(15), |s| {
        s.lines()
            .any(|l| l.contains("0.0.0.0:5432") && l.contains("open"))
    });
    tmux.keys(&["x"]);
    tmux.wait_for("the form with the advice", Duration::from_secs(5), |s| {
        s.contains("never public; loopback only")
    });
    tmux.keys(&["192.0.2.0/24"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the exact rules", Duration::from_secs(5), |s| {
        s.contains("tcp dport 5432 ip saddr 192.0.2.0/24 accept")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the countdown", Duration::from_secs(10), |s| {
        s.contains("Keep the restriction?") && s.contains("in the kernel now")
    });
    assert_eq!(ns.connect(&outside, OTHER, 5432), "timeout");
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "connected");
    tmux.keys(&["y"]);
    tmux.wait_for("kept", Duration::from_secs(10), |s| {
        s.contains("kept the restriction of 5432/tcp")
            && s.lines()
                .any(|l| l.contains("0.0.0.0:5432") && l.contains("restricted"))
    });
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(
        ns.connect(&outside, OTHER, 5432),
        "timeout",
        "kept past the deadline"
    );

    // A change nobody confirms: the kept restriction comes back at the deadline.
    tmux.keys(&["x"]);
    tmux.wait_for("the form", Duration::from_secs(5), |s| {
        s.contains("Restrict a port")
    });
    tmux.keys(&["198.51.100.0/24"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the rules", Duration::from_secs(5), |s| {
        s.contains("ip saddr 198.51.100.0/24 accept")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the countdown", Duration::from_secs(10), |s| {
        s.contains("Keep the restriction?")
    });
    assert_eq!(ns.connect(&outside, OTHER, 5432), "connected", "pending");
    tmux.wait_for(
        "rolled back at the deadline",
        Duration::from_secs(15),
        |s| s.contains("rolled back"),
    );
    wait_until(
        || ns.connect(&outside, OTHER, 5432) == "timeout",
        || {
            format!(
                "{}\n{}\n{}\n{}",
                text(&ns.run("ps", &["-eo", "pid,pgid,stat,etime,args"])),
                std::fs::read_to_string(ns.state.path().join("restrictions.json"))
                    .unwrap_or_default(),
                std::fs::read_to_string(ns.state.path().join("audit.jsonl")).unwrap_or_default(),
                text(&ns.run("nft", &["list", "ruleset"]))
            )
        },
    );
    assert_eq!(ns.connect(&outside, ALLOWED, 5432), "connected");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
}

fn wait_until(mut done: impl FnMut() -> bool, state: impl Fn() -> String) {
    for _ in 0..60 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("not in time: {}", state());
}

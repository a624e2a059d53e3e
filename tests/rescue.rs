//! Locked out, on a real private fail2ban-server: `bantop rescue` unbans and whitelists in one
//! go; `bantop ban` refuses the operator's own address (from `SSH_CONNECTION`) while a control
//! ban of another address goes through; every action is in the audit log.

mod common;

use common::fail2ban::PrivateServer;
use std::process::Command;

#[test]
fn rescue_unbans_everywhere_and_whitelists_in_every_jail() {
    let server = PrivateServer::start();
    for jail in ["asterisk-wazo", "wazo-provd"] {
        server.client_text(&["set", jail, "banip", "203.0.113.9"]);
    }
    let output = server.bantop(&[
        "rescue",
        "203.0.113.9",
        "--reason",
        "locked out at the console",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The same sequence as the TUI's rescue and its plan: bantop's set first, then fail2ban.
    assert!(
        text.contains("1. bantop's set: 203.0.113.9 was not banned there"),
        "{text}"
    );
    assert!(
        text.contains("2. fail2ban: unban 203.0.113.9: 2 ban(s) lifted"),
        "{text}"
    );
    assert!(
        text.contains("203.0.113.9 is unbanned and whitelisted in asterisk-wazo, wazo-provd"),
        "{text}"
    );
    for jail in ["asterisk-wazo", "wazo-provd"] {
        assert!(
            !server
                .client_text(&["get", jail, "banip"])
                .contains("203.0.113.9")
        );
        assert!(
            server
                .client_text(&["get", jail, "ignoreip"])
                .contains("203.0.113.9"),
            "whitelisted live in {jail}"
        );
    }
    server.client_text(&["reload"]);
    assert!(
        server
            .client_text(&["get", "wazo-provd", "ignoreip"])
            .contains("203.0.113.9"),
        "and after a reload"
    );
    let audit = server.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (
            audit[0]["action"].as_str(),
            audit[0]["target"].as_str(),
            audit[0]["result"].as_str()
        ),
        (Some("rescue"), Some("203.0.113.9"), Some("ok"))
    );
}

#[test]
fn ban_refuses_the_operators_address_but_not_another() {
    let server = PrivateServer::start();
    let bantop = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_bantop"))
            .env("SSH_CONNECTION", "203.0.113.9 40022 192.0.2.2 22")
            .arg("--fail2ban-dir")
            .arg(server.conf())
            .arg("--state-dir")
            .arg(server.state_dir())
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let own = bantop(&["ban", "203.0.113.9", "--jail", "asterisk-wazo"]);
    assert_eq!(own.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&own.stderr).contains("refused: 203.0.113.9 is your own address"),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
    let loopback = bantop(&["ban", "127.0.0.1", "--jail", "asterisk-wazo"]);
    assert_eq!(loopback.status.code(), Some(2));
    let control = bantop(&["ban", "198.51.100.9", "--jail", "asterisk-wazo"]);
    assert!(
        control.status.success(),
        "{}",
        String::from_utf8_lossy(&control.stderr)
    );
    let banned = server.client_text(&["get", "asterisk-wazo", "banip"]);
    assert!(
        banned.contains("198.51.100.9") && !banned.contains("203.0.113.9"),
        "{banned}"
    );
    let forced = bantop(&["ban", "203.0.113.9", "--jail", "asterisk-wazo", "--force"]);
    assert!(forced.status.success());
    assert!(
        server
            .client_text(&["get", "asterisk-wazo", "banip"])
            .contains("203.0.113.9")
    );
    let audit = server.audit();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["target"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [("ban", "198.51.100.9"), ("ban", "203.0.113.9")],
        "refused bans change nothing and are not actions"
    );
    assert_eq!(audit[0]["ssh"], "203.0.113.9");
}

#[test]
fn every_action_is_audited() {
    let server = PrivateServer::start();
    let run = |args: &[&str]| {
        let output = server.bantop(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&["ban", "198.51.100.20", "--jail", "wazo-provd"]);
    run(&["unban", "198.51.100.20", "--jail", "wazo-provd"]);
    run(&["whitelist", "192.0.2.0/24", "--jail", "wazo-provd"]);
    run(&[
        "whitelist",
        "192.0.2.0/24",
        "--jail",
        "wazo-provd",
        "--remove",
    ]);
    run(&["unban", "198.51.100.21"]);
    let audit = server.audit();
    let seen: Vec<(String, String, String)> = audit
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_string(),
                e["target"].as_str().unwrap_or("").to_string(),
                e["result"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected = [
        ("ban", "198.51.100.20"),
        ("unban", "198.51.100.20"),
        ("whitelist", "192.0.2.0/24"),
        ("unwhitelist", "192.0.2.0/24"),
        ("unban", "198.51.100.21"),
    ];
    assert_eq!(
        seen.iter()
            .map(|(a, t, _)| (a.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(seen.iter().all(|(_, _, result)| result == "ok"), "{seen:?}");
    assert!(
        audit
            .iter()
            .all(|e| e["uid"].is_number() && e["time"].is_number())
    );
}

//! bantop against a real fail2ban-server (Debian's package): each test starts its own with a
//! private configuration directory, socket, pid file and database, and jails with the `dummy`
//! action (no firewall). fail2ban-client is the independent witness of what bantop did.

mod common;

use bantop::fail2ban::server::Fail2ban;
use bantop::fail2ban::socket_client::{Client, ClientError};
use common::fail2ban::{PrivateServer, tree};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn status_lists_a_ban_made_with_fail2ban_client_and_unban_removes_it() {
    let server = PrivateServer::start();
    server.client_text(&["set", "asterisk-wazo", "banip", "203.0.113.5"]);
    let status = server.bantop(&["status", "--json"]);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap_or_default();
    assert_eq!(report["answered"], true);
    let jail = report["jails"]
        .as_array()
        .and_then(|j| j.iter().find(|j| j["name"] == "asterisk-wazo"))
        .cloned()
        .unwrap_or_default();
    let ban = jail["bans"]
        .as_array()
        .and_then(|b| b.first())
        .cloned()
        .unwrap_or_default();
    assert_eq!(ban["ip"], "203.0.113.5");
    let (since, until) = (
        ban["since"].as_f64().unwrap_or(0.0),
        ban["until"].as_f64().unwrap_or(0.0),
    );
    assert_eq!(until - since, 3600.0);
    assert!(
        (since - chrono::Utc::now().timestamp() as f64).abs() < 60.0,
        "the ban started now"
    );
    assert_eq!(jail["currently_banned"], 1);
    assert!(
        jail["ignoreip"]
            .as_array()
            .is_some_and(|i| i.contains(&serde_json::json!("127.0.0.0/8")))
    );

    let unban = server.bantop(&["unban", "203.0.113.5"]);
    assert!(unban.status.success());
    assert!(stdout(&unban).contains("1 ban(s) lifted"));
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "banip"])
            .contains("203.0.113.5")
    );
}

#[test]
fn unban_and_ban_in_one_jail() {
    let server = PrivateServer::start();
    let ban = server.bantop(&["ban", "198.51.100.9", "--jail", "wazo-provd"]);
    assert!(
        ban.status.success(),
        "{}",
        String::from_utf8_lossy(&ban.stderr)
    );
    assert!(
        server
            .client_text(&["get", "wazo-provd", "banip"])
            .contains("198.51.100.9")
    );
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "banip"])
            .contains("198.51.100.9")
    );
    let unban = server.bantop(&["unban", "198.51.100.9", "--jail", "wazo-provd"]);
    assert_eq!(stdout(&unban).trim(), "unbanned 198.51.100.9 in wazo-provd");
    assert!(
        !server
            .client_text(&["get", "wazo-provd", "banip"])
            .contains("198.51.100.9")
    );
    let unknown = server.bantop(&["ban", "198.51.100.9", "--jail", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("no jail named \"nope\" (jails: asterisk-wazo, wazo-provd)")
    );
}

#[test]
fn whitelist_survives_reload_and_restart_and_keeps_inherited_entries() {
    let mut server = PrivateServer::start();
    server.client_text(&["set", "asterisk-wazo", "banip", "192.0.2.10"]);
    let whitelist = server.bantop(&[
        "whitelist",
        "192.0.2.10",
        "--jail",
        "asterisk-wazo",
        "--reason",
        "operator's office",
    ]);
    assert!(
        whitelist.status.success(),
        "{}{}",
        stdout(&whitelist),
        String::from_utf8_lossy(&whitelist.stderr)
    );
    let dropin = std::fs::read_to_string(server.conf().join("jail.d/bantop-whitelist.local"))
        .unwrap_or_default();
    assert!(
        dropin.contains("[asterisk-wazo]\nignoreip = %(known/ignoreip)s\n"),
        "{dropin}"
    );
    assert!(
        dropin.contains(": operator's office\n           192.0.2.10\n"),
        "{dropin}"
    );
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "banip"])
            .contains("192.0.2.10"),
        "whitelisting unbans"
    );

    server.client_text(&["reload"]);
    let ignored = server.client_text(&["get", "asterisk-wazo", "ignoreip"]);
    assert!(
        ignored.contains("192.0.2.10")
            && ignored.contains("127.0.0.0/8")
            && ignored.contains("::1"),
        "{ignored}"
    );
    assert!(
        !server
            .client_text(&["get", "wazo-provd", "ignoreip"])
            .contains("192.0.2.10"),
        "only the jail asked for"
    );

    server.stop();
    server.launch();
    let ignored = server.client_text(&["get", "asterisk-wazo", "ignoreip"]);
    assert!(
        ignored.contains("192.0.2.10") && ignored.contains("127.0.0.0/8"),
        "after a restart: {ignored}"
    );

    let remove = server.bantop(&[
        "whitelist",
        "192.0.2.10",
        "--jail",
        "asterisk-wazo",
        "--remove",
    ]);
    assert!(remove.status.success());
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "ignoreip"])
            .contains("192.0.2.10"),
        "removed live"
    );
    server.client_text(&["reload"]);
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "ignoreip"])
            .contains("192.0.2.10"),
        "and from the drop-in"
    );
}

#[test]
fn a_hand_edited_dropin_keeps_its_comments_and_keys() {
    let server = PrivateServer::start();
    let path = server.conf().join("jail.d/bantop-whitelist.local");
    let hand = "# Edited by hand: keep this.\n[wazo-provd]\n# a note about the jail\nignoreip = %(known/ignoreip)s 10.0.0.0/24\nmaxretry = 12\n";
    std::fs::write(&path, hand).unwrap_or_else(|e| panic!("{e}"));
    let output = server.bantop(&["whitelist", "198.51.100.0/24"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(text.starts_with("# Edited by hand: keep this.\n[wazo-provd]\n# a note about the jail\nignoreip = %(known/ignoreip)s 10.0.0.0/24\n"), "{text}");
    assert!(text.contains("maxretry = 12"), "{text}");
    assert!(
        text.contains("[asterisk-wazo]"),
        "every enabled jail by default: {text}"
    );
    server.client_text(&["reload"]);
    let provd = server.client_text(&["get", "wazo-provd", "ignoreip"]);
    assert!(
        provd.contains("10.0.0.0/24")
            && provd.contains("198.51.100.0/24")
            && provd.contains("127.0.0.0/8"),
        "{provd}"
    );
    assert!(
        server
            .client_text(&["get", "wazo-provd", "maxretry"])
            .contains("12")
    );
}

#[test]
fn garbage_input_exits_non_zero_and_changes_no_file() {
    let server = PrivateServer::start();
    let before = tree(&server.conf());
    for args in [
        vec!["whitelist", "1.2.3.4; rm -rf /"],
        vec!["whitelist", "$(reboot)"],
        vec!["whitelist", "0.0.0.0/0"],
        vec!["whitelist", "10.1.2.3/8"],
        vec!["whitelist", "192.0.2.10", "--jail", "no-such-jail"],
        vec!["unban", "not-an-address"],
        vec!["ban", "203.0.113.5", "--jail", "no-such-jail"],
        vec!["ban", "203.0.113.5/33"],
    ] {
        let output = server.bantop(&args);
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(
            !String::from_utf8_lossy(&output.stderr).trim().is_empty(),
            "{args:?} gave no message"
        );
    }
    assert_eq!(tree(&server.conf()), before, "a file changed");
}

#[test]
fn a_missing_socket_is_reported_and_the_exit_status_says_so() {
    let server = PrivateServer::start();
    let missing = server.dir.path().join("no.sock");
    let missing = missing.to_string_lossy();
    let status = server.bantop(&["--socket", &missing, "status"]);
    assert_eq!(status.status.code(), Some(1));
    assert!(stdout(&status).contains("fail2ban is not running: no socket at"));
    let unban = server.bantop(&["--socket", &missing, "unban", "203.0.113.5"]);
    assert_eq!(unban.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unban.stderr).contains("not running"));
}

#[tokio::test]
async fn a_server_that_dies_mid_session_is_reported_and_reconnected() {
    let mut server = PrivateServer::start();
    let mut fail2ban = Fail2ban::new(&server.socket());
    assert_eq!(
        fail2ban.jails().await.ok(),
        Some(vec!["asterisk-wazo".to_string(), "wazo-provd".to_string()])
    );
    server.stop();
    let error = fail2ban
        .ping()
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("not running"), "{error}");
    server.launch();
    assert!(
        fail2ban.ping().await.is_ok(),
        "the same client talks to the new server"
    );
}

#[tokio::test]
async fn replies_that_are_not_fail2ban_are_errors_not_crashes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("fake.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap_or_else(|e| panic!("{e}"));
    // Something that is not fail2ban listens on the socket: garbage, then silence.
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut replies = [
            b"this is not a pickle<F2B_END_COMMAND>".to_vec(),
            Vec::new(),
        ]
        .into_iter();
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            let reply = replies.next().unwrap_or_default();
            let _ = stream.write_all(&reply).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    let mut client = Client::new(&path, Duration::from_millis(300));
    assert!(matches!(
        client.send(&["ping"]).await,
        Err(ClientError::Protocol { .. })
    ));
    let silent = Client::new(&path, Duration::from_millis(300))
        .send(&["ping"])
        .await;
    assert!(
        matches!(silent, Err(ClientError::Timeout { .. })),
        "{silent:?}"
    );
}

#[test]
fn status_shows_the_evidence_of_a_ban_fail2ban_made_from_the_log() {
    let server = PrivateServer::start();
    // 15 failed REGISTER lines, dated now: fail2ban's polling backend reads them and bans.
    let now = chrono::Local::now();
    let stamp = format!(
        "{}.{:04}",
        now.format("%Y-%m-%d %H:%M:%S"),
        now.timestamp_subsec_micros() / 100
    );
    let lines: String = (0..15)
        .map(|n| format!("[{stamp}] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"10{n:02}\" <sip:10{n:02}@203.0.113.50>' failed for '203.0.113.50:5070' (callid: c{n}@x) - Failed to authenticate\n"))
        .collect();
    std::fs::write(server.dir.path().join("asterisk.log"), lines).unwrap_or_else(|e| panic!("{e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server
        .client_text(&["get", "asterisk-wazo", "banip"])
        .contains("203.0.113.50")
    {
        assert!(
            Instant::now() < deadline,
            "fail2ban did not ban from the log"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = server.bantop(&["status", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap_or_default();
    assert_eq!(
        report["database_error"],
        serde_json::Value::Null,
        "{report}"
    );
    let jail = report["jails"]
        .as_array()
        .and_then(|j| j.iter().find(|j| j["name"] == "asterisk-wazo"))
        .cloned()
        .unwrap_or_default();
    let ban = jail["bans"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["ip"] == "203.0.113.50"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(ban["bancount"], 1, "{ban}");
    let matches = ban["matches"].as_array().cloned().unwrap_or_default();
    // fail2ban counts all 15 failures but keeps `dbmaxmatches` (10 in Debian's fail2ban.conf)
    // lines in its database: the newest ones.
    assert_eq!(
        (ban["failures"].as_i64(), matches.len()),
        (Some(15), 10),
        "{ban}"
    );
    assert!(
        matches
            .last()
            .and_then(|m| m.as_str())
            .is_some_and(|l| l.contains("(callid: c14@x)"))
    );
    assert!(matches.iter().all(|m| {
        m.as_str()
            .is_some_and(|l| l.contains("failed for '203.0.113.50:5070'"))
    }));
    let text = stdout(&server.bantop(&["status"]));
    assert!(
        text.contains("ban #1") && text.contains("Request 'REGISTER' from"),
        "{text}"
    );
}

/// Where bantop may not write (as on a read-only /etc), the whitelist fails with the path and
/// the reason, and leaves no file behind. Runs bantop as `nobody`, which needs root.
#[test]
#[cfg_attr(
    not(tests_as_root),
    ignore = "needs root to run bantop as another user"
)]
fn an_unwritable_configuration_gets_a_clear_error_and_no_file() {
    let server = PrivateServer::start();
    let shared = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let conf = shared.path().join("conf");
    let copy = Command::new("cp")
        .arg("-r")
        .arg(server.conf())
        .arg(&conf)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(copy.success());
    let binary = common::binary_for_nobody(shared.path());
    let chmod = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(shared.path())
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(chmod.success());
    let before = tree(&conf);
    let output = common::as_nobody(&binary)
        .arg("--fail2ban-dir")
        .arg(&conf)
        .args(["whitelist", "192.0.2.10"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write")
            && stderr.contains("bantop-whitelist.local")
            && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert_eq!(tree(&conf), before, "a file changed or was left behind");
}

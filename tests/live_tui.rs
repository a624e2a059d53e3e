//! `bantop` (no subcommand) on a real private fail2ban-server, in a real terminal: the ban made
//! with fail2ban-client shows in the events and the jail's ban table; `u` + `y` unbans it
//! through fail2ban; a failure written to the jail's log shows with its count; without a socket the UI is read-only and says why.

mod common;

use common::fail2ban::PrivateServer;
use common::tmux::Tmux;
use std::time::Duration;

#[test]
fn live_ban_table_and_unban_through_the_keys() {
    let server = PrivateServer::start();
    server.client_text(&["set", "asterisk-wazo", "banip", "203.0.113.5"]);
    let conf = server.conf().to_string_lossy().into_owned();
    let state = server.state_dir().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        "live",
        120,
        40,
        &["--fail2ban-dir", &conf, "--state-dir", &state],
    );
    tmux.wait_for("the ban in the events", Duration::from_secs(15), |s| {
        s.contains("203.0.113.5") && s.contains(" BAN ")
    });
    tmux.keys(&["Tab"]);
    tmux.wait_for("the asterisk-wazo ban table", Duration::from_secs(5), |s| {
        s.contains("││203.0.113.5 ")
    });
    tmux.keys(&["u"]);
    tmux.wait_for("the unban plan", Duration::from_secs(5), |s| {
        s.contains("fail2ban: set asterisk-wazo unbanip 203.0.113.5") && !s.contains("simulated")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the result", Duration::from_secs(10), |s| {
        s.contains("unbanned 203.0.113.5 in asterisk-wazo")
    });
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "banip"])
            .contains("203.0.113.5"),
        "fail2ban still bans it"
    );
    tmux.wait_for("the table without it", Duration::from_secs(10), |s| {
        !s.contains("││203.0.113.5 ")
    });
    let audit = server.audit();
    assert_eq!(
        (
            audit[0]["action"].as_str(),
            audit[0]["target"].as_str(),
            audit[0]["result"].as_str()
        ),
        (Some("unban"), Some("203.0.113.5"), Some("ok")),
        "the TUI's actions are audited"
    );

    // A ban made outside bantop appears by itself (the tables are read every 5 s).
    server.client_text(&["set", "wazo-provd", "banip", "198.51.100.9"]);
    tmux.keys(&["Tab", "Tab", "Tab", "Tab", "Tab"]);
    tmux.wait_for("the new ban in the events", Duration::from_secs(15), |s| {
        s.contains("198.51.100.9")
    });

    // A failure written to the jail's log appears as an event, counted against maxretry.
    server.fail_ami_login("192.0.2.77", "admin");
    tmux.wait_for("the failure from the log", Duration::from_secs(10), |s| {
        s.lines().any(|l| {
            l.contains("192.0.2.77") && l.contains("1/15") && l.contains("AMI login 'admin' failed")
        })
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

#[test]
fn without_a_socket_the_ui_is_read_only_and_says_why() {
    let server = PrivateServer::start();
    let conf = server.conf().to_string_lossy().into_owned();
    let missing = server
        .dir
        .path()
        .join("nothing.sock")
        .to_string_lossy()
        .into_owned();
    let state = server.state_dir().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        "readonly",
        120,
        40,
        &[
            "--fail2ban-dir",
            &conf,
            "--socket",
            &missing,
            "--state-dir",
            &state,
        ],
    );
    tmux.wait_for("the read-only banner", Duration::from_secs(10), |s| {
        s.contains("READ-ONLY: fail2ban is not running: no socket at")
    });
    tmux.keys(&["Tab", "w"]);
    tmux.wait_for("the refusal", Duration::from_secs(5), |s| {
        s.contains("read-only: fail2ban is not running")
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    assert!(
        !server.conf().join("jail.d/bantop-whitelist.local").exists(),
        "nothing was written"
    );
}

#[test]
fn a_configuration_fail2ban_runs_starts_the_tui_with_the_skipped_jail_shown() {
    // A host name, a placeholder and a comment in ignoreip, a comment after a time, a jail
    // whose filter is missing: fail2ban runs it (skipping that jail); so does the TUI.
    let server = PrivateServer::start();
    let local = server.conf().join("jail.local");
    let mut text = std::fs::read_to_string(&local).unwrap_or_else(|e| panic!("{e}"));
    text = text.replace(
        "ignoreip = 127.0.0.1/8 ::1",
        "ignoreip = 127.0.0.1/8 ::1 office.example.org PUBLIC_IP #and any other private IPs\nbantime = 600 # ten minutes",
    );
    text.push_str("\n[broken]\nenabled = true\nfilter = no-such-filter\nlogpath = /dev/null\n");
    std::fs::write(&local, text).unwrap_or_else(|e| panic!("{e}"));
    // fail2ban itself takes it: a reload keeps its jails.
    let reload = server.client(&["reload"]);
    assert!(reload.status.success(), "{reload:?}");
    assert!(server.client_text(&["status"]).contains("asterisk-wazo"));
    let conf = server.conf().to_string_lossy().into_owned();
    let socket = server.socket().to_string_lossy().into_owned();
    let state = server.state_dir().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        "tolerated",
        120,
        40,
        &[
            "--fail2ban-dir",
            &conf,
            "--socket",
            &socket,
            "--state-dir",
            &state,
        ],
    );
    tmux.wait_for("the skipped jail named", Duration::from_secs(15), |s| {
        s.contains("fail2ban skips 1 jail(s): broken (Unable to read the filter 'no-such-filter')")
    });
    tmux.keys(&["Tab", "o"]);
    tmux.wait_for(
        "the jails view and where from",
        Duration::from_secs(5),
        |s| s.contains("x broken") && s.contains("Where from") && s.contains("jail.local:"),
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
}

#[test]
fn locked_out_the_banner_and_one_key_get_the_operator_back_in() {
    let server = PrivateServer::start();
    server.client_text(&["set", "asterisk-wazo", "banip", "203.0.113.9"]);
    let conf = server.conf().to_string_lossy().into_owned();
    let state = server.state_dir().to_string_lossy().into_owned();
    let env = [("SSH_CONNECTION", "203.0.113.9 40022 192.0.2.2 22")];
    let tmux = Tmux::start_with_env(
        "rescue",
        100,
        30,
        &env,
        &["--fail2ban-dir", &conf, "--state-dir", &state],
    );
    tmux.wait_for("the banner", Duration::from_secs(15), |s| {
        s.contains(
            "YOUR ADDRESS 203.0.113.9: banned in asterisk-wazo. R = unban + whitelist everywhere",
        )
    });
    tmux.keys(&["R"]);
    tmux.wait_for("the rescue plan", Duration::from_secs(5), |s| {
        s.contains("fail2ban: unban 203.0.113.9")
    });
    tmux.keys(&["y"]);
    tmux.wait_for("the result", Duration::from_secs(10), |s| {
        s.contains("rescued 203.0.113.9")
    });
    assert!(
        !server
            .client_text(&["get", "asterisk-wazo", "banip"])
            .contains("203.0.113.9")
    );
    for jail in ["asterisk-wazo", "wazo-provd"] {
        assert!(
            server
                .client_text(&["get", jail, "ignoreip"])
                .contains("203.0.113.9"),
            "{jail}"
        );
    }
    tmux.wait_for("the banner gone", Duration::from_secs(10), |s| {
        !s.contains("YOUR ADDRESS")
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
}

/// Enter on a ban on a real server: the dossier reads every log, the rotated one too, and
/// fail2ban's database, and shows them in place of what the session saw.
#[test]
fn the_dossier_on_a_real_server_reads_the_rotated_logs_and_the_database() {
    let server = PrivateServer::start();
    let rotated = server.dir.path().join("asterisk.log.1");
    // Ten minutes ago: within the dossier's period (the last hour).
    let ten_minutes_ago = chrono::Local::now() - chrono::Duration::minutes(10);
    let line = |second: i64| {
        format!(
            "[{}.0000] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"4711\" <sip:4711@203.0.113.5>' failed for '203.0.113.5:5070' (callid: 990de61b3d5d@pc33) - Failed to authenticate\n",
            (ten_minutes_ago + chrono::Duration::seconds(second)).format("%Y-%m-%d %H:%M:%S")
        )
    };
    let text: String = (0..7).map(line).collect();
    std::fs::write(&rotated, text).unwrap_or_else(|e| panic!("{e}"));
    server.client_text(&["set", "asterisk-wazo", "banip", "203.0.113.5"]);
    let conf = server.conf().to_string_lossy().into_owned();
    let state = server.state_dir().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        "live-dossier",
        120,
        40,
        &["--fail2ban-dir", &conf, "--state-dir", &state],
    );
    tmux.keys(&["Tab"]);
    tmux.wait_for(
        "the asterisk-wazo ban table",
        Duration::from_secs(15),
        |s| s.contains("││203.0.113.5 "),
    );
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the gathered dossier", Duration::from_secs(15), |s| {
        s.contains("from every log")
    });
    assert!(screen.contains("7 failures in 1 jail(s)"), "{screen}");
    assert!(screen.contains("4711 (7)"), "{screen}");
    assert!(screen.contains("bans (fail2ban's database)"), "{screen}");
    assert!(screen.contains("banned in asterisk-wazo"), "{screen}");
    tmux.keys(&["Escape", "q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

/// `t` on a real server: a day back reads the rotated log's failures of three hours ago into
/// the header's count and the events; the hour before left them out.
#[test]
fn a_longer_period_reads_the_logs_history() {
    let server = PrivateServer::start();
    let three_hours_ago = chrono::Local::now() - chrono::Duration::hours(3);
    let text: String = (0..7)
        .map(|n| {
            let time = three_hours_ago + chrono::Duration::seconds(n);
            format!(
                "[{}.0000] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"4711\" <sip:4711@198.51.100.61>' failed for '198.51.100.61:5070' (callid: 990de61b3d5d@pc33) - Failed to authenticate\n",
                time.format("%Y-%m-%d %H:%M:%S")
            )
        })
        .collect();
    std::fs::write(server.dir.path().join("asterisk.log.1"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let conf = server.conf().to_string_lossy().into_owned();
    let state = server.state_dir().to_string_lossy().into_owned();
    let tmux = Tmux::start(
        "live-period",
        120,
        40,
        &["--fail2ban-dir", &conf, "--state-dir", &state],
    );
    let screen = tmux.wait_for("the last hour", Duration::from_secs(15), |s| {
        s.contains("last 1h") && s.contains("asterisk-wazo  fail 0 ")
    });
    assert!(!screen.contains("198.51.100.61"), "{screen}");
    tmux.keys(&["t"]);
    let screen = tmux.wait_for("the last day, read back", Duration::from_secs(15), |s| {
        s.contains("last 24h") && s.contains("asterisk-wazo  fail 7 ")
    });
    assert!(screen.contains("198.51.100.61"), "{screen}");
    // Back to the hour: nothing counted twice when the day comes round again.
    tmux.keys(&["t", "t", "t"]);
    tmux.wait_for("the hour again", Duration::from_secs(10), |s| {
        s.contains("last 1h") && s.contains("asterisk-wazo  fail 0 ")
    });
    tmux.keys(&["t"]);
    tmux.wait_for("the day again", Duration::from_secs(10), |s| {
        s.contains("last 24h") && s.contains("asterisk-wazo  fail 7 ")
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

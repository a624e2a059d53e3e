//! One way to carry out an action: the same scenarios (a ban and an unban in a jail and in
//! bantop's set, whitelist then its undo, the rescue of a banned operator) through the CLI
//! (`--json`), the live engine (a real fail2ban-server) and the demo (simulated) take the same
//! steps, in the same order, with the same results. And the CLI refuses exactly what the one
//! refusal policy, which the TUI asks too, refuses.
//!
//! The test runs itself again inside `unshare -rn`; each path then gets a network namespace of
//! its own (`unshare(2)`), so the three sets of bantop's table do not meet.
#![allow(unsafe_code)]

mod common;

use bantop::engine::execute::{Step, StepKind};
use bantop::engine::live::LiveEngine;
use bantop::engine::refusal::{Whitelists, ban_danger};
use bantop::engine::{Command, DemoEngine};
use bantop::model::BanPlace;
use common::fail2ban::PrivateServer;
use ipnet::IpNet;
use std::net::IpAddr;
use std::path::Path;

const INSIDE: &str = "BANTOP_ONE_EXECUTOR_INSIDE";
const JAILS: [&str; 2] = ["asterisk-wazo", "wazo-provd"];

/// What is compared: the kind of each step, whether it worked, whether it changed anything.
type Outline = Vec<(StepKind, bool, bool)>;

fn outline(steps: &[Step]) -> Outline {
    steps.iter().map(|s| (s.kind, s.ok, s.changed)).collect()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|_| panic!("{text}"))
}

/// The scenarios: a command, and the CLI arguments that say the same.
fn scenarios() -> Vec<(Command, Vec<&'static str>)> {
    let jails: Vec<String> = JAILS.iter().map(|j| j.to_string()).collect();
    vec![
        (
            Command::JailBan {
                jail: "asterisk-wazo".into(),
                ip: ip("203.0.113.9"),
            },
            vec!["ban", "203.0.113.9", "--jail", "asterisk-wazo"],
        ),
        // Again: nothing changes, so there is nothing to undo.
        (
            Command::JailBan {
                jail: "asterisk-wazo".into(),
                ip: ip("203.0.113.9"),
            },
            vec!["ban", "203.0.113.9", "--jail", "asterisk-wazo"],
        ),
        (
            Command::Ban {
                target: ip("198.51.100.7").into(),
                seconds: Some(3600),
            },
            vec!["ban", "198.51.100.7", "--for", "1h"],
        ),
        (
            Command::Unban {
                place: BanPlace::Jail("asterisk-wazo".into()),
                target: ip("203.0.113.9").into(),
            },
            vec!["unban", "203.0.113.9", "--jail", "asterisk-wazo"],
        ),
        (
            Command::Unban {
                place: BanPlace::OwnSet,
                target: ip("198.51.100.7").into(),
            },
            vec!["unban", "198.51.100.7", "--own-set"],
        ),
        (
            Command::Unban {
                place: BanPlace::OwnSet,
                target: ip("198.51.100.7").into(),
            },
            vec!["unban", "198.51.100.7", "--own-set"],
        ),
        (
            Command::Whitelist {
                entry: IpNet::from(ip("192.0.2.33")),
                jails: vec!["asterisk-wazo".into()],
                comment: "test".into(),
            },
            vec!["whitelist", "192.0.2.33", "--jail", "asterisk-wazo"],
        ),
        (
            Command::Whitelist {
                entry: IpNet::from(ip("192.0.2.33")),
                jails: vec!["asterisk-wazo".into()],
                comment: "test".into(),
            },
            vec!["whitelist", "192.0.2.33", "--jail", "asterisk-wazo"],
        ),
        (
            Command::Whitelist {
                entry: IpNet::from(ip("192.0.2.33")),
                jails: vec!["asterisk-wazo".into()],
                comment: "test".into(),
            }
            .undo()
            .unwrap_or(Command::Faster),
            vec![
                "whitelist",
                "192.0.2.33",
                "--jail",
                "asterisk-wazo",
                "--remove",
            ],
        ),
        // The operator, banned in a jail and in bantop's set, then rescued.
        (
            Command::JailBan {
                jail: "wazo-provd".into(),
                ip: ip("203.0.113.10"),
            },
            vec!["ban", "203.0.113.10", "--jail", "wazo-provd"],
        ),
        (
            Command::Ban {
                target: ip("203.0.113.10").into(),
                seconds: None,
            },
            vec!["ban", "203.0.113.10"],
        ),
        (
            Command::Rescue {
                ip: ip("203.0.113.10"),
                jails,
                comment: "test".into(),
            },
            vec!["rescue", "203.0.113.10"],
        ),
    ]
}

fn fresh_network_namespace() {
    // SAFETY: unshare(2) with CLONE_NEWNET only moves this thread into a new network
    // namespace; it takes no pointers.
    let made = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(made, 0, "unshare(CLONE_NEWNET)");
}

fn through_the_cli() -> Vec<Outline> {
    fresh_network_namespace();
    let server = PrivateServer::start();
    scenarios()
        .into_iter()
        .map(|(_, args)| {
            let output = server.bantop(&[args.as_slice(), &["--json"]].concat());
            let report: serde_json::Value =
                serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
                    panic!(
                        "{args:?}: {e}: {}{}",
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    )
                });
            report["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|step| {
                    let kind: StepKind = match step["kind"].as_str().unwrap_or("") {
                        "own_set_ban" => StepKind::OwnSetBan,
                        "own_set_unban" => StepKind::OwnSetUnban,
                        "jail_ban" => StepKind::JailBan,
                        "jail_unban" => StepKind::JailUnban,
                        "unban_everywhere" => StepKind::UnbanEverywhere,
                        "dropin" => StepKind::Dropin,
                        "ignore_list" => StepKind::IgnoreList,
                        "verify" => StepKind::Verify,
                        other => panic!("unknown step kind {other:?}"),
                    };
                    (
                        kind,
                        step["ok"].as_bool().unwrap_or(false),
                        step["changed"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .collect()
}

fn through_the_live_engine() -> Vec<Outline> {
    fresh_network_namespace();
    let server = PrivateServer::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let mut engine =
            LiveEngine::load(&server.conf(), &server.socket(), &server.state_dir(), None)
                .unwrap_or_else(|e| panic!("{e}"));
        let mut outlines = Vec::new();
        for (command, _) in scenarios() {
            outlines.push(outline(&engine.execute_steps(command).await.0));
        }
        outlines
    })
}

fn through_the_demo() -> Vec<Outline> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let mut engine = DemoEngine::load(&dir, 1.0).unwrap_or_else(|e| panic!("{e}"));
    scenarios()
        .into_iter()
        .map(|(command, _)| outline(&engine.execute_steps(command).0))
        .collect()
}

#[test]
fn the_cli_the_live_engine_and_the_demo_take_the_same_steps() {
    if std::env::var_os(INSIDE).is_none() {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let output = std::process::Command::new("unshare")
            .arg("-rn")
            .arg(exe)
            .args([
                "--exact",
                "the_cli_the_live_engine_and_the_demo_take_the_same_steps",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(INSIDE, "1")
            .output()
            .unwrap_or_else(|e| panic!("unshare -rn: {e}"));
        assert!(
            output.status.success(),
            "inside the namespace:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let demo = through_the_demo();
    let live = through_the_live_engine();
    let cli = through_the_cli();
    for (index, (command, args)) in scenarios().iter().enumerate() {
        assert_eq!(live[index], demo[index], "{command:?}: live engine vs demo");
        assert_eq!(cli[index], demo[index], "{args:?}: CLI vs demo");
    }
    // The rescue: bantop's set, then fail2ban, then the drop-in and each jail live.
    let rescue = demo.last().cloned().unwrap_or_default();
    let kinds: Vec<StepKind> = rescue.iter().map(|(kind, _, _)| *kind).collect();
    assert_eq!(
        kinds,
        [
            StepKind::OwnSetUnban,
            StepKind::UnbanEverywhere,
            StepKind::Dropin,
            StepKind::IgnoreList,
            StepKind::IgnoreList,
            StepKind::Verify
        ]
    );
    assert!(rescue.iter().all(|(_, ok, _)| *ok), "{rescue:?}");
    // A second ban, unban or whitelist of the same address changed nothing, everywhere.
    assert_eq!(demo[1], vec![(StepKind::JailBan, true, false)]);
    assert_eq!(demo[5], vec![(StepKind::OwnSetUnban, true, false)]);
    assert_eq!(
        demo[7],
        vec![
            (StepKind::Dropin, true, false),
            (StepKind::IgnoreList, true, false)
        ]
    );
}

#[test]
fn the_cli_refuses_what_the_one_refusal_policy_refuses() {
    let server = PrivateServer::start();
    let operator = ip("203.0.113.9");
    let mut whitelists = Whitelists::default();
    whitelists.add_list("asterisk-wazo", &["127.0.0.1/8 ::1".to_string()]);
    whitelists.add_list("wazo-provd", &["127.0.0.1/8 ::1 192.0.2.0/24".to_string()]);
    // Whitelisted in wazo-provd only: a ban in asterisk-wazo is refused all the same, as the
    // TUI refuses it (the office whitelisted for one service is not banned by another).
    server.client_text(&["set", "wazo-provd", "addignoreip", "192.0.2.0/24"]);
    for target in [
        "203.0.113.9",
        "::ffff:203.0.113.9",
        "127.0.0.1",
        "192.0.2.50",
    ] {
        let net: IpNet =
            bantop::model::address::canonical_target(target).unwrap_or_else(|e| panic!("{e}"));
        let policy = ban_danger(net, &[operator], &whitelists)
            .unwrap_or_else(|| panic!("{target} is not refused by the policy"));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bantop"))
            .arg("--fail2ban-dir")
            .arg(server.conf())
            .arg("--state-dir")
            .arg(server.state_dir())
            .args(["ban", target, "--jail", "asterisk-wazo"])
            .env("SSH_CONNECTION", "203.0.113.9 50022 192.0.2.1 22")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{target}: {stderr}");
        assert!(
            stderr.contains(&policy),
            "{target}: {stderr} lacks {policy:?}"
        );
    }
    let wide: IpNet = "10.0.0.0/8".parse().unwrap_or_default();
    assert!(ban_danger(wide, &[operator], &whitelists).is_some_and(|d| d.contains("wider")));
}

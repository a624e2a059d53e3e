//! `bantime.increment` in the demo engine: an address banned again and again in a jail, by its
//! failures or by hand, is banned for as long as `ban_seconds` says for its count of earlier
//! bans (the first ban keeps `bantime`), and with `bantime.overalljails` its bans in the other
//! jails raise that count.

mod common;

use bantop::engine::{Command, DemoEngine};
use bantop::model::ban_increment::{BanIncrement, BanTimeOutcome, ban_seconds};
use bantop::model::{Ban, EngineEvent};
use std::net::IpAddr;

const ATTACKER: &str = "203.0.113.9";
/// The recording's first second, 2026-01-19 17:00:00 UTC.
const START: i64 = 1_768_842_000;
/// `bantime` of the jail under test.
const BANTIME: i64 = 600;

/// The demo with `jail_lines` added in `jail.d/` and one recording, for `wazo-provd`: two
/// failures of [`ATTACKER`] (its `maxretry`) at each of `rounds` (seconds after [`START`]).
fn demo(jail_lines: &str, rounds: &[i64]) -> (tempfile::TempDir, DemoEngine) {
    let dir = common::copy_demo();
    let write = |path: &str, text: &str| {
        std::fs::write(dir.path().join(path), text).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    write("fail2ban/jail.d/zz-increment.local", jail_lines);
    let log: String = rounds
        .iter()
        .flat_map(|round| [*round, round + 1])
        .map(|second| {
            let time = chrono::DateTime::from_timestamp(START + second, 0)
                .unwrap_or_default()
                .format("%Y-%m-%d %H:%M:%S");
            format!("[{time},000] New device created automatically from {ATTACKER}: f7962a12\n")
        })
        .collect();
    write("logs/increment.log", &log);
    write(
        "scenario.toml",
        "operator = \"192.0.2.10\"\ntimezone = \"+00:00\"\nfail2ban = \"fail2ban\"\n\
         ports = \"ports.toml\"\nasterisk = \"asterisk\"\n\n[[source]]\njail = \"wazo-provd\"\n\
         file = \"logs/increment.log\"\nformat = \"file\"\n",
    );
    let engine = DemoEngine::load(dir.path(), 1.0).unwrap_or_else(|e| panic!("{e}"));
    (dir, engine)
}

fn attacker() -> IpAddr {
    ATTACKER.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The bans of `events` in `jail`, as (seconds, count).
fn bans_in(events: &[EngineEvent], jail: &str) -> Vec<(f64, u32)> {
    events
        .iter()
        .filter_map(|event| match event {
            EngineEvent::Banned(Ban {
                jail: banned_in,
                since,
                until: Some(until),
                count,
                ..
            }) if banned_in == jail => Some((until - since, *count)),
            _ => None,
        })
        .collect()
}

/// What `ban_seconds` says for `earlier_bans`, when it gives seconds.
fn expected_seconds(increment: &BanIncrement, earlier_bans: u32) -> f64 {
    match ban_seconds(BANTIME, increment, earlier_bans) {
        BanTimeOutcome::Seconds { seconds, .. } => seconds,
        BanTimeOutcome::CustomFormula(formula) => panic!("custom formula {formula}"),
    }
}

#[test]
fn bans_in_a_row_last_bantime_then_as_the_formula_says_for_the_count() {
    let (_dir, mut engine) = demo(
        "[wazo-provd]\nmaxretry = 2\nbantime = 600\nbantime.increment = true\n\
         bantime.factor = 2\n",
        // Each round starts after the ban of the round before has ended.
        &[0, 700, 3200],
    );
    let mut events = engine.advance_to(START as f64 + 3201.0);
    // The fourth ban by hand through the jail, after the third ended (3201 + 4800).
    engine.advance_to(START as f64 + 8100.0);
    events.extend(engine.execute(Command::JailBan {
        jail: "wazo-provd".to_string(),
        ip: attacker(),
    }));
    let increment = BanIncrement {
        factor: 2.0,
        ..BanIncrement::default()
    };
    let expected: Vec<(f64, u32)> = (0..4)
        .map(|earlier_bans| (expected_seconds(&increment, earlier_bans), earlier_bans + 1))
        .collect();
    assert_eq!(
        expected,
        [(600.0, 1), (2400.0, 2), (4800.0, 3), (9600.0, 4)]
    );
    assert_eq!(bans_in(&events, "wazo-provd"), expected);
}

#[test]
fn multipliers_and_maxtime_set_the_bans_in_a_row() {
    let (_dir, mut engine) = demo(
        "[wazo-provd]\nmaxretry = 2\nbantime = 600\nbantime.increment = true\n\
         bantime.multipliers = 1 5 30\nbantime.maxtime = 5h\n",
        &[0, 700, 3800, 22_000],
    );
    let events = engine.advance_to(START as f64 + 22_001.0);
    let increment = BanIncrement {
        multipliers: vec![1, 5, 30],
        maxtime: Some(5 * 3600),
        ..BanIncrement::default()
    };
    let expected: Vec<f64> = (0..4)
        .map(|earlier_bans| expected_seconds(&increment, earlier_bans))
        .collect();
    assert_eq!(expected, [600.0, 3000.0, 18_000.0, 18_000.0]);
    let seconds: Vec<f64> = bans_in(&events, "wazo-provd")
        .into_iter()
        .map(|(seconds, _)| seconds)
        .collect();
    assert_eq!(seconds, expected);
}

#[test]
fn with_overalljails_bans_in_other_jails_raise_the_count() {
    for (overalljails, expected) in [(false, 600.0), (true, 2400.0)] {
        let (_dir, mut engine) = demo(
            &format!(
                "[wazo-provd]\nmaxretry = 2\nbantime = 600\nbantime.increment = true\n\
                 bantime.overalljails = {overalljails}\n"
            ),
            &[100],
        );
        let mut events = Vec::new();
        for jail in ["asterisk-wazo", "sshd"] {
            events.extend(engine.execute(Command::JailBan {
                jail: jail.to_string(),
                ip: attacker(),
            }));
        }
        assert_eq!(bans_in(&events, "asterisk-wazo").len(), 1);
        assert_eq!(bans_in(&events, "sshd").len(), 1);
        events.extend(engine.advance_to(START as f64 + 101.0));
        assert_eq!(
            bans_in(&events, "wazo-provd"),
            [(expected, 1)],
            "overalljails = {overalljails}: two bans elsewhere, the first here"
        );
        assert_eq!(
            expected,
            expected_seconds(
                &BanIncrement {
                    overalljails,
                    ..BanIncrement::default()
                },
                if overalljails { 2 } else { 0 }
            )
        );
    }
}

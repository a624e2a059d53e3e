//! The demo engine over the shipped recordings: the scenario's attacks are banned by the jails
//! whose real filters catch them, the operator's own address is counted but never banned, and
//! the operator's commands change the state.

use bantop::engine::{Command, DemoEngine};
use bantop::model::{BanPlace, EngineEvent, EventKind};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

fn engine() -> DemoEngine {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    DemoEngine::load(&dir, 60.0).unwrap_or_else(|e| panic!("demo does not load: {e}"))
}

fn bans(events: &[EngineEvent]) -> BTreeSet<(String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Banned(ban) => Some((ban.jail.clone(), ban.ip.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_attack_of_the_scenario_is_banned_by_its_jail() {
    let mut engine = engine();
    let start = engine.now();
    let events = engine.advance_to(start + 24.0 * 60.0);
    let expected: BTreeSet<(String, String)> = [
        ("asterisk-wazo", "203.0.113.5"),
        ("asterisk-wazo", "198.51.100.23"),
        ("asterisk-wazo", "2001:db8:4::5"),
        ("asterisk-wazo", "192.0.2.11"),
        ("asterisk-wazo", "203.0.113.77"),
        ("asterisk-wazo", "203.0.113.200"),
        ("wazo-provd", "198.51.100.77"),
        ("wazo-provd", "203.0.113.99"),
        ("sshd", "198.51.100.7"),
        ("sshd", "203.0.113.45"),
    ]
    .iter()
    .map(|(j, ip)| (j.to_string(), ip.to_string()))
    .collect();
    assert_eq!(bans(&events), expected);
    let jails: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log(log) => Some(log.failure.jail.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        jails,
        ["asterisk-wazo", "sshd", "wazo-provd"]
            .into_iter()
            .collect()
    );
    let rebanned = events.iter().filter(|e| matches!(e, EngineEvent::Banned(b) if b.ip.to_string() == "198.51.100.7" && b.count == 2)).count();
    assert_eq!(
        rebanned, 1,
        "the SSH attacker comes back after its 10m ban and is banned again"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Unbanned { reason, .. } if reason == "expired"))
    );
}

#[test]
fn the_operator_fails_but_stays_below_maxretry() {
    let mut engine = engine();
    let operator = engine.operator();
    let start = engine.now();
    let events = engine.advance_to(start + 24.0 * 60.0);
    let counts: Vec<(String, u32)> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log(log) if log.failure.ip == Some(operator) => match log.kind {
                EventKind::Counted { count, .. } => Some((log.failure.jail.clone(), count)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        counts
            .iter()
            .filter(|(j, _)| j == "sshd")
            .map(|(_, c)| *c)
            .max(),
        Some(3)
    );
    assert_eq!(
        counts
            .iter()
            .filter(|(j, _)| j == "asterisk-wazo")
            .map(|(_, c)| *c)
            .max(),
        Some(6)
    );
    assert!(
        !bans(&events)
            .iter()
            .any(|(_, ip)| *ip == operator.to_string())
    );
}

#[test]
fn the_truncated_line_is_counted_not_fatal() {
    let engine = engine();
    let unparsed: u64 = engine
        .opening_events()
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Unparsed { count, .. } => Some(*count),
            _ => None,
        })
        .sum();
    assert_eq!(unparsed, 1);
}

#[test]
fn unban_whitelist_and_manual_ban_change_the_state() {
    let mut engine = engine();
    let start = engine.now();
    engine.advance_to(start + 3.0 * 60.0);
    let attacker: IpAddr = "203.0.113.5".parse().unwrap_or(engine.operator());
    let unban = engine.execute(Command::Unban {
        place: BanPlace::Jail("asterisk-wazo".into()),
        target: attacker.into(),
    });
    assert!(
        unban
            .iter()
            .any(|e| matches!(e, EngineEvent::Unbanned { reason, .. } if reason == "operator")),
        "{unban:?}"
    );
    let again = engine.execute(Command::Unban {
        place: BanPlace::Jail("asterisk-wazo".into()),
        target: attacker.into(),
    });
    assert!(
        matches!(
            again.first(),
            Some(EngineEvent::ActionResult { ok: false, .. })
        ),
        "{again:?}"
    );

    let operator = engine.operator();
    let whitelist = engine.execute(Command::Whitelist {
        entry: operator.into(),
        jails: vec!["sshd".into()],
        comment: "test".into(),
    });
    assert!(
        whitelist
            .iter()
            .any(|e| matches!(e, EngineEvent::Whitelisted(w) if w.jail == "sshd"))
    );
    let later = engine.advance_to(start + 8.0 * 60.0);
    let operator_sshd: Vec<&EventKind> = later
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log(log)
                if log.failure.ip == Some(operator) && log.failure.jail == "sshd" =>
            {
                Some(&log.kind)
            }
            _ => None,
        })
        .collect();
    assert!(
        !operator_sshd.is_empty() && operator_sshd.iter().all(|k| **k == EventKind::Ignored),
        "{operator_sshd:?}"
    );

    let ban = engine.execute(Command::Ban {
        target: attacker.into(),
        seconds: Some(60),
    });
    assert!(
        ban.iter().any(
            |e| matches!(e, EngineEvent::Banned(b) if b.jail == bantop::model::ban::OWN_SET_NAME && b.until.is_some())
        )
    );
    let expiry = engine.advance_to(engine.now() + 61.0);
    assert!(
        expiry
            .iter()
            .any(|e| matches!(e, EngineEvent::Unbanned { ban, .. } if ban.jail == bantop::model::ban::OWN_SET_NAME))
    );
}

#[test]
fn the_replay_loops_after_the_end() {
    let mut engine = engine();
    let start = engine.now();
    let events = engine.advance_to(start + 26.0 * 60.0);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Replay { loops: 1, .. }))
    );
}

#[test]
fn ports_and_posture_describe_the_demo_server() {
    let mut engine = engine();
    let opening = engine.opening_events();
    let ports = opening.iter().find_map(|e| match e {
        EngineEvent::Ports(ports) => Some(ports.clone()),
        _ => None,
    });
    let ports = ports.unwrap_or_default();
    let postgres = ports
        .iter()
        .find(|p| p.port == 5432)
        .map(|p| (p.severity, p.service.clone()));
    assert_eq!(
        postgres,
        Some((
            bantop::model::port::Severity::Fail,
            Some("postgresql".to_string())
        ))
    );

    let status = |items: &[bantop::model::check::CheckItem], name: &str| {
        items.iter().find(|i| i.name == name).map(|i| i.status)
    };
    let before = engine.posture();
    use bantop::model::check::Status;
    assert_eq!(status(&before, "operator whitelisted"), Some(Status::Warn));
    assert_eq!(
        status(&before, "no unexpected public ports"),
        Some(Status::Fail)
    );
    assert_eq!(
        status(&before, "SIP ACLs sane"),
        Some(Status::Warn),
        "the trunk mixes permit and deny"
    );
    assert_eq!(status(&before, "fail2ban running"), Some(Status::Pass));

    let operator = engine.operator();
    let jails = ["asterisk-wazo", "wazo-provd", "sshd"]
        .map(String::from)
        .to_vec();
    let events = engine.execute(Command::Whitelist {
        entry: operator.into(),
        jails,
        comment: "test".into(),
    });
    let after = events.iter().find_map(|e| match e {
        EngineEvent::Posture(items) => Some(items.clone()),
        _ => None,
    });
    let after = after.unwrap_or_default();
    assert_eq!(
        status(&after, "operator whitelisted"),
        Some(Status::Pass),
        "{after:#?}"
    );
}

#[test]
fn the_demo_keeps_a_list_of_its_actions() {
    let mut engine = engine();
    let operator = engine.operator();
    let events = engine.execute(Command::Whitelist {
        entry: operator.into(),
        jails: vec!["sshd".into()],
        comment: "test".into(),
    });
    let actions = events.iter().find_map(|e| match e {
        EngineEvent::Actions(actions) => Some(actions.clone()),
        _ => None,
    });
    let actions = actions.unwrap_or_default();
    assert_eq!(actions.len(), 1);
    assert_eq!(
        (
            actions[0].action.as_str(),
            actions[0].target.as_str(),
            actions[0].result.as_str()
        ),
        ("whitelist", "192.0.2.10/32", "ok")
    );
    assert!(
        engine
            .execute(Command::Faster)
            .iter()
            .all(|e| !matches!(e, EngineEvent::Actions(_))),
        "replay keys are no actions"
    );
}

#[test]
fn unwhitelist_takes_an_address_out_again() {
    let mut engine = engine();
    let operator = engine.operator();
    let jails = vec!["sshd".to_string()];
    engine.execute(Command::Whitelist {
        entry: operator.into(),
        jails: jails.clone(),
        comment: "test".into(),
    });
    let events = engine.execute(Command::Unwhitelist {
        entry: operator.into(),
        jails,
    });
    assert!(
        events
            .iter()
            .any(|e| matches!(e, EngineEvent::Dropin(text) if !text.contains("192.0.2.10"))),
        "{events:?}"
    );
    let start = engine.now();
    let later = engine.advance_to(start + 8.0 * 60.0);
    let counted = later.iter().any(|e| matches!(e, EngineEvent::Log(log) if log.failure.ip == Some(operator) && log.failure.jail == "sshd" && matches!(log.kind, EventKind::Counted { .. })));
    assert!(counted, "the operator's failures count again");
}

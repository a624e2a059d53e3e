//! Snapshots of the TUI on a fleet at 80x24 and 120x40: the demo's recording split over three
//! hosts (one lost, one with another bantop version), the confirmation of an unban routed to
//! its host with the exact remote command, and fifty hosts on one screen.

mod common;

use bantop::engine::DemoEngine;
use bantop::fleet::Host;
use bantop::model::EngineEvent;
use bantop::model::fleet::{HostChange, HostState};
use bantop::tui::action::Action;
use bantop::tui::app::App;
use bantop::tui::fleet_view::FleetView;
use bantop::tui::keymap::Keymap;
use common::screen::render;
use std::path::Path;

fn host(name: &str) -> Host {
    Host {
        name: name.to_string(),
        ssh: format!("root@{name}.example.net"),
        port: None,
        options: Vec::new(),
        command: vec!["sudo".into(), "bantop".into()],
    }
}

/// The demo 9.5 minutes in, its events spread over `names` by address, jails `host/jail`.
fn fleet_app(names: &[&str]) -> App {
    let mut engine = DemoEngine::load(Path::new("demo"), 60.0).unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
    let mut app = App::new(
        Vec::new(),
        keymap,
        engine.zone(),
        vec![engine.operator()],
        false,
    );
    app.fleet = Some(FleetView::new(names.iter().map(|n| host(n)).collect()));
    let jails = engine.jails();
    for name in names {
        let mut own = jails.clone();
        // A host's `jails --json` lists fail2ban's jails, not bantop's own set.
        own.retain(|j| j.place() == bantop::model::BanPlace::Jail(j.name.clone()));
        for jail in &mut own {
            jail.name = format!("{name}/{}", jail.name);
        }
        app.apply(EngineEvent::JailsAdded(own));
        app.apply(EngineEvent::Host {
            host: name.to_string(),
            change: HostChange::State(HostState::Connected {
                version: env!("CARGO_PKG_VERSION").to_string(),
                mismatch: false,
            }),
        });
    }
    let start = engine.now();
    let spread = |ip: Option<std::net::IpAddr>| {
        let last = ip.map_or(0, |ip| match ip {
            std::net::IpAddr::V4(v4) => usize::from(v4.octets()[3]),
            std::net::IpAddr::V6(v6) => usize::from(v6.octets()[15]),
        });
        names[last % names.len()]
    };
    for event in engine
        .opening_events()
        .into_iter()
        .chain(engine.advance_to(start + 570.0))
    {
        let event = match event {
            EngineEvent::Log(mut log) => {
                log.failure.jail = format!("{}/{}", spread(log.failure.ip), log.failure.jail);
                EngineEvent::Log(log)
            }
            EngineEvent::Banned(mut ban) => {
                ban.jail = format!("{}/{}", spread(Some(ban.ip)), ban.jail);
                EngineEvent::Banned(ban)
            }
            EngineEvent::Clock(_) => event,
            _ => continue,
        };
        app.apply(event);
    }
    app
}

fn both_sizes(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render(app, 120, 40));
}

fn three_hosts() -> App {
    let mut app = fleet_app(&["pbx1", "pbx2", "pbx3"]);
    app.apply(EngineEvent::Host {
        host: "pbx2".into(),
        change: HostChange::State(HostState::Lost {
            reason: "unreachable: Connection refused".into(),
            retry_in: 8,
        }),
    });
    app.apply(EngineEvent::Host {
        host: "pbx3".into(),
        change: HostChange::State(HostState::Connected {
            version: "0.0.9".into(),
            mismatch: true,
        }),
    });
    app
}

#[test]
fn events_of_three_hosts() {
    both_sizes("fleet_events", &three_hosts());
}

#[test]
fn jails_of_three_hosts() {
    let mut app = three_hosts();
    app.update(Action::NextView);
    both_sizes("fleet_jails", &app);
}

#[test]
fn an_unban_names_its_host_and_the_remote_command() {
    let mut app = three_hosts();
    app.update(Action::NextView);
    // The first jail with a ban.
    while app.jails[app.selected_jail].bans.is_empty() {
        app.update(Action::NextJail);
    }
    app.update(Action::Unban);
    both_sizes("fleet_confirm_unban", &app);
    app.update(Action::EveryHost);
    both_sizes("fleet_confirm_unban_every_host", &app);
}

#[test]
fn fifty_hosts_fit_one_screen() {
    let names: Vec<String> = (1..=50).map(|n| format!("pbx{n:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut app = fleet_app(&names);
    for lost in ["pbx17", "pbx42"] {
        app.apply(EngineEvent::Host {
            host: lost.into(),
            change: HostChange::State(HostState::Lost {
                reason: "unreachable: Operation timed out".into(),
                retry_in: 30,
            }),
        });
    }
    both_sizes("fleet_fifty_hosts", &app);
}

//! Snapshots of every view at 80x24 and 120x40, rendered through ratatui's `TestBackend` from a
//! fixed position in the demo's recording (the replay clock is the only clock, so they are
//! repeatable), plus the "terminal too small" screen.

mod common;

use bantop::engine::DemoEngine;
use bantop::model::ban_increment::BanIncrement;
use bantop::tui::action::Action;
use bantop::tui::app::App;
use bantop::tui::keymap::Keymap;
use bantop::tui::theme::Theme;
use bantop::tui::views;
use common::screen::render;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;

/// The demo 9.5 minutes in: bans in all three jails, the operator's own failures counted.
fn app_at_nine_and_a_half_minutes() -> App {
    app_at(570.0)
}

/// The demo `seconds` in.
fn app_at(seconds: f64) -> App {
    // Relative (cargo runs tests from the package root): no machine's path ends up in a snapshot.
    let mut engine = DemoEngine::load(Path::new("demo"), 60.0).unwrap_or_else(|e| panic!("{e}"));
    let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
    let mut app = App::new(
        engine.jails(),
        keymap,
        engine.zone(),
        vec![engine.operator()],
        true,
    );
    let start = engine.now();
    for event in engine
        .opening_events()
        .into_iter()
        .chain(engine.advance_to(start + seconds))
    {
        app.apply(event);
    }
    app
}

fn both_sizes(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render(app, 120, 40));
}

#[test]
fn events_view() {
    both_sizes("events", &app_at_nine_and_a_half_minutes());
}

#[test]
fn events_view_scrolled_and_filtered() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.filter = "192.0.2.10".to_string();
    app.update(Action::Up);
    both_sizes("events_filtered", &app);
}

#[test]
fn jails_view_with_evidence() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::NextView);
    app.update(Action::NextJail);
    both_sizes("jails", &app);
}

#[test]
fn jails_view_where_from_with_a_skipped_jail() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::NextView);
    app.update(Action::Origins);
    app.apply(bantop::model::EngineEvent::Configuration({
        let mut view = app.configuration.clone();
        view.notes
            .skipped
            .push(bantop::model::configuration::SkippedJail {
                name: "broken".to_string(),
                reason: "Unable to read the filter 'no-such-filter'".to_string(),
            });
        view
    }));
    both_sizes("jails_where_from", &app);
}

#[test]
fn dossier_of_a_banned_attacker() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::NextView);
    app.update(Action::NextJail);
    app.update(Action::Inspect);
    assert!(app.dossier.is_some(), "Enter on a ban opens its dossier");
    both_sizes("dossier", &app);
}

/// The demo with its own GeoIP files: a country column in the events and ban tables, the
/// country and the file it comes from in the dossier.
#[test]
fn countries_with_the_demo_geoip_files() {
    let mut app = app_at_nine_and_a_half_minutes();
    let (geoip, problems) = bantop::geoip::GeoIp::load(&[
        Path::new("demo/geoip").to_path_buf(),
        Path::new("demo/geoip6").to_path_buf(),
    ]);
    assert!(problems.is_empty(), "{problems:?}");
    app.geoip = std::sync::Arc::new(geoip);
    both_sizes("events_with_countries", &app);
    app.update(Action::NextView);
    app.update(Action::NextJail);
    both_sizes("jails_with_countries", &app);
    app.update(Action::Inspect);
    both_sizes("dossier_with_country", &app);
}

/// The demo 22 minutes in: the extensions brute-forced, the calls into xivo-initconfig, the
/// provisioning scans.
#[test]
fn targets_view() {
    let mut app = app_at(22.0 * 60.0);
    for _ in 0..4 {
        app.update(Action::NextView);
    }
    assert_eq!(app.view, bantop::tui::app::View::Targets);
    both_sizes("targets", &app);
}

/// The demo 22 minutes in, over the last hour and the last day: failures and bans per jail.
#[test]
fn activity_view() {
    let mut app = app_at(22.0 * 60.0);
    for _ in 0..5 {
        app.update(Action::NextView);
    }
    assert_eq!(app.view, bantop::tui::app::View::Activity);
    both_sizes("activity", &app);
    app.update(Action::Period);
    insta::assert_snapshot!("activity_day_80x24", render(&app, 80, 24));
}

#[test]
fn the_dossier_scrolls_and_its_keys_act_on_its_address() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::NextView);
    app.update(Action::NextJail);
    let banned = app.selected_ban().map(|ban| ban.ip);
    app.update(Action::Inspect);
    // Another row selected behind it does not change what the keys act on.
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(app.dossier.as_ref().map(|pane| pane.scroll), Some(2));
    app.update(Action::Unban);
    let title = match &app.popup {
        Some(bantop::tui::app::Popup::Confirm(confirm)) => confirm.title.clone(),
        other => panic!("{other:?}"),
    };
    let banned = banned.map(|ip| ip.to_string()).unwrap_or_default();
    assert!(title.contains(&banned), "{title} / {banned}");
    app.update(Action::Cancel);
    app.update(Action::Close);
    assert!(app.dossier.is_none());
}

#[test]
fn unban_confirmation() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::NextView);
    app.update(Action::NextJail);
    app.update(Action::Unban);
    both_sizes("confirm_unban", &app);
}

#[test]
fn whitelist_confirmation_shows_the_dropin() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.filter = "192.0.2.10".to_string();
    app.update(Action::Whitelist);
    both_sizes("confirm_whitelist", &app);
}

#[test]
fn help() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::Help);
    both_sizes("help", &app);
}

#[test]
fn too_small() {
    insta::assert_snapshot!(
        "too_small_60x20",
        render(&app_at_nine_and_a_half_minutes(), 60, 20)
    );
}

#[test]
fn a_tall_confirmation_scrolls() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.filter = "192.0.2.10".to_string();
    app.update(Action::Whitelist);
    for _ in 0..40 {
        app.update(Action::Down);
    }
    insta::assert_snapshot!("confirm_whitelist_scrolled_80x24", render(&app, 80, 24));
}

#[test]
fn banning_the_operator_shows_the_danger() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.filter = "192.0.2.10".to_string();
    app.update(Action::Ban);
    app.update(Action::Confirm);
    app.update(Action::Confirm);
    insta::assert_snapshot!("confirm_ban_operator_armed_80x24", render(&app, 80, 24));
}

#[test]
fn ports_view() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::NextView);
    app.update(Action::NextView);
    both_sizes("ports", &app);
}

#[test]
fn posture_view() {
    let mut app = app_at_nine_and_a_half_minutes();
    for _ in 0..3 {
        app.update(Action::NextView);
    }
    both_sizes("posture", &app);
}

#[test]
fn ban_choices() {
    let mut app = app_at_nine_and_a_half_minutes();
    app.update(Action::Ban);
    insta::assert_snapshot!("ban_choices_80x24", render(&app, 80, 24));
}

/// The same, with `bantime.increment` on in asterisk-wazo (factor 2, up to a day, rndtime).
fn app_with_ban_increment() -> App {
    let mut app = app_at_nine_and_a_half_minutes();
    for panel in &mut app.jails {
        if panel.settings.name == "asterisk-wazo" {
            panel.settings.ban_increment = Some(BanIncrement {
                factor: 2.0,
                maxtime: Some(86_400),
                rndtime: Some(300),
                ..BanIncrement::default()
            });
        }
    }
    app
}

#[test]
fn a_jail_with_ban_increment_shows_how_its_bans_grow() {
    let mut app = app_with_ban_increment();
    app.update(Action::NextView);
    app.update(Action::NextJail);
    both_sizes("jails_with_ban_increment", &app);
}

#[test]
fn the_jail_ban_choice_says_the_count_with_ban_increment() {
    let mut app = app_with_ban_increment();
    app.update(Action::Ban);
    insta::assert_snapshot!("ban_choices_with_ban_increment_80x24", render(&app, 80, 24));
}

#[test]
fn every_built_in_theme() {
    let app = app_at_nine_and_a_half_minutes();
    for name in Theme::built_in_names() {
        let theme = Theme::built_in(name).unwrap_or_else(|e| panic!("{e}"));
        let mut terminal =
            Terminal::new(TestBackend::new(80, 24)).unwrap_or_else(|e| panic!("{e}"));
        terminal
            .draw(|frame| views::render(frame, &app, &theme))
            .unwrap_or_else(|e| panic!("{e}"));
        // The buffer's debug form lists the styles too, so a colour change shows.
        insta::assert_snapshot!(
            format!("theme_{name}_80x24"),
            format!("{:?}", terminal.backend().buffer())
        );
        let text = terminal.backend().to_string();
        assert_eq!(
            text.is_ascii(),
            name == "console",
            "{name}: only the console theme is pure ASCII"
        );
    }
}

#[test]
fn the_operator_banned_shows_the_banner() {
    let mut app = app_at_nine_and_a_half_minutes();
    let operator = app.operators[0];
    let ban = bantop::model::Ban {
        jail: "sshd".into(),
        ip: operator,
        since: app.now,
        until: Some(app.now + 600.0),
        count: 1,
        failures: 5,
        evidence: vec![],
        origin: bantop::model::BanOrigin::Jail,
        length_caveat: None,
    };
    app.apply(bantop::model::EngineEvent::Banned(ban));
    insta::assert_snapshot!("operator_banned_80x24", render(&app, 80, 24));
}

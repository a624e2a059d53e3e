//! The demo in a real terminal: tmux (its own server socket) runs `bantop demo`, keys go in with
//! `send-keys`, the screen comes back with `capture-pane`. Checks that events of all three jails
//! and bans appear, that an unban through `u` + confirm removes the ban, and that the terminal
//! is restored (alternate screen left, cursor shown, tty no longer raw, bracketed paste off)
//! after `q`, SIGTERM, SIGHUP, SIGINT and SIGQUIT, and that pasted text is never taken for key
//! presses.

mod common;

use common::tmux::Tmux;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn demo_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .to_string_lossy()
        .into_owned()
}

/// Rows of the events table (inside the box, under the header row).
fn event_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .filter(|l| {
            l.starts_with('│')
                && l.as_bytes()
                    .get(3..5)
                    .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
        })
        .collect()
}

#[test]
fn demo_shows_all_jails_bans_and_unbans_through_keys() {
    let tmux = Tmux::start(
        "e2e",
        120,
        40,
        &["demo", "--speed", "60", "--dir", &demo_dir()],
    );
    let started = Instant::now();
    let mut seen = std::collections::BTreeSet::new();
    tmux.wait_for(
        "events of all three jails and a ban",
        Duration::from_secs(10),
        |screen| {
            for row in event_rows(screen) {
                for jail in ["sshd", "asterisk-wazo", "wazo-provd"] {
                    if row.contains(jail) {
                        seen.insert(jail);
                    }
                }
            }
            seen.len() == 3 && event_rows(screen).iter().any(|row| row.contains(" BAN "))
        },
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    tmux.keys(&["Tab", "l"]);
    tmux.wait_for("the asterisk-wazo ban table", Duration::from_secs(5), |s| {
        s.contains("││203.0.113.5 ")
    });
    tmux.keys(&["u"]);
    tmux.wait_for("the unban confirmation", Duration::from_secs(5), |s| {
        s.contains("fail2ban: set asterisk-wazo unbanip 203.0.113.5")
    });
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the unban result", Duration::from_secs(5), |s| {
        s.contains("unbanned 203.0.113.5 in asterisk-wazo")
    });
    assert!(
        !screen.contains("││203.0.113.5 "),
        "the ban is still listed:\n{screen}"
    );

    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0", "exit status of bantop");
    tmux.assert_terminal_restored();
}

/// The demo in an 80x24 pane, once events are listed (so `w` has an address to act on).
fn demo_with_events(name: &str) -> Tmux {
    let tmux = Tmux::start(
        name,
        80,
        24,
        &["demo", "--speed", "60", "--dir", &demo_dir()],
    );
    tmux.wait_for("events", Duration::from_secs(10), |s| {
        event_rows(s).len() > 3
    });
    tmux
}

/// Enter on an event opens the dossier of its address in a real terminal; Esc closes it.
#[test]
fn enter_opens_the_dossier_of_the_selected_address() {
    let tmux = demo_with_events("dossier");
    tmux.keys(&["k", "Enter"]);
    let screen = tmux.wait_for("the dossier", Duration::from_secs(10), |s| {
        s.contains("failures in") && s.contains("now: ")
    });
    assert!(screen.contains("esc close"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the events again", Duration::from_secs(10), |s| {
        !s.contains("now: ") && event_rows(s).len() > 3
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

/// A paste of "wy" used to be the keys `w` (whitelist the selected address in every jail) and
/// `y` (confirm).
#[test]
fn pasting_wy_whitelists_nothing() {
    let tmux = demo_with_events("paste-wy");
    tmux.paste("wy");
    // Nothing to wait for when nothing happens: watch the screen for a while instead.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let screen = tmux.screen();
        assert!(
            !["Whitelist ", "sent: ", "whitelisted "]
                .iter()
                .any(|text| screen.contains(text)),
            "the paste was taken for keys:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

/// A newline in a paste into the `/` prompt used to end the prompt and run the rest as keys
/// (here `q`: quit).
#[test]
fn a_paste_into_the_filter_prompt_stays_in_the_prompt() {
    let tmux = demo_with_events("paste-filter");
    tmux.keys(&["/"]);
    tmux.wait_for("the filter prompt", Duration::from_secs(5), |s| {
        s.contains("filter: ")
    });
    tmux.paste("203.0.113\nq");
    let screen = tmux.wait_for("the pasted filter", Duration::from_secs(5), |s| {
        s.contains("filter: 203.0.113q") || s.contains("EXIT=")
    });
    assert!(!screen.contains("EXIT="), "the paste ran keys:\n{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the prompt closed", Duration::from_secs(5), |s| {
        !s.contains("filter: ")
    });
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
    tmux.assert_terminal_restored();
}

fn killed_by(signal: &str) {
    let tmux = Tmux::start(
        signal,
        80,
        24,
        &["demo", "--speed", "60", "--dir", &demo_dir()],
    );
    tmux.wait_for("the events view", Duration::from_secs(10), |s| {
        s.contains("Events")
    });
    let pid = tmux.bantop_pid();
    let status = Command::new("kill")
        .args(["-s", signal, &pid])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success());
    tmux.wait_exit();
    tmux.assert_terminal_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    killed_by("TERM");
}

#[test]
fn sighup_restores_the_terminal() {
    killed_by("HUP");
}

/// Raw mode turns Ctrl-C into a key, but `kill -INT` from elsewhere used to end bantop with
/// the tty raw and the alternate screen on.
#[test]
fn sigint_restores_the_terminal() {
    killed_by("INT");
}

#[test]
fn sigquit_restores_the_terminal() {
    killed_by("QUIT");
}

#[test]
fn the_console_theme_under_term_linux_at_80x24() {
    let tmux = Tmux::start_with_env(
        "console",
        80,
        24,
        &[("TERM", "linux")],
        &["demo", "--speed", "60", "--dir", &demo_dir()],
    );
    let screen = tmux.wait_for("events", Duration::from_secs(10), |s| {
        event_rows_ascii(s) > 3
    });
    assert!(screen.contains("+ Events ---"), "ASCII borders: {screen}");
    assert!(
        screen.is_ascii(),
        "nothing but ASCII on a Linux console:\n{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), "0");
}

/// Rows of the events table drawn with ASCII borders.
fn event_rows_ascii(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| {
            l.starts_with('|')
                && l.as_bytes()
                    .get(1..3)
                    .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
        })
        .count()
}

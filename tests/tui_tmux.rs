//! The demo in a real terminal: tmux (its own server socket) runs `bantop demo`, keys go in with
//! `send-keys`, the screen comes back with `capture-pane`. Checks that events of all three jails
//! and bans appear, that an unban through `u` + confirm removes the ban, and that the terminal
//! is restored (alternate screen left, cursor shown) after `q`, SIGTERM and SIGHUP.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server running one bantop pane; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("bantop-test-{}-{name}", std::process::id());
        let tmux = Tmux { socket };
        let bin = env!("CARGO_BIN_EXE_bantop");
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
        let demo = demo.to_string_lossy();
        let (w, h) = (width.to_string(), height.to_string());
        // A shell waits after bantop exits, so the terminal state it left can be read while the
        // pane is alive (tmux reports a dead pane's cursor as hidden whatever happened).
        let script = format!("'{bin}' demo --speed 60 --dir '{demo}'; echo EXIT=$?; sleep 60");
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux cannot run (is it installed?): {e}"));
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    fn display(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", format])
            .trim()
            .to_string()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits until `check` holds for the screen, or fails with the last screen.
    fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for bantop to exit and returns its exit status as the shell printed it.
    fn wait_exit(&self) -> String {
        let screen = self.wait_for("bantop to exit", Duration::from_secs(10), |s| {
            s.contains("EXIT=")
        });
        let status = screen.lines().find_map(|l| l.trim().strip_prefix("EXIT="));
        status.unwrap_or_default().to_string()
    }

    /// The pid of bantop: the child of the pane's shell.
    fn bantop_pid(&self) -> String {
        let shell = self.display("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("no child of the pane's shell {shell}"))
            .to_string()
    }

    fn assert_terminal_restored(&self) {
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "still on the alternate screen:\n{}",
            self.screen()
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "cursor still hidden");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
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
    let tmux = Tmux::start("e2e", 120, 40);
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

fn killed_by(signal: &str) {
    let tmux = Tmux::start(signal, 80, 24);
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

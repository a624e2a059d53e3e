//! bantop in a real terminal: a private tmux server (its own socket) with one pane; keys go in
//! with `send-keys`, the screen comes back with `capture-pane`.

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server running one bantop pane; killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `bantop ARGS` in a `width`x`height` pane; a shell prints the exit status and the
    /// tty's modes (`stty -a`) and waits after bantop exits, so the terminal state it left can
    /// be read while the pane is alive (tmux reports a dead pane's cursor as hidden whatever
    /// happened).
    pub fn start(name: &str, width: u16, height: u16, args: &[&str]) -> Tmux {
        Self::start_with_env(name, width, height, &[], args)
    }

    /// The same with extra environment variables for bantop (e.g. `TERM=linux`).
    pub fn start_with_env(
        name: &str,
        width: u16,
        height: u16,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Tmux {
        Self::start_through(&[], name, width, height, env, args)
    }

    /// The same, with the tmux server started through `launcher` (e.g. `nsenter ...` into a
    /// network namespace, where bantop then runs).
    pub fn start_through(
        launcher: &[String],
        name: &str,
        width: u16,
        height: u16,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> Tmux {
        let socket = format!("bantop-test-{}-{name}", std::process::id());
        let tmux = Tmux { socket };
        let bin = env!("CARGO_BIN_EXE_bantop");
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let assignments: Vec<String> = env.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
        let script = format!(
            "env {} '{bin}' {}; echo EXIT=$?; stty -a; sleep 60",
            assignments.join(" "),
            quoted.join(" ")
        );
        let (w, h) = (width.to_string(), height.to_string());
        tmux.run_through(
            launcher,
            &[
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
            ],
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        self.run_through(&[], args)
    }

    fn run_through(&self, launcher: &[String], args: &[&str]) -> String {
        let mut command = match launcher.split_first() {
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg("tmux");
                command
            }
            None => Command::new("tmux"),
        };
        let output = command
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

    /// Any other tmux command against this server (e.g. `list-buffers`); its standard output.
    pub fn command(&self, args: &[&str]) -> String {
        self.run(args)
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }

    pub fn display(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "t", format])
            .trim()
            .to_string()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Pastes `text` as a terminal would: bracketed (`ESC [ 200 ~ ... ESC [ 201 ~`) when the
    /// application asked for bracketed paste, as plain typing otherwise; newlines become CRs.
    /// (`send-keys` cannot bracket.)
    pub fn paste(&self, text: &str) {
        self.run(&["set-buffer", "-b", "paste", "--", text]);
        self.run(&["paste-buffer", "-p", "-d", "-b", "paste", "-t", "t"]);
    }

    /// Waits until `check` holds for the screen, or fails with the last screen.
    pub fn wait_for(
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
    pub fn wait_exit(&self) -> String {
        let screen = self.wait_for("bantop to exit", Duration::from_secs(10), |s| {
            s.contains("EXIT=")
        });
        let status = screen.lines().find_map(|l| l.trim().strip_prefix("EXIT="));
        status.unwrap_or_default().to_string()
    }

    /// The pid of bantop: the child of the pane's shell.
    pub fn bantop_pid(&self) -> String {
        let shell = self.display("#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("no child of the pane's shell {shell}"))
            .to_string()
    }

    /// Checks what bantop left: the main screen, the cursor shown, the tty back in canonical
    /// mode with echo (no longer raw), and bracketed paste off. Call after [`Tmux::wait_exit`].
    pub fn assert_terminal_restored(&self) {
        let screen = self.wait_for("stty's report", Duration::from_secs(5), |s| {
            s.contains("icanon")
        });
        let modes: Vec<&str> = screen
            .split(|c: char| c.is_whitespace() || c == ';')
            .collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                modes.contains(&mode),
                "the tty is left without {mode} (raw):\n{screen}"
            );
        }
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "still on the alternate screen:\n{}",
            self.screen()
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "cursor still hidden");
        // tmux shows no bracketed-paste flag: paste, and see whether the terminal's echo of it
        // (the shell after bantop does not read it) carries the bracket `ESC [ 200 ~` as `^[[200~`.
        self.paste("PASTED");
        let screen = self.wait_for("the echo of a paste", Duration::from_secs(5), |s| {
            s.contains("PASTED")
        });
        assert!(
            !screen.contains("[200~"),
            "bracketed paste still on:\n{screen}"
        );
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

//! Log text written by attackers reaches the operator's terminal only defused: a SIP user name
//! holding `ESC ] 52 ; c ; ... BEL` (set the clipboard) or `ESC [ 2 J` (clear the screen) goes
//! through the plain-text output of `bantop events` and `bantop status` as visible `?`s.

mod common;
mod stream;

use common::fail2ban::PrivateServer;
use common::tmux::Tmux;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The SIP user an attacker chose: OSC 52 (clipboard := "pwned"), then CSI 2 J (clear screen).
const HOSTILE_USER: &str = "\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J";

/// What the hostile user looks like once defused.
const DEFUSED_USER: &str = "?]52;c;cHduZWQ=??[2J";

/// A failed PJSIP REGISTER from the hostile user, dated now, as Asterisk logs it.
fn hostile_line(n: usize) -> String {
    let now = chrono::Local::now();
    let stamp = format!(
        "{}.{:04}",
        now.format("%Y-%m-%d %H:%M:%S"),
        now.timestamp_subsec_micros() / 100
    );
    format!(
        "[{stamp}] NOTICE[2411] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"x\" <sip:{HOSTILE_USER}@203.0.113.50>' failed for '203.0.113.50:5070' (callid: c{n}@x) - Failed to authenticate\n"
    )
}

/// A copy of the demo's configuration reading `log` in the asterisk-wazo jail only.
fn configuration(dir: &Path, log: &Path) -> PathBuf {
    stream::configuration(
        dir,
        &format!(
            "[sshd]\nenabled = false\n[wazo-provd]\nenabled = false\n[asterisk-wazo]\nlogpath = {}\nbackend = polling\nmaxretry = 100\n",
            log.display()
        ),
    )
}

fn assert_defused(text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{9d}']),
        "control characters reach the terminal: {text:?}"
    );
}

#[test]
fn events_text_defuses_osc52_and_csi_from_a_log_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("asterisk.log");
    std::fs::write(&log, hostile_line(1)).unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(dir.path(), &log);
    let mut child = Command::new(env!("CARGO_BIN_EXE_bantop"))
        .arg("--fail2ban-dir")
        .arg(&conf)
        .args(["events", "--from-start"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.iter().any(|l: &String| l.contains("203.0.113.50")) && Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
            seen.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = seen.join("\n");
    assert_defused(&text);
    assert!(
        text.contains(&format!(
            " asterisk-wazo 203.0.113.50 1/100 REGISTER {DEFUSED_USER}"
        )),
        "{text}"
    );
}

#[test]
fn events_in_a_terminal_leave_the_screen_and_the_clipboard_alone() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("asterisk.log");
    std::fs::write(&log, "").unwrap_or_else(|e| panic!("{e}"));
    let conf = configuration(dir.path(), &log);
    let conf = conf.to_string_lossy();
    let tmux = Tmux::start("hostile", 200, 30, &["--fail2ban-dir", &conf, "events"]);
    tmux.wait_for("the log opened", Duration::from_secs(10), |s| {
        s.contains(": opened")
    });
    // tmux keeps what OSC 52 sets as a paste buffer, where the test can see it.
    tmux.command(&["set-option", "-g", "set-clipboard", "on"]);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(hostile_line(1).as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let screen = tmux.wait_for("the failure", Duration::from_secs(10), |s| {
        s.contains("failed to authenticate")
    });
    assert!(
        screen.contains(": opened"),
        "the screen was cleared:\n{screen}"
    );
    assert!(screen.contains(DEFUSED_USER), "{screen}");
    assert_eq!(
        tmux.command(&["list-buffers"]),
        "",
        "the log line set the clipboard"
    );
}

#[test]
fn status_text_defuses_the_evidence_in_fail2bans_database() {
    let server = PrivateServer::start();
    let lines: String = (0..15).map(hostile_line).collect();
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
    let output = server.bantop(&["status"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains(&format!("<sip:{DEFUSED_USER}@203.0.113.50>")),
        "{text}"
    );
    assert_defused(&text);
}

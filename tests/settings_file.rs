//! `~/.config/bantop/config.toml` as the binary reads it: its keys apply, flags win over them,
//! and a bad file stops bantop with its name and line.

use std::path::Path;
use std::process::{Command, Output};

fn bantop(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bantop"))
        .env("HOME", home)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn write_settings(home: &Path, text: &str) {
    let dir = home.join(".config/bantop");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("config.toml"), text).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_users_settings_apply_and_flags_win() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_settings(
        home.path(),
        "socket = \"/nonexistent/from-settings.sock\"\n",
    );
    let from_file = bantop(home.path(), &["status"]);
    assert!(
        String::from_utf8_lossy(&from_file.stdout)
            .contains("no socket at /nonexistent/from-settings.sock")
    );
    let from_flag = bantop(
        home.path(),
        &["--socket", "/nonexistent/from-flag.sock", "status"],
    );
    assert!(
        String::from_utf8_lossy(&from_flag.stdout)
            .contains("no socket at /nonexistent/from-flag.sock")
    );
}

#[test]
fn a_bad_settings_file_is_named_with_its_line() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_settings(home.path(), "theme = \"console\"\ncolour = \"red\"\n");
    let output = bantop(home.path(), &["status"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains(".config/bantop/config.toml")
            && stderr.contains("line 2")
            && stderr.contains("colour"),
        "{stderr}"
    );
}

#[test]
fn a_bad_theme_or_keymap_stops_the_tui_before_it_starts() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let theme = home.path().join("mine.toml");
    std::fs::write(&theme, "extends = \"default\"\nban = \"blurple\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = bantop(home.path(), &["--theme", &theme.to_string_lossy(), "demo"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("mine.toml:2: ban: \"blurple\" is not a colour")
    );
    let keymap = home.path().join("keys.toml");
    std::fs::write(&keymap, "[global]\nx = \"explode\"\n").unwrap_or_else(|e| panic!("{e}"));
    let output = bantop(
        home.path(),
        &["--keymap", &keymap.to_string_lossy(), "demo"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("keys.toml") && stderr.contains("line 2") && stderr.contains("explode"),
        "{stderr}"
    );
}

#[test]
fn a_device_or_fifo_given_as_theme_or_keymap_is_refused_not_read_forever() {
    // `--theme /dev/zero` grew to gigabytes; a FIFO would hang the start.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("keys.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()));
    let fifo = fifo.display().to_string();
    for (flag, path, why) in [
        ("--theme", "/dev/zero", "a character device"),
        ("--keymap", "/dev/zero", "a character device"),
        ("--keymap", fifo.as_str(), "a FIFO"),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bantop"))
            .args([flag, path, "demo"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(output.status.code(), Some(2), "{flag} {path}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(why), "{flag} {path}: {stderr}");
    }
    let jobs = std::process::Command::new(env!("CARGO_BIN_EXE_bantop"))
        .args(["regex", "--jobs", "100000", "/dev/null", "asterisk"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(jobs.status.code(), Some(2), "refused, not a panic");
    assert!(String::from_utf8_lossy(&jobs.stderr).contains("not in 1..=64"));
}

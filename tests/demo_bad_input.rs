//! `bantop demo` on a broken demo directory: it exits non-zero with a message naming the file
//! at fault (and the line, for a malformed configuration), before touching the terminal.

mod common;

use common::copy_demo;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run_demo(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bantop"))
        .args(["demo", "--dir"])
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn assert_fails_naming(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "bantop demo succeeded");
    assert!(
        stderr.contains(expected),
        "stderr does not name {expected:?}:\n{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("\u{1b}[?1049h"),
        "the terminal was switched to the alternate screen"
    );
}

#[test]
fn a_missing_demo_directory_names_the_scenario_file() {
    let missing = PathBuf::from("/nonexistent/bantop-demo");
    assert_fails_naming(
        &run_demo(&missing),
        "/nonexistent/bantop-demo/scenario.toml",
    );
}

#[test]
fn a_missing_recording_is_named() {
    let dir = copy_demo();
    let recording = dir.path().join("logs/wazo-provd-fail2ban.log");
    std::fs::remove_file(&recording).unwrap_or_else(|e| panic!("{e}"));
    assert_fails_naming(&run_demo(dir.path()), &recording.display().to_string());
}

#[test]
fn a_malformed_filter_names_the_file_and_line() {
    let dir = copy_demo();
    let filter = dir.path().join("fail2ban/filter.d/wazo-provd.conf");
    let text = std::fs::read_to_string(&filter).unwrap_or_default();
    std::fs::write(
        &filter,
        text.replace("[Definition]", "[Definition]\nthis is not a key"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let line = text
        .lines()
        .position(|l| l == "[Definition]")
        .map_or(0, |i| i + 2);
    assert_fails_naming(
        &run_demo(dir.path()),
        &format!("{}:{line}:", filter.display()),
    );
}

#[test]
fn a_regex_that_does_not_compile_names_the_filter() {
    let dir = copy_demo();
    let filter = dir.path().join("fail2ban/filter.d/asterisk-wazo.conf");
    let text = std::fs::read_to_string(&filter).unwrap_or_default();
    std::fs::write(
        &filter,
        text.replace("manager\\.c: <HOST>", "manager\\.c: (<HOST>"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_fails_naming(
        &run_demo(dir.path()),
        &format!("{}: failregex line 4", filter.display()),
    );
}

#[test]
fn a_bad_scenario_value_is_explained() {
    let dir = copy_demo();
    let scenario = dir.path().join("scenario.toml");
    let text = std::fs::read_to_string(&scenario).unwrap_or_default();
    std::fs::write(
        &scenario,
        text.replace(
            "operator = \"192.0.2.10\"",
            "operator = \"192.0.2.10; rm -rf /\"",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_fails_naming(&run_demo(dir.path()), "is not an address");
}

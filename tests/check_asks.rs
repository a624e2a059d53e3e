//! `bantop check` asks fail2ban, it does not assume: "fail2ban running" passes only when the
//! socket answers a ping, and otherwise says which of no socket, a stale one, no permission, no
//! answer in time or garbage. Each broken socket here is a real one made by the test.

mod common;

use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Command;

/// The first checklist item (fail2ban running) of `bantop check --json`.
fn fail2ban_item(bantop: &Path, dir: &Path, socket: &Path, as_nobody: bool) -> serde_json::Value {
    let mut command = if as_nobody {
        common::as_nobody(bantop)
    } else {
        Command::new(bantop)
    };
    let output = command
        .arg("--fail2ban-dir")
        .arg(dir)
        .arg("--socket")
        .arg(socket)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .args(["check", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let item = items[0].clone();
    assert_eq!(item["name"], "fail2ban running", "{items}");
    item
}

fn fails_with(item: &serde_json::Value, words: &str) {
    assert_eq!(item["status"], "fail", "{item}");
    let reason = item["reason"].as_str().unwrap_or("");
    assert!(reason.contains(words), "{words:?} not in {reason:?}");
}

#[test]
fn a_stale_silent_or_garbage_socket_fails_the_check_with_its_reason() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bantop = Path::new(env!("CARGO_BIN_EXE_bantop"));

    let missing = dir.path().join("missing.sock");
    fails_with(
        &fail2ban_item(bantop, dir.path(), &missing, false),
        "no socket",
    );

    let stale = dir.path().join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap_or_else(|e| panic!("{e}")));
    fails_with(
        &fail2ban_item(bantop, dir.path(), &stale, false),
        "stale socket",
    );

    // Bound and listening, but nobody reads: the connection waits in the backlog.
    let silent = dir.path().join("silent.sock");
    let _silent = UnixListener::bind(&silent).unwrap_or_else(|e| panic!("{e}"));
    fails_with(
        &fail2ban_item(bantop, dir.path(), &silent, false),
        "did not answer",
    );

    let garbage = dir.path().join("garbage.sock");
    let listener = UnixListener::bind(&garbage).unwrap_or_else(|e| panic!("{e}"));
    let answerer = std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 256];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\n<FAIL2BAN_END_COMMAND>");
        }
    });
    fails_with(
        &fail2ban_item(bantop, dir.path(), &garbage, false),
        "garbage",
    );
    let _ = answerer.join();
}

#[test]
#[cfg_attr(not(tests_as_root), ignore = "needs root to run bantop as nobody")]
fn a_socket_bantop_may_not_use_fails_the_check_as_no_permission() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let binary = common::binary_for_nobody(dir.path());
    let socket = dir.path().join("root-only.sock");
    let _listener = UnixListener::bind(&socket).unwrap_or_else(|e| panic!("{e}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("{e}"));
    fails_with(
        &fail2ban_item(&binary, dir.path(), &socket, true),
        "no permission",
    );
}

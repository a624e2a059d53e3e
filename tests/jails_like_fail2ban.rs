//! `bantop jails --json` against fail2ban's own reading of the same configuration
//! (`fail2ban-client -c DIR -d`, run here), field by field, through
//! `tests/tools/jails_vs_fail2ban.py`: the edge cases of `tests/jail_cases/` laid over Debian's
//! stock `/etc/fail2ban` (the first one enables all 91 stock jails), the demo's configuration,
//! and fail2ban's own test configuration. Every case must agree, skipped jails included.

use std::path::Path;
use std::process::Command;

fn compare(cases: &Path, base: Option<&Path>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("python3");
    command
        .arg(root.join("tests/tools/jails_vs_fail2ban.py"))
        .arg(env!("CARGO_BIN_EXE_bantop"))
        .arg(cases)
        .arg("--verbose");
    if let Some(base) = base {
        command.arg("--base").arg(base);
    }
    let output = command.output().unwrap_or_else(|e| panic!("python3: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(
        output.status.success() && summary.contains("cases agree (100.0%)"),
        "bantop and fail2ban-client -d disagree:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        summary.contains("0 cases fail2ban itself refuses"),
        "a case fail2ban refuses is no comparison: {summary}"
    );
}

#[test]
fn every_edge_case_over_debians_configuration_agrees_with_fail2ban() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    compare(&root.join("tests/jail_cases"), None);
}

#[test]
fn the_demo_configuration_agrees_with_fail2ban() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = root.join("demo/fail2ban");
    compare(&demo.join("jail.local"), Some(&demo));
}

#[test]
fn fail2bans_own_test_configuration_agrees_with_fail2ban() {
    let tests = Path::new("/usr/lib/python3/dist-packages/fail2ban/tests/config");
    compare(&tests.join("jail.conf"), Some(tests));
}

//! Build facts the binary and the tests need: whether the tests are built by root (a test that
//! must run bantop as another user, through setpriv, is then marked ignored, with its reason,
//! when they are not, instead of passing without having run), and the git revision bantop is
//! built from, for `bantop --version` ("unknown" outside a git checkout, as in a source tarball).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(tests_as_root)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=USER");
    println!("cargo:rerun-if-env-changed=SUDO_USER");
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if root {
        println!("cargo:rustc-cfg=tests_as_root");
    }
    git_revision();
}

/// Sets `BANTOP_GIT_REVISION` for the compiler, and reruns this script when HEAD moves.
fn git_revision() {
    let revision = git(&["rev-parse", "--short=12", "HEAD"]);
    // A commit or checkout rewrites HEAD's reflog (HEAD itself only names the branch); a file
    // that does not exist would make cargo rerun this script on every build, so only those
    // that do are watched.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        for watched in ["HEAD", "logs/HEAD"] {
            let path = PathBuf::from(&git_dir).join(watched);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!(
        "cargo:rustc-env=BANTOP_GIT_REVISION={}",
        revision.as_deref().unwrap_or("unknown")
    );
}

/// What `git ARGS` prints on its first line, when git is there and succeeds.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.lines().next()?.trim().to_string();
    (output.status.success() && !line.is_empty()).then_some(line)
}

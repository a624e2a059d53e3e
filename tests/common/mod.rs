//! Harnesses shared by the integration tests; each test crate uses only some of them.
#![allow(dead_code)]

pub mod fail2ban;
pub mod netns;
pub mod screen;
pub mod sshd;
pub mod tmux;

/// A copy of bantop in `dir` that `nobody` can run (it may not reach the build directory);
/// `dir` itself is made readable and searchable by all.
pub fn binary_for_nobody(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let binary = dir.join("bantop");
    std::fs::copy(env!("CARGO_BIN_EXE_bantop"), &binary).unwrap_or_else(|e| panic!("{e}"));
    for path in [dir, binary.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    binary
}

/// `binary` to be run as `nobody` (setpriv; the tests that use it run as root).
pub fn as_nobody(binary: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new("setpriv");
    command
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(binary);
    command
}

/// A copy of the shipped demo (`demo/`) in a temporary directory, to change for one test.
pub fn copy_demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo"),
        dir.path(),
    );
    dir
}

/// Copies the files under `from` into `to`, recursively.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{e}"));
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

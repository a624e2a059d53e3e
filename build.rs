//! Tells the tests whether they are built by root: a test that must run bantop as another user
//! (setpriv) is then marked ignored, with its reason, when they are not, instead of passing
//! without having run.

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
}

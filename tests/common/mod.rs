//! Harnesses shared by the integration tests; each test crate uses only some of them.
#![allow(dead_code)]

pub mod fail2ban;
pub mod netns;
pub mod tmux;

/// Whether the tests run as root (needed to run bantop as another user).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

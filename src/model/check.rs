//! One item of the security checklist (`bantop check`, the posture view).

use serde::Serialize;

/// The outcome of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fine.
    Pass,
    /// Needs a look.
    Warn,
    /// Needs fixing.
    Fail,
}

/// A checklist item with its result, the reason and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckItem {
    /// What is checked, e.g. `fail2ban running`.
    pub name: String,
    /// The result.
    pub status: Status,
    /// Why, in words.
    pub reason: String,
    /// What to do about it (empty when it passes).
    pub fix: String,
}

impl CheckItem {
    /// A new item.
    pub fn new(
        name: &str,
        status: Status,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        CheckItem {
            name: name.to_string(),
            status,
            reason: reason.into(),
            fix: fix.into(),
        }
    }
}

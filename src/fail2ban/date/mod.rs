//! When a log line happened, found as fail2ban's date detector finds it: its default templates
//! or a filter's `datepattern` (strptime `%`-codes), read in the zone of the log's wall times.

mod access;
mod bytes;
mod detector;
mod error;
mod found;
mod iso;
pub mod strptime;
mod syslog;
mod template;

pub(crate) use detector::DateMemo;
pub use detector::{DateDetector, DateMatch, Zone};
pub use error::DateError;

//! A compiled fail2ban filter: one log line in, a failure (address, time, captures) or nothing
//! out, with multi-line failures merged; and a whole log scanned through it in parallel.

pub mod log_scan;
mod matcher;
mod mlfid;

pub use matcher::{Filter, FilterError, FilterMatch};

//! A compiled fail2ban filter: one log line in, a failure (address, time, captures) or nothing
//! out, with multi-line failures merged; and a whole log scanned through it in parallel. The
//! compiled part ([`CompiledFilter`]) is shared; each log (or thread) keeps its own
//! [`FilterState`]; a [`Filter`] is the two together.

mod compiled;
pub mod failure_ids;
mod host_groups;
pub mod log_scan;
mod matcher;
mod mlfid;
mod multiline;
mod state;

pub use compiled::{CompiledFilter, FilterError};
pub use matcher::{Filter, FilterMatch};
pub use state::FilterState;

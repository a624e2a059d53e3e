//! A fail2ban regex from its text to a matcher: `<HOST>`-style tags and Python syntax
//! rewritten, compiled for the linear-time engine wherever possible (a back-tracking fallback
//! otherwise), and the literals that let a filter skip a line without running any regex.

mod backtrack;
mod compiled;
mod error;
pub mod host_tags;
pub(crate) mod marked;
pub(crate) mod prefilter;

pub(crate) use compiled::{GaveUp, Text};
pub use compiled::{Pattern, PatternMatch, ascii_variant, without_word_lookahead};
pub use error::PatternError;

//! Why a `datepattern` (or one of its lines) cannot be a date template.

use crate::fail2ban::pattern::PatternError;

/// A date template that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum DateError {
    /// A `%` starts no field fail2ban knows (the character after it).
    #[error("unknown field %{0} in datepattern")]
    UnknownField(char),
    /// A field fail2ban knows that bantop cannot read.
    #[error("field %{0} of datepattern is not supported")]
    UnsupportedField(&'static str),
    /// The template's regex did not compile.
    #[error("datepattern {name:?}: {error}")]
    Regex {
        /// The template (its datepattern line).
        name: String,
        /// Why its regex did not compile.
        error: PatternError,
    },
}

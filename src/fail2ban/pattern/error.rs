//! Why a fail2ban regex could not be compiled, as one typed error that the filter and the date
//! templates each put in their own words.

/// A regex that no engine takes.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    /// Neither `fancy-regex` nor the linear engine (whose first complaint is kept) takes it.
    #[error("{backtracking} (and the linear engine: {linear})")]
    Unsupported {
        /// What `fancy-regex` said (boxed: it is large, and errors travel in every `Result`).
        backtracking: Box<fancy_regex::Error>,
        /// The last line of what the linear engine said (its summary).
        linear: String,
    },
}

//! Hosts of a fleet as the view shows them: each one's connection, its fail2ban, and what its
//! stream refused.

/// A host's connection.
#[derive(Debug, Clone, PartialEq)]
pub enum HostState {
    /// Connecting (for the first time or again).
    Connecting,
    /// Streaming; the remote bantop's version, and whether it differs from this one.
    Connected {
        /// The remote version.
        version: String,
        /// Whether it differs from this bantop's.
        mismatch: bool,
    },
    /// Lost or never reached: why, and the seconds before the next try.
    Lost {
        /// Why.
        reason: String,
        /// Seconds before connecting again.
        retry_in: u64,
    },
    /// The stream ended by itself (`--no-follow`).
    Done,
}

/// What changed about a host.
#[derive(Debug, Clone, PartialEq)]
pub enum HostChange {
    /// Its connection.
    State(HostState),
    /// Whether its fail2ban answered (`None`) or why not.
    Fail2ban(Option<String>),
    /// Lines of its stream refused so far, and the last one's reason.
    Refused {
        /// How many.
        count: u64,
        /// Why the last one was.
        reason: String,
    },
}

/// A host's line in the view.
#[derive(Debug, Clone, PartialEq)]
pub struct HostLine {
    /// The host's name.
    pub name: String,
    /// Its connection.
    pub state: HostState,
    /// Why its fail2ban did not answer, if it did not.
    pub fail2ban: Option<String>,
    /// Lines of its stream refused, and the last reason.
    pub refused: Option<(u64, String)>,
}

impl HostLine {
    /// A host not connected yet.
    pub fn new(name: &str) -> Self {
        HostLine {
            name: name.to_string(),
            state: HostState::Connecting,
            fail2ban: None,
            refused: None,
        }
    }

    /// Takes a change.
    pub fn change(&mut self, change: HostChange) {
        match change {
            HostChange::State(state) => self.state = state,
            HostChange::Fail2ban(problem) => self.fail2ban = problem,
            HostChange::Refused { count, reason } => self.refused = Some((count, reason)),
        }
    }

    /// Whether everything is well: connected, same version, fail2ban answering.
    pub fn is_well(&self) -> bool {
        matches!(
            self.state,
            HostState::Connected {
                mismatch: false,
                ..
            }
        ) && self.fail2ban.is_none()
    }

    /// The state in a few words: `connected`, `lost: Connection refused (again in 4 s)`.
    pub fn describe(&self) -> String {
        let mut words = match &self.state {
            HostState::Connecting => "connecting…".to_string(),
            HostState::Connected { version, mismatch } if *mismatch => format!(
                "connected, bantop {version} (here {}): versions differ",
                env!("CARGO_PKG_VERSION")
            ),
            HostState::Connected { .. } => "connected".to_string(),
            HostState::Lost { reason, retry_in } => {
                format!("LOST: {reason} (again in {retry_in} s)")
            }
            HostState::Done => "done".to_string(),
        };
        if let Some(problem) = &self.fail2ban {
            words.push_str(&format!("; fail2ban: {problem}"));
        }
        if let Some((count, reason)) = &self.refused {
            words.push_str(&format!("; {count} refused ({reason})"));
        }
        words
    }
}

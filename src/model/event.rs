//! What the engine reports: failures found in logs, bans, unbans and action results.

use super::ban::Ban;
use super::check::CheckItem;
use super::port::Port;
use super::whitelist::WhitelistEntry;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A failure found by a jail's filter in one log line.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The jail whose filter matched.
    pub jail: String,
    /// The host as captured (an address, or a name when the filter allows DNS).
    pub host: String,
    /// The host parsed as an address, when it is one.
    pub ip: Option<IpAddr>,
    /// Epoch seconds of the log line.
    pub time: f64,
    /// Index of the failregex that matched.
    pub fid: usize,
    /// Named captures (`user`, `ip4`, ...), as fail2ban names them.
    pub captures: BTreeMap<String, String>,
    /// The log line, as read.
    pub line: String,
}

/// What happened to one failure in its jail.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// Counted: `count` failures of `maxretry` within `findtime`.
    Counted {
        /// Failures in the current window.
        count: u32,
        /// The jail's threshold.
        maxretry: u32,
    },
    /// The address is in the jail's `ignoreip`.
    Ignored,
    /// The address is already banned: the firewall drops it.
    AlreadyBanned,
    /// The host is not an address and was not counted.
    Unresolved,
}

/// A failure and what the jail made of it, as shown in the events view.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// The failure.
    pub failure: Failure,
    /// How the jail treated it.
    pub kind: EventKind,
    /// A short description in words, e.g. `REGISTER 1001: failed to authenticate`.
    pub summary: String,
}

/// The reason of an [`EngineEvent::Unbanned`] the operator asked for, which also makes fail2ban
/// forget the address's earlier bans in that jail.
pub const UNBANNED_BY_OPERATOR: &str = "operator";

/// Everything the engine sends to its consumers (TUI, JSON stream).
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// The engine's current time (log time in the demo), epoch seconds.
    Clock(f64),
    /// An address's dossier, gathered from the logs and fail2ban's database.
    Dossier(Box<super::dossier::Dossier>),
    /// The logs' history over a period, read for the TUI.
    PeriodHistory(Box<super::period::PeriodHistory>),
    /// A failure was found.
    Log(LogEvent),
    /// An address was banned.
    Banned(Ban),
    /// A ban ended.
    Unbanned {
        /// The ban that ended.
        ban: Ban,
        /// Why: `expired`, `operator`, `whitelisted`.
        reason: String,
    },
    /// An address was added to a jail's ignore list (and to the drop-in).
    Whitelisted(WhitelistEntry),
    /// An address or network was taken out of jails' ignore lists.
    Unwhitelisted {
        /// The entry as written.
        entry: String,
        /// The jails.
        jails: Vec<String>,
    },
    /// The result of an operator action, in words.
    ActionResult {
        /// Whether it succeeded.
        ok: bool,
        /// What was done, or why it failed.
        message: String,
        /// Whether it changed anything, as the executor's steps read it back: an action that
        /// changed nothing has nothing to undo.
        changed: bool,
    },
    /// A port restriction applied pending confirmation: kept only if confirmed before
    /// `deadline` (epoch seconds, the wall clock).
    RestrictionPending {
        /// The port.
        port: u16,
        /// Its protocol.
        proto: super::port::Proto,
        /// When it is rolled back unless kept.
        deadline: f64,
    },
    /// Replay state of the demo (speed factor, paused, loop number).
    Replay {
        /// Time multiplier.
        speed: f64,
        /// Whether replay is paused.
        paused: bool,
        /// How many times the recording was restarted.
        loops: u32,
    },
    /// Whether the backend can change anything: `Some(reason)` when bantop is read-only.
    Connection {
        /// Why nothing can be changed, or `None` when actions work.
        read_only: Option<String>,
    },
    /// The whitelist drop-in as it is now (what plans build on).
    Dropin(String),
    /// A log source changed state (opened, rotated, truncated, missing, permission denied).
    Source {
        /// The jail.
        jail: String,
        /// The file, or `journal`.
        path: String,
        /// The new state, in words.
        status: String,
    },
    /// The most recent actions (audit log), oldest first.
    Actions(Vec<super::audit::AuditEntry>),
    /// The listening sockets, assessed.
    Ports(Vec<Port>),
    /// The security checklist.
    Posture(Vec<CheckItem>),
    /// The configuration as fail2ban reads it: skipped jails, warnings, where values come from.
    Configuration(crate::model::configuration::ConfigurationView),
    /// The kernel's firewall as last read, or why it could not be read.
    Firewall(Result<super::firewall::KernelFirewall, String>),
    /// A host of the fleet changed: its connection, its fail2ban, what it refused.
    Host {
        /// The host.
        host: String,
        /// What changed.
        change: super::fleet::HostChange,
    },
    /// Jails to show beside the ones known (a fleet's host read its own).
    JailsAdded(Vec<super::JailSettings>),
    /// Lines that could not be read as log lines, per source, so far.
    Unparsed {
        /// The source file.
        source: String,
        /// How many lines were skipped.
        count: u64,
    },
}

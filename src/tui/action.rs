//! Everything a key can ask the UI to do, as named in the keymap file.

use serde::Deserialize;

/// A UI action; keymap files name them in kebab-case (`next-view`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Leave bantop.
    Quit,
    /// Switch to the next view.
    NextView,
    /// Show the key help.
    Help,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Move the selection a page up.
    PageUp,
    /// Move the selection a page down.
    PageDown,
    /// Go to the oldest entry.
    Top,
    /// Go to the newest entry and follow new ones.
    Follow,
    /// Select the next jail.
    NextJail,
    /// Select the previous jail.
    PrevJail,
    /// Show or hide where the selected jail's values come from.
    Origins,
    /// Open the selected address's dossier: its history, bans, state and origin.
    Inspect,
    /// Close the dossier.
    Close,
    /// Look back over the next period: 1h, 24h, 7d, 30d.
    Period,
    /// Type a filter (jail or address).
    Filter,
    /// Unban the selected address.
    Unban,
    /// Whitelist the selected address in every jail.
    Whitelist,
    /// Ban the selected address by hand, for a chosen time.
    Ban,
    /// Unban your own address everywhere and whitelist it (when it is banned or close).
    Rescue,
    /// Close the selected port to all but some networks (ports view), with a rollback timer.
    Restrict,
    /// Lift the selected port's restriction (ports view).
    Unrestrict,
    /// Undo the last action (with a confirmation).
    Undo,
    /// Confirm the open popup.
    Confirm,
    /// Close the open popup.
    Cancel,
    /// Pause or resume the replay.
    Pause,
    /// Replay faster.
    Faster,
    /// Replay slower.
    Slower,
    /// Show only the next host's rows (a fleet; after the last, every host).
    NextHost,
    /// In a confirm popup on a fleet: the same action on every host, or back on one.
    EveryHost,
}

impl Action {
    /// A few words for help and footer.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::NextView => "switch view",
            Action::Help => "help",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "oldest",
            Action::Follow => "newest, follow",
            Action::NextJail => "next jail",
            Action::PrevJail => "previous jail",
            Action::Origins => "where values come from",
            Action::Inspect => "dossier",
            Action::Close => "close",
            Action::Period => "period",
            Action::Filter => "filter",
            Action::Unban => "unban",
            Action::Whitelist => "whitelist",
            Action::Ban => "ban",
            Action::Rescue => "rescue yourself",
            Action::Restrict => "restrict port",
            Action::Unrestrict => "lift restriction",
            Action::Undo => "undo",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Pause => "pause/resume",
            Action::Faster => "faster",
            Action::Slower => "slower",
            Action::NextHost => "next host",
            Action::EveryHost => "every host / one host",
        }
    }
}

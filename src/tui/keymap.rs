//! The keymap: key -> action per context, read from TOML (the defaults are embedded). Help and
//! footer are generated from it, so they never disagree with what the keys do.

use super::action::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// The embedded default keymap.
const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// Where a key binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    /// A popup is open.
    Popup,
    /// An address's dossier is open.
    Dossier,
    /// The events view.
    Events,
    /// The jails view.
    Jails,
    /// The ports and posture views (scrolling lists).
    Lists,
    /// Only in the demo.
    Demo,
    /// The TUI on a fleet of hosts.
    Fleet,
    /// Everywhere.
    Global,
}

impl Context {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "popup" => Context::Popup,
            "dossier" => Context::Dossier,
            "events" => Context::Events,
            "jails" => Context::Jails,
            "lists" => Context::Lists,
            "demo" => Context::Demo,
            "fleet" => Context::Fleet,
            "global" => Context::Global,
            _ => return None,
        })
    }

    /// The section name in the keymap file.
    pub fn name(self) -> &'static str {
        match self {
            Context::Popup => "popup",
            Context::Dossier => "dossier",
            Context::Events => "events",
            Context::Jails => "jails",
            Context::Lists => "lists",
            Context::Demo => "demo",
            Context::Fleet => "fleet",
            Context::Global => "global",
        }
    }
}

/// A key with its modifiers, as written in the keymap (`ctrl-c`, `G`, `pagedown`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Whether Ctrl is held.
    pub ctrl: bool,
}

/// The keymap as written in the file.
type KeymapFile = BTreeMap<String, BTreeMap<String, Action>>;

/// The resolved keymap.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Context, Key, String, Action)>,
}

/// Why a keymap file could not be taken; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// Not TOML, or an action that does not exist.
    #[error("{origin}: {message}")]
    Toml {
        /// The file.
        origin: String,
        /// The parser's words.
        message: String,
    },
    /// A `[section]` that is no context.
    #[error("{origin}: unknown context [{section}]")]
    UnknownContext {
        /// The file.
        origin: String,
        /// The section.
        section: String,
    },
    /// A key that does not read as one.
    #[error("{origin}: [{section}] unknown key {key:?}")]
    UnknownKey {
        /// The file.
        origin: String,
        /// The section.
        section: String,
        /// The key as written.
        key: String,
    },
}

impl Keymap {
    /// The embedded defaults.
    pub fn default_keys() -> Result<Self, KeymapError> {
        Self::parse(DEFAULT_KEYMAP, "built-in keymap")
    }

    /// Parses a keymap file; errors name `origin` and what is wrong.
    pub fn parse(text: &str, origin: &str) -> Result<Self, KeymapError> {
        let file: KeymapFile = toml::from_str(text).map_err(|e| KeymapError::Toml {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut bindings = Vec::new();
        for (section, keys) in file {
            let context =
                Context::from_name(&section).ok_or_else(|| KeymapError::UnknownContext {
                    origin: origin.to_string(),
                    section: section.clone(),
                })?;
            for (written, action) in keys {
                let key = parse_key(&written).ok_or_else(|| KeymapError::UnknownKey {
                    origin: origin.to_string(),
                    section: section.clone(),
                    key: written.clone(),
                })?;
                bindings.push((context, key, written, action));
            }
        }
        bindings.sort_by_key(|(context, ..)| *context);
        Ok(Keymap { bindings })
    }

    /// The defaults with the bindings of a user's keymap file on top, key by key.
    pub fn with_user_file(text: &str, origin: &str) -> Result<Self, KeymapError> {
        let mut keymap = Self::default_keys()?;
        let user = Self::parse(text, origin)?;
        for (context, key, written, action) in user.bindings {
            keymap
                .bindings
                .retain(|(c, k, ..)| !(*c == context && *k == key));
            keymap.bindings.push((context, key, written, action));
        }
        keymap.bindings.sort_by_key(|(context, ..)| *context);
        Ok(keymap)
    }

    /// The action of `event` in the first of `contexts` that binds it.
    pub fn action(&self, event: KeyEvent, contexts: &[Context]) -> Option<Action> {
        let key = Key {
            code: event.code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        };
        contexts.iter().find_map(|context| {
            self.bindings
                .iter()
                .find(|(c, k, ..)| c == context && *k == key)
                .map(|(.., action)| *action)
        })
    }

    /// Bindings of a context as (key as written, action), in file order of contexts.
    pub fn bindings(&self, context: Context) -> impl Iterator<Item = (&str, Action)> {
        self.bindings
            .iter()
            .filter(move |(c, ..)| *c == context)
            .map(|(_, _, written, action)| (written.as_str(), *action))
    }

    /// The shortest key bound to `action` in the first of `contexts` that binds it, as written.
    pub fn key_for(&self, action: Action, contexts: &[Context]) -> Option<&str> {
        contexts.iter().find_map(|context| {
            self.bindings(*context)
                .filter(|(_, a)| *a == action)
                .map(|(key, _)| key)
                .min_by_key(|key| key.len())
        })
    }
}

fn parse_key(text: &str) -> Option<Key> {
    let (ctrl, name) = match text.strip_prefix("ctrl-") {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, text),
    };
    let code = match name {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "space" => KeyCode::Char(' '),
        single if single.chars().count() == 1 => KeyCode::Char(single.chars().next()?),
        _ => return None,
    };
    Some(Key { code, ctrl })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn defaults_resolve_by_context_order() {
        let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            keymap.action(
                press(KeyCode::Char('q')),
                &[Context::Events, Context::Global]
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.action(press(KeyCode::Char('y')), &[Context::Popup]),
            Some(Action::Confirm)
        );
        assert_eq!(
            keymap.action(
                press(KeyCode::Char('y')),
                &[Context::Events, Context::Global]
            ),
            None
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            keymap.action(ctrl_c, &[Context::Global]),
            Some(Action::Quit)
        );
        assert_eq!(keymap.key_for(Action::Unban, &[Context::Global]), Some("u"));
    }

    #[test]
    fn a_user_file_overrides_key_by_key() {
        let keymap = Keymap::with_user_file("[global]\nx = \"quit\"\nu = \"help\"\n", "mine.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            keymap.action(press(KeyCode::Char('x')), &[Context::Global]),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.action(press(KeyCode::Char('q')), &[Context::Global]),
            Some(Action::Quit),
            "defaults stay"
        );
        assert_eq!(
            keymap.action(press(KeyCode::Char('u')), &[Context::Global]),
            Some(Action::Help),
            "replaced"
        );
        let duplicate =
            Keymap::with_user_file("[global]\nx = \"quit\"\nx = \"help\"\n", "mine.toml")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(
            duplicate.starts_with("mine.toml:") && duplicate.contains("line 3"),
            "{duplicate}"
        );
        let unknown = Keymap::with_user_file("[global]\nx = \"explode\"\n", "mine.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            unknown.contains("line 2") && unknown.contains("explode"),
            "{unknown}"
        );
    }

    #[test]
    fn unknown_actions_keys_and_contexts_are_errors() {
        assert!(Keymap::parse("[global]\nq = \"explode\"\n", "k.toml").is_err());
        assert!(Keymap::parse("[global]\nctrl-nope = \"quit\"\n", "k.toml").is_err());
        assert!(
            Keymap::parse("[elsewhere]\nq = \"quit\"\n", "k.toml")
                .is_err_and(|e| e.to_string().contains("unknown context"))
        );
    }
}

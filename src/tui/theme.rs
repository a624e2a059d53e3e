//! Themes: semantic slots (ban, danger, selection, ...) mapped to styles, read from
//! `themes/*.toml`. The built-in themes are embedded at build time; a theme file may set only
//! some slots and take the rest from the theme it `extends`. `ascii = true` (the console theme)
//! draws with ASCII only.

use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// The largest theme file read.
const MAX_FILE: u64 = 1 << 20;

/// The built-in themes, by name.
const BUILT_IN: [(&str, &str); 5] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("console", include_str!("../../themes/console.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

/// The slots every theme has, in file order.
const SLOTS: [&str; 17] = [
    "title",
    "label",
    "jail",
    "count",
    "count_high",
    "ban",
    "unban",
    "ignored",
    "operator",
    "selection",
    "danger",
    "ok",
    "error",
    "muted",
    "border",
    "sparkline",
    "key",
];

/// Styles for every semantic slot the views use.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// The theme's name (or file).
    pub name: String,
    /// Draw with ASCII only.
    pub ascii: bool,
    /// Title bar.
    pub title: Style,
    /// Field labels.
    pub label: Style,
    /// Jail names.
    pub jail: Style,
    /// Failure counts below the threshold.
    pub count: Style,
    /// Failure counts close to the threshold.
    pub count_high: Style,
    /// Bans.
    pub ban: Style,
    /// Unbans.
    pub unban: Style,
    /// Ignored (whitelisted) failures.
    pub ignored: Style,
    /// The operator's own address.
    pub operator: Style,
    /// The selected row.
    pub selection: Style,
    /// Warnings that something dangerous is about to happen.
    pub danger: Style,
    /// Success messages.
    pub ok: Style,
    /// Error messages.
    pub error: Style,
    /// Secondary text.
    pub muted: Style,
    /// Borders.
    pub border: Style,
    /// Attack-rate sparklines.
    pub sparkline: Style,
    /// Key names in help and footer.
    pub key: Style,
}

/// A theme file as written: any slots, `extends`, `ascii`.
#[derive(Debug, Clone, Default)]
struct ThemeFile {
    extends: Option<String>,
    ascii: Option<bool>,
    slots: BTreeMap<String, (String, usize)>,
}

/// Why a theme could not be had; each names the file (or built-in theme) and, where it can,
/// the line and the slot.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// No built-in theme of that name.
    #[error("no built-in theme {name:?} (themes: {known})")]
    NoSuchTheme {
        /// The name asked for.
        name: String,
        /// The built-in names.
        known: String,
    },
    /// The theme file could not be read (or is no regular file, or too large).
    #[error("{0}")]
    Read(#[from] std::io::Error),
    /// Not TOML.
    #[error("{origin}: {message}")]
    Toml {
        /// The file.
        origin: String,
        /// The parser's words.
        message: String,
    },
    /// `extends` chains too deep, or names no built-in theme.
    #[error("{origin}: {message}")]
    Extends {
        /// The file.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A slot: unknown, of the wrong type, or a style that does not parse.
    #[error("{origin}:{line}: {message}")]
    Slot {
        /// The file.
        origin: String,
        /// Its line.
        line: usize,
        /// What is wrong, starting with the slot's name.
        message: String,
    },
    /// A slot without a style in a theme that extends none.
    #[error("{origin}: missing slot {slot:?} (or `extends = \"default\"`)")]
    Missing {
        /// The file.
        origin: String,
        /// The slot.
        slot: String,
    },
}

impl Theme {
    /// The embedded default theme.
    pub fn default_theme() -> Result<Self, ThemeError> {
        Self::built_in("default")
    }

    /// The names of the built-in themes.
    pub fn built_in_names() -> impl Iterator<Item = &'static str> {
        BUILT_IN.iter().map(|(name, _)| *name)
    }

    /// A built-in theme by name.
    pub fn built_in(name: &str) -> Result<Self, ThemeError> {
        let text = BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text);
        let text = text.ok_or_else(|| ThemeError::NoSuchTheme {
            name: name.to_string(),
            known: Self::built_in_names().collect::<Vec<_>>().join(", "),
        })?;
        Self::parse(text, &format!("themes/{name}.toml"))
    }

    /// A built-in theme by name, or a theme file by path (at most [`MAX_FILE`] bytes).
    pub fn load(name_or_path: &str) -> Result<Self, ThemeError> {
        if name_or_path.ends_with(".toml") || name_or_path.contains('/') {
            let text = crate::state_file::read_named(Path::new(name_or_path), MAX_FILE)?;
            return Self::parse(&text, name_or_path);
        }
        Self::built_in(name_or_path)
    }

    /// The theme for this terminal when none is asked for: monochrome under `NO_COLOR`, the
    /// console theme on a Linux console (`TERM=linux`), else the default.
    pub fn for_terminal(term: Option<&str>, no_color: bool) -> Result<Self, ThemeError> {
        match (no_color, term) {
            (true, _) => Self::built_in("monochrome"),
            (false, Some("linux")) => Self::built_in("console"),
            _ => Self::default_theme(),
        }
    }

    /// Parses a theme file; errors name `origin`, the line and the slot.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ThemeError> {
        Self::resolve(text, origin, 0)
    }

    fn resolve(text: &str, origin: &str, depth: usize) -> Result<Self, ThemeError> {
        let file = read_file(text, origin)?;
        let extends = |message: String| ThemeError::Extends {
            origin: origin.to_string(),
            message,
        };
        let mut theme = match (&file.extends, depth) {
            (_, 4..) => return Err(extends("`extends` goes more than 4 deep".to_string())),
            (Some(parent), _) => {
                let parent_text = BUILT_IN.iter().find(|(n, _)| n == parent).map(|(_, t)| *t);
                let parent_text = parent_text
                    .ok_or_else(|| extends(format!("extends unknown theme {parent:?}")))?;
                Self::resolve(parent_text, &format!("themes/{parent}.toml"), depth + 1)?
            }
            (None, _) => Theme::blank(),
        };
        theme.name = origin.to_string();
        if let Some(ascii) = file.ascii {
            theme.ascii = ascii;
        }
        let mut missing = Vec::new();
        for slot in SLOTS {
            match file.slots.get(slot) {
                Some((value, line)) => {
                    *theme.slot_mut(slot) = parse_style(value).map_err(|e| ThemeError::Slot {
                        origin: origin.to_string(),
                        line: *line,
                        message: format!("{slot}: {e}"),
                    })?
                }
                None if file.extends.is_none() => missing.push(slot),
                None => {}
            }
        }
        match missing.first() {
            Some(slot) => Err(ThemeError::Missing {
                origin: origin.to_string(),
                slot: slot.to_string(),
            }),
            None => Ok(theme),
        }
    }

    fn blank() -> Self {
        let plain = Style::default();
        Theme {
            name: String::new(),
            ascii: false,
            title: plain,
            label: plain,
            jail: plain,
            count: plain,
            count_high: plain,
            ban: plain,
            unban: plain,
            ignored: plain,
            operator: plain,
            selection: plain,
            danger: plain,
            ok: plain,
            error: plain,
            muted: plain,
            border: plain,
            sparkline: plain,
            key: plain,
        }
    }

    fn slot_mut(&mut self, slot: &str) -> &mut Style {
        match slot {
            "title" => &mut self.title,
            "label" => &mut self.label,
            "jail" => &mut self.jail,
            "count" => &mut self.count,
            "count_high" => &mut self.count_high,
            "ban" => &mut self.ban,
            "unban" => &mut self.unban,
            "ignored" => &mut self.ignored,
            "operator" => &mut self.operator,
            "selection" => &mut self.selection,
            "danger" => &mut self.danger,
            "ok" => &mut self.ok,
            "error" => &mut self.error,
            "muted" => &mut self.muted,
            "border" => &mut self.border,
            "sparkline" => &mut self.sparkline,
            _ => &mut self.key,
        }
    }
}

/// The file's keys with their lines; unknown keys and wrong types are errors naming the line.
fn read_file(text: &str, origin: &str) -> Result<ThemeFile, ThemeError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| ThemeError::Toml {
        origin: origin.to_string(),
        message: e.to_string(),
    })?;
    let slot_error = |line: usize, message: String| ThemeError::Slot {
        origin: origin.to_string(),
        line,
        message,
    };
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().split(['=', ' ']).next() == Some(key))
            .map_or(0, |i| i + 1)
    };
    let mut file = ThemeFile::default();
    for (key, value) in table {
        let line = line_of(&key);
        match (key.as_str(), value) {
            ("extends", toml::Value::String(parent)) => file.extends = Some(parent),
            ("ascii", toml::Value::Boolean(ascii)) => file.ascii = Some(ascii),
            (slot, toml::Value::String(style)) if SLOTS.contains(&slot) => {
                file.slots.insert(slot.to_string(), (style, line));
            }
            (slot, _) if SLOTS.contains(&slot) || slot == "extends" || slot == "ascii" => {
                return Err(slot_error(line, format!("{slot}: wrong type")));
            }
            (unknown, _) => return Err(slot_error(line, format!("unknown slot {unknown:?}"))),
        }
    }
    Ok(file)
}

/// `lightred on black bold` -> a style.
fn parse_style(text: &str) -> Result<Style, String> {
    let mut style = Style::default();
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        style = match word {
            "on" => {
                let colour = words.next().ok_or("`on` needs a colour")?;
                style.bg(parse_colour(colour)?)
            }
            "bold" => style.add_modifier(Modifier::BOLD),
            "dim" => style.add_modifier(Modifier::DIM),
            "italic" => style.add_modifier(Modifier::ITALIC),
            "underlined" => style.add_modifier(Modifier::UNDERLINED),
            "reversed" => style.add_modifier(Modifier::REVERSED),
            colour => style.fg(parse_colour(colour)?),
        };
    }
    Ok(style)
}

fn parse_colour(text: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| format!("{text:?} is not a colour"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_parses() {
        for name in Theme::built_in_names() {
            let theme = Theme::built_in(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(theme.ascii, name == "console", "{name}");
        }
        let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            theme.danger,
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        );
    }

    #[test]
    fn a_bad_colour_names_file_line_and_slot() {
        let text = BUILT_IN[0]
            .1
            .replace("ban = \"lightred bold\"", "ban = \"blurple\"");
        let error = Theme::parse(&text, "themes/x.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.starts_with("ban ="))
            .map_or(0, |i| i + 1);
        assert_eq!(
            error,
            format!("themes/x.toml:{line}: ban: \"blurple\" is not a colour")
        );
        let unknown = Theme::parse("extends = \"default\"\nbanana = \"red\"\n", "mine.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(unknown, "mine.toml:2: unknown slot \"banana\"");
    }

    #[test]
    fn a_partial_theme_extends_a_built_in() {
        let theme = Theme::parse("extends = \"console\"\nban = \"yellow\"\n", "mine.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(theme.ban, Style::default().fg(Color::Yellow));
        assert!(theme.ascii, "inherited");
        assert_eq!(
            theme.danger,
            Theme::built_in("console")
                .map(|t| t.danger)
                .unwrap_or_default()
        );
        assert!(
            Theme::parse("ban = \"red\"\n", "mine.toml")
                .is_err_and(|e| e.to_string().contains("missing slot"))
        );
    }

    #[test]
    fn the_terminal_chooses_when_nothing_is_asked() {
        let name = |term: Option<&str>, no_color| {
            Theme::for_terminal(term, no_color)
                .map(|t| t.name)
                .unwrap_or_default()
        };
        assert_eq!(name(Some("linux"), false), "themes/console.toml");
        assert_eq!(name(Some("xterm-256color"), true), "themes/monochrome.toml");
        assert_eq!(name(Some("xterm-256color"), false), "themes/default.toml");
    }
}

//! Themes: semantic slots (ban, danger, selection, ...) mapped to styles, read from
//! `themes/*.toml`. The default theme is embedded at build time.

use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The embedded default theme.
const DEFAULT_THEME: &str = include_str!("../../themes/default.toml");

/// Styles for every semantic slot the views use.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
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

impl Theme {
    /// The embedded default theme.
    pub fn default_theme() -> Result<Self, String> {
        Self::parse(DEFAULT_THEME, "themes/default.toml")
    }

    /// Parses a theme file; errors name `origin`, the line and the slot.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let table: BTreeMap<String, String> =
            toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let line_of = |slot: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(slot))
                .map_or(0, |i| i + 1)
        };
        let mut styles = BTreeMap::new();
        for (slot, value) in &table {
            let style = parse_style(value)
                .map_err(|e| format!("{origin}:{}: {slot}: {e}", line_of(slot)))?;
            styles.insert(slot.as_str(), style);
        }
        let mut take = |slot: &str| {
            styles
                .remove(slot)
                .ok_or_else(|| format!("{origin}: missing slot {slot:?}"))
        };
        let theme = Theme {
            title: take("title")?,
            label: take("label")?,
            jail: take("jail")?,
            count: take("count")?,
            count_high: take("count_high")?,
            ban: take("ban")?,
            unban: take("unban")?,
            ignored: take("ignored")?,
            operator: take("operator")?,
            selection: take("selection")?,
            danger: take("danger")?,
            ok: take("ok")?,
            error: take("error")?,
            muted: take("muted")?,
            border: take("border")?,
            sparkline: take("sparkline")?,
            key: take("key")?,
        };
        match styles.keys().next() {
            Some(unknown) => Err(format!(
                "{origin}:{}: unknown slot {unknown:?}",
                line_of(unknown)
            )),
            None => Ok(theme),
        }
    }
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
    fn the_default_theme_parses() {
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
        let text = DEFAULT_THEME.replace("ban = \"lightred bold\"", "ban = \"blurple\"");
        let error = Theme::parse(&text, "themes/x.toml")
            .err()
            .unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.starts_with("ban ="))
            .map_or(0, |i| i + 1);
        assert_eq!(
            error,
            format!("themes/x.toml:{line}: ban: \"blurple\" is not a colour")
        );
    }
}

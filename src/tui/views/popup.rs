//! Popups over the current view: help (generated from the keymap), the ban duration choice, and
//! the confirmation that shows exactly what a write action will do.

use crate::tui::app::{App, BAN_CHOICES, Popup};
use crate::tui::keymap::Context;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Draws the open popup, if any.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(popup) = &app.popup else { return };
    let (title, lines, style) = match popup {
        Popup::Help => (" Keys ".to_string(), help_lines(app, theme), theme.border),
        Popup::BanDuration { ip, choice } => {
            let mut lines = vec![Line::raw(format!("Ban {ip} in bantop's firewall set for:")), Line::raw("")];
            for (i, (label, _)) in BAN_CHOICES.iter().enumerate() {
                let marker = if i == *choice { "▶ " } else { "  " };
                lines.push(Line::styled(format!("{marker}{label}"), if i == *choice { theme.selection } else { ratatui::style::Style::default() }));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled("up/down choose · Enter next · Esc cancel", theme.muted));
            (" Ban ".to_string(), lines, theme.border)
        }
        Popup::Confirm(confirm) => {
            let mut lines = vec![Line::raw("This will:")];
            lines.extend(confirm.plan.iter().map(|step| Line::styled(step.clone(), theme.key)));
            lines.push(Line::raw(""));
            let style = match (&confirm.danger, confirm.armed) {
                (Some(danger), true) => {
                    lines.push(Line::styled(format!("DANGER: {danger}"), theme.danger));
                    lines.push(Line::styled("Press y once more to do it anyway · n/Esc cancels", theme.danger));
                    theme.danger
                }
                (Some(danger), false) => {
                    lines.push(Line::styled(format!("Warning: {danger}"), theme.error));
                    lines.push(Line::styled("y continues to a second confirmation · n/Esc cancels", theme.muted));
                    theme.error
                }
                (None, _) => {
                    lines.push(Line::styled("y/Enter: do it · n/Esc: cancel", theme.muted));
                    theme.border
                }
            };
            (format!(" {} ", confirm.title), lines, style)
        }
    };
    let width = area.width.saturating_sub(4).min(100);
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let [row] = Layout::vertical([Constraint::Length(height)]).flex(Flex::Center).areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width)]).flex(Flex::Center).areas(row);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).border_style(style).title(Span::styled(title, style));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), rect);
}

fn help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let mut contexts = vec![Context::Global, Context::Events, Context::Jails];
    if app.replay.is_some() {
        contexts.push(Context::Demo);
    }
    contexts.push(Context::Popup);
    let mut lines = Vec::new();
    for context in contexts {
        let mut spans = vec![Span::styled(format!("{:<7}", context.name()), theme.label)];
        let mut seen: Vec<crate::tui::action::Action> = Vec::new();
        for (key, action) in app.keymap.bindings(context) {
            let keys: Vec<&str> = app.keymap.bindings(context).filter(|(_, a)| *a == action).map(|(k, _)| k).collect();
            if seen.contains(&action) || keys.first() != Some(&key) {
                continue;
            }
            seen.push(action);
            spans.push(Span::styled(format!(" {}", keys.join("/")), theme.key));
            spans.push(Span::raw(format!(" {} ·", action.describe())));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("any key closes this help", theme.muted));
    lines
}

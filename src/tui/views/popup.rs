//! Popups over the current view: help (generated from the keymap), the ban duration choice, the
//! restrict form and its keep-or-roll-back countdown, and the confirmation that shows exactly
//! what a write action will do.

use crate::model::restriction::port_label;
use crate::tui::app::{App, Popup};
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
        Popup::Ban {
            ip,
            choices,
            selected,
        } => {
            let mut lines = vec![Line::raw(format!("Ban {ip}:")), Line::raw("")];
            for (i, choice) in choices.iter().enumerate() {
                let (marker, style) = if i == *selected {
                    ("▶ ", theme.selection)
                } else {
                    ("  ", ratatui::style::Style::default())
                };
                lines.push(Line::styled(format!("{marker}{}", choice.label), style));
            }
            if choices.is_empty() {
                lines.push(Line::styled(
                    "no way to ban it here: select an event or a jail first",
                    theme.error,
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "up/down choose · Enter next · Esc cancel",
                theme.muted,
            ));
            (" Ban ".to_string(), lines, theme.border)
        }
        Popup::Restrict(form) => {
            let mut lines = vec![
                Line::raw(format!(
                    "Allow only these networks (and loopback) to reach {}:",
                    port_label(form.port, form.proto)
                )),
                Line::styled(format!("> {}_", form.allow), theme.key),
                Line::styled(form.advice.clone(), theme.muted),
            ];
            if let Some(error) = &form.error {
                lines.push(Line::styled(error.clone(), theme.error));
            }
            lines.push(Line::styled(
                format!(
                    "kept only if you confirm within {} s after it is applied",
                    app.restrict_rollback
                ),
                theme.muted,
            ));
            return draw(
                frame,
                area,
                " Restrict a port ".to_string(),
                lines,
                theme.border,
                Some(" type networks, space-separated · Enter: next · Esc: cancel "),
                0,
            );
        }
        Popup::KeepRestriction {
            port,
            proto,
            deadline,
        } => {
            let left = (deadline - app.wall_clock).max(0.0).ceil() as u64;
            let lines = vec![
                Line::raw(format!(
                    "The restriction of {} is in {} now.",
                    port_label(*port, *proto),
                    if app.simulated {
                        "the simulated firewall"
                    } else {
                        "the kernel"
                    }
                )),
                Line::raw("Can you still reach this machine? If you can read this, keep it."),
                Line::styled(format!("rolled back in {left} s unless kept"), theme.error),
            ];
            return draw(
                frame,
                area,
                " Keep the restriction? ".to_string(),
                lines,
                theme.error,
                Some(" y: keep it · n/Esc: roll back now "),
                0,
            );
        }
        Popup::Confirm(confirm) => {
            let mut lines = vec![Line::raw("This will:")];
            lines.extend(
                confirm
                    .plan
                    .iter()
                    .map(|step| Line::styled(step.clone(), theme.key)),
            );
            let (prompt, style) = match (&confirm.danger, confirm.armed) {
                (Some(danger), true) => {
                    lines.insert(0, Line::styled(format!("DANGER: {danger}"), theme.danger));
                    (" y once more: do it anyway · n/Esc: cancel ", theme.danger)
                }
                (Some(danger), false) => {
                    lines.insert(0, Line::styled(format!("Warning: {danger}"), theme.error));
                    (
                        " y: continue to a second confirmation · n/Esc: cancel ",
                        theme.error,
                    )
                }
                (None, _) => (" y/Enter: do it · n/Esc: cancel ", theme.border),
            };
            return draw(
                frame,
                area,
                format!(" {} ", confirm.title),
                lines,
                style,
                Some(prompt),
                confirm.scroll,
            );
        }
    };
    draw(frame, area, title, lines, style, None, 0);
}

/// A centred box with `lines`, scrolled by `scroll`; `prompt` stays in the bottom border.
fn draw(
    frame: &mut Frame,
    area: Rect,
    title: String,
    lines: Vec<Line>,
    style: ratatui::style::Style,
    prompt: Option<&str>,
    scroll: u16,
) {
    let width = area.width.saturating_sub(4).min(100);
    let inner = width.saturating_sub(2).max(1) as usize;
    let rows = lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(inner))
        .sum::<usize>() as u16;
    let height = (rows + 2).min(area.height.saturating_sub(2));
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    frame.render_widget(Clear, rect);
    let hidden = (rows + 2).saturating_sub(height);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(title, style));
    if hidden > 0 {
        let more = format!(" {}/{} · up/down scrolls ", scroll.min(hidden), hidden);
        block = block.title(Line::styled(more, style).right_aligned());
    }
    if let Some(prompt) = prompt {
        block = block.title_bottom(Line::styled(prompt.to_string(), style));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll.min(hidden), 0)),
        rect,
    );
}

fn help_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let mut contexts = vec![
        Context::Global,
        Context::Events,
        Context::Jails,
        Context::Lists,
        Context::Dossier,
    ];
    if app.replay.is_some() {
        contexts.push(Context::Demo);
    }
    if app.fleet.is_some() {
        contexts.push(Context::Fleet);
    }
    contexts.push(Context::Popup);
    let mut lines = Vec::new();
    for context in contexts {
        let mut spans = vec![Span::styled(format!("{:<7}", context.name()), theme.label)];
        let mut seen: Vec<crate::tui::action::Action> = Vec::new();
        for (key, action) in app.keymap.bindings(context) {
            let keys: Vec<&str> = app
                .keymap
                .bindings(context)
                .filter(|(_, a)| *a == action)
                .map(|(k, _)| k)
                .collect();
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

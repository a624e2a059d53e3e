//! The header's lines on a fleet: one per host (its connection, failures over the period and
//! bans in force), the hosts in trouble first; past [`MAX_LINES`] the well ones collapse into
//! one line that counts them.

use super::fit;
use crate::tui::app::App;
use crate::tui::fleet_view::host_of;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Host lines shown at most.
pub const MAX_LINES: usize = 8;

/// The host lines to draw: each host's index, in trouble first; how many hosts are left out,
/// and how many of those are in trouble.
fn chosen(app: &App) -> (Vec<usize>, usize, usize) {
    let Some(fleet) = &app.fleet else {
        return (Vec::new(), 0, 0);
    };
    if fleet.lines.len() <= MAX_LINES {
        return ((0..fleet.lines.len()).collect(), 0, 0);
    }
    let mut order: Vec<usize> = (0..fleet.lines.len()).collect();
    order.sort_by_key(|i| fleet.lines[*i].is_well());
    // The last line counts the others.
    let left = order.split_off(MAX_LINES - 1);
    let troubled_left = left.iter().filter(|i| !fleet.lines[**i].is_well()).count();
    (order, left.len(), troubled_left)
}

/// Lines the fleet takes in the header.
pub fn height(app: &App) -> u16 {
    let (shown, left, _) = chosen(app);
    (shown.len() + usize::from(left > 0)) as u16
}

/// Draws the host lines in `rows`.
pub fn render(frame: &mut Frame, rows: &[Rect], app: &App, theme: &Theme) {
    let Some(fleet) = &app.fleet else { return };
    let (shown, left, troubled) = chosen(app);
    let width = fleet.name_width().min(16);
    let period_start = app.period_start();
    let mut rows = rows.iter();
    for &index in &shown {
        let Some(row) = rows.next() else { return };
        let line = &fleet.lines[index];
        let jails = app
            .jails
            .iter()
            .filter(|j| host_of(&j.settings.name) == line.name);
        let (mut failures, mut banned, mut count) = (0u64, 0usize, 0usize);
        for jail in jails {
            failures += App::failures_in_period(&jail.rate, period_start);
            banned += jail.bans.len();
            count += 1;
        }
        let state_style = if line.is_well() {
            theme.muted
        } else {
            theme.danger
        };
        let text = Line::from(vec![
            Span::styled(format!(" {:<width$}", fit(&line.name, width)), theme.jail),
            Span::styled(" fail ", theme.label),
            Span::styled(format!("{failures:<6}"), theme.count),
            Span::styled("banned ", theme.label),
            Span::styled(format!("{banned:<4}"), theme.ban),
            Span::styled(format!("{count} jails  "), theme.muted),
            Span::styled(line.describe(), state_style),
        ]);
        frame.render_widget(Paragraph::new(text), *row);
    }
    if left > 0
        && let Some(row) = rows.next()
    {
        // What the hosts left out add up to (the shown ones are on their lines).
        let hidden = |name: &str| !shown.iter().any(|i| fleet.lines[*i].name == name);
        let (failures, banned) = app
            .jails
            .iter()
            .filter(|j| hidden(host_of(&j.settings.name)))
            .fold((0u64, 0usize), |(f, b), j| {
                (
                    f + App::failures_in_period(&j.rate, period_start),
                    b + j.bans.len(),
                )
            });
        let sum = format!("fail {failures}, banned {banned}");
        let (text, style) = if troubled == 0 {
            (
                format!(" … {left} more hosts, all connected: {sum}"),
                theme.muted,
            )
        } else {
            (
                format!(" … {left} more hosts, {troubled} of them in trouble: {sum}"),
                theme.danger,
            )
        };
        frame.render_widget(Paragraph::new(Line::styled(text, style)), *row);
    }
}

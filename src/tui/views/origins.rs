//! The jails view's "where from" pane (`o`): each value of the selected jail as fail2ban
//! resolves it, with the file and line it comes from and what it overrode, then the jails
//! fail2ban skips with its reason and its warnings.

use super::fit;
use crate::model::sanitize::sanitize;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the pane for the selected jail in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let width = area.width.saturating_sub(2) as usize;
    let jail = app
        .jails
        .get(app.selected_jail)
        .map(|j| j.settings.name.as_str())
        .unwrap_or_default();
    let mut lines = Vec::new();
    match app.configuration.origins.iter().find(|o| o.jail == jail) {
        Some(origins) => {
            let longest_origin = origins
                .rows
                .iter()
                .map(|r| r.origin.chars().count())
                .max()
                .unwrap_or(0);
            let origin_width = longest_origin.min(width.saturating_sub(14) / 2);
            let value_width = width.saturating_sub(15 + origin_width);
            for row in &origins.rows {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<13} ", fit(&row.key, 13)), theme.label),
                    Span::raw(format!(
                        "{:<value_width$} ",
                        fit(&sanitize(&row.value), value_width)
                    )),
                    Span::styled(fit(&sanitize(&row.origin), origin_width), theme.muted),
                ]));
                if !row.overrode.is_empty() {
                    let text = format!("  overrode {}", row.overrode.join(", "));
                    lines.push(Line::styled(fit(&sanitize(&text), width), theme.muted));
                }
            }
        }
        None => lines.push(Line::styled(
            "not read from a fail2ban configuration (bantop's own set)",
            theme.muted,
        )),
    }
    let notes = &app.configuration.notes;
    for skipped in &notes.skipped {
        let text = format!("skipped by fail2ban: [{}] {}", skipped.name, skipped.reason);
        lines.push(Line::styled(fit(&sanitize(&text), width), theme.danger));
    }
    for warning in &notes.warnings {
        let text = format!("warning: {warning}");
        lines.push(Line::styled(fit(&sanitize(&text), width), theme.muted));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(" Where from (o: back to the bans) "),
        ),
        area,
    );
}

//! The posture view: the security checklist, each item passed, warned or failed with its reason
//! and its fix, then the most recent actions (the audit log).

use crate::model::check::Status;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Draws the posture view in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = Vec::new();
    for item in app.posture.iter().skip(app.list_scroll) {
        let (mark, style) = match item.status {
            Status::Pass => ("PASS", theme.ok),
            Status::Warn => ("WARN", theme.count),
            Status::Fail => ("FAIL", theme.error),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(item.name.clone(), theme.jail),
            Span::raw(format!("  {}", item.reason)),
        ]));
        if !item.fix.is_empty() {
            lines.push(Line::styled(format!("     fix: {}", item.fix), theme.muted));
        }
    }
    if !app.recent_actions.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Recent actions", theme.label));
        for action in app.recent_actions.iter().rev() {
            let who = action
                .sudo_user
                .clone()
                .unwrap_or_else(|| format!("uid {}", action.uid));
            let style = if action.result == "ok" {
                theme.muted
            } else {
                theme.error
            };
            let jails = if action.jails.is_empty() {
                String::new()
            } else {
                format!(" in {}", action.jails.join(", "))
            };
            let text = format!(
                "  {} {} {}{jails} by {who}: {}",
                crate::tui::views::format_time(action.time, app.zone),
                action.action,
                action.target,
                action.result
            );
            lines.push(Line::styled(text, style));
        }
    }
    let failed = app
        .posture
        .iter()
        .filter(|i| i.status == Status::Fail)
        .count();
    let title = format!(" Posture: {} checks, {failed} failed ", app.posture.len());
    let hint = if app.operators.is_empty() {
        String::new()
    } else {
        " w whitelists your own address ".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
        .title_bottom(Line::styled(hint, theme.muted));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

//! Views: pure functions from the model to the frame. The layout is a title bar with per-jail
//! totals and rate sparklines, the current view, and a footer generated from the keymap.

mod activity;
mod ascii;
mod dossier;
mod events;
mod fleet_header;
mod footer;
mod header;
mod jails;
mod origins;
mod popup;
mod ports;
mod posture;
pub mod targets;

use super::app::{App, View};
use super::theme::Theme;
use crate::fail2ban::date::Zone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// The smallest terminal bantop draws in.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Draws the whole screen.
pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let message = format!(
            "terminal too small: {}x{}, bantop needs {}x{} (q quits)",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        frame.render_widget(
            Paragraph::new(Line::styled(message, theme.error))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let header_height = header::height(app);
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(header_height),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(frame, top, app, theme);
    match app.view {
        _ if app.dossier.is_some() => dossier::render(frame, body, app, theme),
        View::Events => events::render(frame, body, app, theme),
        View::Jails => jails::render(frame, body, app, theme),
        View::Ports => ports::render(frame, body, app, theme),
        View::Posture => posture::render(frame, body, app, theme),
        View::Targets => targets::render(frame, body, app, theme),
        View::Activity => activity::render(frame, body, app, theme),
    }
    footer::render(frame, bottom, app, theme);
    popup::render(frame, area, app, theme);
    if theme.ascii {
        ascii::asciify(frame.buffer_mut());
    }
}

/// `HH:MM:SS` of `epoch` in `zone`.
pub fn format_clock(epoch: f64, zone: Zone) -> String {
    zone.wall(epoch).map_or_else(
        || "--:--:--".to_string(),
        |t| t.format("%H:%M:%S").to_string(),
    )
}

/// `YYYY-MM-DD HH:MM:SS` of `epoch` in `zone`.
pub fn format_time(epoch: f64, zone: Zone) -> String {
    zone.format(epoch)
}

/// Text cut to `width` characters, with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

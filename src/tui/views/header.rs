//! The title bar (mode, clock, replay state) and one line per jail: failures, bans and a
//! sparkline of failures per minute.

use super::{fit, format_time};
use crate::model::BanPlace;
use crate::tui::app::{App, JailPanel};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

/// Title line plus one line per jail.
pub fn height(app: &App) -> u16 {
    let lines = if app.fleet.is_some() {
        super::fleet_header::height(app)
    } else {
        shown(app).count() as u16
    };
    1 + u16::from(app.operator_alert().is_some()) + lines
}

fn shown(app: &App) -> impl Iterator<Item = &JailPanel> {
    app.jails
        .iter()
        .filter(|j| j.settings.place() != BanPlace::OwnSet || !j.bans.is_empty())
}

/// Draws the header in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut title = vec![Span::raw(" bantop ")];
    match app.replay {
        Some(replay) => {
            let state = if replay.paused { "paused" } else { "playing" };
            title.push(Span::raw(format!(
                "│ demo ×{} {state} ",
                speed_text(replay.speed)
            )));
            if replay.loops > 0 {
                title.push(Span::raw(format!("(loop {}) ", replay.loops + 1)));
            }
        }
        None if app.fleet.is_some() => title.push(Span::raw("│ fleet ")),
        None => title.push(Span::raw("│ live ")),
    }
    if let Some(reason) = &app.read_only {
        title.push(Span::styled(format!(" READ-ONLY: {reason} "), theme.danger));
    }
    title.push(Span::raw(format!("│ {} ", format_time(app.now, app.zone))));
    let banned: usize = app.jails.iter().map(|j| j.bans.len()).sum();
    title.push(Span::raw(format!("│ {banned} banned ")));
    title.push(Span::raw(format!("│ last {} ", app.period.label())));
    if app.unparsed > 0 {
        let names: Vec<&str> = app
            .unparsed_sources
            .iter()
            .map(|s| s.rsplit('/').next().unwrap_or(s))
            .collect();
        title.push(Span::raw(format!(
            "│ {} unreadable skipped ({}) ",
            app.unparsed,
            names.join(", ")
        )));
    }
    let rows = Layout::vertical(std::iter::repeat_n(
        Constraint::Length(1),
        height(app) as usize,
    ))
    .split(area);
    frame.render_widget(
        Paragraph::new(Line::from(title)).style(theme.title),
        rows[0],
    );
    let mut jail_rows = 1;
    if let Some((ip, trouble)) = app.operator_alert() {
        // The first thing an operator locked out must see, and the one key that helps.
        let key = app
            .keymap
            .key_for(
                crate::tui::action::Action::Rescue,
                &[crate::tui::keymap::Context::Global],
            )
            .unwrap_or("R");
        let text = format!(" YOUR ADDRESS {ip}: {trouble}. {key} = unban + whitelist everywhere ");
        frame.render_widget(Paragraph::new(Line::styled(text, theme.danger)), rows[1]);
        jail_rows = 2;
    }
    if app.fleet.is_some() {
        super::fleet_header::render(frame, &rows[jail_rows..], app, theme);
        return;
    }
    let period_start = app.period_start();
    for (panel, row) in shown(app).zip(rows.iter().skip(jail_rows)) {
        let [text_area, spark_area] =
            Layout::horizontal([Constraint::Length(44), Constraint::Min(0)]).areas(*row);
        let line = Line::from(vec![
            Span::styled(
                format!(" {:<14}", fit(&panel.settings.name, 14)),
                theme.jail,
            ),
            Span::styled(" fail ", theme.label),
            Span::styled(
                format!("{:<6}", App::failures_in_period(&panel.rate, period_start)),
                theme.count,
            ),
            Span::styled("banned ", theme.label),
            Span::styled(format!("{:<3}", panel.bans.len()), theme.ban),
            Span::styled(format!("of {:<4}", panel.bans_total), theme.muted),
        ]);
        frame.render_widget(Paragraph::new(line), text_area);
        let bars = spark_area.width.saturating_sub(1) as usize;
        let bar = app.period.bar_minutes(bars as i64);
        let data = App::bars(&panel.rate, app.now, bar, bars);
        frame.render_widget(
            Sparkline::default().data(&data).style(theme.sparkline),
            spark_area,
        );
    }
}

fn speed_text(speed: f64) -> String {
    if speed.fract() == 0.0 {
        format!("{speed:.0}")
    } else {
        format!("{speed}")
    }
}

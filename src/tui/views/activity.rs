//! The activity view: per jail, its failures and bans over the period as bars, one pair a
//! bucket (5 minutes for the hour, an hour for the day, 6 hours for the week, a day for 30
//! days): failures in the count colour, bans in the ban colour beside them. The counts come
//! from the header's per-minute failures and the session's bans.

use crate::fail2ban::duration::format_seconds;
use crate::model::BanPlace;
use crate::tui::app::{App, EventRow, JailPanel};
use crate::tui::period::Period;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders};

/// Minutes a bucket and buckets of each period.
fn buckets(period: Period) -> (i64, usize) {
    match period {
        Period::Hour => (5, 12),
        Period::Day => (60, 24),
        Period::Week => (360, 28),
        Period::Month => (1440, 30),
    }
}

/// Draws the view in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let panels: Vec<&JailPanel> = app
        .jails
        .iter()
        .filter(|j| j.settings.place() != BanPlace::OwnSet)
        .collect();
    if panels.is_empty() {
        return;
    }
    let rows = Layout::vertical(vec![Constraint::Fill(1); panels.len()]).split(area);
    let (minutes, count) = buckets(app.period);
    // The buckets spread over the width: two bars a bucket and a gap after them.
    let per_bucket = (area.width.saturating_sub(2) / count as u16).max(3);
    let bar_width = ((per_bucket - 1) / 2).max(1);
    let group_gap = per_bucket - 2 * bar_width;
    for (panel, row) in panels.into_iter().zip(rows.iter()) {
        let failures = App::bars(&panel.rate, app.now, minutes, count);
        let bans = ban_buckets(app, &panel.settings.name, minutes, count);
        let groups: Vec<BarGroup> = failures
            .iter()
            .zip(&bans)
            .map(|(failures, bans)| {
                BarGroup::new([
                    Bar::new(*failures).style(theme.count).text_value(""),
                    Bar::new(*bans).style(theme.ban).text_value(""),
                ])
            })
            .collect();
        let total_failures: u64 = failures.iter().sum();
        let total_bans: u64 = bans.iter().sum();
        let title = Line::from(vec![
            Span::styled(format!(" {} ", panel.settings.name), theme.jail),
            Span::styled(format!("failures {total_failures}"), theme.count),
            Span::raw(" · "),
            Span::styled(format!("bans {total_bans}"), theme.ban),
            Span::styled(
                format!(
                    " per {}, last {} ",
                    format_seconds(minutes * 60),
                    app.period.label()
                ),
                theme.muted,
            ),
        ]);
        let mut chart = BarChart::default()
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border)
                    .title(title),
            )
            .bar_width(bar_width)
            .bar_gap(0)
            .group_gap(group_gap);
        for group in groups {
            chart = chart.data(group);
        }
        frame.render_widget(chart, *row);
    }
}

/// The session's bans of `jail` in each of the `count` buckets of `minutes` ending now (as
/// [`App::bars`] counts the failures).
fn ban_buckets(app: &App, jail: &str, minutes: i64, count: usize) -> Vec<u64> {
    let bans: std::collections::VecDeque<(i64, u64)> = app
        .events
        .iter()
        .filter_map(|row| match row {
            EventRow::Banned(ban) if ban.jail == jail => {
                Some(((ban.since / 60.0).floor() as i64, 1))
            }
            _ => None,
        })
        .collect();
    App::bars(&bans, app.now, minutes, count)
}

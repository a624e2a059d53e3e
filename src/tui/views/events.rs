//! The events view: failures, bans and unbans as they happen, newest at the bottom, with the
//! address's count against `maxretry`; follow mode, scrolling and a filter.

use super::{fit, format_clock};
use crate::model::EventKind;
use crate::model::sanitize::sanitize;
use crate::tui::app::{App, EventRow};
use crate::tui::ban_time_text::ban_length_text;
use crate::tui::fleet_view::{host_of, own_jail};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

/// Draws the events view in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let visible = app.visible_events();
    let mut title = vec![Span::raw(" Events ")];
    if app.editing_filter || !app.filter.is_empty() {
        let cursor = if app.editing_filter { "▏" } else { "" };
        title.push(Span::styled(
            format!("filter: {}{cursor} ", sanitize(&app.filter)),
            theme.key,
        ));
    }
    let mode = if app.selected_event.is_some() {
        " scrolled (End follows) "
    } else {
        " following "
    };

    let dropped = app.events.dropped();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title))
        .title_bottom(Line::from(vec![
            Span::styled(mode, theme.muted),
            Span::styled(format!("{} shown", visible.len()), theme.muted),
            Span::styled(
                if dropped > 0 {
                    format!(", {dropped} older dropped ")
                } else {
                    " ".to_string()
                },
                theme.muted,
            ),
        ]));
    let inner_height = area.height.saturating_sub(3) as usize;
    let wide = area.width >= 110;
    let address_width: u16 = if wide { 26 } else { 17 };
    let jail_width: u16 = if wide { 14 } else { 13 };
    // The jail column fits `asterisk-wazo`; longer names are cut with `…`.
    // The country column when GeoIP files are read (a code and a space).
    let country_width: u16 = if app.geoip.is_empty() { 0 } else { 3 };
    // On a fleet, the host's column (its name, cut at 12).
    let host_width: u16 = app
        .fleet
        .as_ref()
        .map_or(0, |f| f.name_width().min(12) as u16 + 1);
    let what_width = area
        .width
        .saturating_sub(2 + 8 + host_width + jail_width + address_width + country_width + 6 + 4)
        as usize;
    let selected = visible
        .len()
        .checked_sub(app.selected_event.unwrap_or(0) + 1);
    // Show the window of rows that ends at the selection (or the newest row).
    let end = selected.map_or(visible.len(), |i| {
        (i + 1).max(inner_height.min(visible.len()))
    });
    let start = end.saturating_sub(inner_height);
    let rows: Vec<Row> = visible[start..end]
        .iter()
        .map(|row| event_row(row, app, theme, address_width as usize, what_width))
        .collect();
    let mut header = vec!["Time", "Jail", "Address", "Count", "What"];
    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Length(jail_width),
        Constraint::Length(address_width),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    if country_width > 0 {
        header.insert(3, "CC");
        widths.insert(3, Constraint::Length(country_width - 1));
    }
    if host_width > 0 {
        header.insert(1, "Host");
        widths.insert(1, Constraint::Length(host_width - 1));
    }
    let header = Row::new(header).style(theme.label);
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme.selection);
    let mut state = TableState::default();
    if app.selected_event.is_some() {
        state.select(selected.map(|i| i - start));
    }
    frame.render_stateful_widget(table, area, &mut state);
}

/// The address, marked when it is the operator's own (visible without colours too).
fn address_text(row: &EventRow, app: &App) -> String {
    let host = sanitize(&row.host());
    if row.ip().is_some_and(|ip| app.is_operator(ip)) {
        format!("{host} (you)")
    } else {
        host
    }
}

fn event_row<'a>(
    row: &EventRow,
    app: &App,
    theme: &Theme,
    address_width: usize,
    what_width: usize,
) -> Row<'a> {
    let ip_style = |style: Style| {
        if row.ip().is_some_and(|ip| app.is_operator(ip)) {
            theme.operator
        } else {
            style
        }
    };
    let (count, count_style, what, what_style) = match row {
        EventRow::Failure(event) => {
            let (count, style) = match &event.kind {
                EventKind::Counted { count, maxretry } => {
                    let high = u64::from(*count) * 5 >= u64::from(*maxretry) * 4;
                    (
                        format!("{count}/{maxretry}"),
                        if high { theme.count_high } else { theme.count },
                    )
                }
                EventKind::Ignored => ("ign".to_string(), theme.ignored),
                EventKind::AlreadyBanned => ("drop".to_string(), theme.muted),
                EventKind::Unresolved => ("dns?".to_string(), theme.muted),
            };
            let what_style = if event.kind == EventKind::Ignored {
                theme.ignored
            } else {
                Style::default()
            };
            (count, style, sanitize(&event.summary), what_style)
        }
        EventRow::Banned(ban) => {
            let how_long = ban_length_text(ban);
            let why = if ban.failures > 0 {
                format!(" after {} failures", ban.failures)
            } else {
                " by hand".to_string()
            };
            let nth = if ban.count > 1 {
                format!(" (ban #{})", ban.count)
            } else {
                String::new()
            };
            (
                "BAN".to_string(),
                theme.ban,
                format!("banned {how_long}{why}{nth}"),
                theme.ban,
            )
        }
        EventRow::Unbanned { reason, .. } => (
            "UNBAN".to_string(),
            theme.unban,
            format!("unbanned ({reason})"),
            theme.unban,
        ),
    };
    let jail = if app.fleet.is_some() {
        own_jail(row.jail())
    } else {
        row.jail()
    };
    let mut cells = vec![
        Cell::from(format_clock(row.time(), app.zone)).style(theme.muted),
        Cell::from(fit(jail, 14)).style(theme.jail),
        Cell::from(fit(&address_text(row, app), address_width)).style(ip_style(Style::default())),
        Cell::from(count).style(count_style),
        Cell::from(fit(&what, what_width)).style(what_style),
    ];
    if !app.geoip.is_empty() {
        cells.insert(3, Cell::from(country_of(row.ip(), app)).style(theme.muted));
    }
    if let Some(fleet) = &app.fleet {
        let width = fleet.name_width().min(12);
        cells.insert(
            1,
            Cell::from(fit(host_of(row.jail()), width)).style(theme.label),
        );
    }
    Row::new(cells)
}

/// The country code of `ip` from the GeoIP files, blank when unknown.
pub(super) fn country_of(ip: Option<std::net::IpAddr>, app: &App) -> String {
    ip.and_then(|ip| app.geoip.lookup(ip).country)
        .map(|code| sanitize(&code).chars().take(2).collect())
        .unwrap_or_default()
}

//! The jails view: the list of jails (and the ones fail2ban skips), the selected jail's
//! settings, its ban table (address, banned since, live countdown, ban count, failures) and the
//! evidence of the selected ban, or (`o`) where its values come from.

use super::{fit, format_clock};
use crate::fail2ban::duration::format_seconds;
use crate::model::sanitize::sanitize;
use crate::tui::app::App;
use crate::tui::ban_time_text::increment_text;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, List, ListItem, ListState, Paragraph, Row, Table, TableState,
};

/// Draws the jails view in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Length(22), Constraint::Min(0)]).areas(area);
    let items: Vec<ListItem> = app
        .jails
        .iter()
        .map(|j| {
            ListItem::new(Line::from(vec![
                Span::styled(format!("{:<15}", fit(&j.settings.name, 15)), theme.jail),
                Span::styled(format!("{:>3}", j.bans.len()), theme.ban),
            ]))
        })
        .chain(app.configuration.notes.skipped.iter().map(|skipped| {
            ListItem::new(Line::styled(
                format!("x {:<15}", fit(&skipped.name, 15)),
                theme.danger,
            ))
        }))
        .collect();
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(" Jails "),
        )
        .highlight_style(theme.selection);
    let mut list_state = ListState::default().with_selected(Some(app.selected_jail));
    frame.render_stateful_widget(list, list_area, &mut list_state);

    let Some(panel) = app.jails.get(app.selected_jail) else {
        return;
    };
    let evidence_height = if area.height >= 30 { 9 } else { 6 };
    let [settings_area, table_area, evidence_area] = Layout::vertical([
        Constraint::Length(6),
        Constraint::Min(4),
        Constraint::Length(evidence_height),
    ])
    .areas(detail_area);

    let s = &panel.settings;
    let ignore: Vec<String> = s.ignoreip.iter().map(ToString::to_string).collect();
    let width = settings_area.width.saturating_sub(12) as usize;
    let (maxretry, findtime, bantime) = (
        format!("{}  ", s.maxretry),
        format!("{}  ", format_seconds(s.findtime)),
        format_seconds(s.bantime),
    );
    let labels = "maxretry findtime bantime ".len();
    let room = (settings_area.width.saturating_sub(2) as usize)
        .saturating_sub(labels + maxretry.len() + findtime.len() + bantime.len());
    let increment = s
        .ban_increment
        .as_ref()
        .map(|increment| {
            let text = increment_text(s.bantime, increment);
            fit(&format!(" ({text})"), room)
        })
        .unwrap_or_default();
    let settings = vec![
        Line::from(vec![
            Span::styled("maxretry ", theme.label),
            Span::raw(maxretry),
            Span::styled("findtime ", theme.label),
            Span::raw(findtime),
            Span::styled("bantime ", theme.label),
            Span::raw(bantime),
            Span::raw(increment),
        ]),
        Line::from(vec![
            Span::styled("action   ", theme.label),
            Span::raw(fit(&s.action.replace('\n', " "), width)),
        ]),
        Line::from(vec![
            Span::styled("ignoreip ", theme.label),
            Span::raw(fit(&ignore.join(" "), width)),
        ]),
        Line::from(vec![
            Span::styled("logs     ", theme.label),
            Span::raw(fit(&sources_text(app, &s.name), width)),
        ]),
    ];
    let title = format!(
        " {} · filter {} · {} ",
        s.name,
        if s.filter.is_empty() { "-" } else { &s.filter },
        s.logpath.join(" ")
    );
    frame.render_widget(
        Paragraph::new(settings).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(Span::styled(
                    fit(&title, detail_area.width.saturating_sub(4) as usize),
                    theme.jail,
                )),
        ),
        settings_area,
    );

    if app.show_origins {
        let below_settings = Rect {
            height: table_area.height + evidence_area.height,
            ..table_area
        };
        super::origins::render(frame, below_settings, app, theme);
        return;
    }
    let rows: Vec<Row> = panel
        .bans
        .iter()
        .map(|ban| {
            let expires = match ban.remaining(app.now) {
                Some(left) => format_seconds(left.ceil() as i64),
                None => "never".to_string(),
            };
            let (address, address_style) = if app.is_operator(ban.ip) {
                (format!("{} (you)", ban.ip), theme.operator)
            } else {
                (ban.ip.to_string(), theme.ban)
            };
            let kernel = match app.kernel_drops(ban.ip) {
                Some(false) => Cell::from("NO").style(theme.danger),
                Some(true) => Cell::from("drops"),
                None => Cell::from("?").style(theme.muted),
            };
            let mut cells = vec![
                Cell::from(address).style(address_style),
                Cell::from(format_clock(ban.since, app.zone)),
                Cell::from(expires),
                Cell::from(ban.count.to_string()),
                Cell::from(ban.failures.to_string()),
                kernel,
            ];
            if !app.geoip.is_empty() {
                let country = super::events::country_of(Some(ban.ip), app);
                cells.insert(1, Cell::from(country).style(theme.muted));
            }
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["Address", "Since", "Expires", "Bans", "Fail", "Kernel"];
    let mut widths = vec![
        Constraint::Min(15),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(5),
        Constraint::Length(6),
    ];
    if !app.geoip.is_empty() {
        header.insert(1, "CC");
        widths.insert(1, Constraint::Length(2));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.label))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(format!(" Banned: {} ", panel.bans.len()))
                .title_bottom(Line::styled(kernel_summary(app), theme.muted)),
        )
        .row_highlight_style(theme.selection);
    let mut table_state =
        TableState::default().with_selected((!panel.bans.is_empty()).then_some(app.selected_ban));
    frame.render_stateful_widget(table, table_area, &mut table_state);

    let evidence_width = evidence_area.width.saturating_sub(2).max(1) as usize;
    let lines: Vec<Line> = match app.selected_ban() {
        Some(ban) if !ban.evidence.is_empty() => ban
            .evidence
            .iter()
            .map(|line| Line::raw(sanitize(without_bracketed_date(line))))
            .collect(),
        Some(_) => vec![Line::styled("banned by hand: no log lines", theme.muted)],
        None => vec![Line::styled("no ban selected", theme.muted)],
    };
    // Wrapped, and scrolled so that the newest lines are the ones in view.
    let wrapped: usize = lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(evidence_width))
        .sum();
    let scroll = wrapped.saturating_sub(evidence_area.height.saturating_sub(2) as usize) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border)
                    .title(" Evidence (last lines before the ban) "),
            ),
        evidence_area,
    );
}

/// Under the ban table: what the Kernel column is based on.
fn kernel_summary(app: &App) -> String {
    match &app.firewall {
        None => " kernel: not read yet ".to_string(),
        Some(Err(error)) => format!(" kernel: {error} "),
        Some(Ok(view)) if view.unknown > 0 => format!(
            " kernel: drops {} address(es) no jail has banned ",
            view.unknown
        ),
        Some(Ok(_)) if app.simulated => " kernel: the demo's simulated firewall ".to_string(),
        Some(Ok(_)) => " kernel: nftables read ".to_string(),
    }
}

/// A log line without its leading `[date]` (the ban table shows the time already).
fn without_bracketed_date(line: &str) -> &str {
    match line
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    {
        Some((date, rest))
            if date.len() <= 32 && date.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            rest
        }
        _ => line,
    }
}

/// The jail's log sources with their state (`opened`, `missing`, ...), or its logpath.
fn sources_text(app: &App, jail: &str) -> String {
    let sources: Vec<String> = app
        .sources
        .iter()
        .filter(|(j, _, _)| j == jail)
        .map(|(_, path, status)| format!("{path} ({status})"))
        .collect();
    if sources.is_empty() {
        app.jail(jail)
            .map(|j| j.settings.logpath.join(" "))
            .unwrap_or_default()
    } else {
        sources.join(", ")
    }
}

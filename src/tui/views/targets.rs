//! The targets view: what the attackers are after over the period, from this session's
//! failures: the accounts tried (most failures first, with how many sources and how many of
//! them are banned now), the numbers rejected calls went to with their destination, and the
//! provisioning files asked for. Names and numbers are the attacker's: sanitized and cut.

use super::{fit, format_clock};
use crate::model::address::network_of;
use crate::model::dialled::Destination;
use crate::model::sanitize::sanitize;
use crate::model::targets::{Targets, TargetsBuilder};
use crate::tui::app::{App, EventRow};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

/// Rows listed per table at most (the scroll stops there).
pub const ROWS_MAX: usize = 200;

/// The targets of this session's failures in the period.
pub fn session_targets(app: &App) -> Targets {
    let mut builder = TargetsBuilder::default();
    for row in app.events.iter().filter(|row| app.in_period(row)) {
        if let EventRow::Failure(log) = row
            && let Some(ip) = log.failure.ip
        {
            let user = log.failure.captures.get("user").map(String::as_str);
            builder.add(
                &log.failure.jail,
                ip,
                log.failure.time,
                &log.failure.line,
                user,
            );
        }
    }
    builder.finish(&|ip| !app.banned_in(ip).is_empty())
}

/// Width from which the top sources are shown beside the targets.
const WIDE: u16 = 110;
/// Width of the top sources' column.
const SOURCES_WIDTH: u16 = 40;

/// Draws the view in `area`: the targets, and beside them on a wide terminal the sources with
/// the most failures, by address and by network.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let area = if area.width >= WIDE {
        let [targets, sources] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(SOURCES_WIDTH)]).areas(area);
        render_sources(frame, sources, app, theme);
        targets
    } else {
        area
    };
    let targets = session_targets(app);
    let [accounts_area, dialled_area, files_area] = Layout::vertical([
        Constraint::Percentage(50),
        Constraint::Percentage(25),
        Constraint::Percentage(25),
    ])
    .areas(area);
    let width = |area: Rect| area.width.saturating_sub(2) as usize;
    let scroll = app.list_scroll;

    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{:<20} {:<14} {:>6} {:>7} {:>6} {:>8}",
                "account", "jail", "fails", "sources", "banned", "last"
            ),
            width(accounts_area),
        ),
        theme.label,
    )];
    lines.extend(
        targets
            .accounts
            .iter()
            .skip(scroll)
            .take(ROWS_MAX)
            .map(|a| {
                let text = format!(
                    "{:<20} {:<14} {:>6} {:>7} {:>6} {:>8}",
                    fit(&sanitize(&a.account), 20),
                    fit(&a.jail, 14),
                    a.failures,
                    a.sources,
                    a.banned_sources,
                    format_clock(a.last_seen, app.zone)
                );
                Line::raw(fit(&text, width(accounts_area)))
            }),
    );
    let title = format!(
        " Accounts tried: {} · last {} ",
        targets.accounts.len(),
        app.period.label()
    );
    draw(frame, accounts_area, theme, &title, lines);

    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{:<20} {:>6} {:>7}  {}",
                "number", "calls", "sources", "goes to"
            ),
            width(dialled_area),
        ),
        theme.label,
    )];
    lines.extend(targets.dialled.iter().skip(scroll).take(ROWS_MAX).map(|d| {
        let text = format!(
            "{:<20} {:>6} {:>7}  {}",
            fit(&sanitize(&d.number), 20),
            d.failures,
            d.sources,
            destination_text(&d.destination)
        );
        let style = if d.destination.high_cost {
            theme.danger
        } else {
            theme.count
        };
        Line::styled(fit(&text, width(dialled_area)), style)
    }));
    let title = format!(
        " Numbers dialled, rejected: {}{} ",
        targets.dialled.len(),
        by_destination(&targets)
    );
    draw(frame, dialled_area, theme, &title, lines);

    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{:<24} {:>8} {:>7} {:>7}",
                "file", "requests", "sources", "outside"
            ),
            width(files_area),
        ),
        theme.label,
    )];
    lines.extend(
        targets
            .provisioning
            .iter()
            .skip(scroll)
            .take(ROWS_MAX)
            .map(|p| {
                let text = format!(
                    "{:<24} {:>8} {:>7} {:>7}",
                    fit(&sanitize(&p.pattern), 24),
                    p.requests,
                    p.sources,
                    p.outside_sources
                );
                let style = if p.outside_sources > 0 {
                    theme.danger
                } else {
                    theme.muted
                };
                Line::styled(fit(&text, width(files_area)), style)
            }),
    );
    let title = format!(
        " Provisioning files asked for: {} ",
        targets.provisioning.len()
    );
    draw(frame, files_area, theme, &title, lines);
}

/// The calls per destination, most first: ` · 16 to +972 IL, 2 to +53 CU`.
fn by_destination(targets: &Targets) -> String {
    let named: Vec<String> = targets
        .calls_by_destination()
        .iter()
        .take(3)
        .map(|d| format!("{} to +{} {}", d.calls, d.calling_code, d.country))
        .collect();
    if named.is_empty() {
        String::new()
    } else {
        format!(" · {}", named.join(", "))
    }
}

/// The addresses and networks (/24, /48) with the most failures in the period, with their
/// country when GeoIP files are read.
fn render_sources(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut addresses: std::collections::HashMap<std::net::IpAddr, u64> =
        std::collections::HashMap::new();
    for row in app.events.iter().filter(|row| app.in_period(row)) {
        if let EventRow::Failure(log) = row
            && let Some(ip) = log.failure.ip
        {
            *addresses.entry(ip).or_default() += 1;
        }
    }
    let mut networks: std::collections::HashMap<ipnet::IpNet, u64> =
        std::collections::HashMap::new();
    for (ip, count) in &addresses {
        *networks.entry(network_of(*ip)).or_default() += count;
    }
    let width = area.width.saturating_sub(2) as usize;
    let half = area.height.saturating_sub(4) as usize / 2;
    let country = |ip: std::net::IpAddr| app.geoip.lookup(ip).country.unwrap_or_default();
    let mut lines = vec![Line::styled(
        fit("address                  CC  fails", width),
        theme.label,
    )];
    for (ip, count) in most(addresses.into_iter(), half) {
        let text = format!(
            "{:<24} {:<3} {:>5}",
            fit(&ip.to_string(), 24),
            sanitize(&country(ip)),
            count
        );
        lines.push(Line::raw(fit(&text, width)));
    }
    lines.push(Line::styled(
        fit("network                  CC  fails", width),
        theme.label,
    ));
    for (net, count) in most(networks.into_iter(), half) {
        let text = format!(
            "{:<24} {:<3} {:>5}",
            fit(&net.to_string(), 24),
            sanitize(&country(net.addr())),
            count
        );
        lines.push(Line::raw(fit(&text, width)));
    }
    let title = format!(" Top sources · last {} ", app.period.label());
    draw(frame, area, theme, &title, lines);
}

/// The `n` entries with the most, ties by the key.
fn most<K: Ord>(entries: impl Iterator<Item = (K, u64)>, n: usize) -> Vec<(K, u64)> {
    let mut all: Vec<(K, u64)> = entries.collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(n);
    all
}

/// `+972 IL`, with a warning for destinations toll fraud often calls; `national` otherwise.
fn destination_text(destination: &Destination) -> String {
    match (&destination.calling_code, &destination.country) {
        (Some(code), Some(country)) if destination.high_cost => {
            format!("+{code} {country} (often called by toll fraud)")
        }
        (Some(code), Some(country)) => format!("+{code} {country}"),
        _ => "national".to_string(),
    }
}

fn draw(frame: &mut Frame, area: Rect, theme: &Theme, title: &str, lines: Vec<Line<'static>>) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::styled(title.to_string(), theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

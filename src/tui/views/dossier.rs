//! The dossier pane (`Enter` on an address): who it is and where it is from, when it was seen,
//! what it did per jail and which accounts it tried, fail2ban's bans of it, its state now, and
//! its failures, newest first. Every text from the logs is sanitized and cut to the width.

use super::{fit, format_time};
use crate::fail2ban::duration::format_seconds;
use crate::model::dossier::Dossier;
use crate::model::sanitize::sanitize;
use crate::tui::app::App;
use crate::tui::dossier_pane::DossierSource;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Draws the open dossier in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some((dossier, source)) = app.shown_dossier() else {
        return;
    };
    let width = area.width.saturating_sub(2) as usize;
    let lines = lines(&dossier, source, app, theme, width);
    let scroll = app.dossier.as_ref().map_or(0, |pane| pane.scroll);
    let visible = area.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(visible)) as u16;
    let title = format!(" {} ", dossier.address);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::styled(title, theme.title));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

/// One styled line cut to `width`.
fn line(text: &str, style: Style, width: usize) -> Line<'static> {
    Line::styled(fit(&sanitize(text), width), style)
}

fn lines(
    dossier: &Dossier,
    source: DossierSource,
    app: &App,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let time = |t: f64| format_time(t, app.zone);
    let mut lines = Vec::new();
    let place: Vec<String> = [
        dossier.country.clone(),
        dossier.asn.map(|asn| format!("AS{asn}")),
        dossier.org.clone(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let place = if place.is_empty() {
        "origin unknown".to_string()
    } else {
        place.join(" · ")
    };
    lines.push(line(&place, theme.label, width));
    if let Some(name) = &dossier.reverse_dns {
        lines.push(line(&format!("reverse DNS: {name}"), theme.muted, width));
    }
    // One line per kind of data: the files of one source (IPv4, IPv6) say the same.
    let mut shown: Vec<&str> = Vec::new();
    for source in &dossier.place_sources {
        let what = source
            .rsplit_once(' ')
            .map_or(source.as_str(), |(what, _)| what);
        if !shown.contains(&what) {
            shown.push(what);
            lines.push(line(what, theme.muted, width));
        }
    }
    lines.push(match (dossier.first_seen, dossier.last_seen) {
        (Some(first), Some(last)) => line(
            &format!(
                "seen {} to {}: {} failures in {} jail(s)",
                time(first),
                time(last),
                dossier.failures,
                dossier.jails.len()
            ),
            Style::default(),
            width,
        ),
        _ => line("no failure of it seen", theme.muted, width),
    });
    lines.push(now_line(dossier, theme, width));
    lines.push(Line::default());
    if !dossier.jails.is_empty() {
        lines.push(line(
            &format!(
                "{:<16} {:>8} {:>5}  accounts tried",
                "jail", "failures", "bans"
            ),
            theme.label,
            width,
        ));
    }
    for jail in &dossier.jails {
        let accounts: Vec<String> = jail
            .accounts
            .iter()
            .map(|(account, count)| format!("{account} ({count})"))
            .collect();
        lines.push(line(
            &format!(
                "{:<16} {:>8} {:>5}  {}",
                fit(&jail.jail, 16),
                jail.failures,
                jail.bans,
                accounts.join(", ")
            ),
            Style::default(),
            width,
        ));
    }
    if !dossier.bans.is_empty() {
        lines.push(Line::default());
        let bans = match source {
            DossierSource::Gathered => "bans (fail2ban's database)",
            _ => "bans (this session)",
        };
        lines.push(line(bans, theme.label, width));
        for ban in &dossier.bans {
            let text = format!(
                "{} {} for {}, ban {} after {} failures",
                time(ban.time as f64),
                ban.jail,
                format_seconds(ban.bantime),
                ban.bancount,
                ban.failures
            );
            lines.push(line(&text, theme.ban, width));
        }
    }
    if !dossier.events.is_empty() {
        lines.push(Line::default());
        let older = if dossier.events_left_out > 0 {
            format!(" ({} older not listed)", dossier.events_left_out)
        } else {
            String::new()
        };
        lines.push(line(
            &format!("failures, newest first{older}"),
            theme.label,
            width,
        ));
        for event in dossier.events.iter().rev() {
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", time(event.time)), theme.muted),
                Span::styled(format!("{} ", fit(&event.jail, 16)), theme.jail),
                Span::raw(fit(
                    &sanitize(&event.summary),
                    width.saturating_sub(37).max(10),
                )),
            ]));
        }
    }
    lines.push(Line::default());
    let note = match source {
        DossierSource::Gathered => "from every log (rotated ones too) and fail2ban's database",
        DossierSource::SessionWhileReading => {
            "what this session saw; reading every log and fail2ban's database…"
        }
        DossierSource::Session => "what this session saw",
    };
    lines.push(line(note, theme.muted, width));
    for problem in &dossier.problems {
        lines.push(line(&format!("not read: {problem}"), theme.error, width));
    }
    lines
}

/// Its state now: banned where, dropped by the kernel, whitelisted.
fn now_line(dossier: &Dossier, theme: &Theme, width: usize) -> Line<'static> {
    let now = &dossier.now;
    let mut spans = vec![Span::styled("now: ", theme.label)];
    match &now.banned_in {
        Some(jails) if !jails.is_empty() => spans.push(Span::styled(
            format!("banned in {}", jails.join(", ")),
            theme.ban,
        )),
        Some(_) => spans.push(Span::raw("not banned")),
        None => spans.push(Span::styled("bans unknown", theme.muted)),
    }
    spans.push(Span::raw(" · "));
    match &now.kernel_drops {
        Some(drops) if !drops.is_empty() => {
            spans.push(Span::styled("the kernel drops it", theme.ban))
        }
        Some(_) => spans.push(Span::raw("the kernel lets it in")),
        None => spans.push(Span::styled("kernel not read", theme.muted)),
    }
    spans.push(Span::raw(" · "));
    match &now.whitelisted {
        Some(text) => spans.push(Span::styled(sanitize(text), theme.ok)),
        None => spans.push(Span::raw("not whitelisted")),
    }
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    if text.chars().count() > width {
        return Line::styled(fit(&text, width), Style::default());
    }
    Line::from(spans)
}

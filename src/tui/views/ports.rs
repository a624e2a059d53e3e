//! The ports view: every listening socket, who owns it, what the firewall lets reach it, the
//! service the port table expects and the finding when it should not be reachable.

use super::fit;
use crate::model::port::{Port, Reach, Severity};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

/// Draws the ports view in `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let count = |severity: Severity| app.ports.iter().filter(|p| p.severity == severity).count();
    let title = format!(
        " Ports: {} listening, {} to fix, {} to review ",
        app.ports.len(),
        count(Severity::Fail),
        count(Severity::Warn)
    );
    let wide = area.width >= 110;
    let rows: Vec<Row> = app
        .ports
        .iter()
        .skip(app.list_scroll)
        .enumerate()
        .map(|(i, port)| {
            let row = port_row(port, theme, wide);
            // The top row is the one x and X act on.
            if i == 0 {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = if wide {
        vec![
            Constraint::Length(5),
            Constraint::Length(24),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(22),
            Constraint::Length(26),
            Constraint::Min(10),
        ]
    } else {
        vec![
            Constraint::Length(5),
            Constraint::Length(21),
            Constraint::Length(10),
            Constraint::Length(16),
            Constraint::Min(10),
        ]
    };
    let header: Vec<&str> = if wide {
        vec![
            "Proto", "Address", "Scope", "Firewall", "Process", "Service", "Finding",
        ]
    } else {
        vec![
            "Proto",
            "Address",
            "Firewall",
            "Process",
            "Service / finding",
        ]
    };
    let reach = |reach: Reach| app.ports.iter().filter(|p| p.firewall == reach).count();
    let summary = format!(
        " firewall: {} open, {} restricted, {} closed, {} unknown ",
        reach(Reach::Open),
        reach(Reach::Restricted),
        reach(Reach::Closed),
        reach(Reach::Unknown)
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.label))
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(title)
                .title_bottom(Line::styled(summary, theme.muted)),
        );
    frame.render_widget(table, area);
}

fn port_row<'a>(port: &Port, theme: &Theme, wide: bool) -> Row<'a> {
    let style = match port.severity {
        Severity::Fail => theme.error,
        Severity::Warn => theme.count,
        Severity::Ok => Style::default(),
    };
    let address = match port.address {
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{}", port.port),
        v4 => format!("{v4}:{}", port.port),
    };
    let process = match (&port.pid, &port.process) {
        (Some(pid), Some(name)) => format!("{pid}/{name}"),
        _ => "?".to_string(),
    };
    let service = port
        .service
        .clone()
        .unwrap_or_else(|| "unknown".to_string());
    let finding = port.finding.clone().unwrap_or_default();
    let firewall_style = match port.firewall {
        Reach::Open if port.severity != Severity::Ok => theme.error,
        Reach::Unknown => theme.muted,
        _ => Style::default(),
    };
    let firewall = Cell::from(port.firewall.name()).style(firewall_style);
    let mut cells = vec![
        Cell::from(format!("{:?}", port.proto).to_lowercase()),
        Cell::from(fit(&address, 24)),
    ];
    if wide {
        cells.push(Cell::from(format!("{:?}", port.scope).to_lowercase()));
        cells.push(firewall);
        cells.push(Cell::from(fit(&process, 22)));
    } else {
        cells.push(firewall);
        cells.push(Cell::from(fit(&process, 16)));
    }
    if wide {
        cells.push(Cell::from(fit(&service, 26)));
        cells.push(Cell::from(finding).style(style));
    } else {
        let text = if finding.is_empty() { service } else { finding };
        cells.push(Cell::from(text).style(style));
    }
    Row::new(cells)
}

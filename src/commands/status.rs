//! `bantop status [--json]`: fail2ban's jails, bans with expiry and ignore lists, and whether
//! its socket answered. Exit status 1 when it did not.

use crate::fail2ban::date::Zone;
use crate::fail2ban::server::{Fail2ban, JailStatus, ServerBan};
use crate::fail2ban::socket_client::ClientError;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// One jail as reported.
#[derive(Debug, Serialize)]
struct JailReport {
    #[serde(flatten)]
    status: JailStatus,
    bans: Vec<ServerBan>,
    ignoreip: Vec<String>,
}

/// The whole report.
#[derive(Debug, Serialize)]
struct Report {
    socket: String,
    answered: bool,
    error: Option<String>,
    jails: Vec<JailReport>,
}

/// Asks the server at `socket` and writes the report to `out`.
pub async fn run(socket: &Path, json: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut server = Fail2ban::new(socket);
    let (jails, error) = match collect(&mut server).await {
        Ok(jails) => (jails, None),
        Err(error) => (Vec::new(), Some(error.to_string())),
    };
    let report = Report {
        socket: socket.display().to_string(),
        answered: error.is_none(),
        error,
        jails,
    };
    if json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&report, out)?;
    }
    Ok(if report.answered {
        super::OK
    } else {
        super::ATTENTION
    })
}

async fn collect(server: &mut Fail2ban) -> Result<Vec<JailReport>, ClientError> {
    let mut reports = Vec::new();
    for jail in server.jails().await? {
        let status = server.jail_status(&jail).await?;
        let bans = server.bans(&jail).await?;
        let ignoreip = server.ignore_list(&jail).await?;
        reports.push(JailReport {
            status,
            bans,
            ignoreip,
        });
    }
    Ok(reports)
}

fn write_text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if let Some(error) = &report.error {
        return writeln!(out, "fail2ban: {error}");
    }
    writeln!(out, "fail2ban answers on {}", report.socket)?;
    for jail in &report.jails {
        let s = &jail.status;
        writeln!(
            out,
            "\n[{}] failed {} now, {} total; banned {} now, {} total",
            s.name, s.currently_failed, s.total_failed, s.currently_banned, s.total_banned
        )?;
        writeln!(out, "  reads: {}", s.files.join(" "))?;
        writeln!(out, "  ignoreip: {}", jail.ignoreip.join(" "))?;
        for ban in &jail.bans {
            let until = match ban.until {
                Some(until) => format!("until {}", Zone::Local.format(until)),
                None => "permanently".to_string(),
            };
            writeln!(
                out,
                "  banned {:<39} since {} {until}",
                ban.ip,
                Zone::Local.format(ban.since)
            )?;
        }
    }
    Ok(())
}

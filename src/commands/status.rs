//! `bantop status [--json]`: fail2ban's jails, bans with expiry and ignore lists, and whether
//! its socket answered, with each ban's count and evidence from fail2ban's database. Exit
//! status 1 when the socket did not answer.

use crate::fail2ban::database::{BanRecord, Database};
use crate::fail2ban::date::Zone;
use crate::fail2ban::server::{Fail2ban, JailStatus, ServerBan};
use crate::fail2ban::socket_client::ClientError;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// A ban in force with what the database adds: ban count and evidence.
#[derive(Debug, Serialize)]
struct BanReport {
    #[serde(flatten)]
    ban: ServerBan,
    bancount: Option<i64>,
    failures: Option<i64>,
    matches: Vec<String>,
}

/// One jail as reported.
#[derive(Debug, Serialize)]
struct JailReport {
    #[serde(flatten)]
    status: JailStatus,
    bans: Vec<BanReport>,
    ignoreip: Vec<String>,
}

/// The whole report.
#[derive(Debug, Serialize)]
struct Report {
    socket: String,
    answered: bool,
    error: Option<String>,
    database: Option<String>,
    database_error: Option<String>,
    jails: Vec<JailReport>,
    history: Vec<BanRecord>,
}

/// Asks the server at `socket`, merges what fail2ban's database at `database` says about each
/// ban, and writes the report to `out`.
pub async fn run(
    socket: &Path,
    database: Option<&Path>,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut server = Fail2ban::new(socket);
    let (records, history, database_error) = match database.map(Database::open) {
        Some(Ok(db)) => match (db.current_bans(), db.history(20)) {
            (Ok(records), Ok(history)) => (records, history, None),
            (Err(e), _) | (_, Err(e)) => (Vec::new(), Vec::new(), Some(e.to_string())),
        },
        Some(Err(e)) => (Vec::new(), Vec::new(), Some(e.to_string())),
        None => (Vec::new(), Vec::new(), None),
    };
    let (jails, error) = match collect(&mut server, &records).await {
        Ok(jails) => (jails, None),
        Err(error) => (Vec::new(), Some(error.to_string())),
    };
    let report = Report {
        socket: socket.display().to_string(),
        answered: error.is_none(),
        error,
        database: database.map(|d| d.display().to_string()),
        database_error,
        jails,
        history,
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

async fn collect(
    server: &mut Fail2ban,
    records: &[BanRecord],
) -> Result<Vec<JailReport>, ClientError> {
    let mut reports = Vec::new();
    for jail in server.jails().await? {
        let status = server.jail_status(&jail).await?;
        let bans = server
            .bans(&jail)
            .await?
            .into_iter()
            .map(|ban| {
                let record = records
                    .iter()
                    .find(|r| r.jail == ban.jail && r.ip == ban.ip);
                BanReport {
                    bancount: record.map(|r| r.bancount),
                    failures: record.map(|r| r.failures),
                    matches: record.map(|r| r.matches.clone()).unwrap_or_default(),
                    ban,
                }
            })
            .collect();
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
        for report in &jail.bans {
            let ban = &report.ban;
            let until = match ban.until {
                Some(until) => format!("until {}", Zone::Local.format(until)),
                None => "permanently".to_string(),
            };
            let count = report
                .bancount
                .map(|c| format!(", ban #{c}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  banned {:<39} since {} {until}{count}",
                ban.ip,
                Zone::Local.format(ban.since)
            )?;
            for line in &report.matches {
                writeln!(out, "      {line}")?;
            }
        }
    }
    Ok(())
}

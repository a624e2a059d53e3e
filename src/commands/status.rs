//! `bantop status [--json]`: fail2ban's jails, bans with expiry and ignore lists, and whether
//! its socket answered, with each ban's count and evidence from fail2ban's database. Exit
//! status 1 when the socket did not answer.

use crate::fail2ban::database::{BanRecord, Database};
use crate::fail2ban::date::Zone;
use crate::fail2ban::server::{Fail2ban, JailStatus, ServerBan};
use crate::fail2ban::socket_client::ClientError;
use crate::model::sanitize::sanitize;
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

/// The report as text, each line defused: jail names, paths, addresses, errors and evidence
/// all come from fail2ban or the logs it read, so the whole text goes through the sanitizer
/// rather than field by field, where one could be forgotten.
fn write_text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut text = Vec::new();
    render_text(report, &mut text)?;
    for line in String::from_utf8_lossy(&text).lines() {
        writeln!(out, "{}", sanitize(line))?;
    }
    Ok(())
}

fn render_text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A SIP user name in fail2ban's evidence that would set the clipboard (OSC 52) and clear
    /// the screen (CSI 2 J) if written as it is.
    const HOSTILE: &str = "Request 'REGISTER' from '<sip:\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J@203.0.113.50>' failed \u{202e}";

    #[test]
    fn text_output_defuses_escape_sequences_in_evidence_and_names() {
        let ban = ServerBan {
            jail: "asterisk-wazo\u{1b}[31m".into(),
            ip: "203.0.113.50\u{1b}[2J".into(),
            since: 0.0,
            bantime: 600,
            until: Some(600.0),
        };
        let report = Report {
            socket: "/run/fail2ban/fail2ban.sock".into(),
            answered: true,
            error: None,
            database: None,
            database_error: None,
            jails: vec![JailReport {
                status: JailStatus {
                    name: "asterisk-wazo\u{1b}[31m".into(),
                    currently_failed: 0,
                    total_failed: 15,
                    currently_banned: 1,
                    total_banned: 1,
                    files: vec!["/var/log/\u{1b}]0;title\u{7}asterisk".into()],
                },
                bans: vec![BanReport {
                    ban,
                    bancount: Some(1),
                    failures: Some(15),
                    matches: vec![HOSTILE.into()],
                }],
                ignoreip: vec!["127.0.0.1/8\u{1b}[H".into()],
            }],
            history: Vec::new(),
        };
        let mut out = Vec::new();
        write_text(&report, &mut out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out);
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "control characters reach the terminal: {text:?}"
        );
        assert!(
            text.contains(
                "      Request 'REGISTER' from '<sip:?]52;c;cHduZWQ=??[2J@203.0.113.50>' failed ?\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_error_from_fail2ban_is_defused_too() {
        let report = Report {
            socket: String::new(),
            answered: false,
            error: Some("unexpected reply to `status`: \u{1b}[2J".into()),
            database: None,
            database_error: None,
            jails: Vec::new(),
            history: Vec::new(),
        };
        let mut out = Vec::new();
        write_text(&report, &mut out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "fail2ban: unexpected reply to `status`: ?[2J\n"
        );
    }
}

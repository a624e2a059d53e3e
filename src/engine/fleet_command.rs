//! An operator's command carried out on hosts of the fleet: each becomes the remote bantop's
//! own one-shot command with `--json` (so the remote checks, writes and audits it as if typed
//! there), run over the host's SSH connection; the steps it reports come back per host, and
//! the local audit log records each host's outcome too.

use super::audit::{AuditLog, entry_for};
use super::command::Command;
use crate::fleet::hosts_file::Host;
use crate::fleet::link::COMMAND_TIMEOUT;
use crate::fleet::remote;
use crate::fleet::remote_json::{RemoteStep, parse_steps};
use crate::fleet::ssh::remote_command;
use crate::model::BanPlace;
use crate::model::EngineEvent;
use crate::model::address::text_of;
use std::path::Path;

/// The remote bantop's arguments that carry out `command`, or why it cannot go over SSH.
pub fn remote_args(command: &Command) -> Result<Vec<String>, String> {
    let mut args: Vec<String> = match command {
        Command::Unban {
            place: BanPlace::Jail(jail),
            target,
        } => vec![
            "unban".into(),
            text_of(*target),
            "--jail".into(),
            jail.clone(),
        ],
        Command::Unban {
            place: BanPlace::OwnSet,
            target,
        } => vec!["unban".into(), text_of(*target), "--own-set".into()],
        Command::UnbanEverywhere { ip } => vec!["unban".into(), ip.to_string()],
        Command::JailBan { jail, ip } => {
            vec!["ban".into(), ip.to_string(), "--jail".into(), jail.clone()]
        }
        Command::Ban { target, seconds } => {
            let mut args = vec!["ban".into(), text_of(*target)];
            if let Some(seconds) = seconds {
                args.extend(["--for".into(), seconds.to_string()]);
            }
            args
        }
        Command::Whitelist {
            entry,
            jails,
            comment,
        } => {
            let mut args = vec!["whitelist".into(), entry.to_string()];
            args.extend(jails.iter().flat_map(|j| ["--jail".to_string(), j.clone()]));
            args.extend(["--reason".into(), comment.clone()]);
            args
        }
        Command::Unwhitelist { entry, jails } => {
            let mut args = vec!["whitelist".into(), entry.to_string(), "--remove".into()];
            args.extend(jails.iter().flat_map(|j| ["--jail".to_string(), j.clone()]));
            args
        }
        Command::Rescue { ip, comment, .. } => {
            vec![
                "rescue".into(),
                ip.to_string(),
                "--reason".into(),
                comment.clone(),
            ]
        }
        _ => {
            return Err(
                "not carried out over SSH: restrict a port with `bantop restrict` on the host itself"
                    .to_string(),
            );
        }
    };
    args.push("--json".into());
    Ok(args)
}

/// How a command went on one host.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HostOutcome {
    /// The host.
    pub host: String,
    /// Whether every step worked.
    pub ok: bool,
    /// The remote's steps.
    pub steps: Vec<RemoteStep>,
    /// Why there are no steps (unreachable, refused, not bantop's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl HostOutcome {
    /// The outcome in one line: `pbx1: unbanned 192.0.2.7 in sshd` or why not.
    pub fn line(&self) -> String {
        let words = match &self.error {
            Some(error) => error.clone(),
            None => self
                .steps
                .iter()
                .map(|s| s.text.replace('\n', " "))
                .collect::<Vec<_>>()
                .join("; "),
        };
        format!("{}: {words}", self.host)
    }
}

/// Carries out `command` on `host`: the remote's steps, or why there are none.
pub async fn run_on(host: &Host, control_dir: &Path, command: &Command) -> HostOutcome {
    let failed = |error: String| HostOutcome {
        host: host.name.clone(),
        ok: false,
        steps: Vec::new(),
        error: Some(error),
    };
    let args = match remote_args(command) {
        Ok(args) => args,
        Err(error) => return failed(error),
    };
    let answer = match remote::run(host, control_dir, &args, COMMAND_TIMEOUT).await {
        Ok(answer) => answer,
        Err(error) => return failed(error.to_string()),
    };
    match parse_steps(&answer.stdout) {
        Ok(report) => HostOutcome {
            host: host.name.clone(),
            ok: report.ok && answer.status == 0,
            steps: report.steps,
            error: None,
        },
        // A refusal before any step (an address the remote will not ban) is its message.
        Err(_) => {
            let said = match answer.stderr.is_empty() {
                false => answer.stderr.clone(),
                true => String::from_utf8_lossy(&answer.stdout).trim().to_string(),
            };
            failed(format!(
                "the remote bantop refused (exit {}): {}",
                answer.status,
                crate::fleet::remote_json::bounded(&said, 300)
            ))
        }
    }
}

/// Carries out `command` on each of `hosts` at once; the outcomes in the hosts' order, each
/// recorded in the local audit log (`unban on pbx1`).
pub async fn run_on_hosts(
    hosts: &[Host],
    control_dir: &Path,
    command: &Command,
    audit: &AuditLog,
) -> Vec<HostOutcome> {
    // One task per host: a slow host does not hold the others up.
    let runs: Vec<_> = hosts
        .iter()
        .map(|host| {
            let (host, dir, command) = (host.clone(), control_dir.to_path_buf(), command.clone());
            tokio::spawn(async move { run_on(&host, &dir, &command).await })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(runs.len());
    for (run, host) in runs.into_iter().zip(hosts) {
        outcomes.push(run.await.unwrap_or_else(|e| HostOutcome {
            host: host.name.clone(),
            ok: false,
            steps: Vec::new(),
            error: Some(e.to_string()),
        }));
    }
    for outcome in &outcomes {
        let result = EngineEvent::ActionResult {
            ok: outcome.ok,
            message: outcome.line(),
            changed: outcome.steps.iter().any(|s| s.changed),
        };
        if let Some(mut entry) = entry_for(command, &[result]) {
            entry.action = format!("{} on {}", entry.action, outcome.host);
            let _ = audit.record(&entry);
        }
    }
    outcomes
}

/// The lines of a plan for `command` on `hosts`: the exact remote command of each.
pub fn plan_lines(hosts: &[Host], command: &Command) -> Vec<String> {
    match remote_args(command) {
        Ok(args) => hosts
            .iter()
            .map(|host| {
                format!(
                    "on {} (ssh {}): {}",
                    host.name,
                    host.ssh,
                    remote_command(&host.command, &args)
                )
            })
            .collect(),
        Err(error) => vec![error],
    }
}

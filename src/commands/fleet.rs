//! `bantop fleet status|events|unban|whitelist|ban|rescue ... --hosts FILE [--json]`: one-shot
//! commands on every host of a fleet (or those named with `--host`), each through the host's
//! own bantop over SSH, all hosts at once; per-host results, and exit status 1 when any host
//! failed.

use crate::cli::{FleetCommand, FleetTargets};
use crate::commands::events::{FailureJson, state_name};
use crate::engine::Command;
use crate::engine::audit::AuditLog;
use crate::engine::fleet_command::{HostOutcome, run_on_hosts};
use crate::fleet::link::{self, HostState, LinkEvent, LinkOptions};
use crate::fleet::remote_json::{RemoteEvent, split_host_jail};
use crate::fleet::{Host, read_hosts};
use crate::model::{BanPlace, EventKind};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

/// The hosts of the file `hosts` (the flag or the settings' one), only those of `only` when
/// it names some.
pub fn fleet_hosts(hosts: Option<&Path>, only: &[String]) -> anyhow::Result<Vec<Host>> {
    let Some(path) = hosts else {
        anyhow::bail!("no hosts file: give --hosts FILE, or hosts = \"FILE\" in the settings file");
    };
    let mut hosts = read_hosts(path)?;
    if let Some(unknown) = only
        .iter()
        .find(|name| !hosts.iter().any(|h| &h.name == *name))
    {
        anyhow::bail!("{}: no host named {unknown:?}", path.display());
    }
    if !only.is_empty() {
        hosts.retain(|h| only.contains(&h.name));
    }
    Ok(hosts)
}

/// Runs a fleet command on the hosts of `hosts_file`, auditing actions in `state_dir`.
pub async fn run(
    command: &FleetCommand,
    hosts_file: Option<&Path>,
    state_dir: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let control_dir = crate::fleet::ssh::control_dir().map_err(anyhow::Error::msg)?;
    let (on, action) = match command {
        FleetCommand::Status { on } => {
            let hosts = fleet_hosts(hosts_file, &on.only)?;
            return status(&hosts, &control_dir, on.json, out).await;
        }
        FleetCommand::Events {
            on,
            no_follow,
            since,
        } => {
            let hosts = fleet_hosts(hosts_file, &on.only)?;
            return events(hosts, control_dir, (*no_follow, *since), on.json, out).await;
        }
        FleetCommand::Unban { address, jail, on } => (
            on,
            match jail {
                Some(jail) => Command::Unban {
                    place: BanPlace::Jail(jail.clone()),
                    target: *address,
                },
                None if address.prefix_len() == address.max_prefix_len() => {
                    Command::UnbanEverywhere { ip: address.addr() }
                }
                None => Command::Unban {
                    place: BanPlace::OwnSet,
                    target: *address,
                },
            },
        ),
        FleetCommand::Whitelist {
            entry,
            jails,
            remove,
            reason,
            on,
        } => (
            on,
            if *remove {
                Command::Unwhitelist {
                    entry: *entry,
                    jails: jails.clone(),
                }
            } else {
                Command::Whitelist {
                    entry: *entry,
                    jails: jails.clone(),
                    comment: reason
                        .clone()
                        .unwrap_or_else(|| "whitelisted on the fleet".to_string()),
                }
            },
        ),
        FleetCommand::Ban {
            address,
            duration,
            jail,
            on,
        } => (
            on,
            match jail {
                Some(jail) if address.prefix_len() == address.max_prefix_len() => {
                    Command::JailBan {
                        jail: jail.clone(),
                        ip: address.addr(),
                    }
                }
                Some(_) => anyhow::bail!(
                    "fail2ban bans single addresses, not {address}: leave --jail out to ban the network in bantop's set"
                ),
                None => Command::Ban {
                    target: *address,
                    seconds: duration.map(|d| d as i64),
                },
            },
        ),
        FleetCommand::Rescue {
            address,
            reason,
            on,
        } => (
            on,
            Command::Rescue {
                ip: *address,
                jails: Vec::new(),
                comment: reason
                    .clone()
                    .unwrap_or_else(|| "rescued on the fleet".to_string()),
            },
        ),
    };
    let hosts = fleet_hosts(hosts_file, &on.only)?;
    let audit = AuditLog::new(state_dir);
    let outcomes = run_on_hosts(&hosts, &control_dir, &action, &audit).await;
    write_outcomes(&outcomes, on, out)
}

/// Each host's outcome, as JSON or lines; exit status 1 when one failed.
fn write_outcomes(
    outcomes: &[HostOutcome],
    on: &FleetTargets,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let all_ok = outcomes.iter().all(|o| o.ok);
    if on.json {
        serde_json::to_writer(&mut *out, &json!({"ok": all_ok, "hosts": outcomes}))?;
        writeln!(out)?;
    } else {
        for outcome in outcomes {
            let mark = if outcome.ok { "ok  " } else { "FAIL" };
            writeln!(out, "{mark} {}", outcome.line())?;
        }
    }
    Ok(if all_ok { super::OK } else { super::ATTENTION })
}

/// Each host's version and `status`, read at once.
async fn status(
    hosts: &[Host],
    control_dir: &Path,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let reads: Vec<_> = hosts
        .iter()
        .map(|host| {
            let (host, control_dir) = (host.clone(), control_dir.to_path_buf());
            tokio::spawn(async move {
                let version = link::read_version(&host, &control_dir)
                    .await
                    .map_err(|e| e.to_string());
                let status = match &version {
                    Ok(_) => link::read_status(&host, &control_dir).await,
                    Err(error) => Err(error.clone()),
                };
                (version, status)
            })
        })
        .collect();
    let mut reports = Vec::new();
    let mut all_ok = true;
    for (read, host) in reads.into_iter().zip(hosts) {
        let (version, status) = read
            .await
            .unwrap_or_else(|e| (Err(e.to_string()), Err(e.to_string())));
        let report = match (version, status) {
            (Ok(version), Ok(status)) => {
                all_ok &= status.answered;
                let jails: Vec<Value> = status
                    .jails
                    .iter()
                    .map(|jail| {
                        let bans: Vec<Value> = jail
                            .bans
                            .iter()
                            .map(|b| json!({"ip": b.ip.to_string(), "since": b.since, "until": b.until, "count": b.count, "failures": b.failures}))
                            .collect();
                        json!({"name": jail.name, "bans": bans, "ignoreip": jail.ignoreip})
                    })
                    .collect();
                json!({"host": host.name, "ok": status.answered, "version": version, "answered": status.answered, "error": status.error, "jails": jails})
            }
            (Err(error), _) | (_, Err(error)) => {
                all_ok = false;
                json!({"host": host.name, "ok": false, "error": error})
            }
        };
        reports.push(report);
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &json!({"ok": all_ok, "hosts": reports}))?;
        writeln!(out)?;
    } else {
        for report in &reports {
            write_status_text(report, out)?;
        }
    }
    Ok(if all_ok { super::OK } else { super::ATTENTION })
}

/// One host's status as lines.
fn write_status_text(report: &Value, out: &mut dyn Write) -> std::io::Result<()> {
    let host = report["host"].as_str().unwrap_or("?");
    if let Some(error) = report["error"]
        .as_str()
        .filter(|_| report["version"].is_null())
    {
        return writeln!(out, "{host}: not reached: {error}");
    }
    let jails = report["jails"].as_array().map_or(&[][..], Vec::as_slice);
    let bans: usize = jails
        .iter()
        .map(|j| j["bans"].as_array().map_or(0, Vec::len))
        .sum();
    let fail2ban = match report["error"].as_str() {
        Some(error) => format!("fail2ban did not answer: {error}"),
        None => format!("{} jails, {bans} bans", jails.len()),
    };
    writeln!(
        out,
        "{host}: bantop {}, {fail2ban}",
        report["version"].as_str().unwrap_or("?")
    )?;
    for jail in jails {
        for ban in jail["bans"].as_array().map_or(&[][..], Vec::as_slice) {
            writeln!(
                out,
                "  {} {}",
                jail["name"].as_str().unwrap_or("?"),
                ban["ip"].as_str().unwrap_or("?")
            )?;
        }
    }
    Ok(())
}

/// Every host's event stream, merged, until a signal (or the end of every stream with
/// `--no-follow`); exit status 1 when a host was lost on the way.
async fn events(
    hosts: Vec<Host>,
    control_dir: std::path::PathBuf,
    (no_follow, since): (bool, Option<u64>),
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut events_args = Vec::new();
    if no_follow {
        events_args.push("--no-follow".to_string());
    }
    if let Some(seconds) = since {
        events_args.extend(["--since".to_string(), format!("{seconds}s")]);
    }
    let options = LinkOptions {
        control_dir,
        refresh: None,
        jails: false,
        events_args,
        until_done: no_follow,
        retry: !no_follow,
        clock: crate::engine::clock::now_epoch,
    };
    let (tx, mut rx) = mpsc::channel(64);
    let mut polls = Vec::new();
    for host in hosts {
        let (poll_tx, poll_rx) = mpsc::channel(1);
        polls.push(poll_tx);
        tokio::spawn(link::follow(host, options.clone(), tx.clone(), poll_rx));
    }
    drop(tx);
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut lost = false;
    let mut out = std::io::BufWriter::new(out);
    loop {
        let batch = tokio::select! {
            batch = rx.recv() => batch,
            _ = terminate.recv() => None,
            _ = interrupt.recv() => None,
        };
        let Some((host, events)) = batch else { break };
        for event in events {
            let line = match &event {
                LinkEvent::State(state) => {
                    lost |= matches!(state, HostState::Lost { .. });
                    state_line(&host, state, json)
                }
                LinkEvent::Event(event) => Some(event_line(&host, event, json)),
                LinkEvent::Refused { count, reason } => {
                    eprintln!("{host}: {count} lines refused, the last: {reason}");
                    None
                }
                LinkEvent::Jails(_) | LinkEvent::Status(_) => None,
            };
            if let Some(line) = line
                && writeln!(out, "{line}").is_err()
            {
                return Ok(super::OK);
            }
        }
        if out.flush().is_err() {
            return Ok(super::OK);
        }
    }
    drop(polls);
    // The links end with their channel; give their ssh processes a moment to be killed.
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(if lost { super::ATTENTION } else { super::OK })
}

/// A host's state change as a line: JSON `{"type":"host",...}`, or words on standard error.
fn state_line(host: &str, state: &HostState, json: bool) -> Option<String> {
    let (name, words, extra) = match state {
        HostState::Connecting => ("connecting", String::new(), json!({})),
        HostState::Connected { version, mismatch } => (
            "connected",
            if *mismatch {
                format!("bantop {version} (here {})", env!("CARGO_PKG_VERSION"))
            } else {
                format!("bantop {version}")
            },
            json!({"version": version, "version_mismatch": mismatch}),
        ),
        HostState::Lost { reason, retry_in } => (
            "lost",
            format!("{reason} (again in {retry_in} s)"),
            json!({"reason": reason, "retry_in": retry_in}),
        ),
        HostState::Done => ("done", String::new(), json!({})),
    };
    if json {
        let mut value = json!({"type": "host", "host": host, "state": name});
        if let (Some(object), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
            object.extend(extra.clone());
        }
        Some(value.to_string())
    } else {
        eprintln!("{host}: {name} {words}");
        None
    }
}

/// An event of `host` as a line: its JSON with `host` and the host's own jail name, or text.
fn event_line(host: &str, event: &RemoteEvent, json: bool) -> String {
    let own = |jail: &str| split_host_jail(jail).map_or(jail, |(_, j)| j).to_string();
    match event {
        RemoteEvent::Failure(log) => {
            let f = &log.failure;
            if json {
                // The failure as `events --json` writes it, under the host's own jail name.
                let mut own_log = log.clone();
                own_log.failure.jail = own(&f.jail);
                let failure = FailureJson {
                    log: &own_log,
                    place: None,
                };
                let mut value = serde_json::to_value(failure).unwrap_or_default();
                value["host"] = json!(host);
                value.to_string()
            } else {
                let count = match &log.kind {
                    EventKind::Counted { count, maxretry } => format!("{count}/{maxretry}"),
                    other => state_name(other).to_string(),
                };
                format!(
                    "{host} {} {} {} {count} {}",
                    crate::fail2ban::date::Zone::Local.format(f.time),
                    own(&f.jail),
                    f.host,
                    log.summary
                )
            }
        }
        RemoteEvent::Source { jail, path, status } => {
            if json {
                json!({"host": host, "type": "source", "jail": own(jail), "path": path, "status": status}).to_string()
            } else {
                format!("{host} {}: {path}: {status}", own(jail))
            }
        }
    }
}

//! The engine on a fleet: one link per host (its own task, its own SSH connection) feeding one
//! stream of engine events, every jail named `host/jail`. fail2ban's bans come from each
//! host's `status`, read every refresh and right after an action there; failures from its
//! `events`. The operator's commands arrive routed to hosts (`Command::OnHosts`) and run as
//! each remote bantop's own command, all hosts at once.

use super::audit::AuditLog;
use super::command::Command;
use super::fleet_command::run_on_hosts;
use crate::fleet::Host;
use crate::fleet::link::{self, LinkBatch, LinkEvent, LinkOptions};
use crate::fleet::remote_json::RemoteEvent;
use crate::model::EngineEvent;
use crate::model::fleet::HostChange;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the engine keeps per host.
#[derive(Default)]
struct HostBook {
    bans: super::ban_tables::BanTables,
    fail2ban: Option<Option<String>>,
}

/// Where the fleet's engine works.
pub struct FleetEngine {
    /// The hosts, in the file's order.
    pub hosts: Vec<Host>,
    /// The SSH control sockets' directory.
    pub control_dir: PathBuf,
    /// The local audit log (each host keeps its own too).
    pub audit: AuditLog,
    /// Time between two `status` readings of a host.
    pub refresh: Duration,
}

/// Runs the fleet's engine until the command channel closes or nobody listens to the events.
pub async fn run(
    engine: FleetEngine,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Vec<EngineEvent>>,
) {
    let options = LinkOptions {
        control_dir: engine.control_dir.clone(),
        refresh: Some(engine.refresh.max(Duration::from_secs(1))),
        jails: true,
        events_args: Vec::new(),
        until_done: false,
        retry: true,
        clock: super::clock::now_epoch,
    };
    let (link_tx, mut links) = mpsc::channel::<LinkBatch>(256);
    let mut polls: HashMap<String, mpsc::Sender<()>> = HashMap::new();
    for host in &engine.hosts {
        let (poll_tx, poll_rx) = mpsc::channel(1);
        polls.insert(host.name.clone(), poll_tx);
        tokio::spawn(link::follow(
            host.clone(),
            options.clone(),
            link_tx.clone(),
            poll_rx,
        ));
    }
    drop(link_tx);
    let mut books: HashMap<String, HostBook> = HashMap::new();
    let opening = vec![
        EngineEvent::Connection { read_only: None },
        EngineEvent::Actions(engine.audit.recent(10)),
        EngineEvent::Clock(super::clock::now_epoch()),
    ];
    if events.send(opening).await.is_err() {
        return;
    }
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    loop {
        let batch = tokio::select! {
            _ = clock.tick() => vec![EngineEvent::Clock(super::clock::now_epoch())],
            Some((host, batch)) = links.recv() => {
                let book = books.entry(host.clone()).or_default();
                batch.into_iter().flat_map(|event| translate(&host, book, event)).collect()
            }
            command = commands.recv() => match command {
                Some(command) => {
                    carry_out(&engine, command, &polls, events.clone());
                    Vec::new()
                }
                None => return,
            },
        };
        if !batch.is_empty() && events.send(batch).await.is_err() {
            return;
        }
    }
}

/// A link's event as engine events.
fn translate(host: &str, book: &mut HostBook, event: LinkEvent) -> Vec<EngineEvent> {
    let change = |change| EngineEvent::Host {
        host: host.to_string(),
        change,
    };
    match event {
        LinkEvent::State(state) => vec![change(HostChange::State(state))],
        LinkEvent::Jails(jails) => vec![EngineEvent::JailsAdded(jails)],
        LinkEvent::Event(RemoteEvent::Failure(log)) => vec![EngineEvent::Log(log)],
        LinkEvent::Event(RemoteEvent::Source { jail, path, status }) => {
            vec![EngineEvent::Source { jail, path, status }]
        }
        LinkEvent::Refused { count, reason } => vec![change(HostChange::Refused { count, reason })],
        LinkEvent::Status(Err(error)) => note_fail2ban(book, Some(error))
            .map(change)
            .into_iter()
            .collect(),
        LinkEvent::Status(Ok(status)) => {
            let problem = (!status.answered).then(|| {
                status
                    .error
                    .clone()
                    .unwrap_or_else(|| "no answer".to_string())
            });
            let mut out: Vec<EngineEvent> = note_fail2ban(book, problem)
                .map(change)
                .into_iter()
                .collect();
            if status.answered {
                out.extend(
                    book.bans
                        .update(status.jails.into_iter().flat_map(|j| j.bans)),
                );
            }
            out
        }
    }
}

/// The change of a host's fail2ban state, when it changed.
fn note_fail2ban(book: &mut HostBook, problem: Option<String>) -> Option<HostChange> {
    if book.fail2ban.as_ref() == Some(&problem) {
        return None;
    }
    book.fail2ban = Some(problem.clone());
    Some(HostChange::Fail2ban(problem))
}

/// Runs a routed command on its hosts on a task of its own (the view goes on), then reports
/// each host's outcome in one result and reads those hosts' bans again.
fn carry_out(
    engine: &FleetEngine,
    command: Command,
    polls: &HashMap<String, mpsc::Sender<()>>,
    events: mpsc::Sender<Vec<EngineEvent>>,
) {
    let Command::OnHosts { hosts, command } = command else {
        let result = EngineEvent::ActionResult {
            ok: false,
            message: "on a fleet, an action goes to a host: select one of its rows".to_string(),
            changed: false,
        };
        tokio::spawn(async move { events.send(vec![result]).await });
        return;
    };
    let chosen: Vec<Host> = engine
        .hosts
        .iter()
        .filter(|h| hosts.contains(&h.name))
        .cloned()
        .collect();
    let polls: Vec<mpsc::Sender<()>> = hosts.iter().filter_map(|h| polls.get(h).cloned()).collect();
    let (control_dir, audit) = (engine.control_dir.clone(), engine.audit.clone());
    tokio::spawn(async move {
        let outcomes = run_on_hosts(&chosen, &control_dir, &command, &audit).await;
        let result = EngineEvent::ActionResult {
            ok: !outcomes.is_empty() && outcomes.iter().all(|o| o.ok),
            message: in_one_line(&outcomes),
            changed: outcomes.iter().any(|o| o.steps.iter().any(|s| s.changed)),
        };
        let _ = events
            .send(vec![result, EngineEvent::Actions(audit.recent(10))])
            .await;
        for poll in polls {
            let _ = poll.try_send(());
        }
    });
}

/// The outcomes for the status line: one host's in full; several as a count, each host's
/// word, and the first failure's reason.
fn in_one_line(outcomes: &[super::fleet_command::HostOutcome]) -> String {
    if let [one] = outcomes {
        return one.line();
    }
    let ok = outcomes.iter().filter(|o| o.ok).count();
    let words: Vec<String> = outcomes
        .iter()
        .map(|o| format!("{} {}", o.host, if o.ok { "ok" } else { "FAILED" }))
        .collect();
    let mut line = format!("{ok} of {} hosts ok: {}", outcomes.len(), words.join(", "));
    if let Some(failed) = outcomes.iter().find(|o| !o.ok) {
        line.push_str(&format!(" | {}", failed.line()));
    }
    line
}

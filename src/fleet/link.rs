//! One host of the fleet, followed: connect (the remote bantop's version checked), read its
//! jails, stream its `events --json`, read its `status --json` every refresh, and when the
//! connection is lost say why and connect again with a growing delay, resuming the stream a
//! little before the last event seen with no event twice. A host never waits for another:
//! each has its own task.

use super::hosts_file::Host;
use super::remote::{self, RemoteError, RemoteStream};
use super::remote_json::{
    RemoteEvent, RemoteStatus, parse_event, parse_jails, parse_status, parse_version,
};
use super::replayed::{Replayed, key};
use crate::model::JailSettings;
pub use crate::model::fleet::HostState;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// The first delay before connecting again, doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest delay before connecting again.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a one-shot remote command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Events sent at most in one batch, and the longest a batch waits.
const BATCH: usize = 512;
const BATCH_WAIT: Duration = Duration::from_millis(25);

/// What a host's link reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The connection changed state.
    State(HostState),
    /// The host's jails, read at each connection (named `host/jail`).
    Jails(Vec<JailSettings>),
    /// An event of its stream, new (not a copy after a reconnect).
    Event(RemoteEvent),
    /// Its fail2ban's jails and bans, or why they could not be read.
    Status(Result<RemoteStatus, String>),
    /// Lines of its stream refused so far (not JSON, hostile, too long), and the last reason.
    Refused {
        /// How many.
        count: u64,
        /// The last one's reason.
        reason: String,
    },
}

/// How a link follows its host.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Where the control sockets are.
    pub control_dir: PathBuf,
    /// Time between two `status` readings; `None`: never.
    pub refresh: Option<Duration>,
    /// Whether to read the jails at each connection.
    pub jails: bool,
    /// Extra arguments of the remote `events` (`--no-follow`, `--since 1h`).
    pub events_args: Vec<String>,
    /// End once the stream ends by itself (else connect again).
    pub until_done: bool,
    /// Connect again after a loss (else the link ends there).
    pub retry: bool,
    /// The wall clock, epoch seconds (where a resumed stream starts again).
    pub clock: fn() -> f64,
}

/// A host's batches: its name and what happened.
pub type LinkBatch = (String, Vec<LinkEvent>);

/// Follows `host` until `out` is closed (or the stream is done with `until_done`); `poll`
/// asks for a `status` reading now (after an action).
pub async fn follow(
    host: Host,
    options: LinkOptions,
    out: mpsc::Sender<LinkBatch>,
    mut poll: mpsc::Receiver<()>,
) {
    let mut replayed = Replayed::default();
    let mut backoff = FIRST_BACKOFF;
    let send = |events: Vec<LinkEvent>| {
        let out = out.clone();
        let name = host.name.clone();
        async move { out.send((name, events)).await.is_ok() }
    };
    loop {
        if !send(vec![LinkEvent::State(HostState::Connecting)]).await {
            return;
        }
        let started = tokio::time::Instant::now();
        let ended = match connect(&host, &options).await {
            Ok(opening) => {
                if !send(opening).await {
                    return;
                }
                stream(&host, &options, &mut replayed, &out, &mut poll).await
            }
            Err(error) => Err(error.to_string()),
        };
        let reason = match ended {
            Ok(()) => {
                let _ = send(vec![LinkEvent::State(HostState::Done)]).await;
                return;
            }
            Err(reason) => reason,
        };
        if started.elapsed() > MAX_BACKOFF {
            backoff = FIRST_BACKOFF;
        }
        let lost = HostState::Lost {
            reason,
            retry_in: backoff.as_secs(),
        };
        if !send(vec![LinkEvent::State(lost)]).await || !options.retry {
            return;
        }
        // Waiting, but not deaf: a closed view ends the task, an asked reading is dropped.
        let wake = tokio::time::sleep(backoff);
        tokio::pin!(wake);
        loop {
            tokio::select! {
                _ = &mut wake => break,
                asked = poll.recv() => if asked.is_none() { return },
                _ = out.closed() => return,
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
        replayed.reconnected();
    }
}

/// The version check and the jails: the events that open a connection.
async fn connect(host: &Host, options: &LinkOptions) -> Result<Vec<LinkEvent>, RemoteError> {
    let dir = &options.control_dir;
    let version = read_version(host, dir).await?;
    let mismatch = version != env!("CARGO_PKG_VERSION");
    let mut events = Vec::new();
    if options.jails {
        let args = ["jails".to_string(), "--json".to_string()];
        let answer = remote::run(host, dir, &args, COMMAND_TIMEOUT).await?;
        match answer
            .succeeded()
            .map_err(|e| e.to_string())
            .and_then(|out| parse_jails(&host.name, &out))
        {
            Ok(jails) => events.push(LinkEvent::Jails(jails)),
            Err(reason) => events.push(LinkEvent::Refused { count: 1, reason }),
        }
    }
    events.push(LinkEvent::State(HostState::Connected { version, mismatch }));
    Ok(events)
}

/// Streams the host's events and reads its status until the stream ends: `Ok` when it ended
/// by itself with `until_done`, else why it was lost.
async fn stream(
    host: &Host,
    options: &LinkOptions,
    replayed: &mut Replayed,
    out: &mpsc::Sender<LinkBatch>,
    poll: &mut mpsc::Receiver<()>,
) -> Result<(), String> {
    let mut args = vec!["events".to_string(), "--json".to_string()];
    args.extend(options.events_args.iter().cloned());
    if let Some(seconds) = replayed.since((options.clock)()) {
        args.retain(|a| a != "--from-start");
        args.extend(["--since".to_string(), format!("{seconds}s")]);
    }
    let mut stream =
        RemoteStream::start(host, &options.control_dir, &args).map_err(|e| e.to_string())?;
    let refresh = options.refresh.unwrap_or(Duration::from_secs(3600));
    let mut status_tick = tokio::time::interval(refresh);
    status_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending: Vec<LinkEvent> = Vec::new();
    let mut refused = 0u64;
    // A status reading runs beside the stream: a slow answer does not hold the events up.
    let mut reading: Option<StatusReading> = None;
    let flush = tokio::time::sleep(BATCH_WAIT);
    tokio::pin!(flush);
    loop {
        tokio::select! {
            line = stream.next_line() => {
                let Some(line) = line else { break };
                match parse_event(&host.name, &line) {
                    Ok(Some(event)) => {
                        let fresh = match &event {
                            RemoteEvent::Failure(log) => {
                                let f = &log.failure;
                                replayed.is_new(key(&f.jail, f.time, &f.line), f.time)
                            }
                            RemoteEvent::Source { .. } => true,
                        };
                        if fresh {
                            if pending.is_empty() {
                                flush.as_mut().reset(tokio::time::Instant::now() + BATCH_WAIT);
                            }
                            pending.push(LinkEvent::Event(event));
                        }
                    }
                    Ok(None) => {}
                    Err(reason) => {
                        refused += 1;
                        pending.push(LinkEvent::Refused { count: refused + stream.skipped(), reason });
                    }
                }
                if pending.len() >= BATCH && out.send((host.name.clone(), std::mem::take(&mut pending))).await.is_err() {
                    return Ok(());
                }
            }
            _ = &mut flush, if !pending.is_empty() => {
                if out.send((host.name.clone(), std::mem::take(&mut pending))).await.is_err() {
                    return Ok(());
                }
            }
            _ = status_tick.tick(), if options.refresh.is_some() && reading.is_none() => {
                reading = Some(start_status(host, options));
            }
            asked = poll.recv() => {
                if asked.is_none() { return Ok(()) }
                if reading.is_none() {
                    reading = Some(start_status(host, options));
                }
            }
            status = finished(&mut reading), if reading.is_some() => {
                reading = None;
                if pending.is_empty() {
                    flush.as_mut().reset(tokio::time::Instant::now());
                }
                pending.push(LinkEvent::Status(status));
            }
        }
    }
    if let Some(reading) = reading {
        reading.abort();
    }
    if !pending.is_empty() && out.send((host.name.clone(), pending)).await.is_err() {
        return Ok(());
    }
    match stream.ended().await {
        Ok(0) if options.until_done => Ok(()),
        Ok(status) => Err(format!("the remote bantop ended (exit {status})")),
        Err(why) => Err(why.to_string()),
    }
}

/// The version of the host's bantop (`0.1.0`), or why there is none.
pub async fn read_version(host: &Host, control_dir: &Path) -> Result<String, RemoteError> {
    let args = ["--version".to_string()];
    let answer = remote::run(host, control_dir, &args, COMMAND_TIMEOUT).await?;
    parse_version(&answer.succeeded()?).map_err(RemoteError::Missing)
}

/// A status reading on a task of its own.
type StatusReading = tokio::task::JoinHandle<Result<RemoteStatus, String>>;

/// Starts reading the host's status beside the stream.
fn start_status(host: &Host, options: &LinkOptions) -> StatusReading {
    let (host, options) = (host.clone(), options.clone());
    tokio::spawn(async move { read_status(&host, &options.control_dir).await })
}

/// The reading's answer once it is there (never, when there is none).
async fn finished(reading: &mut Option<StatusReading>) -> Result<RemoteStatus, String> {
    match reading.as_mut() {
        Some(handle) => handle.await.unwrap_or_else(|e| Err(e.to_string())),
        None => std::future::pending().await,
    }
}

/// The host's `status --json`, checked.
pub async fn read_status(host: &Host, control_dir: &Path) -> Result<RemoteStatus, String> {
    let args = ["status".to_string(), "--json".to_string()];
    let answer = remote::run(host, control_dir, &args, COMMAND_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    // `status` ends with 1 when fail2ban does not answer, and says so in its JSON.
    parse_status(&host.name, &answer.stdout).map_err(|e| match answer.stderr.is_empty() {
        true => e,
        false => format!("{e} ({})", answer.stderr),
    })
}

//! `bantop events [--json] [--from-start] [--journal-file FILE]`: what the TUI shows, as a
//! stream: every failure the jails' filters find in their logs, the bans and unbans their
//! counting makes, and the state of each source. One JSON object per line with `--json`. It
//! ends on SIGINT or SIGTERM (within [`EXIT_GRACE`], even when stuck writing to a reader that
//! stopped reading), and when its reader goes away. Failures and bans carry the address's
//! `country` (and `asn`, `org` when known) from the GeoIP files, loaded once at start.

use crate::engine::pipeline::Pipeline;
use crate::fail2ban::date::Zone;
use crate::geoip::GeoIp;
use crate::model::{EngineEvent, EventKind};
use crate::source::watch::{SOURCE_BATCHES, SourceEvent, follow_files};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

/// How long after SIGINT or SIGTERM the stream may take to end by itself before the process
/// is ended.
pub const EXIT_GRACE: Duration = Duration::from_millis(300);

/// Waits for SIGINT or SIGTERM, then says so on `stop`. A write to a full pipe blocks the
/// stream's thread and no signal interrupts it (handlers restart the call): if the stream has
/// not ended [`EXIT_GRACE`] later, the process is ended from a thread of its own, which does
/// not need the runtime (its threads may be the stuck ones).
async fn stop_on_signal(stop: oneshot::Sender<()>) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        let _ = stop.send(());
        std::thread::spawn(|| {
            std::thread::sleep(EXIT_GRACE);
            std::process::exit(i32::from(super::OK));
        });
    });
    Ok(())
}

/// What to stream.
#[derive(Debug, Clone)]
pub struct EventsRequest {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: PathBuf,
    /// Read whole files and the whole journal instead of the last `findtime`.
    pub from_start: bool,
    /// A journal file to read instead of the system journal.
    pub journal_file: Option<PathBuf>,
    /// JSON lines instead of text.
    pub json: bool,
    /// GeoIP files, in order.
    pub geoip: Vec<PathBuf>,
}

/// Streams events to `out` until a signal, or until `out` is closed.
pub async fn run(request: EventsRequest, out: &mut dyn Write) -> anyhow::Result<u8> {
    let (stop_tx, mut stop) = oneshot::channel();
    stop_on_signal(stop_tx).await?;
    let mut pipeline = Pipeline::load(&request.fail2ban_dir, Zone::Local)?;
    let geoip = load_geoip(request.geoip.clone()).await?;
    for (jail, problem) in &pipeline.problems {
        let event = json!({"type": "source", "jail": jail, "path": "filter", "status": "error", "message": problem});
        if !emit(out, request.json, &event, &format!("{jail}: {problem}")) {
            return Ok(super::OK);
        }
    }
    let now = now();
    let cutoff = now - pipeline.longest_findtime() as f64;
    let (tx, mut rx) = mpsc::channel::<Vec<SourceEvent>>(SOURCE_BATCHES);
    let since = (!request.from_start).then_some(cutoff);
    let file_jails = pipeline.file_jails(since);
    tokio::spawn(follow_files(file_jails, tx.clone()));
    for source in pipeline.journal_sources(since, request.journal_file.clone()) {
        tokio::spawn(source.follow(tx.clone()));
    }
    drop(tx);
    let mut expiry = tokio::time::interval(Duration::from_secs(1));
    loop {
        let events: Vec<EngineEvent> = tokio::select! {
            _ = &mut stop => return Ok(super::OK),
            _ = expiry.tick() => pipeline.expire(self::now()),
            batch = rx.recv() => match batch {
                Some(batch) => batch.into_iter().flat_map(|event| match event {
                    SourceEvent::Line(line) => pipeline.process(&line, self::now(), true),
                    SourceEvent::Status { jail, path, status } => vec![EngineEvent::Source { jail, path, status: status.describe() }],
                }).collect(),
                None => return Ok(super::OK),
            },
        };
        for event in events {
            if let Some((value, text)) = describe(&event, &geoip)
                && !emit(out, request.json, &value, &text)
            {
                return Ok(super::OK);
            }
        }
        if out.flush().is_err() {
            return Ok(super::OK);
        }
    }
}

/// Writes one event; false when the reader went away.
fn emit(out: &mut dyn Write, json: bool, value: &Value, text: &str) -> bool {
    let written = if json {
        writeln!(out, "{value}")
    } else {
        // Log text is the attacker's: no escape sequence of theirs may reach the terminal.
        writeln!(out, "{}", crate::model::sanitize::sanitize(text))
    };
    written.is_ok()
}

/// The GeoIP files, read on a blocking thread; a file that cannot be used is a warning on
/// standard error (the stream stays JSON), and the others are used.
async fn load_geoip(paths: Vec<PathBuf>) -> anyhow::Result<GeoIp> {
    let (geoip, problems) = tokio::task::spawn_blocking(move || GeoIp::load(&paths)).await?;
    for problem in problems {
        eprintln!(
            "bantop: warning: {}",
            crate::model::sanitize::sanitize(&problem.to_string())
        );
    }
    Ok(geoip)
}

/// `object` with `country` (null when unknown), and `asn` and `org` when known, for `address`.
fn with_place(mut object: Map<String, Value>, geoip: &GeoIp, address: Option<IpAddr>) -> Value {
    let place = address.map(|a| geoip.lookup(a)).unwrap_or_default();
    object.insert("country".into(), json!(place.country));
    if let Some(asn) = place.asn {
        object.insert("asn".into(), json!(asn));
    }
    if let Some(org) = place.org {
        object.insert("org".into(), json!(org));
    }
    Value::Object(object)
}

/// An event as JSON and as a line of text.
fn describe(event: &EngineEvent, geoip: &GeoIp) -> Option<(Value, String)> {
    let clock = |t: f64| Zone::Local.format(t);
    Some(match event {
        EngineEvent::Log(log) => {
            let f = &log.failure;
            let mut object: Map<String, Value> = f
                .captures
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            object.insert("type".into(), json!("failure"));
            object.insert("jail".into(), json!(f.jail));
            object.insert("ip".into(), json!(f.host));
            object.insert("time".into(), json!(f.time));
            object.insert("line".into(), json!(f.line));
            let count = match log.kind {
                EventKind::Counted { count, maxretry } => {
                    object.insert("count".into(), json!(count));
                    object.insert("maxretry".into(), json!(maxretry));
                    format!("{count}/{maxretry}")
                }
                EventKind::Ignored => "ignored".to_string(),
                EventKind::AlreadyBanned => "banned".to_string(),
                EventKind::Unresolved => "unresolved".to_string(),
            };
            (
                with_place(object, geoip, f.ip),
                format!(
                    "{} {} {} {count} {}",
                    clock(f.time),
                    f.jail,
                    f.host,
                    log.summary
                ),
            )
        }
        EngineEvent::Banned(ban) => (
            with_place(
                Map::from_iter([
                    ("type".into(), json!("ban")),
                    ("jail".into(), json!(ban.jail)),
                    ("ip".into(), json!(ban.ip.to_string())),
                    ("time".into(), json!(ban.since)),
                    ("until".into(), json!(ban.until)),
                    ("failures".into(), json!(ban.failures)),
                    ("count".into(), json!(ban.count)),
                ]),
                geoip,
                Some(ban.ip),
            ),
            format!(
                "{} {} {} BAN after {} failures",
                clock(ban.since),
                ban.jail,
                ban.ip,
                ban.failures
            ),
        ),
        EngineEvent::Unbanned { ban, reason } => (
            json!({"type": "unban", "jail": ban.jail, "ip": ban.ip.to_string(), "time": ban.until.unwrap_or(ban.since), "reason": reason}),
            format!(
                "{} {} {} UNBAN ({reason})",
                clock(ban.until.unwrap_or(ban.since)),
                ban.jail,
                ban.ip
            ),
        ),
        EngineEvent::Source { jail, path, status } => (
            json!({"type": "source", "jail": jail, "path": path, "status": status}),
            format!("{jail}: {path}: {status}"),
        ),
        _ => return None,
    })
}

fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

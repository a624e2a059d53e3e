//! `bantop events [--json] [--from-start | --since DURATION] [--no-follow] [--journal-file
//! FILE]`: what the TUI shows, as a stream: every failure the jails' filters find in their
//! logs, the bans and unbans their counting makes, and the state of each source. What the
//! files hold already is read at `bantop regex`'s speed (rotated files too with `--from-start`
//! or `--since`); then the logs are followed, unless `--no-follow`. One JSON object per line
//! with `--json`. It ends on SIGINT or SIGTERM (within [`EXIT_GRACE`], even when stuck writing to a reader that
//! stopped reading), and when its reader goes away.

use crate::commands::regex::MAX_JOBS;
use crate::engine::clock::now_epoch as now;
use crate::engine::history::{HistoryRequest, read_file_jails};
use crate::engine::pipeline::Pipeline;
use crate::fail2ban::date::Zone;
use crate::geoip::GeoIp;
use crate::model::Place;
use crate::model::{EngineEvent, EventKind};
use crate::source::watch::{SOURCE_BATCHES, SourceEvent, Start, follow_files};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
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
    /// Read whole files, what rotation left beside them and the whole journal instead of the
    /// last `findtime`.
    pub from_start: bool,
    /// Read this many seconds back instead (rotated files too).
    pub since: Option<u64>,
    /// Follow the logs after reading what they hold (else end there).
    pub follow: bool,
    /// A journal file to read instead of the system journal.
    pub journal_file: Option<PathBuf>,
    /// JSON lines instead of text.
    pub json: bool,
    /// GeoIP files, in order.
    pub geoip: Vec<PathBuf>,
}

/// Streams events to `out` until a signal, or until `out` is closed, or, when not following,
/// once the logs are read.
pub async fn run(request: EventsRequest, out: &mut dyn Write) -> anyhow::Result<u8> {
    // Written out at each flush: after the history, after each batch of the stream.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    let out: &mut dyn Write = &mut out;
    let (stop_tx, mut stop) = oneshot::channel();
    stop_on_signal(stop_tx).await?;
    // The GeoIP files are read on a thread of their own while the logs are: the events found
    // before they are ready wait for them (see `GeoIpLoading`).
    let mut geoip = GeoIpLoading::start(request.geoip.clone());
    let mut pipeline = Pipeline::load(&request.fail2ban_dir, Zone::Local)?;
    for (jail, problem) in &pipeline.problems {
        let event = json!({"type": "source", "jail": jail, "path": "filter", "status": "error", "message": problem});
        if !emit(out, request.json, &event, &format!("{jail}: {problem}")) {
            return Ok(super::OK);
        }
    }
    let now = now();
    let since = match (request.from_start, request.since) {
        (true, _) => None,
        (false, Some(seconds)) => Some(now - seconds as f64),
        (false, None) => Some(now - pipeline.longest_findtime() as f64),
    };
    // What the files hold now, at the batch engine's speed; following goes on from there.
    let history = HistoryRequest {
        since,
        rotated: request.from_start || request.since.is_some(),
        seek_back: !request.from_start && request.since.is_none(),
        now,
        jobs: std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS)),
        summaries: !request.json,
    };
    let json = request.json;
    let read = tokio::task::block_in_place(|| {
        read_file_jails(&mut pipeline, history, &mut |event| {
            geoip.pass(event, &mut |event, geoip| {
                emit_event(out, json, event, geoip)
            })
        })
    });
    if read.stopped {
        return Ok(super::OK);
    }
    let (geoip, waiting) = tokio::task::block_in_place(|| geoip.finish());
    for event in waiting {
        if !emit_event(out, json, &event, &geoip) {
            return Ok(super::OK);
        }
    }
    // A file that is followed says what is wrong with it when following starts; only the
    // others (rotated files, everything without following) are told here.
    for file in read.files.iter().filter(|f| !(request.follow && f.current)) {
        if let Some(problem) = &file.problem {
            let path = file.path.display().to_string();
            let event = json!({"type": "source", "jail": file.jail, "path": path, "status": "error", "message": problem});
            if !emit(out, json, &event, &format!("{}: {problem}", file.jail)) {
                return Ok(super::OK);
            }
        }
    }
    if out.flush().is_err() {
        return Ok(super::OK);
    }
    let (tx, mut rx) = mpsc::channel::<Vec<SourceEvent>>(SOURCE_BATCHES);
    if request.follow {
        let ends = Arc::new(read.ends);
        let mut file_jails = pipeline.file_jails(None);
        for jail in &mut file_jails {
            jail.start = Start::After(Arc::clone(&ends));
        }
        tokio::spawn(follow_files(file_jails, tx.clone()));
    }
    for source in pipeline.journal_sources(since, request.journal_file.clone(), request.follow) {
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
            if !emit_event(out, request.json, &event, &geoip) {
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
    if json {
        writeln!(out, "{value}").is_ok()
    } else {
        emit_text(out, text)
    }
}

/// Writes one line of text; false when the reader went away.
fn emit_text(out: &mut dyn Write, text: &str) -> bool {
    // Log text is the attacker's: no escape sequence of theirs may reach the terminal.
    writeln!(out, "{}", crate::model::sanitize::sanitize(text)).is_ok()
}

/// Events kept at most while the GeoIP files are read.
const MAX_WAITING: usize = 100_000;

/// The GeoIP files being read on a thread of their own, and the events that wait for them.
struct GeoIpLoading {
    loaded: Option<GeoIp>,
    loading: std::sync::mpsc::Receiver<GeoIp>,
    waiting: Vec<EngineEvent>,
}

impl GeoIpLoading {
    /// Starts reading `paths`; a file that cannot be used is a warning on standard error
    /// (the stream stays JSON).
    fn start(paths: Vec<PathBuf>) -> Self {
        let (sender, loading) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (geoip, problems) = GeoIp::load(&paths);
            super::warn_geoip(&problems);
            let _ = sender.send(geoip);
        });
        GeoIpLoading {
            loaded: None,
            loading,
            waiting: Vec::new(),
        }
    }

    /// Gives `event` to `emit` with the files once they are read, after the events that
    /// waited for them, in order; until then keeps it. False when `emit` says stop.
    fn pass(
        &mut self,
        event: EngineEvent,
        emit: &mut dyn FnMut(&EngineEvent, &GeoIp) -> bool,
    ) -> bool {
        if self.loaded.is_none() {
            self.loaded = if self.waiting.len() < MAX_WAITING {
                self.loading.try_recv().ok()
            } else {
                // Memory stays bounded: the reading waits for the files from here.
                Some(self.loading.recv().unwrap_or_default())
            };
        }
        let Some(geoip) = &self.loaded else {
            self.waiting.push(event);
            return true;
        };
        for waiting in self.waiting.drain(..) {
            if !emit(&waiting, geoip) {
                return false;
            }
        }
        emit(&event, geoip)
    }

    /// The files (waiting for them if need be) and the events that waited, in order.
    fn finish(self) -> (GeoIp, Vec<EngineEvent>) {
        let geoip = self
            .loaded
            .or_else(|| self.loading.recv().ok())
            .unwrap_or_default();
        (geoip, self.waiting)
    }
}

/// Writes one engine event as JSON or as text (only the one asked for is made); false when
/// the reader went away. Events the stream does not show are passed over.
fn emit_event(out: &mut dyn Write, json: bool, event: &EngineEvent, geoip: &GeoIp) -> bool {
    if json {
        let written = match event {
            // The most frequent by far: written straight from the event, nothing copied.
            EngineEvent::Log(log) => {
                let place = log
                    .failure
                    .ip
                    .map(|ip| geoip.lookup(ip))
                    .unwrap_or_default();
                serde_json::to_writer(
                    &mut *out,
                    &FailureJson {
                        log,
                        place: Some(place),
                    },
                )
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
            }
            other => match json_of(other, geoip) {
                Some(value) => writeln!(out, "{value}"),
                None => Ok(()),
            },
        };
        written.is_ok()
    } else {
        text_of(event).is_none_or(|text| emit_text(out, &text))
    }
}

/// A failure as `--json` writes it: its captures under fail2ban's names, then `type`, `jail`,
/// `ip`, `time`, `line`, `state`, `count` and `maxretry` when it was counted, `country` (null when
/// unknown), `asn` and `org` when known (a capture named like one of those is left out: the
/// event's own value wins). Without a place (a fleet's host sends none), none of the three.
pub(crate) struct FailureJson<'a> {
    /// The failure.
    pub log: &'a crate::model::LogEvent,
    /// Where its address is from, when that was looked up.
    pub place: Option<Place>,
}

/// The members a failure's own values take.
const FAILURE_MEMBERS: [&str; 11] = [
    "type", "jail", "ip", "time", "line", "state", "count", "maxretry", "country", "asn", "org",
];

impl serde::Serialize for FailureJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let f = &self.log.failure;
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in &f.captures {
            if !FAILURE_MEMBERS.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        map.serialize_entry("type", "failure")?;
        map.serialize_entry("jail", &f.jail)?;
        map.serialize_entry("ip", &f.host)?;
        map.serialize_entry("time", &f.time)?;
        map.serialize_entry("line", &f.line)?;
        map.serialize_entry("state", state_name(&self.log.kind))?;
        if let EventKind::Counted { count, maxretry } = self.log.kind {
            map.serialize_entry("count", &count)?;
            map.serialize_entry("maxretry", &maxretry)?;
        }
        if let Some(place) = &self.place {
            map.serialize_entry("country", &place.country)?;
            if let Some(asn) = place.asn {
                map.serialize_entry("asn", &asn)?;
            }
            if let Some(org) = &place.org {
                map.serialize_entry("org", org)?;
            }
        }
        map.end()
    }
}

/// How the jail took a failure, as `--json` names it: `counted`, `ignored`, `banned` (already:
/// the firewall drops it) or `unresolved` (a host name that is no address).
pub fn state_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Counted { .. } => "counted",
        EventKind::Ignored => "ignored",
        EventKind::AlreadyBanned => "banned",
        EventKind::Unresolved => "unresolved",
    }
}

/// An event other than a failure as JSON (a failure is written by [`FailureJson`]); a ban
/// with the address's place, as a failure has it.
fn json_of(event: &EngineEvent, geoip: &GeoIp) -> Option<Value> {
    Some(match event {
        EngineEvent::Banned(ban) => {
            let place = geoip.lookup(ban.ip);
            let mut value = json!({"type": "ban", "jail": ban.jail, "ip": ban.ip.to_string(), "time": ban.since, "until": ban.until, "failures": ban.failures, "count": ban.count, "country": place.country});
            if let Some(asn) = place.asn {
                value["asn"] = json!(asn);
            }
            if let Some(org) = place.org {
                value["org"] = json!(org);
            }
            value
        }
        EngineEvent::Unbanned { ban, reason } => {
            json!({"type": "unban", "jail": ban.jail, "ip": ban.ip.to_string(), "time": ban.until.unwrap_or(ban.since), "reason": reason})
        }
        EngineEvent::Source { jail, path, status } => {
            json!({"type": "source", "jail": jail, "path": path, "status": status})
        }
        _ => return None,
    })
}

/// An event as a line of text.
fn text_of(event: &EngineEvent) -> Option<String> {
    let clock = |t: f64| Zone::Local.format(t);
    Some(match event {
        EngineEvent::Log(log) => {
            let f = &log.failure;
            let count = match log.kind {
                EventKind::Counted { count, maxretry } => format!("{count}/{maxretry}"),
                EventKind::Ignored => "ignored".to_string(),
                EventKind::AlreadyBanned => "banned".to_string(),
                EventKind::Unresolved => "unresolved".to_string(),
            };
            format!(
                "{} {} {} {count} {}",
                clock(f.time),
                f.jail,
                f.host,
                log.summary
            )
        }
        EngineEvent::Banned(ban) => format!(
            "{} {} {} BAN after {} failures",
            clock(ban.since),
            ban.jail,
            ban.ip,
            ban.failures
        ),
        EngineEvent::Unbanned { ban, reason } => format!(
            "{} {} {} UNBAN ({reason})",
            clock(ban.until.unwrap_or(ban.since)),
            ban.jail,
            ban.ip
        ),
        EngineEvent::Source { jail, path, status } => format!("{jail}: {path}: {status}"),
        _ => return None,
    })
}

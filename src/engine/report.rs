//! Gathers the report (`bantop report`) over a period: the failures of every jail, from the
//! server's logs (rotated ones too, the journal for systemd jails) at the batch engine's speed
//! or from the demo's recordings through the demo engine; the bans (fail2ban's database and
//! socket, or the demo's); the blind spots of the jails' filters; and the findings in words.

use super::blind_spots::{JailLogs, find};
use super::history::read_all_logs;
use super::pipeline::Pipeline;
use crate::fail2ban::database::{Database, database_path};
use crate::fail2ban::date::Zone;
use crate::fail2ban::server::Fail2ban;
use crate::geoip::GeoIp;
use crate::model::address::{network_of, read_held};
use crate::model::report::{BlindSpot, JailSummary, Report, SourceCount};
use crate::model::targets::TargetsBuilder;
use crate::model::{EngineEvent, JailSettings, LogEvent};
use crate::source::rotated::history_of;
use crate::source::watch::expand;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Sources listed per kind.
const TOP: usize = 10;

/// Where the failures come from.
#[derive(Debug, Clone)]
pub enum ReportSource {
    /// The server's fail2ban: its configuration, socket, logs and database.
    Server {
        /// fail2ban's configuration directory.
        fail2ban_dir: PathBuf,
        /// fail2ban's socket.
        socket: PathBuf,
        /// A journal file to read instead of the system journal.
        journal_file: Option<PathBuf>,
    },
    /// The demo's recordings, replayed whole.
    Demo(PathBuf),
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// Where the failures come from.
    pub source: ReportSource,
    /// Seconds back from the end of the period.
    pub seconds: u64,
    /// The end of the period (now; in the demo, the end of its recordings when `None`).
    pub now: Option<f64>,
    /// Where addresses are from.
    pub geoip: Arc<GeoIp>,
}

/// Failures gathered for the report.
#[derive(Debug, Default)]
struct Collector {
    since: f64,
    until: f64,
    targets: TargetsBuilder,
    jails: BTreeMap<String, (u64, HashSet<IpAddr>)>,
    sources: HashMap<IpAddr, (u64, BTreeSet<String>)>,
    /// Per jail, the lines its filter counted (for its blind spots).
    counted: HashMap<String, HashSet<String>>,
}

impl Collector {
    fn add(&mut self, log: &LogEvent) {
        let failure = &log.failure;
        let Some(ip) = failure.ip else {
            return;
        };
        if failure.time < self.since || failure.time > self.until {
            return;
        }
        let user = failure.captures.get("user").map(String::as_str);
        self.targets
            .add(&failure.jail, ip, failure.time, &failure.line, user);
        let jail = self.jails.entry(failure.jail.clone()).or_default();
        jail.0 += 1;
        jail.1.insert(ip);
        let source = self.sources.entry(ip).or_default();
        source.0 += 1;
        source.1.insert(failure.jail.clone());
        self.counted
            .entry(failure.jail.clone())
            .or_default()
            .insert(failure.line.clone());
    }
}

/// Gathers the report.
pub async fn gather(request: ReportRequest) -> Report {
    match request.source.clone() {
        ReportSource::Server {
            fail2ban_dir,
            socket,
            journal_file,
        } => from_server(&request, &fail2ban_dir, &socket, journal_file).await,
        ReportSource::Demo(dir) => from_demo(&request, &dir),
    }
}

async fn from_server(
    request: &ReportRequest,
    fail2ban_dir: &Path,
    socket: &Path,
    journal_file: Option<PathBuf>,
) -> Report {
    let until = request
        .now
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros() as f64 / 1e6);
    let since = until - request.seconds as f64;
    let mut collector = Collector {
        since,
        until,
        ..Collector::default()
    };
    let mut report = Report::default();
    let mut pipeline = match Pipeline::load(fail2ban_dir, Zone::Local) {
        Ok(pipeline) => pipeline,
        Err(error) => {
            report.problems.push(error.to_string());
            return finish(report, collector, &request.geoip, &Bans::default());
        }
    };
    let mut add = |log: &LogEvent| collector.add(log);
    let logs = read_all_logs(
        &mut pipeline,
        Some(since),
        until,
        false,
        journal_file,
        &mut add,
    )
    .await;
    report.read.extend(logs.read);
    report.problems.extend(logs.problems);
    let bans = server_bans(fail2ban_dir, socket, since, &mut report.problems).await;
    let filter_dir = fail2ban_dir.join("filter.d");
    for jail in &pipeline.jails {
        let settings = &jail.state.settings;
        let files: Vec<PathBuf> = settings
            .logpath
            .iter()
            .flat_map(|pattern| expand(pattern))
            .flat_map(|log| history_of(&log, Some(since)))
            .collect();
        let (spots, problems) = tokio::task::block_in_place(|| {
            blind_spots(&filter_dir, settings, &files, &collector, until)
        });
        report.blind_spots.extend(spots);
        report.problems.extend(problems);
    }
    finish(report, collector, &request.geoip, &bans)
}

fn from_demo(request: &ReportRequest, dir: &Path) -> Report {
    let mut report = Report::default();
    let mut engine = match super::DemoEngine::load(dir, 1.0) {
        Ok(engine) => engine,
        Err(error) => {
            report.problems.push(error.to_string());
            return report;
        }
    };
    let until = request
        .now
        .or(engine.recording_end())
        .unwrap_or(engine.now());
    let since = until - request.seconds as f64;
    let mut collector = Collector {
        since,
        until,
        ..Collector::default()
    };
    let mut bans = Bans::default();
    let events = engine
        .opening_events()
        .into_iter()
        .chain(engine.advance_to(until));
    for event in events {
        match event {
            EngineEvent::Log(log) => collector.add(&log),
            EngineEvent::Banned(ban) if ban.since >= since => {
                *bans.counted.entry(ban.jail.clone()).or_default() += 1;
                bans.now.entry(ban.jail).or_default().insert(ban.ip);
            }
            EngineEvent::Unbanned { ban, .. } => {
                if let Some(now) = bans.now.get_mut(&ban.jail) {
                    now.remove(&ban.ip);
                }
            }
            _ => {}
        }
    }
    let filter_dir = engine.fail2ban_dir().join("filter.d");
    let jails = engine.jails();
    for (jail, files) in engine.recorded_files() {
        let Some(settings) = jails.iter().find(|s| s.name == jail) else {
            continue;
        };
        report
            .read
            .push(format!("{jail}: {} file(s) of the demo", files.len()));
        let (spots, problems) = blind_spots(&filter_dir, settings, &files, &collector, until);
        report.blind_spots.extend(spots);
        report.problems.extend(problems);
    }
    finish(report, collector, &request.geoip, &bans)
}

/// The blind spots of the jail of `settings` over `files`.
fn blind_spots(
    filter_dir: &Path,
    settings: &JailSettings,
    files: &[PathBuf],
    collector: &Collector,
    until: f64,
) -> (Vec<BlindSpot>, Vec<String>) {
    let empty = HashSet::new();
    let logs = JailLogs {
        jail: &settings.name,
        filter: &settings.filter,
        files,
        counted: collector.counted.get(&settings.name).unwrap_or(&empty),
        ignores: &|ip| settings.ignores(ip),
    };
    find(filter_dir, &logs, (collector.since, until), until)
}

/// Bans per jail in the period, and the addresses banned now per jail.
#[derive(Debug, Default)]
struct Bans {
    counted: HashMap<String, u64>,
    now: HashMap<String, HashSet<IpAddr>>,
}

/// fail2ban's bans since `since` (its database) and in force (its socket).
async fn server_bans(
    fail2ban_dir: &Path,
    socket: &Path,
    since: f64,
    problems: &mut Vec<String>,
) -> Bans {
    let mut bans = Bans::default();
    if let Some(path) = database_path(fail2ban_dir) {
        let found = tokio::task::spawn_blocking(move || {
            Database::open(&path).and_then(|db| db.bans_since(since as i64))
        })
        .await;
        match found {
            Ok(Ok(records)) => {
                for record in records {
                    *bans.counted.entry(record.jail).or_default() += 1;
                }
            }
            Ok(Err(error)) => problems.push(error.to_string()),
            Err(error) => problems.push(format!("fail2ban's database: {error}")),
        }
    }
    let mut server = Fail2ban::new(socket);
    match server.jails().await {
        Ok(jails) => {
            for jail in jails {
                match server.bans(&jail).await {
                    Ok(list) => {
                        let addresses = list.iter().filter_map(|ban| read_held(&ban.ip));
                        bans.now.entry(jail).or_default().extend(addresses);
                    }
                    Err(error) => problems.push(format!("fail2ban: {jail}: {error}")),
                }
            }
        }
        Err(error) => problems.push(format!("fail2ban ({}): {error}", socket.display())),
    }
    bans
}

/// The report from what was gathered.
fn finish(mut report: Report, collector: Collector, geoip: &GeoIp, bans: &Bans) -> Report {
    report.since = collector.since;
    report.until = collector.until;
    let banned: HashSet<IpAddr> = bans.now.values().flatten().copied().collect();
    report.targets = collector.targets.finish(&|ip| banned.contains(&ip));
    let mut names: BTreeSet<&String> = collector.jails.keys().collect();
    names.extend(bans.counted.keys());
    report.jails = names
        .into_iter()
        .map(|jail| {
            let (failures, sources) = collector
                .jails
                .get(jail)
                .map_or((0, 0), |(failures, sources)| (*failures, sources.len()));
            JailSummary {
                jail: jail.clone(),
                failures,
                sources,
                bans: bans.counted.get(jail).copied().unwrap_or(0),
                banned_now: bans.now.get(jail).map_or(0, HashSet::len),
            }
        })
        .collect();
    let country = |ip: IpAddr| geoip.lookup(ip).country;
    let mut networks: HashMap<IpNet, (u64, BTreeSet<String>)> = HashMap::new();
    let mut countries: HashMap<String, (u64, BTreeSet<String>)> = HashMap::new();
    let mut asns: HashMap<String, (u64, BTreeSet<String>)> = HashMap::new();
    for (ip, (failures, jails)) in &collector.sources {
        let network = network_of(*ip);
        let place = geoip.lookup(*ip);
        let groups = [
            place.country.clone().map(|c| (&mut countries, c)),
            place.asn.map(|asn| {
                (
                    &mut asns,
                    format!("AS{asn} {}", place.org.clone().unwrap_or_default())
                        .trim()
                        .to_string(),
                )
            }),
        ];
        for (map, key) in groups.into_iter().flatten() {
            let entry = map.entry(key).or_default();
            entry.0 += failures;
            entry.1.extend(jails.iter().cloned());
        }
        let entry = networks.entry(network).or_default();
        entry.0 += failures;
        entry.1.extend(jails.iter().cloned());
    }
    report.top_sources = top(collector
        .sources
        .iter()
        .map(|(ip, (failures, jails))| (ip.to_string(), *failures, jails, country(*ip))));
    report.top_networks = top(networks
        .iter()
        .map(|(net, (failures, jails))| (net.to_string(), *failures, jails, country(net.addr()))));
    report.countries = top(countries
        .iter()
        .map(|(code, (failures, jails))| (code.clone(), *failures, jails, None)));
    report.asns = top(asns
        .iter()
        .map(|(name, (failures, jails))| (name.clone(), *failures, jails, None)));
    report.findings = super::report_findings::findings(&report);
    report
}

/// The [`TOP`] entries with the most failures (ties by name).
fn top<'a>(
    entries: impl Iterator<Item = (String, u64, &'a BTreeSet<String>, Option<String>)>,
) -> Vec<SourceCount> {
    let mut all: Vec<SourceCount> = entries
        .map(|(source, failures, jails, country)| SourceCount {
            source,
            failures,
            jails: jails.iter().cloned().collect(),
            country,
        })
        .collect();
    all.sort_by(|a, b| b.failures.cmp(&a.failures).then(a.source.cmp(&b.source)));
    all.truncate(TOP);
    all
}

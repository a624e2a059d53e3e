//! The engine on a real server: the jails of the fail2ban configuration, the failures their
//! filters find in the logs (followed through rotation), their ban tables as
//! fail2ban reports them (with ban counts and evidence from its database), the operator's
//! commands carried out through fail2ban's socket and the whitelist drop-in. When the socket
//! does not answer, everything is shown read-only with the reason, and retried.

use super::audit::AuditLog;
use super::command::Command;
use super::execute::{Step, StepKind, execute, result_event};
use super::manual_bans::{self, ManualBans};
use super::pipeline::Pipeline;
use super::server_sides::{KernelSet, ServerFail2ban};
use crate::engine::clock::now_epoch as now;
use crate::fail2ban::database::{BanRecord, Database, database_path};
use crate::fail2ban::date::Zone;
use crate::fail2ban::dropin::entry_text;
use crate::fail2ban::jail_conf::{JailConfError, read_configuration};
use crate::fail2ban::server::{Fail2ban, ServerBan};
use crate::firewall::{kernel, nftables};
use crate::model::ban::OWN_SET_NAME;
use crate::model::configuration::ConfigurationView;
use crate::model::firewall::KernelFirewall;
use crate::model::{Ban, BanOrigin, EngineEvent, JailSettings, WhitelistEntry};
use crate::posture::{PostureInputs, run_checks};
use crate::source::watch::{SourceEvent, follow_files};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// The live engine.
pub struct LiveEngine {
    audit: AuditLog,
    manual: ManualBans,
    /// Port restrictions, restored with the manual bans.
    restrictions: super::restrictions::Restrictions,
    pipeline: Pipeline,
    fail2ban_dir: PathBuf,
    server: Fail2ban,
    database: Option<PathBuf>,
    jails: Vec<JailSettings>,
    known: super::ban_tables::BanTables,
    read_only: Option<String>,
    operator: Option<IpAddr>,
    /// The jails fail2ban skips, its warnings and where values come from, read with the jails.
    configuration: ConfigurationView,
}

impl LiveEngine {
    /// The server configured in `fail2ban_dir`, reached through `socket`.
    pub fn load(
        fail2ban_dir: &Path,
        socket: &Path,
        state_dir: &Path,
        operator: Option<IpAddr>,
    ) -> Result<Self, JailConfError> {
        // Read once: the jails shown and the pipeline that matches their logs.
        let read = read_configuration(fail2ban_dir)?;
        let configuration = read.view(fail2ban_dir);
        let confs = read.jails;
        let mut jails: Vec<JailSettings> = confs.iter().map(|c| c.settings.clone()).collect();
        jails.push(manual_bans::jail_settings());
        Ok(LiveEngine {
            audit: AuditLog::new(state_dir),
            manual: ManualBans::new(state_dir),
            restrictions: super::restrictions::Restrictions::new(state_dir),
            pipeline: Pipeline::new(confs, Zone::Local),
            fail2ban_dir: fail2ban_dir.to_path_buf(),
            server: Fail2ban::new(socket),
            database: database_path(fail2ban_dir),
            jails,
            known: Default::default(),
            read_only: None,
            configuration,
            operator,
        })
    }

    /// The configured jails.
    pub fn jails(&self) -> Vec<JailSettings> {
        self.jails.clone()
    }

    /// Starts following the jails' logs from the last `findtime`; lines arrive on the returned
    /// channel.
    pub fn start_sources(&self) -> mpsc::Receiver<Vec<SourceEvent>> {
        let (tx, rx) = mpsc::channel(crate::source::watch::SOURCE_BATCHES);
        let cutoff = now() - self.pipeline.longest_findtime() as f64;
        let files = self.pipeline.file_jails(Some(cutoff));
        tokio::spawn(follow_files(files, tx.clone()));
        for source in self.pipeline.journal_sources(Some(cutoff), None, true) {
            tokio::spawn(source.follow(tx.clone()));
        }
        rx
    }

    /// Failures found in new lines (counted here, banned by fail2ban) and source states.
    pub fn take_lines(&mut self, batch: Vec<SourceEvent>) -> Vec<EngineEvent> {
        let now = now();
        batch
            .into_iter()
            .flat_map(|event| match event {
                // fail2ban bans; bantop counts to show how close each address is.
                SourceEvent::Line(line) => self.pipeline.process(&line, now, false),
                SourceEvent::Status { jail, path, status } => {
                    vec![EngineEvent::Source {
                        jail,
                        path,
                        status: status.describe(),
                    }]
                }
            })
            .collect()
    }

    /// The first events: the drop-in, ports and posture, then the ban tables.
    pub async fn opening_events(&mut self) -> Vec<EngineEvent> {
        let mut events = vec![
            EngineEvent::Dropin(self.dropin_text()),
            EngineEvent::Actions(self.audit.recent(10)),
        ];
        events.extend(self.restore_manual_bans());
        events.extend(self.restore_restrictions());
        // Read once, after the restore: the ports' verdicts, the checklist, the first ban tables.
        let (ports, firewall) = super::exposure::ports_and_firewall(Path::new("/proc"));
        let ports = ports.map_err(|e| e.to_string());
        if let Ok(ports) = &ports {
            events.push(EngineEvent::Ports(ports.clone()));
        }
        let inputs = PostureInputs {
            fail2ban_dir: self.fail2ban_dir.clone(),
            socket: Some(self.server.socket().to_path_buf()),
            asterisk_dir: PathBuf::from("/etc/asterisk"),
            operator: self.operator,
            ports,
            firewall: firewall.clone(),
            jails: Ok(self.jails.clone()),
            notes: self.configuration.notes.clone(),
            demo_recordings: None,
            report: None,
            fail2ban_answer: Some(crate::posture::ask_fail2ban(self.server.socket()).await),
        };
        events.push(EngineEvent::Posture(run_checks(&inputs)));
        events.push(EngineEvent::Configuration(self.configuration.clone()));
        events.extend(
            self.pipeline
                .problems
                .iter()
                .map(|(jail, problem)| EngineEvent::Source {
                    jail: jail.clone(),
                    path: "filter".to_string(),
                    status: format!("error: {problem}"),
                }),
        );
        events.extend(self.poll_with(firewall).await);
        events
    }

    /// Puts saved manual bans missing from the kernel back (after a reboot or a flush). Nothing
    /// is touched when none were saved.
    fn restore_manual_bans(&self) -> Option<EngineEvent> {
        if self.manual.load().map_or(true, |saved| saved.is_empty()) {
            return None;
        }
        Some(match self.manual.restore(now()) {
            Ok(report) if report.restored.is_empty() && report.expired.is_empty() => return None,
            Ok(report) => result(
                true,
                format!(
                    "manual bans: {} restored to bantop's set, {} expired while away",
                    report.restored.len(),
                    report.expired.len()
                ),
            ),
            Err(error) => result(false, format!("manual bans not restored: {error}")),
        })
    }

    /// Rolls back pending restrictions past their deadline (the watchdog process does it too;
    /// whichever comes first), and shows the ports as they then are.
    fn roll_back_overdue(&self) -> Vec<EngineEvent> {
        match self.restrictions.roll_back_overdue(now()) {
            Ok(rolled) if rolled.is_empty() => Vec::new(),
            Ok(rolled) => {
                let labels: Vec<String> = rolled.iter().map(|r| r.label()).collect();
                let mut events = vec![result(
                    false,
                    format!(
                        "not confirmed in time, rolled back: restriction of {}",
                        labels.join(", ")
                    ),
                )];
                if let Ok(ports) = super::exposure::exposed_ports(Path::new("/proc")) {
                    events.push(EngineEvent::Ports(ports));
                }
                events
            }
            Err(error) => vec![result(false, format!("pending restrictions: {error}"))],
        }
    }

    /// Puts saved port restrictions back (rolling back pending ones past their deadline).
    fn restore_restrictions(&self) -> Option<EngineEvent> {
        if self
            .restrictions
            .load()
            .map_or(true, |saved| saved.is_empty())
        {
            return None;
        }
        Some(match self.restrictions.restore(now()) {
            Ok(report) => {
                let mut text =
                    format!("port restrictions in place: {}", report.restored.join(", "));
                if !report.rolled_back.is_empty() {
                    text.push_str(&format!(
                        "; rolled back, not confirmed in time: {}",
                        report.rolled_back.join(", ")
                    ));
                }
                result(true, text)
            }
            Err(error) => result(false, format!("port restrictions not restored: {error}")),
        })
    }

    fn dropin_text(&self) -> String {
        std::fs::read_to_string(self.fail2ban_dir.join(super::command::WHITELIST_DROPIN))
            .unwrap_or_default()
    }

    /// Reads the ban tables and reports what changed since the last poll.
    pub async fn poll(&mut self) -> Vec<EngineEvent> {
        self.poll_with(kernel::read().map_err(|e| kernel::describe_error(&e)))
            .await
    }

    /// The same with the kernel's ruleset already read (or why it could not be).
    async fn poll_with(&mut self, firewall: Result<KernelFirewall, String>) -> Vec<EngineEvent> {
        let mut events = vec![EngineEvent::Clock(now())];
        events.extend(self.roll_back_overdue());
        let firewall = firewall.map_err(|e| format!("not read: {e}"));
        let manual = firewall
            .as_ref()
            .map(|kernel| self.manual_bans(kernel))
            .unwrap_or_default();
        let bans = match self.fetch_bans().await {
            Ok(mut bans) => {
                bans.extend(manual);
                bans
            }
            Err(error) => {
                if self.read_only.as_deref() != Some(error.as_str()) {
                    self.read_only = Some(error.clone());
                    events.push(EngineEvent::Connection {
                        read_only: Some(error),
                    });
                }
                events.push(EngineEvent::Firewall(firewall));
                return events;
            }
        };
        if self.read_only.take().is_some() || self.known.is_empty() {
            events.push(EngineEvent::Connection { read_only: None });
        }
        events.extend(self.known.update(bans));
        // After the ban changes, so that the kernel is compared with the tables as they are.
        events.push(EngineEvent::Firewall(firewall));
        events
    }

    /// The host elements of bantop's own set as bans of the `manual` jail, with when and why
    /// from the saved copy (networks are not shown in the table yet).
    fn manual_bans(&self, kernel: &KernelFirewall) -> Vec<Ban> {
        let saved = self.manual.load().unwrap_or_default();
        let now = now();
        kernel
            .sets
            .iter()
            .filter(|set| set.table == nftables::TABLE && set.family == "inet")
            .flat_map(|set| &set.elements)
            .filter(|element| element.net.prefix_len() == element.net.max_prefix_len())
            .map(|element| {
                let since = saved
                    .iter()
                    .find(|ban| ban.net == element.net)
                    .map_or(now, |ban| ban.since);
                Ban {
                    jail: OWN_SET_NAME.to_string(),
                    ip: element.net.addr(),
                    since,
                    until: element.expires_in.map(|left| now + left),
                    count: 1,
                    failures: 0,
                    evidence: Vec::new(),
                    origin: BanOrigin::Manual,
                    length_caveat: None,
                }
            })
            .collect()
    }

    async fn fetch_bans(&mut self) -> Result<Vec<Ban>, String> {
        let records: Vec<BanRecord> = self
            .database
            .as_deref()
            .and_then(|path| Database::open(path).ok())
            .and_then(|db| db.current_bans().ok())
            .unwrap_or_default();
        let mut bans = Vec::new();
        for jail in self.server.jails().await.map_err(|e| e.to_string())? {
            for ban in self.server.bans(&jail).await.map_err(|e| e.to_string())? {
                bans.extend(to_ban(ban, &records));
            }
        }
        Ok(bans)
    }

    /// Carries out a command through fail2ban, audits it, then reads the tables again.
    pub async fn execute(&mut self, command: Command) -> Vec<EngineEvent> {
        self.execute_steps(command).await.1
    }

    /// The same, with the executor's steps.
    pub async fn execute_steps(&mut self, command: Command) -> (Vec<Step>, Vec<EngineEvent>) {
        let command = command.restamped(now());
        let (steps, mut events) = self.carry_out(command.clone()).await;
        if let Some(entry) = super::audit::entry_for(&command, &events) {
            if let Err(error) = self.audit.record(&entry) {
                events.push(result(false, format!("done, but not audited: {error}")));
            }
            events.push(EngineEvent::Actions(self.audit.recent(10)));
        }
        if command.touches_restrictions() {
            events.extend(super::execute::restriction_events(&command, &steps));
            if let Ok(ports) = super::exposure::exposed_ports(Path::new("/proc")) {
                events.push(EngineEvent::Ports(ports));
            }
        }
        events.extend(self.poll().await);
        (steps, events)
    }

    async fn carry_out(&mut self, command: Command) -> (Vec<Step>, Vec<EngineEvent>) {
        let mut fail2ban = ServerFail2ban {
            server: &mut self.server,
            fail2ban_dir: &self.fail2ban_dir,
        };
        let mut own_set = KernelSet {
            bans: &self.manual,
            reason: "from the TUI",
            restrictions: &self.restrictions,
        };
        let steps = execute(&command, &mut fail2ban, &mut own_set).await;
        let dropin_written = steps.iter().any(|s| s.kind == StepKind::Dropin && s.ok);
        let mut events = Vec::new();
        match &command {
            Command::Whitelist {
                entry,
                jails,
                comment,
            } if dropin_written => events.extend(jails.iter().map(|jail| {
                EngineEvent::Whitelisted(WhitelistEntry {
                    jail: jail.clone(),
                    entry: entry_text(*entry),
                    comment: comment.clone(),
                })
            })),
            Command::Rescue { ip, jails, comment } if dropin_written => {
                events.extend(jails.iter().map(|jail| {
                    EngineEvent::Whitelisted(WhitelistEntry {
                        jail: jail.clone(),
                        entry: ip.to_string(),
                        comment: comment.clone(),
                    })
                }))
            }
            Command::Unwhitelist { entry, jails } if dropin_written => {
                events.push(EngineEvent::Unwhitelisted {
                    entry: entry_text(*entry),
                    jails: jails.clone(),
                })
            }
            _ => {}
        }
        events.push(result_event(&command, &steps, ""));
        if command.touches_whitelist() {
            events.push(EngineEvent::Dropin(self.dropin_text()));
        }
        (steps, events)
    }
}

/// Why the kernel's ruleset could not be read, in words.
/// A result that is no action's (nothing to undo is said by it).
fn result(ok: bool, message: String) -> EngineEvent {
    EngineEvent::ActionResult {
        ok,
        message,
        changed: true,
    }
}

/// A ban as fail2ban reports it, with what its database adds (networks are not shown yet).
fn to_ban(ban: ServerBan, records: &[BanRecord]) -> Option<Ban> {
    let ip: IpAddr = ban.ip.parse().ok()?;
    let record = records
        .iter()
        .find(|r| r.jail == ban.jail && r.ip == ban.ip);
    Some(Ban {
        jail: ban.jail,
        ip,
        since: ban.since,
        until: ban.until,
        count: record.map_or(1, |r| r.bancount.max(1) as u32),
        failures: record.map_or(0, |r| r.failures.max(0) as u32),
        evidence: record.map(|r| r.matches.clone()).unwrap_or_default(),
        origin: BanOrigin::Jail,
        length_caveat: None,
    })
}

//! The training demo's engine: the recordings replayed by log time through the demo server's
//! real jails and filters, bans counted as fail2ban counts them, and the operator's commands
//! carried out against a simulated firewall and drop-in. No root, no fail2ban, no firewall.

use super::clock::ReplayClock;
use super::command::Command;
use super::demo_sides::{SimulatedFail2ban, SimulatedSet};
use super::execute::{Step, execute, result_event, run_ready};
use super::jail_state::JailState;
use super::pipeline::{PipelineJail, count_line};
use crate::fail2ban::date::Zone;
use crate::fail2ban::filter::failure_ids::UseDns;
use crate::fail2ban::jail_conf::{JailConfError, read_configuration};
use crate::fail2ban::{Filter, FilterError};
use crate::firewall::SimulatedFirewall;
use crate::model::WhitelistEntry;
use crate::model::check::CheckItem;
use crate::model::configuration::ConfigurationView;
use crate::model::port::Port;
use crate::model::{AuditEntry, EngineEvent, JailSettings};
use crate::ports::catalogue::{self, Owner};
use crate::posture::{PostureInputs, run_checks};
use crate::source::SourceLine;
use crate::source::replay::{Replay, ReplayError};
use crate::source::scenario::{Scenario, ScenarioError};
use std::net::IpAddr;
use std::path::Path;

/// Log seconds of quiet between the end of the recording and its next loop.
const LOOP_GAP: f64 = 60.0;

/// The demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The scenario file.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The demo's jail configuration.
    #[error(transparent)]
    Jails(#[from] JailConfError),
    /// A jail's filter.
    #[error("jail {jail}: {source}")]
    Filter {
        /// The jail.
        jail: String,
        /// Why.
        source: FilterError,
    },
    /// A recording names a jail the configuration does not enable.
    #[error(
        "recording {path} feeds jail {jail:?}, which is not enabled in the demo's configuration"
    )]
    UnknownJail {
        /// The jail.
        jail: String,
        /// The recording.
        path: String,
    },
    /// A recording.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// Nothing to replay.
    #[error("the recordings hold no readable line")]
    Empty,
}

/// The demo engine; every method is synchronous and deterministic given the times passed in.
pub struct DemoEngine {
    jails: Vec<PipelineJail>,
    manual: JailState,
    firewall: SimulatedFirewall,
    whitelist: Vec<WhitelistEntry>,
    replay: Replay,
    clock: ReplayClock,
    loop_offset: f64,
    loops: u32,
    scenario: Scenario,
    ports: Vec<Port>,
    /// The actions taken in this demo (simulated: kept in memory, not in an audit log).
    actions: Vec<AuditEntry>,
    /// The demo configuration as fail2ban reads it (skipped jails, warnings, origins).
    configuration: ConfigurationView,
}

impl DemoEngine {
    /// Loads the demo in `dir` (its `scenario.toml`, configuration and recordings).
    pub fn load(dir: &Path, speed: f64) -> Result<Self, DemoError> {
        let mut scenario = Scenario::load(dir)?;
        let zone = scenario.zone;
        let mut jails = Vec::new();
        let read = read_configuration(&scenario.fail2ban_dir)?;
        let mut configuration = read.view(&scenario.fail2ban_dir);
        // The recordings replace the jails' logs: fail2ban's "no log file" warnings do not apply.
        configuration.notes.warnings.clear();
        for conf in read.jails {
            let filter =
                Filter::compile(&conf.filter, zone).map_err(|source| DemoError::Filter {
                    jail: conf.settings.name.clone(),
                    source,
                })?;
            jails.push(PipelineJail {
                usedns: UseDns::of(conf.filter.usedns.as_deref()),
                state: JailState::new(conf.settings),
                filter,
            });
        }
        for recording in &mut scenario.recordings {
            let jail = jails
                .iter()
                .find(|j| j.state.settings.name == recording.jail)
                .ok_or_else(|| DemoError::UnknownJail {
                    jail: recording.jail.clone(),
                    path: recording.path.display().to_string(),
                })?;
            recording.journalmatch = jail.filter.journalmatch().to_vec();
        }
        let replay = Replay::load(&scenario.recordings, zone)?;
        let start = replay.start().ok_or(DemoError::Empty)?;
        let manual = JailState::new(super::manual_bans::jail_settings());
        let mut ports: Vec<Port> = scenario
            .sockets
            .iter()
            .map(|s| {
                let owner = Owner {
                    pid: Some(s.pid),
                    process: Some(s.process.clone()),
                    unknown: None,
                    user: s.user.clone(),
                };
                catalogue::port(s.proto, s.address, s.port, owner)
            })
            .collect();
        // A Wazo as installed: iptables with no rule, so every public port is open.
        super::exposure::judge_ports(
            &mut ports,
            Ok(&crate::firewall::ruleset::Ruleset::default()),
        );
        Ok(DemoEngine {
            jails,
            manual,
            firewall: SimulatedFirewall::default(),
            whitelist: Vec::new(),
            replay,
            clock: ReplayClock::new(start - 1.0, speed),
            loop_offset: 0.0,
            loops: 0,
            scenario,
            ports,
            actions: Vec::new(),
            configuration,
        })
    }

    /// The jails being replayed, then bantop's manual set.
    pub fn jails(&self) -> Vec<JailSettings> {
        self.jails
            .iter()
            .map(|j| j.state.settings.clone())
            .chain(std::iter::once(self.manual.settings.clone()))
            .collect()
    }

    /// The operator's address in the recordings.
    pub fn operator(&self) -> IpAddr {
        self.scenario.operator
    }

    /// The zone the recordings are read and shown in.
    pub fn zone(&self) -> Zone {
        self.scenario.zone
    }

    /// The time of the recordings' last line.
    pub fn recording_end(&self) -> Option<f64> {
        self.replay.end()
    }

    /// The demo's fail2ban configuration directory.
    pub fn fail2ban_dir(&self) -> &std::path::Path {
        &self.scenario.fail2ban_dir
    }

    /// The demo's own GeoIP files in `dir` (made-up countries for its documentation
    /// addresses), those that exist.
    pub fn geoip_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        ["geoip", "geoip6"]
            .map(|name| dir.join(name))
            .into_iter()
            .filter(|path| path.is_file())
            .collect()
    }

    /// The recordings that are plain log files, per jail: (jail, files).
    pub fn recorded_files(&self) -> Vec<(String, Vec<std::path::PathBuf>)> {
        self.jails
            .iter()
            .map(|j| &j.state.settings)
            .map(|settings| {
                let files = self
                    .scenario
                    .recordings
                    .iter()
                    .filter(|r| {
                        r.jail == settings.name
                            && r.format == crate::source::scenario::RecordingFormat::File
                    })
                    .map(|r| r.path.clone())
                    .collect();
                (settings.name.clone(), files)
            })
            .collect()
    }

    /// Current log time.
    pub fn now(&self) -> f64 {
        self.clock.now
    }

    /// The checklist for the demo server, from the jails as they are now.
    pub fn posture(&self) -> Vec<CheckItem> {
        let inputs = PostureInputs {
            fail2ban_dir: self.scenario.fail2ban_dir.clone(),
            socket: None,
            asterisk_dir: self.scenario.asterisk_dir.clone(),
            operator: Some(self.scenario.operator),
            ports: Ok(self.ports.clone()),
            firewall: Ok(crate::model::firewall::KernelFirewall::default()),
            jails: Ok(self
                .jails
                .iter()
                .map(|j| j.state.settings.clone())
                .collect()),
            notes: crate::posture::ConfigurationNotes::default(),
            demo_recordings: Some(
                self.scenario
                    .recordings
                    .iter()
                    .map(|r| (r.jail.clone(), r.path.clone()))
                    .collect(),
            ),
            fail2ban_answer: None,
            report: None,
        };
        run_checks(&inputs)
    }

    /// What the consumers should know before the first line: clock, replay state, ports,
    /// posture, skipped lines.
    pub fn opening_events(&self) -> Vec<EngineEvent> {
        let mut events = vec![
            EngineEvent::Clock(self.clock.now),
            self.replay_event(),
            EngineEvent::Ports(self.ports.clone()),
            EngineEvent::Posture(self.posture()),
            EngineEvent::Configuration(self.configuration.clone()),
            EngineEvent::Firewall(Ok(self
                .firewall
                .kernel_view(std::iter::empty(), self.clock.now))),
        ];
        events.extend(self.replay.unparsed.iter().filter(|(_, n)| *n > 0).map(
            |(source, count)| EngineEvent::Unparsed {
                source: source.clone(),
                count: *count,
            },
        ));
        events
    }

    fn replay_event(&self) -> EngineEvent {
        EngineEvent::Replay {
            speed: self.clock.speed,
            paused: self.clock.paused,
            loops: self.loops,
        }
    }

    /// Moves on by `real_seconds` of real time at the replay speed.
    pub fn tick(&mut self, real_seconds: f64) -> Vec<EngineEvent> {
        self.clock.advance(real_seconds);
        let mut events = self.roll_back_overdue();
        events.extend(self.advance_to(self.clock.now));
        events
    }

    /// Rolls back the simulated restrictions still pending at their (wall clock) deadline.
    fn roll_back_overdue(&mut self) -> Vec<EngineEvent> {
        let now = super::clock::now_epoch();
        let all = &mut self.firewall.restrictions;
        let mut rolled = Vec::new();
        while let Some(index) = all
            .iter()
            .position(|r| r.rollback_at.is_some_and(|at| at <= now))
        {
            rolled.push(all[index].label());
            crate::model::restriction::revert_in(all, index);
        }
        if rolled.is_empty() {
            return Vec::new();
        }
        vec![
            EngineEvent::ActionResult {
                ok: false,
                message: format!(
                    "not confirmed in time, rolled back: restriction of {} (simulated)",
                    rolled.join(", ")
                ),
                changed: true,
            },
            EngineEvent::Ports(self.restricted_ports()),
        ]
    }

    /// The demo's ports with the simulated restrictions applied to their firewall verdict.
    fn restricted_ports(&self) -> Vec<Port> {
        let mut ports = self.ports.clone();
        for port in &mut ports {
            if let Some(r) = self
                .firewall
                .restrictions
                .iter()
                .find(|r| (r.port, r.proto) == (port.port, port.proto))
            {
                port.firewall = if r.allow.is_empty() {
                    crate::model::port::Reach::Closed
                } else {
                    crate::model::port::Reach::Restricted
                };
                port.allowed_from = r.allow.iter().map(|n| n.to_string()).collect();
                port.firewall_rule = None;
                port.firewall_reason = Some(if r.rollback_at.is_some() {
                    "simulated, pending confirmation".to_string()
                } else {
                    "simulated".to_string()
                });
                catalogue::weigh_firewall(port);
            }
        }
        ports
    }

    /// Replays every line up to log time `until` and ends the bans due by then.
    pub fn advance_to(&mut self, until: f64) -> Vec<EngineEvent> {
        self.clock.now = self.clock.now.max(until);
        let mut events = Vec::new();
        loop {
            let lines: Vec<SourceLine> = self.replay.take_until(until - self.loop_offset).to_vec();
            for line in lines {
                let time = line.time + self.loop_offset;
                self.expire(time, &mut events);
                self.process(&line, time, &mut events);
            }
            let end = self.replay.end().unwrap_or(until) + self.loop_offset;
            if !self.replay.finished() || until < end + LOOP_GAP {
                break;
            }
            let start = self.replay.start().unwrap_or(end);
            self.loop_offset += end - self.loop_offset - start + LOOP_GAP;
            self.loops += 1;
            self.replay.rewind();
            events.push(self.replay_event());
        }
        self.expire(until, &mut events);
        self.push_firewall(&mut events);
        events.push(EngineEvent::Clock(self.clock.now));
        events
    }

    /// The simulated kernel's view, after a batch that banned or unbanned.
    fn push_firewall(&self, events: &mut Vec<EngineEvent>) {
        if events.iter().any(|e| {
            matches!(
                e,
                EngineEvent::Banned(_)
                    | EngineEvent::Unbanned { .. }
                    | EngineEvent::ActionResult { .. }
            )
        }) {
            let bans = self
                .jails
                .iter()
                .flat_map(|j| j.state.bans())
                .map(|ban| (ban.jail.as_str(), ban.ip, ban.until));
            let view = self.firewall.kernel_view(bans, self.clock.now);
            events.push(EngineEvent::Firewall(Ok(view)));
        }
    }

    fn process(&mut self, line: &SourceLine, time: f64, events: &mut Vec<EngineEvent>) {
        // Recorded times move on with each loop: the failure happens at the replay's time.
        for (event, ban) in count_line(
            &mut self.jails,
            &line.jail,
            &line.text,
            line.time_from_source.then_some(time),
            time,
            Some(time),
        ) {
            events.push(EngineEvent::Log(event));
            events.extend(ban.map(EngineEvent::Banned));
        }
    }

    fn expire(&mut self, now: f64, events: &mut Vec<EngineEvent>) {
        self.firewall.expire(now);
        let states = self
            .jails
            .iter_mut()
            .map(|j| &mut j.state)
            .chain(std::iter::once(&mut self.manual));
        for state in states {
            for ban in state.expire(now) {
                events.push(EngineEvent::Unbanned {
                    ban,
                    reason: "expired".to_string(),
                });
            }
        }
    }

    /// Carries out an operator's command against the simulated backends, and keeps it in the
    /// demo's list of actions.
    pub fn execute(&mut self, command: Command) -> Vec<EngineEvent> {
        self.execute_steps(command).1
    }

    /// The same, with the executor's steps.
    pub fn execute_steps(&mut self, command: Command) -> (Vec<Step>, Vec<EngineEvent>) {
        let command = command.restamped(super::clock::now_epoch());
        let (steps, mut events) = self.carry_out(command.clone());
        self.push_firewall(&mut events);
        if command.touches_restrictions() {
            events.extend(super::execute::restriction_events(&command, &steps));
            events.push(EngineEvent::Ports(self.restricted_ports()));
        }
        if let Some(entry) = super::audit::entry_for(&command, &events) {
            self.actions.push(entry);
            events.push(EngineEvent::Actions(
                self.actions.iter().rev().take(10).rev().cloned().collect(),
            ));
        }
        (steps, events)
    }

    fn carry_out(&mut self, command: Command) -> (Vec<Step>, Vec<EngineEvent>) {
        match command {
            Command::TogglePause => {
                self.clock.paused = !self.clock.paused;
                return (Vec::new(), vec![self.replay_event()]);
            }
            Command::Faster => {
                self.clock.faster();
                return (Vec::new(), vec![self.replay_event()]);
            }
            Command::Slower => {
                self.clock.slower();
                return (Vec::new(), vec![self.replay_event()]);
            }
            _ => {}
        }
        let now = self.clock.now;
        let mut fail2ban = SimulatedFail2ban::new(
            self.jails.iter_mut().map(|j| &mut j.state).collect(),
            &mut self.whitelist,
            now,
        );
        let mut own_set = SimulatedSet {
            firewall: &mut self.firewall,
            table: &mut self.manual,
            now,
            events: Vec::new(),
        };
        // The simulated backends never wait: the sequence runs to its end here.
        let steps = run_ready(execute(&command, &mut fail2ban, &mut own_set)).unwrap_or_default();
        let mut events = own_set.events;
        events.extend(fail2ban.events);
        events.push(result_event(&command, &steps, " (simulated)"));
        if command.touches_whitelist() {
            // Whitelisting is the fix of a checklist item: show its effect.
            events.push(EngineEvent::Posture(self.posture()));
        }
        (steps, events)
    }
}

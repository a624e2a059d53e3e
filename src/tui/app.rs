//! The UI's one model. It changes in exactly two places: [`App::apply`] for engine events (this
//! file) and `App::update` for actions from keys (`update.rs`). Views only read it.

use super::keymap::Keymap;
use crate::engine::Command;
use crate::fail2ban::date::Zone;
use crate::model::check::CheckItem;
use crate::model::configuration::ConfigurationView;
use crate::model::event::UNBANNED_BY_OPERATOR;
use crate::model::firewall::{DropIndex, unknown_to_fail2ban};
use crate::model::port::Port;
use crate::model::{Ban, BanPlace, EngineEvent, History, JailSettings, LogEvent};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

/// How many events the events view keeps.
pub const HISTORY: usize = 10_000;

/// The views `Tab` switches between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The stream of failures, bans and unbans.
    Events,
    /// Per-jail settings, ban tables and evidence.
    Jails,
    /// Listening sockets and what they expose.
    Ports,
    /// The security checklist.
    Posture,
    /// What the attackers are after: accounts, dialled numbers, provisioning files.
    Targets,
    /// Failures and bans per jail over the period, as bars.
    Activity,
}

impl View {
    /// The view after this one (`Tab`).
    pub fn next(self) -> View {
        match self {
            View::Events => View::Jails,
            View::Jails => View::Ports,
            View::Ports => View::Posture,
            View::Posture => View::Targets,
            View::Targets => View::Activity,
            View::Activity => View::Events,
        }
    }
}

/// One row of the events view.
#[derive(Debug, Clone, PartialEq)]
pub enum EventRow {
    /// A failure found in a log.
    Failure(LogEvent),
    /// A ban started.
    Banned(Ban),
    /// A ban ended.
    Unbanned {
        /// The ban.
        ban: Ban,
        /// Why it ended.
        reason: String,
        /// When.
        time: f64,
    },
}

impl EventRow {
    /// The jail of the row.
    pub fn jail(&self) -> &str {
        match self {
            EventRow::Failure(e) => &e.failure.jail,
            EventRow::Banned(ban) | EventRow::Unbanned { ban, .. } => &ban.jail,
        }
    }

    /// The address (or host) of the row, as text.
    pub fn host(&self) -> String {
        match self {
            EventRow::Failure(e) => e.failure.host.clone(),
            EventRow::Banned(ban) | EventRow::Unbanned { ban, .. } => ban.ip.to_string(),
        }
    }

    /// The address of the row, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            EventRow::Failure(e) => e.failure.ip,
            EventRow::Banned(ban) | EventRow::Unbanned { ban, .. } => Some(ban.ip),
        }
    }

    /// When it happened.
    pub fn time(&self) -> f64 {
        match self {
            EventRow::Failure(e) => e.failure.time,
            EventRow::Banned(ban) => ban.since,
            EventRow::Unbanned { time, .. } => *time,
        }
    }
}

/// A jail as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JailPanel {
    /// Settings (ignore list kept up to date with whitelisting).
    pub settings: JailSettings,
    /// Bans in force, oldest first.
    pub bans: Vec<Ban>,
    /// Failures seen.
    pub failures: u64,
    /// Bans made since the start.
    pub bans_total: u64,
    /// Failures per minute of log time: (minute, count), oldest first, for the longest period.
    pub rate: VecDeque<(i64, u64)>,
}

/// A write action waiting for the operator's confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// What will be done, in a few words.
    pub title: String,
    /// The command to send.
    pub command: Command,
    /// Exactly what will be written.
    pub plan: Vec<String>,
    /// Why this needs a second, separate confirmation (own or whitelisted address).
    pub danger: Option<String>,
    /// Whether the first confirmation was given and the danger is now shown.
    pub armed: bool,
    /// First plan line in view, when the plan is taller than the popup.
    pub scroll: u16,
}

/// Durations offered for a ban in bantop's own set, in seconds (`None`: permanent).
pub const MANUAL_BAN_TIMES: [(&str, Option<i64>); 4] = [
    ("10 minutes", Some(600)),
    ("1 hour", Some(3600)),
    ("1 day", Some(86_400)),
    ("permanently", None),
];

/// The kernel's firewall as the ban tables need it, made when it is read, not per frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KernelView {
    /// What it drops.
    pub index: DropIndex,
    /// Addresses it drops in fail2ban's sets and chains that no jail has banned.
    pub unknown: usize,
}

/// One way to ban, as offered by `b`.
#[derive(Debug, Clone, PartialEq)]
pub struct BanChoice {
    /// In words, e.g. `in jail sshd through fail2ban (bantime 10m)`, with `bantime.increment`
    /// `(bantime 40m as ban #3)`.
    pub label: String,
    /// What it does.
    pub command: Command,
}

/// An open popup.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// The key help.
    Help,
    /// Choosing how to ban `ip`.
    Ban {
        /// The address.
        ip: IpAddr,
        /// The ways to ban it.
        choices: Vec<BanChoice>,
        /// The highlighted one.
        selected: usize,
    },
    /// Confirming a write action.
    Confirm(Confirm),
    /// Typing the networks a port is restricted to.
    Restrict(RestrictForm),
    /// A restriction applied pending confirmation: kept on y, rolled back on n or at the
    /// deadline.
    KeepRestriction {
        /// The port.
        port: u16,
        /// Its protocol.
        proto: crate::model::port::Proto,
        /// When it is rolled back (epoch seconds, the wall clock).
        deadline: f64,
    },
}

/// The restrict popup's state.
#[derive(Debug, Clone, PartialEq)]
pub struct RestrictForm {
    /// The port.
    pub port: u16,
    /// Its protocol.
    pub proto: crate::model::port::Proto,
    /// The allowed networks as typed, separated by spaces or commas.
    pub allow: String,
    /// The platform's advice for this port.
    pub advice: String,
    /// Why the typed networks were refused, when they were.
    pub error: Option<String>,
}

/// The demo's replay state, as last reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayState {
    /// Time multiplier.
    pub speed: f64,
    /// Paused.
    pub paused: bool,
    /// Loops done.
    pub loops: u32,
}

/// The whole UI state.
#[derive(Debug, Clone)]
pub struct App {
    /// The current view.
    pub view: View,
    /// Jails in configuration order.
    pub jails: Vec<JailPanel>,
    /// Recent events, oldest first.
    pub events: History<EventRow>,
    /// Engine time (log time in the demo).
    pub now: f64,
    /// Zone times are shown in.
    pub zone: Zone,
    /// Selected event as an offset from the newest matching one; `None` follows new events.
    pub selected_event: Option<usize>,
    /// Filter text (jail name or address part).
    pub filter: String,
    /// Whether the filter is being typed.
    pub editing_filter: bool,
    /// Selected jail in the jails view.
    pub selected_jail: usize,
    /// Selected ban in that jail.
    pub selected_ban: usize,
    /// The open popup.
    pub popup: Option<Popup>,
    /// Last result or message: (ok, text).
    pub status: Option<(bool, String)>,
    /// The operator's own addresses.
    pub operators: Vec<IpAddr>,
    /// The whitelist drop-in as the engine last reported it.
    pub dropin: String,
    /// Why nothing can be changed (fail2ban not answering), when that is so.
    pub read_only: Option<String>,
    /// Log sources by jail and path, with their last state.
    pub sources: Vec<(String, String, String)>,
    /// The last write command sent, for undo.
    pub last_command: Option<Command>,
    /// The most recent actions (from the audit log, or the demo's own list), oldest first.
    pub recent_actions: Vec<crate::model::AuditEntry>,
    /// The operator's latest failure counts per jail: (count, maxretry, time).
    pub operator_counts: BTreeMap<(String, IpAddr), (u32, u32, f64)>,
    /// Lines skipped because they could not be read.
    pub unparsed: u64,
    /// The sources those lines came from.
    pub unparsed_sources: Vec<String>,
    /// The demo's replay state (`None` when live).
    pub replay: Option<ReplayState>,
    /// Actions against simulated backends (the demo).
    pub simulated: bool,
    /// The keymap.
    pub keymap: Keymap,
    /// Listening sockets, as last reported.
    pub ports: Vec<Port>,
    /// The checklist, as last reported.
    pub posture: Vec<CheckItem>,
    /// First row shown in the ports and posture views.
    pub list_scroll: usize,
    /// The kernel's firewall as last read (`None`: not read yet), or why it could not be.
    pub firewall: Option<Result<KernelView, String>>,
    /// The configuration as fail2ban reads it: skipped jails, warnings, where values come from.
    pub configuration: ConfigurationView,
    /// Whether the jails view shows where the selected jail's values come from.
    pub show_origins: bool,
    /// The period the events, the header and the dossier cover.
    pub period: super::period::Period,
    /// How far back the logs' history was read (infinity: not read).
    pub history_from: f64,
    /// A history reading the run loop should have made: (from, until).
    pub history_wanted: Option<(f64, f64)>,
    /// Whether the period was switched before the engine's first clock (the history is asked
    /// for then).
    pub history_on_clock: bool,
    /// The time of the oldest failure this session counted itself.
    pub session_from: Option<f64>,
    /// Where addresses are from (empty until the GeoIP files are read, or without any).
    pub geoip: std::sync::Arc<crate::geoip::GeoIp>,
    /// The open dossier, over the view.
    pub dossier: Option<super::dossier_pane::DossierPane>,
    /// An address whose history the run loop should have gathered (taken by it).
    pub dossier_wanted: Option<IpAddr>,
    /// Set when the user asked to quit.
    pub should_quit: bool,
    /// The wall clock when the last engine event came in (epoch seconds): what a pending
    /// restriction's countdown is read against.
    pub wall_clock: f64,
    /// Seconds a restriction applied here waits for its confirmation.
    pub restrict_rollback: u64,
    /// The hosts of a fleet, when the view holds several (`--hosts`).
    pub fleet: Option<super::fleet_view::FleetView>,
}

impl App {
    /// A fresh model for `jails`.
    pub fn new(
        jails: Vec<JailSettings>,
        keymap: Keymap,
        zone: Zone,
        operators: Vec<IpAddr>,
        simulated: bool,
    ) -> Self {
        let jails = jails
            .into_iter()
            .map(|settings| JailPanel {
                settings,
                bans: Vec::new(),
                failures: 0,
                bans_total: 0,
                rate: VecDeque::new(),
            })
            .collect();
        App {
            view: View::Events,
            jails,
            events: History::new(HISTORY),
            now: 0.0,
            zone,
            selected_event: None,
            filter: String::new(),
            editing_filter: false,
            selected_jail: 0,
            selected_ban: 0,
            popup: None,
            status: None,
            operators,
            dropin: String::new(),
            read_only: None,
            sources: Vec::new(),
            operator_counts: BTreeMap::new(),
            recent_actions: Vec::new(),
            last_command: None,
            unparsed: 0,
            unparsed_sources: Vec::new(),
            replay: None,
            simulated,
            keymap,
            ports: Vec::new(),
            posture: Vec::new(),
            firewall: None,
            list_scroll: 0,
            configuration: ConfigurationView::default(),
            show_origins: false,
            period: super::period::Period::Hour,
            history_from: f64::INFINITY,
            history_wanted: None,
            history_on_clock: false,
            session_from: None,
            geoip: std::sync::Arc::default(),
            dossier: None,
            dossier_wanted: None,
            should_quit: false,
            wall_clock: 0.0,
            restrict_rollback: crate::model::restriction::DEFAULT_ROLLBACK,
            fleet: None,
        }
    }

    /// The panel of a jail.
    pub fn jail(&self, name: &str) -> Option<&JailPanel> {
        self.jails.iter().find(|j| j.settings.name == name)
    }

    /// The bans of `ip` fail2ban counts for a new ban in the jail of `settings`, as far as this
    /// session saw them: the count of its latest ban in the jail (in every fail2ban jail with
    /// `bantime.overalljails`), none after the operator unbanned it there.
    pub fn earlier_bans(&self, settings: &JailSettings, ip: IpAddr) -> u32 {
        self.jails
            .iter()
            .filter(|panel| {
                if settings.counts_bans_of_all_jails() {
                    panel.settings.place() != BanPlace::OwnSet
                } else {
                    panel.settings.name == settings.name
                }
            })
            .map(|panel| self.latest_ban_count(panel, ip))
            .sum()
    }

    /// The count of the latest ban of `ip` in `panel`'s jail: the ban in force, else the newest
    /// row about it (an operator's unban resets it, as fail2ban does).
    fn latest_ban_count(&self, panel: &JailPanel, ip: IpAddr) -> u32 {
        if let Some(ban) = panel.bans.iter().find(|ban| ban.ip == ip) {
            return ban.count;
        }
        let jail = panel.settings.name.as_str();
        self.events
            .iter()
            .rev()
            .find_map(|row| match row {
                EventRow::Banned(ban) if ban.jail == jail && ban.ip == ip => Some(ban.count),
                EventRow::Unbanned { ban, reason, .. }
                    if ban.jail == jail && ban.ip == ip && reason == UNBANNED_BY_OPERATOR =>
                {
                    Some(0)
                }
                _ => None,
            })
            .unwrap_or(0)
    }

    fn jail_mut(&mut self, name: &str) -> Option<&mut JailPanel> {
        self.jails.iter_mut().find(|j| j.settings.name == name)
    }

    /// Whether a row passes the filter.
    pub fn matches_filter(&self, row: &EventRow) -> bool {
        self.filter.is_empty()
            || row.jail().contains(self.filter.as_str())
            || row.host().contains(self.filter.as_str())
    }

    /// Rows that pass the filter, oldest first.
    pub fn visible_events(&self) -> Vec<&EventRow> {
        self.events
            .iter()
            .filter(|row| self.in_period(row) && self.matches_filter(row))
            .collect()
    }

    /// The selected row of the events view (the newest when following).
    pub fn selected_row(&self) -> Option<&EventRow> {
        let visible = self.visible_events();
        let offset = self.selected_event.unwrap_or(0);
        visible
            .len()
            .checked_sub(offset + 1)
            .and_then(|i| visible.get(i).copied())
    }

    /// The selected ban of the jails view.
    pub fn selected_ban(&self) -> Option<&Ban> {
        self.jails
            .get(self.selected_jail)
            .and_then(|j| j.bans.get(self.selected_ban))
    }

    /// Jails where `ip` is banned now.
    pub fn banned_in(&self, ip: IpAddr) -> Vec<String> {
        self.jails
            .iter()
            .filter(|j| j.bans.iter().any(|b| b.ip == ip))
            .map(|j| j.settings.name.clone())
            .collect()
    }

    /// One of the operator's addresses that is banned, or close to `maxretry` within its jail's
    /// `findtime`, with what is wrong.
    pub fn operator_alert(&self) -> Option<(IpAddr, String)> {
        for ip in &self.operators {
            let banned = self.banned_in(*ip);
            if !banned.is_empty() {
                return Some((*ip, format!("banned in {}", banned.join(", "))));
            }
        }
        self.operator_counts
            .iter()
            .find_map(|((jail, ip), (count, maxretry, time))| {
                let findtime = self.jail(jail).map_or(0.0, |j| j.settings.findtime as f64);
                let close = u64::from(*count) * 5 >= u64::from(*maxretry) * 4
                    && *time >= self.now - findtime;
                close.then(|| (*ip, format!("{count} of {maxretry} failures in {jail}")))
            })
    }

    /// The jails fail2ban runs (all but bantop's own manual set).
    pub fn fail2ban_jails(&self) -> Vec<String> {
        self.jails
            .iter()
            .filter(|j| j.settings.place() != crate::model::BanPlace::OwnSet)
            .map(|j| j.settings.name.clone())
            .collect()
    }

    /// Whether `ip` is one of the operator's addresses.
    pub fn is_operator(&self, ip: IpAddr) -> bool {
        self.operators.contains(&ip)
    }

    /// Jails whose ignore list covers `ip`.
    pub fn whitelisted_in(&self, ip: IpAddr) -> Vec<String> {
        self.jails
            .iter()
            .filter(|j| j.settings.ignores(ip))
            .map(|j| j.settings.name.clone())
            .collect()
    }

    /// Takes in one engine event.
    pub fn apply(&mut self, event: EngineEvent) {
        self.wall_clock = crate::engine::clock::now_epoch();
        self.expire_keep_popup();
        match event {
            EngineEvent::RestrictionPending {
                port,
                proto,
                deadline,
            } => {
                self.popup = Some(Popup::KeepRestriction {
                    port,
                    proto,
                    deadline,
                });
            }
            EngineEvent::Clock(now) => {
                self.now = now;
                if self.history_on_clock {
                    self.ask_for_history();
                }
            }
            EngineEvent::Dossier(dossier) => self.take_dossier(dossier),
            EngineEvent::PeriodHistory(history) => self.take_history(*history),
            EngineEvent::Log(log) => {
                if let (Some(ip), crate::model::EventKind::Counted { count, maxretry }) =
                    (log.failure.ip, &log.kind)
                    && self.operators.contains(&ip)
                {
                    self.operator_counts.insert(
                        (log.failure.jail.clone(), ip),
                        (*count, *maxretry, log.failure.time),
                    );
                }
                let time = log.failure.time;
                self.session_from = Some(self.session_from.map_or(time, |t| t.min(time)));
                let minute = (time / 60.0).floor() as i64;
                if let Some(panel) = self.jail_mut(&log.failure.jail) {
                    panel.failures += 1;
                    match panel.rate.back_mut() {
                        Some((last, count)) if *last == minute => *count += 1,
                        _ => panel.rate.push_back((minute, 1)),
                    }
                    let oldest = minute - super::period::KEPT_MINUTES;
                    while panel.rate.front().is_some_and(|(m, _)| *m < oldest) {
                        panel.rate.pop_front();
                    }
                }
                self.push_row(EventRow::Failure(log));
            }
            EngineEvent::Banned(ban) => {
                if let Some(panel) = self.jail_mut(&ban.jail) {
                    panel.bans.retain(|b| b.ip != ban.ip);
                    panel.bans.push(ban.clone());
                    panel.bans_total += 1;
                }
                self.push_row(EventRow::Banned(ban));
            }
            EngineEvent::Unbanned { ban, reason } => {
                if let Some(panel) = self.jail_mut(&ban.jail) {
                    panel.bans.retain(|b| b.ip != ban.ip);
                }
                self.clamp_ban_selection();
                let time = self.now;
                self.push_row(EventRow::Unbanned { ban, reason, time });
            }
            EngineEvent::Whitelisted(entry) => {
                let nets =
                    crate::fail2ban::jail_conf::parse_ignoreip(&entry.entry).unwrap_or_default();
                if let Some(panel) = self
                    .jails
                    .iter_mut()
                    .find(|j| j.settings.name == entry.jail)
                {
                    for net in nets {
                        if !panel.settings.ignoreip.contains(&net) {
                            panel.settings.ignoreip.push(net);
                        }
                    }
                }
            }
            EngineEvent::ActionResult {
                ok,
                message,
                changed,
            } => {
                self.status = Some((ok, message));
                if !changed {
                    // Nothing was changed: there is nothing to undo.
                    self.last_command = None;
                }
            }
            EngineEvent::Connection { read_only } => self.read_only = read_only,
            EngineEvent::Configuration(view) => {
                let notes = &view.notes;
                if let Some(first) = notes.skipped.first() {
                    self.status = Some((
                        false,
                        format!(
                            "fail2ban skips {} jail(s): {} ({}); o in the jails view shows where values come from",
                            notes.skipped.len(),
                            first.name,
                            first.reason
                        ),
                    ));
                } else if !notes.warnings.is_empty() {
                    self.status = Some((
                        false,
                        format!(
                            "{} configuration warning(s): {}",
                            notes.warnings.len(),
                            notes.warnings[0]
                        ),
                    ));
                }
                self.configuration = view;
            }
            EngineEvent::Dropin(text) => self.dropin = text,
            EngineEvent::Unwhitelisted { entry, jails } => {
                let nets = crate::fail2ban::jail_conf::parse_ignoreip(&entry).unwrap_or_default();
                for panel in self
                    .jails
                    .iter_mut()
                    .filter(|j| jails.contains(&j.settings.name))
                {
                    panel.settings.ignoreip.retain(|net| !nets.contains(net));
                }
            }
            EngineEvent::Actions(actions) => self.recent_actions = actions,
            EngineEvent::Source { jail, path, status } => match self
                .sources
                .iter_mut()
                .find(|(j, p, _)| *j == jail && *p == path)
            {
                Some(source) => source.2 = status,
                None => self.sources.push((jail, path, status)),
            },
            EngineEvent::Ports(ports) => self.ports = ports,
            EngineEvent::Posture(items) => self.posture = items,
            EngineEvent::Replay {
                speed,
                paused,
                loops,
            } => {
                self.replay = Some(ReplayState {
                    speed,
                    paused,
                    loops,
                })
            }
            EngineEvent::Firewall(firewall) => {
                let banned: Vec<IpAddr> = self
                    .jails
                    .iter()
                    .flat_map(|j| &j.bans)
                    .map(|b| b.ip)
                    .collect();
                self.firewall = Some(firewall.map(|kernel| KernelView {
                    index: DropIndex::new(&kernel),
                    unknown: unknown_to_fail2ban(&kernel, &banned).len(),
                }));
            }
            EngineEvent::Host { host, change } => self.host_changed(&host, change),
            EngineEvent::JailsAdded(jails) => self.add_jails(jails),
            EngineEvent::Unparsed { source, count } => {
                self.unparsed += count;
                self.unparsed_sources.push(source);
            }
        }
    }

    fn push_row(&mut self, row: EventRow) {
        let visible = self.matches_filter(&row);
        if visible && let Some(offset) = self.selected_event.as_mut() {
            // Keep the selection on the same row while new ones arrive below it.
            *offset += 1;
        }
        self.events.push(row);
    }

    /// Whether the kernel drops `ip`; `None` when the firewall could not be (or was not yet)
    /// read.
    pub fn kernel_drops(&self, ip: IpAddr) -> Option<bool> {
        match &self.firewall {
            Some(Ok(view)) => Some(view.index.drops(ip)),
            _ => None,
        }
    }

    /// Keeps the ban selection inside the selected jail's table.
    pub fn clamp_ban_selection(&mut self) {
        let len = self
            .jails
            .get(self.selected_jail)
            .map_or(0, |j| j.bans.len());
        self.selected_ban = self.selected_ban.min(len.saturating_sub(1));
    }
}

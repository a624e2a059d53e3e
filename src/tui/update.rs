//! `App::update`: what each action does to the model, and the commands it sends to the engine.
//! Every write goes through a confirm popup that shows its plan; banning an operator's or a
//! whitelisted address needs a second, separate confirmation.

use super::action::Action;
use super::app::{App, BanChoice, Confirm, EventRow, MANUAL_BAN_TIMES, Popup, View};
use super::ban_time_text::outcome_text;
use super::keymap::Context;
use crate::engine::{Command, PlanContext};
use crate::fail2ban::duration::format_seconds;
use crate::model::{BanPlace, JailSettings};
use ipnet::IpNet;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::net::IpAddr;

/// Rows moved by page up / page down.
const PAGE: usize = 10;

impl App {
    /// The keymap contexts that apply now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.popup.is_some() {
            // On a fleet, `a` turns a confirmation into the same action on every host.
            let mut contexts = vec![Context::Popup];
            if self.fleet.is_some() {
                contexts.push(Context::Fleet);
            }
            return contexts;
        }
        let view = match self.view {
            _ if self.dossier.is_some() => Context::Dossier,
            View::Events => Context::Events,
            View::Jails => Context::Jails,
            View::Ports | View::Posture | View::Targets | View::Activity => Context::Lists,
        };
        let mut contexts = vec![view];
        if self.replay.is_some() {
            contexts.push(Context::Demo);
        }
        if self.fleet.is_some() {
            contexts.push(Context::Fleet);
        }
        contexts.push(Context::Global);
        contexts
    }

    /// Handles one terminal input: key presses through [`App::handle_key`], a paste only as
    /// text for the filter prompt. Returns commands for the engine.
    pub fn handle_event(&mut self, event: Event) -> Vec<Command> {
        match event {
            Event::Key(key) if key.kind == KeyEventKind::Press => self.handle_key(key),
            Event::Paste(text) => {
                self.paste(&text);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Pasted text is never keystrokes: a paste of "wy" must not whitelist, and a newline in
    /// it must not end the prompt and run the rest. In the filter prompt it is typed without
    /// its newlines and control characters; anywhere else it is ignored.
    fn paste(&mut self, text: &str) {
        if matches!(self.popup, Some(Popup::Restrict(_))) {
            self.paste_restrict(text);
            return;
        }
        if !self.editing_filter {
            return;
        }
        text.chars().for_each(|c| self.type_filter_char(c));
        self.selected_event = None;
    }

    /// Handles a key press: filter typing first, then the keymap. Returns commands for the engine.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Command> {
        // A result stays on screen until the next key.
        self.status = None;
        if self.editing_filter {
            self.type_filter(key);
            return Vec::new();
        }
        if matches!(self.popup, Some(Popup::Restrict(_))) {
            self.type_restrict(key);
            return Vec::new();
        }
        if self.popup == Some(Popup::Help) {
            self.popup = None;
            return Vec::new();
        }
        match self.keymap.action(key, &self.contexts()) {
            Some(action) => self.update(action),
            None => Vec::new(),
        }
    }

    fn type_filter(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.editing_filter = false,
            KeyCode::Esc => {
                self.editing_filter = false;
                self.filter.clear();
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.type_filter_char(c)
            }
            _ => {}
        }
        self.selected_event = None;
    }

    /// One character into the filter, typed or pasted: no control characters, 64 bytes at most.
    fn type_filter_char(&mut self, c: char) {
        if !c.is_control() && self.filter.len() < 64 {
            self.filter.push(c);
        }
    }

    /// Applies one action; returns the commands to send to the engine.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        if self.popup.is_some() {
            return self.update_popup(action);
        }
        if self.dossier.is_some() && self.update_dossier(action) {
            return Vec::new();
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::NextView => {
                self.view = self.view.next();
                self.list_scroll = 0;
            }
            Action::Help => self.popup = Some(Popup::Help),
            Action::Filter => {
                self.editing_filter = true;
                self.filter.clear();
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Follow => self.move_selection(action),
            Action::NextJail | Action::PrevJail => {
                let len = self.jails.len().max(1);
                self.selected_jail = if action == Action::NextJail {
                    (self.selected_jail + 1) % len
                } else {
                    (self.selected_jail + len - 1) % len
                };
                self.selected_ban = 0;
            }
            Action::Origins => self.show_origins = !self.show_origins,
            Action::Period => self.next_period(),
            Action::Inspect if self.fleet.is_some() => {
                self.status = Some((
                    false,
                    "on a fleet, an address's dossier is read on its host: bantop inspect ADDR there"
                        .to_string(),
                ));
            }
            Action::Inspect => match self.target_ip() {
                Some(ip) => self.open_dossier(ip),
                None => self.status = Some((false, "select an address first".to_string())),
            },
            Action::Unban | Action::Whitelist | Action::Ban | Action::Rescue
                if self.read_only.is_some() =>
            {
                let why = self.read_only.clone().unwrap_or_default();
                self.status = Some((false, format!("read-only: {why}")));
            }
            Action::Restrict | Action::Unrestrict if self.view != View::Ports => {
                self.status = Some((false, "x and X act on the ports view".to_string()));
            }
            Action::Restrict => self.ask_restrict(),
            Action::Unrestrict => self.ask_unrestrict(),
            Action::Rescue => self.ask_rescue(),
            Action::Undo => self.ask_undo(),
            Action::Unban => self.ask_unban(),
            Action::Whitelist => self.ask_whitelist(),
            Action::Ban => self.ask_ban(),
            Action::Pause => return vec![Command::TogglePause],
            Action::Faster => return vec![Command::Faster],
            Action::Slower => return vec![Command::Slower],
            Action::NextHost => self.next_host_filter(),
            Action::Confirm | Action::Cancel | Action::Close | Action::EveryHost => {}
        }
        Vec::new()
    }

    /// An action on the open dossier: closing and scrolling it. False for the others (the
    /// write keys act on the dossier's address, the view switch leaves it open).
    fn update_dossier(&mut self, action: Action) -> bool {
        let Some(pane) = self.dossier.as_mut() else {
            return false;
        };
        pane.scroll = match action {
            Action::Close | Action::Cancel => {
                self.dossier = None;
                return true;
            }
            Action::Up => pane.scroll.saturating_sub(1),
            Action::Down => pane.scroll + 1,
            Action::PageUp => pane.scroll.saturating_sub(PAGE),
            Action::PageDown => pane.scroll + PAGE,
            Action::Top => 0,
            _ => return false,
        };
        true
    }

    fn update_popup(&mut self, action: Action) -> Vec<Command> {
        let Some(popup) = self.popup.take() else {
            return Vec::new();
        };
        match (popup, action) {
            (popup @ Popup::KeepRestriction { .. }, Action::Confirm | Action::Cancel) => {
                self.popup = Some(popup);
                return self.answer_keep(action == Action::Confirm);
            }
            (_, Action::Cancel) => {
                self.status = Some((true, "cancelled, nothing written".to_string()))
            }
            (
                Popup::Ban {
                    ip,
                    choices,
                    selected,
                },
                Action::Up,
            ) => {
                self.popup = Some(Popup::Ban {
                    ip,
                    choices,
                    selected: selected.saturating_sub(1),
                })
            }
            (
                Popup::Ban {
                    ip,
                    choices,
                    selected,
                },
                Action::Down,
            ) => {
                let selected = (selected + 1).min(choices.len().saturating_sub(1));
                self.popup = Some(Popup::Ban {
                    ip,
                    choices,
                    selected,
                })
            }
            (
                Popup::Ban {
                    ip,
                    mut choices,
                    selected,
                },
                Action::Confirm,
            ) if selected < choices.len() => {
                let choice = choices.swap_remove(selected);
                let danger = self.ban_danger(ip);
                self.open_confirm(format!("Ban {ip} {}", choice.label), choice.command, danger);
            }
            (Popup::Confirm(confirm), Action::Up) => {
                self.popup = Some(Popup::Confirm(Confirm {
                    scroll: confirm.scroll.saturating_sub(1),
                    ..confirm
                }))
            }
            (Popup::Confirm(confirm), Action::Down) => {
                let last = confirm.plan.len().saturating_sub(1) as u16;
                self.popup = Some(Popup::Confirm(Confirm {
                    scroll: (confirm.scroll + 1).min(last),
                    ..confirm
                }));
            }
            (popup @ Popup::Confirm(_), Action::EveryHost) => {
                self.popup = Some(popup);
                self.toggle_every_host();
            }
            (Popup::Confirm(confirm), Action::Confirm)
                if confirm.danger.is_some() && !confirm.armed =>
            {
                self.popup = Some(Popup::Confirm(Confirm {
                    armed: true,
                    ..confirm
                }));
            }
            (Popup::Confirm(confirm), Action::Confirm) => {
                self.status = Some((true, format!("sent: {}", confirm.title)));
                self.last_command = Some(confirm.command.clone());
                return vec![confirm.command];
            }
            (popup, _) => self.popup = Some(popup),
        }
        Vec::new()
    }

    fn move_selection(&mut self, action: Action) {
        match self.view {
            View::Events => {
                let last = self.visible_events().len().saturating_sub(1);
                let offset = self.selected_event.unwrap_or(0);
                let offset = match action {
                    Action::Up => offset + 1,
                    Action::Down => offset.saturating_sub(1),
                    Action::PageUp => offset + PAGE,
                    Action::PageDown => offset.saturating_sub(PAGE),
                    Action::Top => last,
                    _ => 0,
                };
                // Offset 0 is the newest row: being there means following new rows.
                self.selected_event = Some(offset.min(last)).filter(|offset| *offset > 0);
            }
            View::Ports | View::Posture | View::Targets | View::Activity => {
                let len = match self.view {
                    View::Ports => self.ports.len(),
                    View::Posture => self.posture.len(),
                    _ => super::views::targets::ROWS_MAX,
                };
                self.list_scroll = match action {
                    Action::Up => self.list_scroll.saturating_sub(1),
                    Action::Down => self.list_scroll + 1,
                    Action::PageUp => self.list_scroll.saturating_sub(PAGE),
                    Action::PageDown => self.list_scroll + PAGE,
                    _ => 0,
                }
                .min(len.saturating_sub(1));
            }
            View::Jails => {
                let len = self
                    .jails
                    .get(self.selected_jail)
                    .map_or(0, |j| j.bans.len());
                self.selected_ban = match action {
                    Action::Up => self.selected_ban.saturating_sub(1),
                    Action::Down => self.selected_ban + 1,
                    Action::PageUp => self.selected_ban.saturating_sub(PAGE),
                    Action::PageDown => self.selected_ban + PAGE,
                    Action::Top => 0,
                    _ => len,
                };
                self.selected_ban = self.selected_ban.min(len.saturating_sub(1));
            }
        }
    }

    /// The address the write keys act on: the selected ban, the selected event's address, or in
    /// the posture view the operator's own (its fix is to whitelist it).
    fn target_ip(&self) -> Option<IpAddr> {
        if let Some(pane) = &self.dossier {
            return Some(pane.address);
        }
        match self.view {
            View::Jails => self.selected_ban().map(|b| b.ip),
            View::Events => self.selected_row().and_then(EventRow::ip),
            View::Posture => self.operators.first().copied(),
            View::Ports | View::Targets | View::Activity => None,
        }
    }

    /// The time a ban of `ip` through fail2ban would get in the jail of `settings`, e.g.
    /// `bantime 10m`, or with `bantime.increment` `bantime 40m as ban #3`.
    fn jail_ban_time_text(&self, settings: &JailSettings, ip: IpAddr) -> String {
        if settings.ban_increment.is_none() {
            return format!("bantime {}", format_seconds(settings.bantime));
        }
        let earlier_bans = self.earlier_bans(settings, ip);
        format!(
            "bantime {} as ban #{}",
            outcome_text(&settings.ban_seconds(earlier_bans)),
            earlier_bans.saturating_add(1)
        )
    }

    /// Offers the ways to ban the selected address: in its jail through fail2ban, and (in the
    /// demo, until bantop has its own nftables set on real servers) in bantop's set for a time.
    fn ask_ban(&mut self) {
        let Some(ip) = self.target_ip() else {
            self.status = Some((false, "select an address to ban first".to_string()));
            return;
        };
        let jail = match self.view {
            // In the dossier: the jail of the address's newest failure.
            _ if self.dossier.is_some() => self
                .events
                .iter()
                .rev()
                .find(|row| row.ip() == Some(ip))
                .map(|row| row.jail().to_string()),
            View::Events => self.selected_row().map(|row| row.jail().to_string()),
            _ => self
                .jails
                .get(self.selected_jail)
                .map(|j| j.settings.name.clone()),
        };
        let mut choices: Vec<BanChoice> = self
            .jails
            .iter()
            .filter(|j| {
                Some(&j.settings.name) == jail.as_ref() && j.settings.place() != BanPlace::OwnSet
            })
            .map(|j| BanChoice {
                label: format!(
                    "in jail {} through fail2ban ({})",
                    j.settings.name,
                    self.jail_ban_time_text(&j.settings, ip)
                ),
                command: Command::JailBan {
                    jail: j.settings.name.clone(),
                    ip,
                },
            })
            .collect();
        if self
            .jails
            .iter()
            .any(|j| j.settings.place() == BanPlace::OwnSet)
        {
            choices.extend(MANUAL_BAN_TIMES.iter().map(|(label, seconds)| BanChoice {
                label: format!("in bantop's firewall set, {label}"),
                command: Command::Ban {
                    target: ip.into(),
                    seconds: *seconds,
                },
            }));
        }
        self.popup = Some(Popup::Ban {
            ip,
            choices,
            selected: 0,
        });
    }

    /// Offers the inverse of the last action, with its own confirmation.
    fn ask_undo(&mut self) {
        let Some(last) = self.last_command.clone() else {
            self.status = Some((false, "nothing to undo".to_string()));
            return;
        };
        let Some(inverse) = last.undo() else {
            self.status = Some((false, "the last action cannot be undone".to_string()));
            return;
        };
        let danger = match &inverse {
            Command::JailBan { ip, .. } => self.ban_danger(*ip),
            Command::Ban { target, .. } => self.ban_danger(target.addr()),
            _ => None,
        };
        self.open_confirm("Undo the last action".to_string(), inverse, danger);
    }

    /// Unban and whitelist the operator's address that is in trouble (or the first one).
    fn ask_rescue(&mut self) {
        let Some(ip) = self
            .operator_alert()
            .map(|(ip, _)| ip)
            .or_else(|| self.operators.first().copied())
        else {
            self.status = Some((
                false,
                "no address of yours is known (no SSH session)".to_string(),
            ));
            return;
        };
        let jails = self.fail2ban_jails();
        let comment = format!(
            "operator's own address, rescued {}",
            super::views::format_time(self.now, self.zone)
        );
        self.open_confirm(
            format!("Rescue {ip}: unban everywhere, whitelist in every jail"),
            Command::Rescue { ip, jails, comment },
            None,
        );
    }

    fn ask_unban(&mut self) {
        let target = match self.view {
            // In the dossier: its address, in the first jail that bans it.
            _ if self.dossier.is_some() => self.target_ip().and_then(|ip| {
                let jail = self.banned_in(ip).into_iter().next()?;
                let place = self.jail(&jail).map(|j| j.settings.place())?;
                Some((ip, place))
            }),
            View::Jails => {
                let place = self
                    .jails
                    .get(self.selected_jail)
                    .map(|j| j.settings.place());
                self.selected_ban().map(|b| b.ip).zip(place)
            }
            View::Ports | View::Posture | View::Targets | View::Activity => None,
            View::Events => self.selected_row().and_then(|row| {
                let ip = row.ip()?;
                let jail = self
                    .banned_in(ip)
                    .into_iter()
                    .find(|j| j == row.jail())
                    .or_else(|| self.banned_in(ip).into_iter().next())?;
                let place = self.jail(&jail).map(|j| j.settings.place())?;
                Some((ip, place))
            }),
        };
        match target {
            Some((ip, place)) => {
                let title = match &place {
                    BanPlace::OwnSet => format!("Unban {ip} (bantop's set)"),
                    BanPlace::Jail(jail) => format!("Unban {ip} in {jail}"),
                };
                let target = ip.into();
                self.open_confirm(title, Command::Unban { place, target }, None);
            }
            None => self.status = Some((false, "the selected address is not banned".to_string())),
        }
    }

    fn ask_whitelist(&mut self) {
        let Some(ip) = self.target_ip() else {
            self.status = Some((false, "select an address to whitelist first".to_string()));
            return;
        };
        let jails = self.fail2ban_jails();
        let who = if self.is_operator(ip) {
            "operator's own address"
        } else {
            "whitelisted by the operator"
        };
        let comment = format!("{who}, {}", super::views::format_time(self.now, self.zone));
        let command = Command::Whitelist {
            entry: IpNet::from(ip),
            jails,
            comment,
        };
        self.open_confirm(format!("Whitelist {ip} in every jail"), command, None);
    }

    /// Why banning `ip` needs a separate confirmation, if it does: the one refusal policy of
    /// every path, on the whitelists the TUI shows.
    /// Nothing waits here (the UI task): host names count as the resolver has answered for
    /// them already, and what is still undecided (a name without an answer, an
    /// `ignorecommand`) asks for the second confirmation.
    fn ban_danger(&self, ip: IpAddr) -> Option<String> {
        use crate::engine::refusal::{Whitelists, ban_danger};
        let settings: Vec<_> = self.jails.iter().map(|j| j.settings.clone()).collect();
        let mut whitelists = Whitelists::of_jails(&settings, &[]);
        whitelists.settle_from_cache();
        ban_danger(IpNet::from(ip), &self.operators, &whitelists)
    }

    pub(super) fn open_confirm(&mut self, title: String, command: Command, danger: Option<String>) {
        if self.fleet.is_some() {
            return self.open_fleet_confirm(title, command, danger);
        }
        let ip = match &command {
            Command::Unban { target, .. } | Command::Ban { target, .. } => Some(target.addr()),
            Command::UnbanEverywhere { ip } => Some(*ip),
            Command::Whitelist { entry, .. } => Some(entry.addr()),
            Command::Rescue { ip, .. } => Some(*ip),
            Command::Unwhitelist { entry, .. } => Some(entry.addr()),
            _ => None,
        };
        // The jails fail2ban would unban it in: bantop's set is not one of them.
        let jails = self.fail2ban_jails();
        let banned_in: Vec<String> = ip
            .map(|ip| self.banned_in(ip))
            .unwrap_or_default()
            .into_iter()
            .filter(|jail| jails.contains(jail))
            .collect();
        let plan = command.plan(PlanContext {
            simulated: self.simulated,
            dropin: &self.dropin,
            banned_in: &banned_in,
        });
        self.popup = Some(Popup::Confirm(Confirm {
            title,
            command,
            plan,
            danger,
            armed: false,
            scroll: 0,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fail2ban::date::Zone;
    use crate::fail2ban::jail_conf::parse_ignoreip;
    use crate::model::ban_increment::BanIncrement;
    use crate::model::event::UNBANNED_BY_OPERATOR;
    use crate::model::{Ban, BanOrigin, EngineEvent, EventKind, Failure, JailSettings, LogEvent};
    use crate::tui::keymap::Keymap;

    fn settings(name: &str) -> JailSettings {
        JailSettings {
            name: name.into(),
            filter: name.into(),
            maxretry: 5,
            findtime: 600,
            bantime: 600,
            ignoreip: parse_ignoreip("127.0.0.1/8 192.0.2.0/24").unwrap_or_default(),
            ignore_names: Vec::new(),
            logpath: vec![],
            backend: "auto".into(),
            action: String::new(),
            port: String::new(),
            ignoreself: true,
            ignorecommand: None,
            ban_increment: None,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn app() -> App {
        let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
        App::new(
            vec![
                settings("sshd"),
                crate::engine::manual_bans::jail_settings(),
            ],
            keymap,
            Zone::utc(),
            vec![ip("192.0.2.10")],
            true,
        )
    }

    fn ban(address: &str) -> Ban {
        Ban {
            jail: "sshd".into(),
            ip: ip(address),
            since: 100.0,
            until: Some(700.0),
            count: 1,
            failures: 5,
            evidence: vec!["line".into()],
            origin: BanOrigin::Jail,
            length_caveat: None,
        }
    }

    fn failure(address: &str, count: u32) -> EngineEvent {
        let failure = Failure {
            jail: "sshd".into(),
            host: address.into(),
            ip: Some(ip(address)),
            time: 90.0,
            fid: 0,
            captures: Default::default(),
            line: "x".into(),
        };
        EngineEvent::Log(LogEvent {
            failure,
            kind: EventKind::Counted { count, maxretry: 5 },
            summary: "SSH".into(),
        })
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn failure_at(address: &str, time: f64) -> LogEvent {
        match failure(address, 1) {
            EngineEvent::Log(mut log) => {
                log.failure.time = time;
                log
            }
            _ => unreachable!("failure() makes a Log"),
        }
    }

    #[test]
    fn the_period_hides_older_events_and_a_reading_of_history_counts_nothing_twice() {
        let mut app = app();
        let now = 100.0 * 86_400.0;
        app.apply(EngineEvent::Clock(now));
        app.apply(EngineEvent::Log(failure_at("198.51.100.1", now - 7200.0)));
        app.apply(EngineEvent::Log(failure_at("198.51.100.2", now - 60.0)));
        assert_eq!(app.visible_events().len(), 1, "the last hour");
        app.update(Action::Period);
        assert_eq!(app.visible_events().len(), 2, "the last day");
        // The day is asked for up to where the session's own failures begin.
        let asked = app.history_wanted.take();
        assert_eq!(asked, Some((now - 86_400.0, now - 7200.0)));
        app.update(Action::Period);
        assert_eq!(
            app.history_wanted.take(),
            Some((now - 7.0 * 86_400.0, now - 86_400.0)),
            "a second switch asks only for what is older"
        );
        app.apply(EngineEvent::PeriodHistory(Box::new(
            crate::model::period::PeriodHistory {
                since: now - 86_400.0,
                until: now - 7200.0,
                minutes: vec![("sshd".into(), vec![((now as i64 - 36_000) / 60, 3)])],
                events: vec![failure_at("203.0.113.9", now - 36_000.0)],
                problems: Vec::new(),
            },
        )));
        let start = app.period_start();
        assert_eq!(App::failures_in_period(&app.jails[0].rate, start), 5);
        let rows: Vec<String> = app.visible_events().iter().map(|r| r.host()).collect();
        assert_eq!(rows, ["203.0.113.9", "198.51.100.1", "198.51.100.2"]);
        // 30 days asks for the rest; round to the hour and the day: nothing more is asked.
        app.update(Action::Period);
        assert_eq!(
            app.history_wanted.take(),
            Some((now - 30.0 * 86_400.0, now - 7.0 * 86_400.0))
        );
        app.update(Action::Period);
        app.update(Action::Period);
        assert_eq!(app.history_wanted, None);
    }

    #[test]
    fn a_period_switched_before_the_engines_clock_is_read_at_its_first_tick() {
        let mut app = app();
        app.update(Action::Period);
        assert_eq!(app.history_wanted, None, "no start without a clock");
        let now = 100.0 * 86_400.0;
        app.apply(EngineEvent::Clock(now));
        assert_eq!(app.history_wanted, Some((now - 86_400.0, now)));
        app.history_wanted = None;
        app.apply(EngineEvent::Clock(now + 1.0));
        assert_eq!(app.history_wanted, None, "asked once");
    }

    #[test]
    fn apply_keeps_ban_tables_and_counters() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 4));
        app.apply(EngineEvent::Banned(ban("198.51.100.7")));
        assert_eq!(app.jails[0].bans.len(), 1);
        assert_eq!((app.jails[0].failures, app.jails[0].bans_total), (1, 1));
        assert_eq!(app.events.len(), 2);
        app.apply(EngineEvent::Unbanned {
            ban: ban("198.51.100.7"),
            reason: "expired".into(),
        });
        assert!(app.jails[0].bans.is_empty());
        assert!(
            matches!(app.events.iter().last(), Some(EventRow::Unbanned { reason, .. }) if reason == "expired")
        );
    }

    #[test]
    fn unban_is_sent_only_after_confirmation() {
        let mut app = app();
        app.apply(EngineEvent::Banned(ban("198.51.100.7")));
        app.update(Action::NextView);
        assert!(app.handle_key(key('u')).is_empty());
        match &app.popup {
            Some(Popup::Confirm(confirm)) => assert!(
                confirm
                    .plan
                    .contains(&"fail2ban: set sshd unbanip 198.51.100.7".to_string())
            ),
            other => panic!("expected a confirmation, got {other:?}"),
        }
        let sent = app.handle_key(key('y'));
        assert_eq!(
            sent,
            vec![Command::Unban {
                place: BanPlace::Jail("sshd".into()),
                target: ip("198.51.100.7").into()
            }]
        );
        assert!(app.popup.is_none());
    }

    #[test]
    fn the_kernel_view_marks_unenforced_bans_and_counts_unknown_drops() {
        use crate::model::firewall::{KernelElement, KernelFirewall, KernelSet};
        let mut app = app();
        app.apply(EngineEvent::Banned(ban("198.51.100.7")));
        app.apply(EngineEvent::Banned(ban("198.51.100.8")));
        assert_eq!(app.kernel_drops(ip("198.51.100.7")), None, "not read yet");
        let element = |text: &str| KernelElement {
            net: text.parse().unwrap_or_else(|_| panic!("{text}")),
            expires_in: None,
        };
        let kernel = KernelFirewall {
            sets: vec![KernelSet {
                family: "inet".into(),
                table: "f2b-table".into(),
                name: "addr-set-sshd".into(),
                elements: vec![element("198.51.100.7/32"), element("203.0.113.0/24")],
                dropped_by: vec!["f2b-chain".into()],
            }],
            chain_drops: Vec::new(),
        };
        app.apply(EngineEvent::Firewall(Ok(kernel)));
        assert_eq!(app.kernel_drops(ip("198.51.100.7")), Some(true));
        assert_eq!(app.kernel_drops(ip("198.51.100.8")), Some(false));
        assert_eq!(app.kernel_drops(ip("203.0.113.9")), Some(true));
        assert_eq!(
            app.firewall
                .as_ref()
                .and_then(|f| f.as_ref().ok())
                .map(|v| v.unknown),
            Some(1)
        );
        app.apply(EngineEvent::Firewall(Err(
            "not read: permission denied".into()
        )));
        assert_eq!(app.kernel_drops(ip("198.51.100.7")), None);
    }

    #[test]
    fn cancel_sends_nothing() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 1));
        app.handle_key(key('w'));
        assert!(matches!(app.popup, Some(Popup::Confirm(_))));
        assert!(app.handle_key(key('n')).is_empty());
        assert!(app.popup.is_none());
    }

    #[test]
    fn banning_the_operator_needs_a_second_confirmation() {
        let mut app = app();
        app.apply(failure("192.0.2.10", 2));
        app.handle_key(key('b'));
        // The choices: in the row's jail through fail2ban, then bantop's set for a time.
        app.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        app.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert!(
            app.handle_key(key('y')).is_empty(),
            "the first y only arms the confirmation"
        );
        assert!(matches!(
            &app.popup,
            Some(Popup::Confirm(Confirm {
                armed: true,
                danger: Some(_),
                ..
            }))
        ));
        let sent = app.handle_key(key('y'));
        assert_eq!(
            sent,
            vec![Command::Ban {
                target: ip("192.0.2.10").into(),
                seconds: Some(3600)
            }]
        );
    }

    #[test]
    fn ban_offers_the_rows_jail_first_and_refuses_when_read_only() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 2));
        app.handle_key(key('b'));
        app.handle_key(key('y'));
        let sent = app.handle_key(key('y'));
        assert_eq!(
            sent,
            vec![Command::JailBan {
                jail: "sshd".into(),
                ip: ip("198.51.100.7")
            }]
        );
        app.apply(EngineEvent::Connection {
            read_only: Some("fail2ban is not running".into()),
        });
        app.handle_key(key('b'));
        assert!(app.popup.is_none());
        assert_eq!(
            app.status,
            Some((false, "read-only: fail2ban is not running".to_string()))
        );
    }

    /// The label of the first ban choice (the row's jail) for the selected event's address.
    fn jail_ban_label(app: &mut App) -> String {
        app.handle_key(key('b'));
        let label = match &app.popup {
            Some(Popup::Ban { choices, .. }) => choices.first().map(|c| c.label.clone()),
            _ => None,
        };
        app.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
        label.unwrap_or_default()
    }

    #[test]
    fn the_jail_ban_choice_says_the_time_this_address_would_get() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 2));
        assert_eq!(
            jail_ban_label(&mut app),
            "in jail sshd through fail2ban (bantime 10m)"
        );
        app.jails[0].settings.ban_increment = Some(BanIncrement {
            maxtime: Some(3600),
            ..BanIncrement::default()
        });
        assert_eq!(
            jail_ban_label(&mut app),
            "in jail sshd through fail2ban (bantime 10m as ban #1)"
        );
        let second = Ban {
            count: 2,
            ..ban("198.51.100.7")
        };
        app.apply(EngineEvent::Banned(second.clone()));
        app.apply(EngineEvent::Unbanned {
            ban: second.clone(),
            reason: "expired".into(),
        });
        app.apply(failure("198.51.100.7", 1));
        assert_eq!(
            jail_ban_label(&mut app),
            "in jail sshd through fail2ban (bantime 40m as ban #3)",
            "two earlier bans: the formula's count 2"
        );
        app.apply(EngineEvent::Banned(second.clone()));
        app.apply(EngineEvent::Unbanned {
            ban: second,
            reason: UNBANNED_BY_OPERATOR.into(),
        });
        app.apply(failure("198.51.100.7", 1));
        assert_eq!(
            jail_ban_label(&mut app),
            "in jail sshd through fail2ban (bantime 10m as ban #1)",
            "fail2ban forgets the bans of an address the operator unbanned"
        );
    }

    #[test]
    fn with_overalljails_the_jail_ban_choice_counts_the_other_jails_bans() {
        let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
        let overall = JailSettings {
            ban_increment: Some(BanIncrement {
                overalljails: true,
                rndtime: Some(60),
                ..BanIncrement::default()
            }),
            ..settings("sshd")
        };
        let mut app = App::new(
            vec![
                overall,
                settings("asterisk-wazo"),
                crate::engine::manual_bans::jail_settings(),
            ],
            keymap,
            Zone::utc(),
            vec![],
            true,
        );
        for jail in ["asterisk-wazo", crate::model::ban::OWN_SET_NAME] {
            app.apply(EngineEvent::Banned(Ban {
                jail: jail.into(),
                ..ban("198.51.100.7")
            }));
        }
        app.apply(failure("198.51.100.7", 1));
        assert_eq!(
            jail_ban_label(&mut app),
            "in jail sshd through fail2ban (bantime 20m + up to 1m as ban #2)",
            "the ban in asterisk-wazo counts, the one in bantop's own set does not"
        );
    }

    #[test]
    fn banning_a_whitelisted_address_is_dangerous_too() {
        let mut app = app();
        app.apply(failure("192.0.2.77", 1));
        app.handle_key(key('b'));
        app.handle_key(key('y'));
        assert!(
            matches!(&app.popup, Some(Popup::Confirm(Confirm { danger: Some(d), .. })) if d.contains("whitelisted in sshd"))
        );
    }

    #[test]
    fn the_tui_refuses_what_the_commands_refuse() {
        // The one refusal policy: loopback was refused by `bantop ban` but not by the TUI.
        let mut app = app();
        app.apply(failure("127.0.0.2", 1));
        app.handle_key(key('b'));
        app.handle_key(key('y'));
        assert!(
            matches!(&app.popup, Some(Popup::Confirm(Confirm { danger: Some(d), .. })) if d.contains("this machine itself"))
        );
    }

    #[test]
    fn the_filter_narrows_the_events_and_selection_follows() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 1));
        app.apply(failure("203.0.113.5", 1));
        app.handle_key(key('/'));
        for c in "203.".chars() {
            app.handle_key(key(c));
        }
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(app.visible_events().len(), 1);
        app.filter.clear();
        app.update(Action::Up);
        assert_eq!(
            app.selected_row().map(EventRow::host),
            Some("198.51.100.7".to_string())
        );
        app.apply(failure("203.0.113.9", 1));
        assert_eq!(
            app.selected_row().map(EventRow::host),
            Some("198.51.100.7".to_string()),
            "the selection stays put"
        );
        app.update(Action::Follow);
        assert_eq!(
            app.selected_row().map(EventRow::host),
            Some("203.0.113.9".to_string())
        );
    }

    #[test]
    fn a_whitelisted_address_then_needs_a_second_confirmation_to_ban() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 1));
        app.apply(EngineEvent::Whitelisted(crate::model::WhitelistEntry {
            jail: "sshd".into(),
            entry: "198.51.100.7".into(),
            comment: String::new(),
        }));
        app.handle_key(key('b'));
        app.handle_key(key('y'));
        assert!(matches!(
            &app.popup,
            Some(Popup::Confirm(Confirm {
                danger: Some(_),
                ..
            }))
        ));
    }

    #[test]
    fn an_operator_close_to_maxretry_gets_the_banner_and_r_rescues() {
        let mut app = app();
        app.apply(failure("192.0.2.10", 3));
        assert_eq!(app.operator_alert(), None, "3 of 5 is not yet close");
        app.apply(failure("192.0.2.10", 4));
        assert_eq!(
            app.operator_alert(),
            Some((ip("192.0.2.10"), "4 of 5 failures in sshd".to_string()))
        );
        app.handle_key(key('R'));
        let plan = match &app.popup {
            Some(Popup::Confirm(confirm)) => confirm.plan.clone(),
            other => panic!("expected a confirmation, got {other:?}"),
        };
        assert!(
            plan.contains(&"fail2ban: unban 192.0.2.10  (every jail and its database)".to_string()),
            "{plan:#?}"
        );
        assert!(
            plan.contains(&"fail2ban: set sshd addignoreip 192.0.2.10".to_string()),
            "{plan:#?}"
        );
        assert!(
            matches!(app.handle_key(key('y')).as_slice(), [Command::Rescue { ip: rescued, .. }] if *rescued == ip("192.0.2.10"))
        );
        app.apply(EngineEvent::Banned(Ban {
            ip: ip("192.0.2.10"),
            ..ban("192.0.2.10")
        }));
        assert_eq!(
            app.operator_alert().map(|(_, why)| why),
            Some("banned in sshd".to_string())
        );
    }

    #[test]
    fn z_undoes_the_last_action_after_its_own_confirmation() {
        let mut app = app();
        assert!(app.handle_key(key('z')).is_empty());
        assert_eq!(app.status, Some((false, "nothing to undo".to_string())));
        app.apply(EngineEvent::Banned(ban("198.51.100.7")));
        app.update(Action::NextView);
        app.handle_key(key('u'));
        app.handle_key(key('y'));
        app.handle_key(key('z'));
        assert!(matches!(
            &app.popup,
            Some(Popup::Confirm(Confirm {
                command: Command::JailBan { .. },
                ..
            }))
        ));
        let sent = app.handle_key(key('y'));
        assert_eq!(
            sent,
            vec![Command::JailBan {
                jail: "sshd".into(),
                ip: ip("198.51.100.7")
            }]
        );
        app.handle_key(key('z'));
        assert!(
            matches!(
                &app.popup,
                Some(Popup::Confirm(Confirm {
                    command: Command::Unban { .. },
                    ..
                }))
            ),
            "an undo can be undone"
        );
    }

    #[test]
    fn a_jail_named_manual_is_a_jail_and_bantop_s_set_is_told_by_what_it_is() {
        // The own set was a magic jail name: a real jail called `manual` was unbanned in
        // bantop's set instead of through fail2ban.
        let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
        let mut app = App::new(
            vec![
                settings("manual"),
                crate::engine::manual_bans::jail_settings(),
            ],
            keymap,
            Zone::utc(),
            vec![],
            true,
        );
        app.apply(EngineEvent::Banned(Ban {
            jail: "manual".into(),
            ..ban("198.51.100.7")
        }));
        app.update(Action::NextView);
        app.handle_key(key('u'));
        let sent = app.handle_key(key('y'));
        assert_eq!(
            sent,
            vec![Command::Unban {
                place: BanPlace::Jail("manual".into()),
                target: ip("198.51.100.7").into()
            }]
        );
    }

    #[test]
    fn an_action_that_changed_nothing_has_no_undo() {
        let mut app = app();
        app.apply(EngineEvent::Banned(ban("198.51.100.7")));
        app.update(Action::NextView);
        app.handle_key(key('u'));
        app.handle_key(key('y'));
        assert!(app.last_command.is_some());
        app.apply(EngineEvent::ActionResult {
            ok: true,
            message: "198.51.100.7 was not banned in sshd".into(),
            changed: false,
        });
        app.handle_key(key('z'));
        assert!(app.popup.is_none());
        assert_eq!(app.status, Some((false, "nothing to undo".to_string())));
    }

    #[test]
    fn w_in_the_posture_view_whitelists_the_operator() {
        let mut app = app();
        for _ in 0..3 {
            app.update(Action::NextView);
        }
        assert_eq!(app.view, View::Posture);
        app.handle_key(key('w'));
        let entry = match &app.popup {
            Some(Popup::Confirm(Confirm {
                command: Command::Whitelist { entry, .. },
                ..
            })) => Some(*entry),
            _ => None,
        };
        assert_eq!(entry, Some(IpNet::from(ip("192.0.2.10"))));
    }

    #[test]
    fn a_paste_of_wy_outside_a_prompt_is_ignored() {
        let mut app = app();
        app.apply(failure("198.51.100.7", 1));
        assert!(app.handle_event(Event::Paste("wy".into())).is_empty());
        assert_eq!((&app.popup, &app.status), (&None, &None));
        app.handle_key(key('w'));
        assert!(
            app.handle_event(Event::Paste("y".into())).is_empty(),
            "a paste does not confirm either"
        );
        assert!(matches!(app.popup, Some(Popup::Confirm(_))));
    }

    #[test]
    fn a_paste_into_the_filter_prompt_is_text_without_newlines_or_controls() {
        let mut app = app();
        app.handle_key(key('/'));
        let sent = app.handle_event(Event::Paste("203.0\r\n.113\u{1b}[2J\tq".into()));
        assert!(sent.is_empty());
        assert!(app.editing_filter, "the prompt is still open");
        assert_eq!(app.filter, "203.0.113[2Jq");
        assert!(!app.should_quit);
        app.handle_event(Event::Paste("x".repeat(100)));
        assert_eq!(app.filter.len(), 64, "as long as a typed filter at most");
    }

    #[test]
    fn key_releases_are_not_presses() {
        let mut app = app();
        let mut release = key('q');
        release.kind = KeyEventKind::Release;
        app.handle_event(Event::Key(release));
        assert!(!app.should_quit);
        app.handle_event(Event::Key(key('q')));
        assert!(app.should_quit);
    }

    #[test]
    fn demo_keys_send_replay_commands_and_q_quits() {
        let mut app = app();
        app.apply(EngineEvent::Replay {
            speed: 10.0,
            paused: false,
            loops: 0,
        });
        assert_eq!(app.handle_key(key(' ')), vec![Command::TogglePause]);
        assert_eq!(app.handle_key(key('+')), vec![Command::Faster]);
        app.handle_key(key('q'));
        assert!(app.should_quit);
    }
}

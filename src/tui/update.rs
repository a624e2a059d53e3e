//! `App::update`: what each action does to the model, and the commands it sends to the engine.
//! Every write goes through a confirm popup that shows its plan; banning an operator's or a
//! whitelisted address needs a second, separate confirmation.

use super::action::Action;
use super::app::{App, BAN_CHOICES, Confirm, EventRow, Popup, View};
use super::keymap::Context;
use crate::engine::command::MANUAL_JAIL;
use crate::engine::{Command, PlanContext};
use ipnet::IpNet;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::net::IpAddr;

/// Rows moved by page up / page down.
const PAGE: usize = 10;

impl App {
    /// The keymap contexts that apply now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.popup.is_some() {
            return vec![Context::Popup];
        }
        let view = match self.view {
            View::Events => Context::Events,
            View::Jails => Context::Jails,
        };
        let mut contexts = vec![view];
        if self.replay.is_some() {
            contexts.push(Context::Demo);
        }
        contexts.push(Context::Global);
        contexts
    }

    /// Handles a key press: filter typing first, then the keymap. Returns commands for the engine.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.editing_filter {
            self.type_filter(key);
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
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) && !c.is_control() && self.filter.len() < 64 => self.filter.push(c),
            _ => {}
        }
        self.selected_event = None;
    }

    /// Applies one action; returns the commands to send to the engine.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        if self.popup.is_some() {
            return self.update_popup(action);
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::NextView => {
                self.view = match self.view {
                    View::Events => View::Jails,
                    View::Jails => View::Events,
                }
            }
            Action::Help => self.popup = Some(Popup::Help),
            Action::Filter => {
                self.editing_filter = true;
                self.filter.clear();
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Follow => self.move_selection(action),
            Action::NextJail | Action::PrevJail => {
                let len = self.jails.len().max(1);
                self.selected_jail = if action == Action::NextJail { (self.selected_jail + 1) % len } else { (self.selected_jail + len - 1) % len };
                self.selected_ban = 0;
            }
            Action::Unban => self.ask_unban(),
            Action::Whitelist => self.ask_whitelist(),
            Action::Ban => match self.target_ip() {
                Some(ip) => self.popup = Some(Popup::BanDuration { ip, choice: 1 }),
                None => self.status = Some((false, "select an address to ban first".to_string())),
            },
            Action::Pause => return vec![Command::TogglePause],
            Action::Faster => return vec![Command::Faster],
            Action::Slower => return vec![Command::Slower],
            Action::Confirm | Action::Cancel => {}
        }
        Vec::new()
    }

    fn update_popup(&mut self, action: Action) -> Vec<Command> {
        let Some(popup) = self.popup.take() else { return Vec::new() };
        match (popup, action) {
            (_, Action::Cancel) => self.status = Some((true, "cancelled, nothing written".to_string())),
            (Popup::BanDuration { ip, choice }, Action::Up) => self.popup = Some(Popup::BanDuration { ip, choice: choice.saturating_sub(1) }),
            (Popup::BanDuration { ip, choice }, Action::Down) => self.popup = Some(Popup::BanDuration { ip, choice: (choice + 1).min(BAN_CHOICES.len() - 1) }),
            (Popup::BanDuration { ip, choice }, Action::Confirm) => {
                let (label, seconds) = BAN_CHOICES[choice];
                let danger = self.ban_danger(ip);
                self.open_confirm(format!("Ban {ip} ({label})"), Command::Ban { ip, seconds }, danger);
            }
            (Popup::Confirm(confirm), Action::Confirm) if confirm.danger.is_some() && !confirm.armed => {
                self.popup = Some(Popup::Confirm(Confirm { armed: true, ..confirm }));
            }
            (Popup::Confirm(confirm), Action::Confirm) => {
                self.status = Some((true, format!("sent: {}", confirm.title)));
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
            View::Jails => {
                let len = self.jails.get(self.selected_jail).map_or(0, |j| j.bans.len());
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

    /// The address the write keys act on: the selected ban, or the selected event's address.
    fn target_ip(&self) -> Option<IpAddr> {
        match self.view {
            View::Jails => self.selected_ban().map(|b| b.ip),
            View::Events => self.selected_row().and_then(EventRow::ip),
        }
    }

    fn ask_unban(&mut self) {
        let target = match self.view {
            View::Jails => self.selected_ban().map(|b| (b.jail.clone(), b.ip)),
            View::Events => self.selected_row().and_then(|row| {
                let ip = row.ip()?;
                let jail = self.banned_in(ip).into_iter().find(|j| j == row.jail()).or_else(|| self.banned_in(ip).into_iter().next())?;
                Some((jail, ip))
            }),
        };
        match target {
            Some((jail, ip)) => {
                let title = if jail == MANUAL_JAIL { format!("Unban {ip} (bantop's set)") } else { format!("Unban {ip} in {jail}") };
                self.open_confirm(title, Command::Unban { jail, ip }, None);
            }
            None => self.status = Some((false, "the selected address is not banned".to_string())),
        }
    }

    fn ask_whitelist(&mut self) {
        let Some(ip) = self.target_ip() else {
            self.status = Some((false, "select an address to whitelist first".to_string()));
            return;
        };
        let jails: Vec<String> = self.jails.iter().map(|j| j.settings.name.clone()).filter(|j| j != MANUAL_JAIL).collect();
        let who = if self.is_operator(ip) { "operator's own address" } else { "whitelisted by the operator" };
        let comment = format!("{who}, {}", super::views::format_time(self.now, self.zone));
        let command = Command::Whitelist { entry: IpNet::from(ip), jails, comment };
        self.open_confirm(format!("Whitelist {ip} in every jail"), command, None);
    }

    /// Why banning `ip` needs a separate confirmation, if it does.
    fn ban_danger(&self, ip: IpAddr) -> Option<String> {
        if self.is_operator(ip) {
            return Some(format!("{ip} is YOUR OWN address: banning it locks you out."));
        }
        let whitelisted = self.whitelisted_in(ip);
        (!whitelisted.is_empty()).then(|| format!("{ip} is whitelisted in {}.", whitelisted.join(", ")))
    }

    fn open_confirm(&mut self, title: String, command: Command, danger: Option<String>) {
        let ip = match &command {
            Command::Unban { ip, .. } | Command::Ban { ip, .. } => Some(*ip),
            Command::Whitelist { entry, .. } => Some(entry.addr()),
            _ => None,
        };
        let banned_in = ip.map(|ip| self.banned_in(ip)).unwrap_or_default();
        let plan = command.plan(PlanContext { simulated: self.simulated, whitelist: &self.whitelist, banned_in: &banned_in });
        self.popup = Some(Popup::Confirm(Confirm { title, command, plan, danger, armed: false }));
    }
}

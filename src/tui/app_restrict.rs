//! The App's port restrictions: `x` on a port of the ports view opens a form with the
//! platform's advice as its default networks, the confirm popup shows the exact rules, and once
//! the engine has applied it, a countdown asks to keep it: `y` keeps it, `n` rolls it back, and
//! at the deadline the engine (and its watchdog process) rolls it back whatever the UI does.

use super::app::{App, Popup, RestrictForm};
use crate::engine::command::Command;
use crate::engine::operator::ssh_session;
use crate::model::port::Port;
use crate::model::restriction::{
    MAX_ALLOWED, Restriction, cuts_session, parse_allowed, port_label,
};
use crate::ports::catalogue::advised_allow;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The longest text typed in the form.
const MAX_TYPED: usize = 1024;

impl App {
    /// The port the ports view's keys act on: its top row.
    pub fn selected_port(&self) -> Option<&Port> {
        self.ports.get(self.list_scroll)
    }

    /// `x`: the restrict form for the selected port, filled with the advice.
    pub(super) fn ask_restrict(&mut self) {
        let Some(port) = self.selected_port() else {
            self.status = Some((false, "select a port in the ports view first".to_string()));
            return;
        };
        let (allow, advice) = advised_allow(port.proto, port.port);
        self.popup = Some(Popup::Restrict(RestrictForm {
            port: port.port,
            proto: port.proto,
            allow: allow
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            advice,
            error: None,
        }));
    }

    /// `X`: lifting the selected port's restriction, confirmed first.
    pub(super) fn ask_unrestrict(&mut self) {
        let Some(port) = self.selected_port() else {
            self.status = Some((false, "select a port in the ports view first".to_string()));
            return;
        };
        let title = format!(
            "Lift the restriction of {}",
            port_label(port.port, port.proto)
        );
        let command = Command::Unrestrict {
            port: port.port,
            proto: port.proto,
        };
        self.open_confirm(title, command, None);
    }

    /// A key while the restrict form is open: typing, Enter to go on, Esc to cancel.
    pub(super) fn type_restrict(&mut self, key: KeyEvent) {
        let Some(Popup::Restrict(mut form)) = self.popup.take() else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.status = Some((true, "cancelled, nothing written".to_string()));
                return;
            }
            KeyCode::Enter => match checked(&form, self.restrict_rollback) {
                Ok(restriction) => {
                    let title = format!("Restrict {}", restriction.label());
                    self.open_confirm(title, Command::Restrict { restriction }, None);
                    return;
                }
                Err(error) => form.error = Some(error),
            },
            KeyCode::Backspace => {
                form.allow.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                type_char(&mut form, c)
            }
            _ => {}
        }
        self.popup = Some(Popup::Restrict(form));
    }

    /// A paste into the restrict form: text, without newlines or controls.
    pub(super) fn paste_restrict(&mut self, text: &str) {
        if let Some(Popup::Restrict(form)) = self.popup.as_mut() {
            text.chars().for_each(|c| type_char(form, c));
        }
    }

    /// The countdown's answer: keep it, or roll it back now.
    pub(super) fn answer_keep(&mut self, keep: bool) -> Vec<Command> {
        let Some(Popup::KeepRestriction { port, proto, .. }) = self.popup.take() else {
            return Vec::new();
        };
        self.status = Some((
            true,
            format!(
                "sent: {} the restriction of {}",
                if keep { "keep" } else { "roll back" },
                port_label(port, proto)
            ),
        ));
        vec![if keep {
            Command::KeepRestriction { port, proto }
        } else {
            Command::RevertRestriction { port, proto }
        }]
    }

    /// Closes the countdown once its deadline has passed: the engine rolls the restriction back.
    pub(super) fn expire_keep_popup(&mut self) {
        if let Some(Popup::KeepRestriction {
            port,
            proto,
            deadline,
        }) = &self.popup
            && self.wall_clock >= *deadline
        {
            self.status = Some((
                false,
                format!(
                    "not confirmed in time: the restriction of {} is rolled back",
                    port_label(*port, *proto)
                ),
            ));
            self.popup = None;
        }
    }
}

fn type_char(form: &mut RestrictForm, c: char) {
    if !c.is_control() && form.allow.len() < MAX_TYPED {
        form.allow.push(c);
    }
    form.error = None;
}

/// The restriction the form asks for, pending for the default rollback time, or why not.
fn checked(form: &RestrictForm, rollback: u64) -> Result<Restriction, String> {
    let mut allow = Vec::new();
    for text in form
        .allow
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
    {
        let net = parse_allowed(text)?;
        if !allow.contains(&net) {
            allow.push(net);
        }
    }
    if allow.len() > MAX_ALLOWED {
        return Err(format!("{} networks: at most {MAX_ALLOWED}", allow.len()));
    }
    let now = crate::engine::clock::now_epoch();
    let restriction = Restriction {
        port: form.port,
        proto: form.proto,
        allow,
        rollback_at: Some(now + rollback as f64),
        since: now,
        replaced: None,
    };
    match cuts_session(&restriction, ssh_session()) {
        Some(refusal) => Err(refusal),
        None => Ok(restriction),
    }
}

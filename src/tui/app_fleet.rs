//! The TUI on a fleet (`bantop --hosts FILE`): every host's jails named `host/jail` in one
//! model, a line per host, a filter by host, and each action routed to the host of the row
//! it was asked on (or, for unban and whitelist, to every host) as the remote bantop's own
//! command, shown exactly in the confirm popup.

use super::app::{App, Confirm, JailPanel, Popup};
use super::fleet_view::{host_of, own_jail};
use crate::engine::Command;
use crate::engine::fleet_command::plan_lines;
use crate::fleet::Host;
use crate::model::fleet::HostChange;
use crate::model::{BanPlace, JailSettings};
use std::collections::VecDeque;

impl App {
    /// A host's connection, fail2ban or refusals changed.
    pub(super) fn host_changed(&mut self, host: &str, change: HostChange) {
        if let Some(line) = self
            .fleet
            .as_mut()
            .and_then(|f| f.lines.iter_mut().find(|l| l.name == host))
        {
            line.change(change);
        }
    }

    /// A host's jails: new ones get a panel, known ones their settings.
    pub(super) fn add_jails(&mut self, jails: Vec<JailSettings>) {
        for settings in jails {
            match self
                .jails
                .iter_mut()
                .find(|j| j.settings.name == settings.name)
            {
                Some(panel) => panel.settings = settings,
                None => self.jails.push(JailPanel {
                    settings,
                    bans: Vec::new(),
                    failures: 0,
                    bans_total: 0,
                    rate: VecDeque::new(),
                }),
            }
        }
        // Hosts together, in the file's order, each host's jails as it lists them.
        if let Some(fleet) = &self.fleet {
            let order = |name: &str| {
                fleet
                    .hosts
                    .iter()
                    .position(|h| h.name == host_of(name))
                    .unwrap_or(usize::MAX)
            };
            self.jails.sort_by_key(|j| order(&j.settings.name));
        }
    }

    /// Shows only the next host's rows (after the last host: every host again).
    pub(super) fn next_host_filter(&mut self) {
        let Some(fleet) = &self.fleet else { return };
        let current = fleet
            .hosts
            .iter()
            .position(|h| self.filter == format!("{}/", h.name));
        let next = match current {
            None => fleet.hosts.first(),
            Some(i) => fleet.hosts.get(i + 1),
        };
        self.filter = next.map(|h| format!("{}/", h.name)).unwrap_or_default();
        self.selected_event = None;
    }

    /// The host of the row the operator is on: the selected event's or the selected jail's.
    fn selected_host(&self) -> Option<String> {
        let jail = match self.view {
            super::app::View::Events => self.selected_row().map(|row| row.jail().to_string()),
            _ => self
                .jails
                .get(self.selected_jail)
                .map(|j| j.settings.name.clone()),
        }?;
        Some(host_of(&jail).to_string()).filter(|h| !h.is_empty())
    }

    /// `command` as the fleet carries it out: on the host its jail belongs to (or the selected
    /// row's), with the host's own jail names; or why it cannot be.
    fn routed(&self, command: Command) -> Result<Command, String> {
        if let Command::OnHosts { .. } = command {
            return Ok(command);
        }
        let named = match &command {
            Command::Unban {
                place: BanPlace::Jail(jail),
                ..
            }
            | Command::JailBan { jail, .. } => Some(host_of(jail).to_string()),
            _ => None,
        };
        let host = named
            .filter(|h| !h.is_empty())
            .or_else(|| self.selected_host())
            .ok_or("select a row of a host first")?;
        let inner = match command {
            Command::Unban {
                place: BanPlace::Jail(jail),
                target,
            } => Command::Unban {
                place: BanPlace::Jail(own_jail(&jail).to_string()),
                target,
            },
            Command::JailBan { jail, ip } => Command::JailBan {
                jail: own_jail(&jail).to_string(),
                ip,
            },
            // Every jail of the host: the remote bantop's own default.
            Command::Whitelist { entry, comment, .. } => Command::Whitelist {
                entry,
                jails: Vec::new(),
                comment,
            },
            Command::Unwhitelist { entry, .. } => Command::Unwhitelist {
                entry,
                jails: Vec::new(),
            },
            Command::Rescue { ip, comment, .. } => Command::Rescue {
                ip,
                jails: Vec::new(),
                comment,
            },
            other => other,
        };
        crate::engine::fleet_command::remote_args(&inner)?;
        Ok(Command::OnHosts {
            hosts: vec![host],
            command: Box::new(inner),
        })
    }

    /// Opens the confirm popup for `command` routed to its host, with the exact remote
    /// commands as the plan.
    pub(super) fn open_fleet_confirm(
        &mut self,
        title: String,
        command: Command,
        danger: Option<String>,
    ) {
        match self.routed(command) {
            Ok(command) => {
                let (title, plan) = self.fleet_plan(&title, &command);
                self.popup = Some(Popup::Confirm(Confirm {
                    title,
                    command,
                    plan,
                    danger,
                    armed: false,
                    scroll: 0,
                }));
            }
            Err(why) => self.status = Some((false, why)),
        }
    }

    /// The title naming the hosts, and the plan: each host's remote command.
    fn fleet_plan(&self, title: &str, command: &Command) -> (String, Vec<String>) {
        let Some(fleet) = &self.fleet else {
            return (title.to_string(), Vec::new());
        };
        let Command::OnHosts { hosts, command } = command else {
            return (title.to_string(), Vec::new());
        };
        let chosen: Vec<Host> = fleet
            .hosts
            .iter()
            .filter(|h| hosts.contains(&h.name))
            .cloned()
            .collect();
        let what = what_it_does(command);
        let what = if title.starts_with("Undo") {
            format!("Undo: {what}")
        } else {
            what
        };
        let title = if hosts.len() == 1 {
            format!("{what} on {}", hosts[0])
        } else {
            format!("{what} on every host ({})", hosts.len())
        };
        let mut plan = plan_lines(&chosen, command);
        plan.push("each host's bantop checks, writes and audits it itself; what each reports comes back here".to_string());
        if every_host_variant(command).is_some() && fleet.hosts.len() > 1 {
            plan.push(if hosts.len() == 1 {
                "a: on every host instead".to_string()
            } else {
                "a: only on the row's host".to_string()
            });
        }
        (title, plan)
    }

    /// In the confirm popup: the same action on every host, or back on the row's host.
    pub(super) fn toggle_every_host(&mut self) {
        let Some(Popup::Confirm(confirm)) = self.popup.take() else {
            return;
        };
        let (Some(fleet), Command::OnHosts { hosts, command }) = (&self.fleet, &confirm.command)
        else {
            self.popup = Some(Popup::Confirm(confirm));
            return;
        };
        let toggled = match every_host_variant(command) {
            Some(every) if hosts.len() == 1 => Some(Command::OnHosts {
                hosts: fleet.hosts.iter().map(|h| h.name.clone()).collect(),
                command: Box::new(every),
            }),
            Some(_) => self.selected_host().and_then(|host| {
                let command = match command.as_ref() {
                    Command::UnbanEverywhere { ip } => self.routed_unban(*ip, &host)?,
                    other => other.clone(),
                };
                Some(Command::OnHosts {
                    hosts: vec![host],
                    command: Box::new(command),
                })
            }),
            None => None,
        };
        match toggled {
            Some(command) => {
                let (title, plan) = self.fleet_plan(&confirm.title, &command);
                self.popup = Some(Popup::Confirm(Confirm {
                    title,
                    command,
                    plan,
                    armed: false,
                    scroll: 0,
                    ..confirm
                }));
            }
            None => self.popup = Some(Popup::Confirm(confirm)),
        }
    }

    /// An unban of `ip` on `host`: in the first of its jails that bans it, else everywhere.
    fn routed_unban(&self, ip: std::net::IpAddr, host: &str) -> Option<Command> {
        let jail = self.banned_in(ip).into_iter().find(|j| host_of(j) == host);
        Some(match jail {
            Some(jail) => Command::Unban {
                place: BanPlace::Jail(own_jail(&jail).to_string()),
                target: ip.into(),
            },
            None => Command::UnbanEverywhere { ip },
        })
    }
}

/// A routed command in a few words, jails as the host names them.
fn what_it_does(command: &Command) -> String {
    use crate::model::address::text_of;
    match command {
        Command::Unban {
            place: BanPlace::Jail(jail),
            target,
        } => format!("Unban {} in {jail}", text_of(*target)),
        Command::Unban { target, .. } => format!("Unban {} (bantop's set)", text_of(*target)),
        Command::UnbanEverywhere { ip } => format!("Unban {ip} everywhere"),
        Command::JailBan { jail, ip } => format!("Ban {ip} in {jail}"),
        Command::Ban { target, .. } => format!("Ban {} in bantop's set", text_of(*target)),
        Command::Whitelist { entry, .. } => format!("Whitelist {} in every jail", text_of(*entry)),
        Command::Unwhitelist { entry, .. } => {
            format!("Take {} out of the whitelist", text_of(*entry))
        }
        Command::Rescue { ip, .. } => {
            format!("Rescue {ip}: unban everywhere, whitelist in every jail")
        }
        _ => "This action".to_string(),
    }
}

/// What `command` becomes on every host: an unban everywhere there (the jail may not exist on
/// the others), the same whitelisting or rescue; `None` for what is not offered fleet-wide.
fn every_host_variant(command: &Command) -> Option<Command> {
    match command {
        Command::Unban { target, .. } if target.prefix_len() == target.max_prefix_len() => {
            Some(Command::UnbanEverywhere { ip: target.addr() })
        }
        Command::UnbanEverywhere { .. }
        | Command::Whitelist { .. }
        | Command::Unwhitelist { .. }
        | Command::Rescue { .. } => Some(command.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fail2ban::date::Zone;
    use crate::model::{Ban, BanOrigin, EngineEvent};
    use crate::tui::action::Action;
    use crate::tui::app::View;
    use crate::tui::fleet_view::FleetView;
    use crate::tui::keymap::Keymap;
    use std::net::IpAddr;

    fn host(name: &str) -> Host {
        Host {
            name: name.into(),
            ssh: format!("root@{name}"),
            port: None,
            options: Vec::new(),
            command: vec!["bantop".into()],
        }
    }

    fn jail(name: &str) -> JailSettings {
        JailSettings {
            name: name.into(),
            filter: "sshd".into(),
            maxretry: 5,
            findtime: 600,
            bantime: 600,
            ignoreip: Vec::new(),
            ignore_names: Vec::new(),
            logpath: Vec::new(),
            backend: "auto".into(),
            action: String::new(),
            port: String::new(),
            ignoreself: true,
            ignorecommand: None,
            ban_increment: None,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Two hosts with an sshd jail each, 192.0.2.7 banned on b, the jails view on it.
    fn fleet() -> App {
        let keymap = Keymap::default_keys().unwrap_or_else(|e| panic!("{e}"));
        let mut app = App::new(Vec::new(), keymap, Zone::Local, Vec::new(), false);
        app.fleet = Some(FleetView::new(vec![host("a"), host("b")]));
        app.apply(EngineEvent::JailsAdded(vec![jail("b/sshd")]));
        app.apply(EngineEvent::JailsAdded(vec![jail("a/sshd")]));
        app.apply(EngineEvent::Banned(Ban {
            jail: "b/sshd".into(),
            ip: ip("192.0.2.7"),
            since: 0.0,
            until: None,
            count: 1,
            failures: 5,
            evidence: Vec::new(),
            origin: BanOrigin::Jail,
            length_caveat: None,
        }));
        app.view = View::Jails;
        app.selected_jail = 1;
        app
    }

    fn confirmed(app: &mut App) -> Command {
        let sent = app.update(Action::Confirm);
        sent.into_iter().next().unwrap_or(Command::Faster)
    }

    #[test]
    fn hosts_keep_the_files_order_and_an_unban_goes_to_the_jails_host() {
        let mut app = fleet();
        let names: Vec<&str> = app.jails.iter().map(|j| j.settings.name.as_str()).collect();
        assert_eq!(names, ["a/sshd", "b/sshd"]);
        app.update(Action::Unban);
        assert_eq!(
            confirmed(&mut app),
            Command::OnHosts {
                hosts: vec!["b".into()],
                command: Box::new(Command::Unban {
                    place: BanPlace::Jail("sshd".into()),
                    target: ip("192.0.2.7").into(),
                }),
            }
        );
        // Its undo bans again in the same jail, on the same host.
        app.update(Action::Undo);
        assert_eq!(
            confirmed(&mut app),
            Command::OnHosts {
                hosts: vec!["b".into()],
                command: Box::new(Command::JailBan {
                    jail: "sshd".into(),
                    ip: ip("192.0.2.7"),
                }),
            }
        );
    }

    #[test]
    fn every_host_and_back() {
        let mut app = fleet();
        app.update(Action::Unban);
        app.update(Action::EveryHost);
        let Some(Popup::Confirm(confirm)) = &app.popup else {
            panic!("no popup");
        };
        assert_eq!(
            confirm.command,
            Command::OnHosts {
                hosts: vec!["a".into(), "b".into()],
                command: Box::new(Command::UnbanEverywhere {
                    ip: ip("192.0.2.7")
                }),
            }
        );
        assert!(
            confirm
                .plan
                .iter()
                .any(|l| l == "on a (ssh root@a): bantop unban 192.0.2.7 --json")
        );
        app.update(Action::EveryHost);
        assert!(matches!(
            &app.popup,
            Some(Popup::Confirm(Confirm { command: Command::OnHosts { hosts, command }, .. }))
                if hosts == &["b".to_string()]
                    && matches!(command.as_ref(), Command::Unban { place: BanPlace::Jail(j), .. } if j == "sshd")
        ));
    }

    #[test]
    fn a_whitelist_is_every_jail_of_the_rows_host() {
        let mut app = fleet();
        app.apply(EngineEvent::Log(crate::model::LogEvent {
            failure: crate::model::Failure {
                jail: "a/sshd".into(),
                host: "198.51.100.4".into(),
                ip: Some(ip("198.51.100.4")),
                time: 1.0,
                fid: 0,
                captures: Default::default(),
                line: "x".into(),
            },
            kind: crate::model::EventKind::Counted {
                count: 1,
                maxretry: 5,
            },
            summary: "x".into(),
        }));
        app.view = View::Events;
        app.update(Action::Whitelist);
        let Command::OnHosts { hosts, command } = confirmed(&mut app) else {
            panic!("not routed");
        };
        assert_eq!(hosts, ["a"]);
        assert!(matches!(*command, Command::Whitelist { jails, .. } if jails.is_empty()));
        // Nothing goes to a host without a row of it.
        app.update(Action::Inspect);
        assert!(
            app.status
                .as_ref()
                .is_some_and(|(ok, text)| !ok && text.contains("on its host"))
        );
    }
}

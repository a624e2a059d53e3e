//! Typed commands from the operator to the engine, and the exact plan of what each will write,
//! shown in the confirm popup before anything is done.

use crate::fail2ban::dropin;
use crate::fail2ban::duration::format_seconds;
use crate::model::BanPlace;
use crate::model::address::text_of;
use crate::model::port::Proto;
use crate::model::restriction::{LOOPBACK_RULE, Restriction, port_label};
use ipnet::IpNet;
use std::net::IpAddr;

/// Where the whitelist drop-in goes, relative to the fail2ban directory. A `.local` file is read
/// after every `.conf` in `jail.d/`, so its `ignoreip` wins, and package upgrades leave it alone.
pub const WHITELIST_DROPIN: &str = "jail.d/bantop-whitelist.local";

/// Something the operator asked the engine to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Lift a ban: in a jail (through fail2ban), or from bantop's set.
    Unban {
        /// Where.
        place: BanPlace,
        /// The address (a network only in bantop's set).
        target: IpNet,
    },
    /// Lift every ban of an address: bantop's set, every jail and fail2ban's database.
    UnbanEverywhere {
        /// The address.
        ip: IpAddr,
    },
    /// Ban in a jail through fail2ban (`set <jail> banip`), so the jail's actions run.
    JailBan {
        /// The jail.
        jail: String,
        /// The address.
        ip: IpAddr,
    },
    /// Ban by hand in bantop's own firewall set.
    Ban {
        /// The address or network.
        target: IpNet,
        /// Seconds, or `None` for a permanent ban.
        seconds: Option<i64>,
    },
    /// Add an address or network to the ignore list of jails (drop-in, then live).
    Whitelist {
        /// What to whitelist.
        entry: IpNet,
        /// The jails.
        jails: Vec<String>,
        /// Who, when, why.
        comment: String,
    },
    /// Take an address or network out of jails' ignore lists (drop-in, then live).
    Unwhitelist {
        /// What to take out.
        entry: IpNet,
        /// The jails.
        jails: Vec<String>,
    },
    /// Locked out: unban an address everywhere and whitelist it in every jail.
    Rescue {
        /// The address.
        ip: IpAddr,
        /// Every jail.
        jails: Vec<String>,
        /// Who, when, why.
        comment: String,
    },
    /// Close a port to all but the allowed networks (pending until confirmed when it has a
    /// rollback time).
    Restrict {
        /// The restriction.
        restriction: Restriction,
    },
    /// Confirm a pending restriction: it stays.
    KeepRestriction {
        /// The port.
        port: u16,
        /// Its protocol.
        proto: Proto,
    },
    /// Roll back a pending restriction now (the kept one it replaced comes back).
    RevertRestriction {
        /// The port.
        port: u16,
        /// Its protocol.
        proto: Proto,
    },
    /// Lift a port's restriction.
    Unrestrict {
        /// The port.
        port: u16,
        /// Its protocol.
        proto: Proto,
    },
    /// Carry out a command on hosts of the fleet, through each one's own bantop over SSH.
    OnHosts {
        /// The hosts, by name.
        hosts: Vec<String>,
        /// The command, its jails named as on the hosts.
        command: Box<Command>,
    },
    /// Pause or resume the demo's replay.
    TogglePause,
    /// Replay faster.
    Faster,
    /// Replay slower.
    Slower,
}

/// What the plan of a command needs to know about the current state.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    /// The demo's simulated backends instead of the real ones.
    pub simulated: bool,
    /// The whitelist drop-in as it is now.
    pub dropin: &'a str,
    /// Jails where the address concerned is banned now.
    pub banned_in: &'a [String],
}

fn set_name(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "ban4" } else { "ban6" }
}

impl Command {
    /// The command that undoes this one, when there is one. An unban from bantop's own set
    /// cannot be undone (its duration is gone), nor can a rescue (it is what lets you back in).
    pub fn undo(&self) -> Option<Command> {
        match self {
            Command::Unban {
                place: BanPlace::Jail(jail),
                target,
            } => Some(Command::JailBan {
                jail: jail.clone(),
                ip: target.addr(),
            }),
            Command::JailBan { jail, ip } => Some(Command::Unban {
                place: BanPlace::Jail(jail.clone()),
                target: IpNet::from(*ip),
            }),
            Command::Ban { target, .. } => Some(Command::Unban {
                place: BanPlace::OwnSet,
                target: *target,
            }),
            Command::Whitelist { entry, jails, .. } => Some(Command::Unwhitelist {
                entry: *entry,
                jails: jails.clone(),
            }),
            Command::Unwhitelist { entry, jails } => Some(Command::Whitelist {
                entry: *entry,
                jails: jails.clone(),
                comment: "restored by undo".to_string(),
            }),
            Command::OnHosts { hosts, command } => Some(Command::OnHosts {
                hosts: hosts.clone(),
                command: Box::new(command.undo()?),
            }),
            _ => None,
        }
    }

    /// The command as carried out at `now`: a pending restriction's timer starts when it is
    /// applied, not when it was asked for (the operator may read the plan for a while).
    pub fn restamped(self, now: f64) -> Command {
        match self {
            Command::Restrict { mut restriction } => {
                if let Some(at) = restriction.rollback_at {
                    restriction.rollback_at = Some(now + (at - restriction.since).max(1.0));
                }
                restriction.since = now;
                Command::Restrict { restriction }
            }
            other => other,
        }
    }

    /// Whether it applies, keeps, rolls back or lifts a port restriction.
    pub fn touches_restrictions(&self) -> bool {
        matches!(
            self,
            Command::Restrict { .. }
                | Command::KeepRestriction { .. }
                | Command::RevertRestriction { .. }
                | Command::Unrestrict { .. }
        )
    }

    /// Whether it changes the whitelist (drop-in and ignore lists).
    pub fn touches_whitelist(&self) -> bool {
        matches!(
            self,
            Command::Whitelist { .. } | Command::Unwhitelist { .. } | Command::Rescue { .. }
        )
    }

    /// The exact steps this command will carry out, one per line.
    pub fn plan(&self, context: PlanContext<'_>) -> Vec<String> {
        let mut steps = match self {
            Command::Unban {
                place: BanPlace::OwnSet,
                target,
            } => {
                vec![format!(
                    "nftables: delete element inet bantop {} {{ {} }}  (a wider network holding it is split around it)",
                    set_name(target.addr()),
                    text_of(*target)
                )]
            }
            Command::Unban {
                place: BanPlace::Jail(jail),
                target,
            } => vec![format!("fail2ban: set {jail} unbanip {}", text_of(*target))],
            Command::UnbanEverywhere { ip } => vec![
                format!(
                    "nftables: delete element inet bantop {} {{ {ip} }}  (if there)",
                    set_name(*ip)
                ),
                format!("fail2ban: unban {ip}  (every jail and its database)"),
            ],
            Command::JailBan { jail, ip } => vec![format!(
                "fail2ban: set {jail} banip {ip}  (the jail's bantime and actions)"
            )],
            Command::Ban { target, seconds } => {
                let ip = text_of(*target);
                let timeout = seconds
                    .map(|s| format!(" timeout {}", format_seconds(s)))
                    .unwrap_or_default();
                let how_long = seconds.map_or("permanently".to_string(), |s| {
                    format!("for {}", format_seconds(s))
                });
                vec![format!(
                    "nftables: add element inet bantop {} {{ {ip}{timeout} }}  ({how_long})",
                    set_name(target.addr())
                )]
            }
            Command::Whitelist {
                entry,
                jails,
                comment,
            } => {
                let text = dropin::entry_text(*entry);
                let file = jails.iter().fold(context.dropin.to_string(), |file, jail| {
                    dropin::add_entry(&file, jail, &text, comment)
                });
                let mut steps: Vec<String> = jails
                    .iter()
                    .map(|jail| format!("fail2ban: set {jail} addignoreip {text}"))
                    .collect();
                steps.extend(
                    context
                        .banned_in
                        .iter()
                        .map(|jail| format!("fail2ban: set {jail} unbanip {}", entry.addr())),
                );
                steps.push(format!(
                    "write {WHITELIST_DROPIN} (atomically), so it survives a restart:"
                ));
                steps.extend(file.lines().map(|line| format!("  | {line}")));
                steps
            }
            Command::Unwhitelist { entry, jails } => {
                let text = dropin::entry_text(*entry);
                let file = jails.iter().fold(context.dropin.to_string(), |file, jail| {
                    dropin::remove_entry(&file, jail, &text).unwrap_or(file)
                });
                let mut steps: Vec<String> = jails
                    .iter()
                    .map(|jail| format!("fail2ban: set {jail} delignoreip {text}"))
                    .collect();
                steps.push(format!("write {WHITELIST_DROPIN} (atomically):"));
                steps.extend(file.lines().map(|line| format!("  | {line}")));
                steps
            }
            Command::Rescue { ip, jails, comment } => {
                let mut steps = vec![
                    format!(
                        "nftables: delete element inet bantop {} {{ {ip} }}  (if there)",
                        set_name(*ip)
                    ),
                    format!("fail2ban: unban {ip}  (every jail and its database)"),
                ];
                let whitelist = Command::Whitelist {
                    entry: IpNet::from(*ip),
                    jails: jails.clone(),
                    comment: comment.clone(),
                };
                steps.extend(
                    whitelist
                        .plan(PlanContext {
                            simulated: false,
                            ..context
                        })
                        .into_iter()
                        .filter(|step| !step.contains("unbanip")),
                );
                steps
            }
            Command::Restrict { restriction } => {
                let mut steps = vec![format!(
                    "nftables: chain inet bantop restrict (hook input, priority -10), rules for {}:",
                    restriction.label()
                )];
                steps.push(format!("  {LOOPBACK_RULE}"));
                steps.extend(restriction.rules().into_iter().map(|r| format!("  {r}")));
                if restriction.rollback_at.is_some() {
                    steps.push(
                        "pending: rolled back at its deadline unless you press y (a watchdog process rolls it back if this terminal is lost)"
                            .to_string(),
                    );
                }
                steps.push(format!(
                    "save in {} (restored after a reboot)",
                    crate::model::restriction::FILE_NAME
                ));
                steps
            }
            Command::Unrestrict { port, proto } => vec![format!(
                "nftables: delete the rules for {} from chain inet bantop restrict",
                port_label(*port, *proto)
            )],
            // The fleet's view shows each host's exact remote command instead.
            Command::OnHosts { hosts, command } => command
                .plan(context)
                .into_iter()
                .map(|step| format!("on {}: {step}", hosts.join(", ")))
                .collect(),
            Command::KeepRestriction { .. }
            | Command::RevertRestriction { .. }
            | Command::TogglePause
            | Command::Faster
            | Command::Slower => Vec::new(),
        };
        if context.simulated && !steps.is_empty() {
            steps.insert(
                0,
                "demo: simulated, nothing on this machine changes".to_string(),
            );
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(dropin: &'a str, banned_in: &'a [String]) -> PlanContext<'a> {
        PlanContext {
            simulated: false,
            dropin,
            banned_in,
        }
    }

    #[test]
    fn unban_and_ban_plans_name_the_exact_commands() {
        let ip: IpAddr = [203, 0, 113, 5].into();
        let unban = Command::Unban {
            place: BanPlace::Jail("asterisk-wazo".into()),
            target: ip.into(),
        }
        .plan(context("", &[]));
        assert_eq!(
            unban,
            vec!["fail2ban: set asterisk-wazo unbanip 203.0.113.5"]
        );
        let ban = Command::Ban {
            target: ip.into(),
            seconds: Some(3600),
        }
        .plan(context("", &[]));
        assert_eq!(
            ban,
            vec!["nftables: add element inet bantop ban4 { 203.0.113.5 timeout 1h }  (for 1h)"]
        );
        let jail_ban = Command::JailBan {
            jail: "sshd".into(),
            ip,
        }
        .plan(context("", &[]));
        assert_eq!(
            jail_ban,
            vec!["fail2ban: set sshd banip 203.0.113.5  (the jail's bantime and actions)"]
        );
        let v6: IpAddr = "2001:db8::5".parse().unwrap_or(ip);
        assert!(
            Command::Unban {
                place: BanPlace::OwnSet,
                target: v6.into()
            }
            .plan(context("", &[]))[0]
                .contains("ban6 { 2001:db8::5 }")
        );
    }

    #[test]
    fn every_write_but_rescue_has_its_undo() {
        let ip: IpAddr = [203, 0, 113, 5].into();
        let jails = vec!["sshd".to_string()];
        let unban = Command::Unban {
            place: BanPlace::Jail("sshd".into()),
            target: ip.into(),
        };
        assert_eq!(
            unban.undo(),
            Some(Command::JailBan {
                jail: "sshd".into(),
                ip
            })
        );
        assert_eq!(unban.undo().and_then(|c| c.undo()), Some(unban));
        let whitelist = Command::Whitelist {
            entry: IpNet::from(ip),
            jails: jails.clone(),
            comment: String::new(),
        };
        assert_eq!(
            whitelist.undo(),
            Some(Command::Unwhitelist {
                entry: IpNet::from(ip),
                jails: jails.clone()
            })
        );
        assert_eq!(
            Command::Rescue {
                ip,
                jails,
                comment: String::new()
            }
            .undo(),
            None
        );
        assert_eq!(
            Command::Unban {
                place: BanPlace::OwnSet,
                target: ip.into()
            }
            .undo(),
            None
        );
        let plan = Command::Unwhitelist {
            entry: IpNet::from(ip),
            jails: vec!["sshd".into()],
        }
        .plan(context(
            "[sshd]\nignoreip = %(known/ignoreip)s\n           203.0.113.5\n",
            &[],
        ));
        assert_eq!(plan[0], "fail2ban: set sshd delignoreip 203.0.113.5");
        assert!(
            !plan.iter().skip(1).any(|l| l.contains("203.0.113.5")),
            "{plan:#?}"
        );
    }

    #[test]
    fn whitelist_plan_shows_the_whole_new_dropin_and_the_live_steps() {
        let entry: IpNet = "192.0.2.10/32".parse().unwrap_or_default();
        let existing = "# mine\n[sshd]\nignoreip = %(known/ignoreip)s\n           198.51.100.1\n";
        let banned = ["sshd".to_string()];
        let command = Command::Whitelist {
            entry,
            jails: vec!["sshd".into()],
            comment: "operator".into(),
        };
        let plan = command.plan(PlanContext {
            simulated: true,
            dropin: existing,
            banned_in: &banned,
        });
        assert_eq!(plan[0], "demo: simulated, nothing on this machine changes");
        assert_eq!(plan[1], "fail2ban: set sshd addignoreip 192.0.2.10");
        assert_eq!(plan[2], "fail2ban: set sshd unbanip 192.0.2.10");
        assert_eq!(plan[4], "  | # mine", "the file as it is, with hand edits");
        assert!(
            plan.contains(&"  |            198.51.100.1".to_string()),
            "keeps earlier entries: {plan:#?}"
        );
        assert_eq!(
            plan.last().map(String::as_str),
            Some("  |            192.0.2.10")
        );
    }
}

//! The one place that carries out the operator's commands, for the CLI, the live TUI and the
//! demo alike: each [`Command`] becomes the same sequence of steps against two backends, the
//! fail2ban side ([`Fail2banSide`]: the real server and drop-in, or the demo's simulation) and
//! bantop's own set ([`FirewallSide`]: nftables, or the demo's simulated set). Every step
//! reports what is true afterwards, as its backend read it back. Rescue is one sequence
//! everywhere: bantop's set, then every jail, then the whitelist.

use super::audit::restriction_target;
use super::command::Command;
use super::manual_bans::ManualUnban;
use crate::firewall::BanOutcome;
use crate::model::address::text_of;
use crate::model::ban::BanPlace;
use crate::model::port::Proto;
use crate::model::restriction::{Restriction, port_label};
use ipnet::IpNet;
use std::net::IpAddr;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A ban in bantop's own set.
    OwnSetBan,
    /// An unban in bantop's own set.
    OwnSetUnban,
    /// A ban in a jail through fail2ban.
    JailBan,
    /// An unban in one jail.
    JailUnban,
    /// An unban in every jail and fail2ban's database.
    UnbanEverywhere,
    /// The whitelist drop-in written (or found already saying so).
    Dropin,
    /// An entry added to or taken from a jail's live ignore list.
    IgnoreList,
    /// The kernel read back: whether it still drops the address anywhere.
    Verify,
    /// A port restriction applied, kept, rolled back or lifted.
    Restriction,
    /// A command for other hosts, which only a fleet carries out.
    Fleet,
}

/// One step and how it went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// What it was.
    pub kind: StepKind,
    /// What was done, and its outcome, in words.
    pub text: String,
    /// Whether it worked (an unban of what was not banned worked: nothing failed).
    pub ok: bool,
    /// Whether it changed anything.
    pub changed: bool,
}

impl Step {
    fn new(kind: StepKind, ok: bool, text: String) -> Self {
        Step {
            kind,
            text,
            ok,
            changed: ok,
        }
    }

    fn unchanged(kind: StepKind, text: String) -> Self {
        Step {
            kind,
            text,
            ok: true,
            changed: false,
        }
    }
}

/// The outcome of a command in one line, for the TUI's status line: the first failure, or what
/// is true now.
pub fn summary(command: &Command, steps: &[Step]) -> (bool, String) {
    if let Some(failed) = steps.iter().find(|s| !s.ok) {
        return (false, failed.text.replace('\n', "; "));
    }
    let changed = steps.iter().any(|s| s.changed);
    match command {
        Command::Unban {
            place: BanPlace::OwnSet,
            target,
        } => match steps.first() {
            Some(step) if step.changed && step.text.contains("stays banned") => (
                true,
                format!(
                    "unbanned {} in bantop's set; {}",
                    text_of(*target),
                    last_line(&step.text)
                ),
            ),
            _ if changed => (
                true,
                format!("unbanned {} in bantop's set", text_of(*target)),
            ),
            _ => (
                false,
                format!("{} was not in bantop's set", text_of(*target)),
            ),
        },
        Command::Ban { target, seconds } => (
            changed,
            format!(
                "banned {} in bantop's set ({})",
                text_of(*target),
                seconds.map_or("permanently".to_string(), |s| format!(
                    "for {}",
                    crate::fail2ban::duration::format_seconds(s)
                ))
            ),
        ),
        Command::Unban { .. } | Command::JailBan { .. } => (
            changed,
            steps.first().map(|s| s.text.clone()).unwrap_or_default(),
        ),
        Command::UnbanEverywhere { ip } => (
            true,
            format!(
                "unbanned {ip} everywhere: {}",
                steps
                    .iter()
                    .map(|s| last_line(&s.text))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Command::Whitelist { entry, jails, .. } => (
            true,
            format!("whitelisted {} in {}", text_of(*entry), jails.join(", ")),
        ),
        Command::Unwhitelist { entry, jails } => (
            true,
            format!(
                "took {} out of the whitelist of {}",
                text_of(*entry),
                jails.join(", ")
            ),
        ),
        Command::Rescue { ip, jails, .. } => (
            true,
            format!(
                "rescued {ip}: unbanned everywhere, whitelisted in {}",
                jails.join(", ")
            ),
        ),
        Command::Restrict { .. }
        | Command::KeepRestriction { .. }
        | Command::RevertRestriction { .. }
        | Command::Unrestrict { .. } => (
            changed,
            steps.first().map(|s| s.text.clone()).unwrap_or_default(),
        ),
        Command::OnHosts { .. } | Command::TogglePause | Command::Faster | Command::Slower => {
            (true, String::new())
        }
    }
}

/// The event that tells the TUI how `command` went: its [`summary`] (with `suffix`), and
/// whether any step changed something (an action that changed nothing has nothing to undo).
pub fn result_event(command: &Command, steps: &[Step], suffix: &str) -> crate::model::EngineEvent {
    let (ok, message) = summary(command, steps);
    crate::model::EngineEvent::ActionResult {
        ok,
        message: format!("{message}{suffix}"),
        changed: steps.iter().any(|s| s.changed),
    }
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text)
}

/// What the TUI is told after a restriction command: that a pending restriction awaits its
/// confirmation, when one was applied.
pub fn restriction_events(command: &Command, steps: &[Step]) -> Vec<crate::model::EngineEvent> {
    match command {
        Command::Restrict { restriction } if all_ok(steps) => restriction
            .rollback_at
            .map(|deadline| crate::model::EngineEvent::RestrictionPending {
                port: restriction.port,
                proto: restriction.proto,
                deadline,
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether every step worked.
pub fn all_ok(steps: &[Step]) -> bool {
    steps.iter().all(|s| s.ok)
}

/// The fail2ban side: a jail's bans and ignore list, and the whitelist drop-in.
#[allow(async_fn_in_trait)]
pub trait Fail2banSide {
    /// Bans `ip` in `jail` (the jail's actions run); whether it was not banned there before.
    /// Fails when the ban is not held afterwards.
    async fn ban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, String>;
    /// Unbans `ip` in `jail`; whether it was banned there.
    async fn unban(&mut self, jail: &str, ip: IpAddr) -> Result<bool, String>;
    /// Unbans `ip` in every jail and the database; how many bans were lifted.
    async fn unban_everywhere(&mut self, ip: IpAddr) -> Result<i64, String>;
    /// Adds `entry` to (or with `remove` takes it from) the drop-in's sections of `jails`;
    /// the file written, or `None` when it already said so.
    async fn write_dropin(
        &mut self,
        entry: IpNet,
        jails: &[String],
        remove: bool,
        comment: &str,
    ) -> Result<Option<String>, String>;
    /// Adds `entry` to (or takes it from) `jail`'s live ignore list; whether the list changed.
    async fn ignore(&mut self, jail: &str, entry: IpNet, remove: bool) -> Result<bool, String>;
}

/// The firewall: bantop's own set of banned addresses and networks, and what the kernel drops.
pub trait FirewallSide {
    /// Bans `net` for `seconds` (`None`: permanently).
    fn ban(&mut self, net: IpNet, seconds: Option<u64>) -> Result<BanOutcome, String>;
    /// Lifts `net`, splitting a wider ban around it.
    fn unban(&mut self, net: IpNet) -> Result<ManualUnban, String>;
    /// Where the kernel drops `ip` now (any table's dropping set or rule), if it does.
    fn dropped_where(&mut self, ip: IpAddr) -> Result<Option<String>, String>;
    /// Applies a port restriction (replacing the port's).
    fn restrict(&mut self, restriction: &Restriction) -> Result<(), String>;
    /// Confirms a pending restriction; false when it is gone (rolled back already).
    fn keep_restriction(&mut self, port: u16, proto: Proto) -> Result<bool, String>;
    /// Rolls back a pending restriction; what that left, if one was pending.
    fn revert_restriction(&mut self, port: u16, proto: Proto) -> Result<Option<String>, String>;
    /// Lifts a port's restriction; whether there was one.
    fn unrestrict(&mut self, port: u16, proto: Proto) -> Result<bool, String>;
    /// What reaches the port now, as the firewall reads it back, in words.
    fn port_now(&mut self, port: u16, proto: Proto) -> String;
}

/// Carries out `command`, step by step; stops at a step whose failure makes the next ones
/// pointless (a drop-in that cannot be written is not applied live).
pub async fn execute(
    command: &Command,
    fail2ban: &mut impl Fail2banSide,
    own_set: &mut impl FirewallSide,
) -> Vec<Step> {
    match command {
        Command::Unban {
            place: BanPlace::OwnSet,
            target,
        } => vec![own_set_unban(own_set, *target)],
        Command::Unban {
            place: BanPlace::Jail(jail),
            target,
        } => vec![jail_unban(fail2ban, jail, target.addr()).await],
        Command::JailBan { jail, ip } => vec![match fail2ban.ban(jail, *ip).await {
            Ok(true) => Step::new(
                StepKind::JailBan,
                true,
                format!("banned {ip} in {jail} (fail2ban: set {jail} banip {ip})"),
            ),
            Ok(false) => Step::unchanged(
                StepKind::JailBan,
                format!("{ip} was banned in {jail} already"),
            ),
            Err(error) => Step::new(StepKind::JailBan, false, error),
        }],
        Command::Ban { target, seconds } => {
            let seconds = seconds.map(|s| s.max(1) as u64);
            vec![own_set_ban(own_set, *target, seconds)]
        }
        Command::Whitelist {
            entry,
            jails,
            comment,
        } => whitelist(fail2ban, *entry, jails, false, comment).await,
        Command::Unwhitelist { entry, jails } => whitelist(fail2ban, *entry, jails, true, "").await,
        Command::UnbanEverywhere { ip } => vec![
            own_set_unban(own_set, IpNet::from(*ip)),
            unban_everywhere(fail2ban, *ip).await,
        ],
        Command::Rescue { ip, jails, comment } => {
            let mut steps = vec![own_set_unban(own_set, IpNet::from(*ip))];
            steps.push(unban_everywhere(fail2ban, *ip).await);
            steps.extend(whitelist(fail2ban, IpNet::from(*ip), jails, false, comment).await);
            steps.push(verify_not_dropped(own_set, *ip));
            steps
        }
        Command::Restrict { restriction } => {
            let (port, proto) = (restriction.port, restriction.proto);
            vec![match own_set.restrict(restriction) {
                Ok(()) => {
                    let pending = restriction
                        .rollback_at
                        .map(|_| " (pending: press y to keep it)")
                        .unwrap_or_default();
                    Step::new(
                        StepKind::Restriction,
                        true,
                        format!(
                            "restricted {}{pending}; {}",
                            restriction_target(restriction),
                            own_set.port_now(port, proto)
                        ),
                    )
                }
                Err(error) => Step::new(StepKind::Restriction, false, error),
            }]
        }
        Command::KeepRestriction { port, proto } => {
            let label = port_label(*port, *proto);
            vec![match own_set.keep_restriction(*port, *proto) {
                Ok(true) => Step::new(
                    StepKind::Restriction,
                    true,
                    format!("kept the restriction of {label}"),
                ),
                Ok(false) => Step::new(
                    StepKind::Restriction,
                    false,
                    format!(
                        "{label}: the restriction was rolled back already; {}",
                        own_set.port_now(*port, *proto)
                    ),
                ),
                Err(error) => Step::new(StepKind::Restriction, false, error),
            }]
        }
        Command::RevertRestriction { port, proto } => {
            let label = port_label(*port, *proto);
            vec![match own_set.revert_restriction(*port, *proto) {
                Ok(Some(left)) => Step::new(
                    StepKind::Restriction,
                    true,
                    format!(
                        "rolled back the restriction of {label}: {left}; {}",
                        own_set.port_now(*port, *proto)
                    ),
                ),
                Ok(None) => Step::unchanged(
                    StepKind::Restriction,
                    format!("{label} had no pending restriction"),
                ),
                Err(error) => Step::new(StepKind::Restriction, false, error),
            }]
        }
        Command::Unrestrict { port, proto } => {
            let label = port_label(*port, *proto);
            vec![match own_set.unrestrict(*port, *proto) {
                Ok(true) => Step::new(
                    StepKind::Restriction,
                    true,
                    format!(
                        "lifted the restriction of {label}; {}",
                        own_set.port_now(*port, *proto)
                    ),
                ),
                Ok(false) => Step::unchanged(
                    StepKind::Restriction,
                    format!("{label} has no restriction of bantop's"),
                ),
                Err(error) => Step::new(StepKind::Restriction, false, error),
            }]
        }
        Command::OnHosts { hosts, .. } => vec![Step::new(
            StepKind::Fleet,
            false,
            format!(
                "{} are hosts of a fleet: open bantop with --hosts to act on them",
                hosts.join(", ")
            ),
        )],
        Command::TogglePause | Command::Faster | Command::Slower => Vec::new(),
    }
}

/// The rescue's last word: the kernel read back, since only a packet that passes lets the
/// operator in.
fn verify_not_dropped(firewall: &mut impl FirewallSide, ip: IpAddr) -> Step {
    match firewall.dropped_where(ip) {
        Ok(None) => Step::unchanged(
            StepKind::Verify,
            format!("the kernel drops {ip} nowhere now"),
        ),
        Ok(Some(place)) => Step::new(
            StepKind::Verify,
            false,
            format!("the kernel still drops {ip}: {place}"),
        ),
        Err(error) => Step::new(
            StepKind::Verify,
            false,
            format!("whether the kernel still drops {ip} cannot be told: {error}"),
        ),
    }
}

fn own_set_ban(own_set: &mut impl FirewallSide, net: IpNet, seconds: Option<u64>) -> Step {
    let how_long = seconds.map_or("permanently".to_string(), |s| {
        format!(
            "for {}",
            crate::fail2ban::duration::format_seconds(s as i64)
        )
    });
    match own_set.ban(net, seconds) {
        Ok(outcome) => {
            let replaced: String = outcome
                .replaced
                .iter()
                .map(|old| format!(" (replaced {})", text_of(*old)))
                .collect();
            Step::new(
                StepKind::OwnSetBan,
                true,
                format!(
                    "banned {} {how_long} in bantop's set{replaced}",
                    text_of(net)
                ),
            )
        }
        Err(error) => Step::new(StepKind::OwnSetBan, false, error),
    }
}

fn own_set_unban(own_set: &mut impl FirewallSide, net: IpNet) -> Step {
    match own_set.unban(net) {
        Ok(done) if done.is_empty() => {
            Step::unchanged(StepKind::OwnSetUnban, describe_unban(net, &done))
        }
        Ok(done) => Step::new(StepKind::OwnSetUnban, true, describe_unban(net, &done)),
        Err(error) => Step::new(
            StepKind::OwnSetUnban,
            false,
            format!("bantop's set: {error}"),
        ),
    }
}

/// What an unban of bantop's set changed, as the kernel read back shows it: one line each.
fn describe_unban(target: IpNet, done: &ManualUnban) -> String {
    let mut lines = Vec::new();
    if done.is_empty() {
        lines.push(format!(
            "bantop's set: {} was not banned there",
            text_of(target)
        ));
    }
    for net in &done.kernel.lifted {
        lines.push(format!("bantop's set: unbanned {}", text_of(*net)));
    }
    if !done.kernel.kept.is_empty() {
        let kept: Vec<String> = done.kernel.kept.iter().map(|n| text_of(*n)).collect();
        lines.push(format!(
            "bantop's set: the rest stays banned, in {} piece(s): {}",
            kept.len(),
            kept.join(", ")
        ));
    }
    for net in &done.forgotten {
        lines.push(format!(
            "bantop's set: {} was saved but not in the kernel: forgotten",
            text_of(*net)
        ));
    }
    lines.join("\n")
}

async fn jail_unban(fail2ban: &mut impl Fail2banSide, jail: &str, ip: IpAddr) -> Step {
    match fail2ban.unban(jail, ip).await {
        Ok(true) => Step::new(
            StepKind::JailUnban,
            true,
            format!("unbanned {ip} in {jail}"),
        ),
        Ok(false) => Step::unchanged(
            StepKind::JailUnban,
            format!("{ip} was not banned in {jail}"),
        ),
        Err(error) => Step::new(StepKind::JailUnban, false, error),
    }
}

async fn unban_everywhere(fail2ban: &mut impl Fail2banSide, ip: IpAddr) -> Step {
    match fail2ban.unban_everywhere(ip).await {
        Ok(count) => Step {
            kind: StepKind::UnbanEverywhere,
            text: format!("fail2ban: unban {ip}: {count} ban(s) lifted"),
            ok: true,
            changed: count > 0,
        },
        Err(error) => Step::new(
            StepKind::UnbanEverywhere,
            false,
            format!("fail2ban: unban {ip}: {error}"),
        ),
    }
}

/// The drop-in first (it must survive a restart), then each jail live, and for a single
/// address its ban in the jail lifted.
async fn whitelist(
    fail2ban: &mut impl Fail2banSide,
    entry: IpNet,
    jails: &[String],
    remove: bool,
    comment: &str,
) -> Vec<Step> {
    let mut steps = vec![
        match fail2ban.write_dropin(entry, jails, remove, comment).await {
            Ok(Some(path)) => Step::new(StepKind::Dropin, true, format!("wrote {path}")),
            Ok(None) => Step::unchanged(
                StepKind::Dropin,
                "the whitelist drop-in already says so: not rewritten".to_string(),
            ),
            Err(error) => return vec![Step::new(StepKind::Dropin, false, error)],
        },
    ];
    let text = crate::fail2ban::dropin::entry_text(entry);
    let verb = if remove { "delignoreip" } else { "addignoreip" };
    for jail in jails {
        match fail2ban.ignore(jail, entry, remove).await {
            Ok(true) => steps.push(Step::new(
                StepKind::IgnoreList,
                true,
                format!("fail2ban: set {jail} {verb} {text}: done"),
            )),
            Ok(false) => steps.push(Step::unchanged(
                StepKind::IgnoreList,
                format!("fail2ban: set {jail} {verb} {text}: the list said so already"),
            )),
            Err(error) => {
                steps.push(Step::new(
                    StepKind::IgnoreList,
                    false,
                    format!(
                        "fail2ban: set {jail} {verb} {text}: {error} (the drop-in applies when fail2ban starts or reloads)"
                    ),
                ));
                break;
            }
        }
        if !remove && entry.prefix_len() == entry.max_prefix_len() {
            match fail2ban.unban(jail, entry.addr()).await {
                Ok(true) => steps.push(Step::new(
                    StepKind::JailUnban,
                    true,
                    format!("fail2ban: set {jail} unbanip {text}: unbanned"),
                )),
                Ok(false) => {}
                Err(error) => steps.push(Step::new(
                    StepKind::JailUnban,
                    false,
                    format!("fail2ban: set {jail} unbanip {text}: {error}"),
                )),
            }
        }
    }
    steps
}

/// Runs a future that never waits (the demo's simulated backends) to its end, on the caller's
/// thread; `None` if it did wait.
pub fn run_ready<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

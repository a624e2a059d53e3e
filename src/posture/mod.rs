//! The vendor guide's checklist (`bantop check`, the posture view): fail2ban running, the three
//! Wazo jails enabled with their logs present and growing, the operator's address whitelisted,
//! the firewall, unexpected public ports, and SIP ACLs. Each item passes, warns or fails with
//! the reason and the fix.

mod attacks;

use crate::asterisk::endpoints;
use crate::fail2ban::jail_conf::read_configuration;
use crate::fail2ban::server::{self, Fail2ban};
use crate::fail2ban::socket_client::ClientError;
use crate::model::JailSettings;
use crate::model::check::{CheckItem, Status};
pub use crate::model::configuration::ConfigurationNotes;
use crate::model::firewall::KernelFirewall;
use crate::model::port::{Port, Severity};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The jails a Wazo server should have.
pub const WAZO_JAILS: [&str; 3] = ["asterisk-wazo", "wazo-provd", "sshd"];
/// A log not written for this long is not "growing".
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What the checks look at.
#[derive(Debug, Clone)]
pub struct PostureInputs {
    /// fail2ban's configuration directory.
    pub fail2ban_dir: PathBuf,
    /// The socket, when given explicitly (else from fail2ban.conf).
    pub socket: Option<PathBuf>,
    /// Asterisk's configuration directory.
    pub asterisk_dir: PathBuf,
    /// The operator's address, when known (`SSH_CONNECTION`).
    pub operator: Option<IpAddr>,
    /// The listening sockets, or why they could not be read.
    pub ports: Result<Vec<Port>, String>,
    /// The enabled jails, or why they could not be read.
    pub jails: Result<Vec<JailSettings>, String>,
    /// The jails fail2ban skips and what it warns about in the configuration.
    pub notes: ConfigurationNotes,
    /// The kernel's firewall, or why it could not be read.
    pub firewall: Result<KernelFirewall, String>,
    /// The demo: fail2ban is simulated and each jail reads a recording instead of its logpath.
    pub demo_recordings: Option<Vec<(String, PathBuf)>>,
    /// How fail2ban answered a ping ([`ask_fail2ban`]); `None`: not asked.
    pub fail2ban_answer: Option<Result<(), String>>,
    /// A report over the last day, for what the attackers are after and what the jails miss;
    /// `None`: not read (those items are left out).
    pub report: Option<crate::model::report::Report>,
}

impl PostureInputs {
    /// Inputs for a real server: jails read from `fail2ban_dir`, fail2ban asked for a ping.
    pub async fn from_server(
        fail2ban_dir: PathBuf,
        socket: Option<PathBuf>,
        asterisk_dir: PathBuf,
        operator: Option<IpAddr>,
        ports: Result<Vec<Port>, String>,
        firewall: Result<KernelFirewall, String>,
    ) -> Self {
        let read = read_configuration(&fail2ban_dir);
        let notes = read
            .as_ref()
            .map(|read| ConfigurationNotes {
                skipped: read.skipped.clone(),
                warnings: read.warnings.clone(),
            })
            .unwrap_or_default();
        let jails = read
            .map(|read| read.jails.into_iter().map(|j| j.settings).collect())
            .map_err(|e| e.to_string());
        let fail2ban_answer = if fail2ban_dir.is_dir() {
            let path = server::socket_path(socket.as_deref(), &fail2ban_dir);
            Some(ask_fail2ban(&path).await)
        } else {
            None
        };
        PostureInputs {
            fail2ban_answer,
            fail2ban_dir,
            socket,
            asterisk_dir,
            operator,
            ports,
            jails,
            notes,
            firewall,
            demo_recordings: None,
            report: None,
        }
    }
}

/// Runs every check.
pub fn run_checks(inputs: &PostureInputs) -> Vec<CheckItem> {
    let mut items = vec![fail2ban_running(inputs)];
    items.extend(jails(inputs));
    items.push(operator_whitelisted(inputs));
    items.push(firewall(inputs));
    items.push(public_ports(inputs));
    items.push(sip_acls(inputs));
    if let Some(report) = &inputs.report {
        items.extend(attacks::items(report));
    }
    items
}

fn firewall(inputs: &PostureInputs) -> CheckItem {
    const NAME: &str = "firewall drops banned addresses";
    if inputs.demo_recordings.is_some() {
        return CheckItem::new(NAME, Status::Pass, "simulated by the demo", "");
    }
    let kernel = match &inputs.firewall {
        Ok(kernel) => kernel,
        Err(error) => {
            return CheckItem::new(
                NAME,
                Status::Warn,
                format!("not checked: nftables not read: {error}"),
                "run bantop as root",
            );
        }
    };
    let dropping: Vec<String> = kernel
        .sets
        .iter()
        .filter(|set| !set.dropped_by.is_empty())
        .map(|set| format!("{} {} @{}", set.family, set.table, set.name))
        .chain(
            kernel
                .chain_drops
                .iter()
                .map(|rule| format!("{} {} {}", rule.family, rule.table, rule.chain)),
        )
        .collect();
    if dropping.is_empty() {
        CheckItem::new(
            NAME,
            Status::Warn,
            "no nftables set or rule drops sources: fail2ban has banned nothing yet, or its \
             actions do not reach the kernel",
            "ban a test address (bantop ban ADDR --jail J) and look again with bantop firewall",
        )
    } else {
        let mut places = dropping;
        places.dedup();
        CheckItem::new(
            NAME,
            Status::Pass,
            format!("dropping through {}", places.join(", ")),
            "",
        )
    }
}

fn fail2ban_running(inputs: &PostureInputs) -> CheckItem {
    const NAME: &str = "fail2ban running";
    if inputs.demo_recordings.is_some() {
        return CheckItem::new(NAME, Status::Pass, "simulated by the demo", "");
    }
    if !inputs.fail2ban_dir.is_dir() {
        let reason = format!(
            "fail2ban is not installed: no {}",
            inputs.fail2ban_dir.display()
        );
        return CheckItem::new(NAME, Status::Fail, reason, "apt-get install fail2ban");
    }
    let socket = server::socket_path(inputs.socket.as_deref(), &inputs.fail2ban_dir);
    match &inputs.fail2ban_answer {
        Some(Ok(())) => CheckItem::new(
            NAME,
            Status::Pass,
            format!("answers a ping on {}", socket.display()),
            "",
        ),
        Some(Err(reason)) => {
            let fix = if reason.contains("permission") {
                "run bantop as root"
            } else if reason.contains("not running") {
                "systemctl start fail2ban"
            } else {
                "systemctl restart fail2ban"
            };
            CheckItem::new(NAME, Status::Fail, reason.clone(), fix)
        }
        None => CheckItem::new(
            NAME,
            Status::Warn,
            format!("not asked: {} was not pinged", socket.display()),
            "",
        ),
    }
}

/// Pings fail2ban's socket: `Ok` when it answers as fail2ban does, else why not, in words (no
/// socket, a stale one nobody listens on, no permission, no answer in time, garbage).
pub async fn ask_fail2ban(socket: &Path) -> Result<(), String> {
    let there = std::fs::symlink_metadata(socket).is_ok();
    let shown = socket.display();
    match Fail2ban::new(socket).ping().await {
        Ok(()) => Ok(()),
        Err(ClientError::NotRunning { .. }) if there => Err(format!(
            "stale socket: {shown} is there, but nothing listens on it (connection refused)"
        )),
        Err(ClientError::NotRunning { .. }) => Err(format!("not running: no socket at {shown}")),
        Err(ClientError::NotPermitted { .. }) => Err(format!("no permission to use {shown}")),
        Err(error @ ClientError::Timeout { .. }) => Err(format!("{shown}: {error}")),
        Err(error @ ClientError::Protocol { .. }) => Err(format!(
            "{shown} answered, but not as fail2ban does (garbage): {error}"
        )),
        Err(error) => Err(error.to_string()),
    }
}

fn jails(inputs: &PostureInputs) -> Vec<CheckItem> {
    if !inputs.fail2ban_dir.is_dir() {
        return Vec::new();
    }
    let configured = match &inputs.jails {
        Ok(jails) => jails,
        Err(error) => {
            return vec![CheckItem::new(
                "jails",
                Status::Fail,
                format!("the configuration does not read: {error}"),
                "fix the file named",
            )];
        }
    };
    let mut items: Vec<CheckItem> = WAZO_JAILS
        .iter()
        .map(|name| {
            let title = format!("jail {name}");
            if let Some(skipped) = inputs.notes.skipped.iter().find(|s| s.name == *name) {
                return CheckItem::new(
                    &title,
                    Status::Fail,
                    format!("enabled, but fail2ban skips it: {}", skipped.reason),
                    "see `bantop jails` for where each value comes from",
                );
            }
            let Some(jail) = configured.iter().find(|j| j.name == *name) else {
                return CheckItem::new(
                    &title,
                    Status::Fail,
                    "not enabled",
                    format!("set `enabled = true` in [{name}] in a jail.d/ drop-in"),
                );
            };
            let recording = inputs
                .demo_recordings
                .as_ref()
                .and_then(|r| r.iter().find(|(jail, _)| jail == name));
            if let Some((_, path)) = recording {
                return CheckItem::new(
                    &title,
                    Status::Pass,
                    format!("enabled, fed by the recording {}", path.display()),
                    "",
                );
            }
            if jail.backend.trim().starts_with("systemd") {
                return CheckItem::new(
                    &title,
                    Status::Pass,
                    "enabled, reads the systemd journal",
                    "",
                );
            }
            log_state(&title, &jail.logpath)
        })
        .collect();
    items.push(configuration_notes(&inputs.notes, configured.len()));
    items
}

/// The configuration as fail2ban reads it: the jails it skips fail, its warnings warn.
fn configuration_notes(notes: &ConfigurationNotes, started: usize) -> CheckItem {
    const NAME: &str = "configuration as fail2ban reads it";
    const FIX: &str = "bantop jails shows each value with the file and line it comes from";
    if !notes.skipped.is_empty() {
        let skipped: Vec<String> = notes
            .skipped
            .iter()
            .map(|s| format!("{} ({})", s.name, s.reason))
            .collect();
        return CheckItem::new(
            NAME,
            Status::Fail,
            format!("fail2ban skips {}", skipped.join("; ")),
            FIX,
        );
    }
    if !notes.warnings.is_empty() {
        return CheckItem::new(
            NAME,
            Status::Warn,
            format!(
                "{started} jails start; {} warning(s): {}{}",
                notes.warnings.len(),
                notes.warnings[..notes.warnings.len().min(3)].join("; "),
                if notes.warnings.len() > 3 {
                    "; ..."
                } else {
                    ""
                }
            ),
            FIX,
        );
    }
    CheckItem::new(NAME, Status::Pass, format!("{started} jails start"), "")
}

fn log_state(title: &str, logpaths: &[String]) -> CheckItem {
    let Some(first) = logpaths.first() else {
        return CheckItem::new(
            title,
            Status::Fail,
            "enabled, but no logpath",
            "set logpath for the jail",
        );
    };
    match std::fs::metadata(first) {
        Err(_) => CheckItem::new(
            title,
            Status::Fail,
            format!("enabled, but {first} does not exist"),
            "check that the service logs there",
        ),
        Ok(meta) => {
            let age = meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .unwrap_or_default();
            if age > STALE_AFTER {
                let hours = age.as_secs() / 3600;
                CheckItem::new(
                    title,
                    Status::Warn,
                    format!("enabled, but {first} was last written {hours} h ago"),
                    "check that the service still logs there",
                )
            } else {
                CheckItem::new(
                    title,
                    Status::Pass,
                    format!("enabled, {first} is being written"),
                    "",
                )
            }
        }
    }
}

fn operator_whitelisted(inputs: &PostureInputs) -> CheckItem {
    const NAME: &str = "operator whitelisted";
    let Some(operator) = inputs.operator else {
        return CheckItem::new(
            NAME,
            Status::Warn,
            "not in an SSH session: the operator's address is unknown",
            "run bantop check from your SSH session",
        );
    };
    let jails: &[JailSettings] = inputs.jails.as_deref().unwrap_or_default();
    let missing: Vec<&str> = jails
        .iter()
        .filter(|j| !j.ignores(operator))
        .map(|j| j.name.as_str())
        .collect();
    match (jails.is_empty(), missing.is_empty()) {
        (true, _) => CheckItem::new(NAME, Status::Warn, "no jail to check against", ""),
        (false, true) => CheckItem::new(
            NAME,
            Status::Pass,
            format!("{operator} is in every jail's ignoreip"),
            "",
        ),
        (false, false) => CheckItem::new(
            NAME,
            Status::Warn,
            format!(
                "{operator} (you) is not whitelisted in: {}",
                missing.join(", ")
            ),
            "whitelist it (key w in bantop) so a typo cannot lock you out",
        ),
    }
}

fn public_ports(inputs: &PostureInputs) -> CheckItem {
    const NAME: &str = "no unexpected public ports";
    let ports = match &inputs.ports {
        Ok(ports) => ports,
        Err(error) => {
            return CheckItem::new(NAME, Status::Warn, format!("ports not read: {error}"), "");
        }
    };
    let describe = |p: &&Port| {
        format!(
            "{}/{} {}",
            p.port,
            format!("{:?}", p.proto).to_lowercase(),
            p.service.as_deref().or(p.process.as_deref()).unwrap_or("?")
        )
    };
    let fails: Vec<String> = ports
        .iter()
        .filter(|p| p.severity == Severity::Fail)
        .map(|p| describe(&p))
        .collect();
    let warns: Vec<String> = ports
        .iter()
        .filter(|p| p.severity == Severity::Warn)
        .map(|p| describe(&p))
        .collect();
    if !fails.is_empty() {
        CheckItem::new(
            NAME,
            Status::Fail,
            format!(
                "loopback-only services reachable from outside: {}",
                fails.join(", ")
            ),
            "bind them to 127.0.0.1 or firewall them (bantop ports)",
        )
    } else if !warns.is_empty() {
        CheckItem::new(
            NAME,
            Status::Warn,
            format!("public services to review: {}", warns.join(", ")),
            "see bantop ports",
        )
    } else {
        CheckItem::new(
            NAME,
            Status::Pass,
            format!("{} listening sockets, all as expected", ports.len()),
            "",
        )
    }
}

fn sip_acls(inputs: &PostureInputs) -> CheckItem {
    const NAME: &str = "SIP ACLs sane";
    if !inputs.asterisk_dir.join("pjsip.conf").is_file() {
        return CheckItem::new(
            NAME,
            Status::Warn,
            format!(
                "no {}: not an Asterisk server?",
                inputs.asterisk_dir.join("pjsip.conf").display()
            ),
            "",
        );
    }
    match endpoints::load(&inputs.asterisk_dir) {
        Err(error) => CheckItem::new(NAME, Status::Fail, error.to_string(), "fix the line named"),
        Ok(acls) => {
            let first = |error: bool| {
                acls.problems
                    .iter()
                    .find(|p| p.error == error)
                    .map(|p| format!("{}: {}", p.origin, p.message))
            };
            if let Some(problem) = first(true) {
                CheckItem::new(
                    NAME,
                    Status::Fail,
                    problem,
                    "fix the ACL item (bantop acl check)",
                )
            } else if let Some(problem) = first(false) {
                CheckItem::new(
                    NAME,
                    Status::Warn,
                    problem,
                    "use only permit with ! items, no spaces after commas",
                )
            } else if acls.guards.is_empty() {
                CheckItem::new(
                    NAME,
                    Status::Warn,
                    "no endpoint has an ACL: fail2ban is SIP's only guard",
                    "restrict trunks and phones with permit = !0.0.0.0/0,<networks>",
                )
            } else {
                CheckItem::new(
                    NAME,
                    Status::Pass,
                    format!("{} ACL(s), no problem found", acls.guards.len()),
                    "",
                )
            }
        }
    }
}

//! What a remote bantop sends, read as if hostile: every document is parsed into bounded,
//! typed values (jail names checked, addresses parsed, times finite, texts sanitized and cut,
//! lists capped); anything else is refused with the reason. Jails are named `host/jail` from
//! here on, so one view can hold every host's jails.

use crate::fail2ban::config::jail_conf::{IgnoreEntry, ignore_entry};
use crate::model::sanitize::sanitize;
use crate::model::{Ban, BanOrigin, EventKind, Failure, JailSettings, LogEvent};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The longest text kept: a log line, a step's words.
pub const MAX_TEXT: usize = 4096;
/// The longest jail name.
const MAX_JAIL: usize = 64;
/// Captures kept per failure.
const MAX_CAPTURES: usize = 32;
/// Jails kept per host.
const MAX_JAILS: usize = 256;
/// Bans kept per jail.
const MAX_BANS: usize = 100_000;
/// Evidence lines kept per ban, and ignore list entries per jail.
const MAX_LIST: usize = 64;
/// Members of a failure that are not captures.
const FAILURE_MEMBERS: [&str; 11] = [
    "type", "jail", "ip", "time", "line", "state", "count", "maxretry", "country", "asn", "org",
];

/// The jail `jail` of host `host`, as the merged view names it.
pub fn host_jail(host: &str, jail: &str) -> String {
    format!("{host}/{jail}")
}

/// The host and the jail of a merged view's jail name.
pub fn split_host_jail(name: &str) -> Option<(&str, &str)> {
    name.split_once('/')
}

/// `text` sanitized (no control or bidi characters) and cut to `max` characters.
pub fn bounded(text: &str, max: usize) -> String {
    let clean = sanitize(text);
    if clean.chars().count() <= max {
        clean
    } else {
        clean
            .chars()
            .take(max)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// A jail name as fail2ban allows them in practice: letters, digits, `-_.@:`.
fn checked_jail(name: &str) -> Result<String, String> {
    let fits = !name.is_empty()
        && name.len() <= MAX_JAIL
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'));
    if fits {
        Ok(name.to_string())
    } else {
        Err(format!("jail name {:?} refused", bounded(name, 40)))
    }
}

/// A time that can be a log line's: finite, after 1970, before 5138.
fn checked_time(time: f64) -> Result<f64, String> {
    if time.is_finite() && time > 0.0 && time < 1e11 {
        Ok(time)
    } else {
        Err(format!("time {time} refused"))
    }
}

/// An event of a remote `events --json` stream, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteEvent {
    /// A failure a remote jail's filter found, and how the jail took it.
    Failure(LogEvent),
    /// A remote log source changed state.
    Source {
        /// The jail, `host/jail`.
        jail: String,
        /// The file, or `journal`.
        path: String,
        /// Its state, in words.
        status: String,
    },
}

impl RemoteEvent {
    /// The time of a failure (sources have none).
    pub fn time(&self) -> Option<f64> {
        match self {
            RemoteEvent::Failure(log) => Some(log.failure.time),
            RemoteEvent::Source { .. } => None,
        }
    }
}

/// One line of a remote `events --json`: `Ok(None)` for what the merged view does not take
/// (the remote's own ban counting: fail2ban's bans come from `status`).
pub fn parse_event(host: &str, line: &str) -> Result<Option<RemoteEvent>, String> {
    let value: Map<String, Value> =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let text = |name: &str| value.get(name).and_then(Value::as_str);
    let jail = checked_jail(text("jail").ok_or("no jail")?)?;
    match text("type").ok_or("no type")? {
        "failure" => {
            let host_text = text("ip").ok_or("no ip")?;
            let time = checked_time(value.get("time").and_then(Value::as_f64).ok_or("no time")?)?;
            let number = |name: &str| {
                value
                    .get(name)
                    .and_then(Value::as_u64)
                    .map(|n| n.min(1_000_000) as u32)
            };
            let kind = match (text("state"), number("count"), number("maxretry")) {
                (_, Some(count), Some(maxretry)) => EventKind::Counted { count, maxretry },
                (Some("ignored"), ..) => EventKind::Ignored,
                (Some("unresolved"), ..) => EventKind::Unresolved,
                _ => EventKind::AlreadyBanned,
            };
            let captures: BTreeMap<String, String> = value
                .iter()
                .filter(|(name, _)| !FAILURE_MEMBERS.contains(&name.as_str()))
                .filter_map(|(name, v)| Some((bounded(name, 40), bounded(v.as_str()?, 256))))
                .take(MAX_CAPTURES)
                .collect();
            let line = bounded(text("line").unwrap_or(""), MAX_TEXT);
            let summary = crate::model::summary::summarize(&line);
            Ok(Some(RemoteEvent::Failure(LogEvent {
                failure: Failure {
                    jail: host_jail(host, &jail),
                    host: bounded(host_text, 255),
                    ip: crate::model::address::canonical_target(host_text)
                        .ok()
                        .filter(|net| net.prefix_len() == net.max_prefix_len())
                        .map(|net| net.addr()),
                    time,
                    fid: 0,
                    captures,
                    line,
                },
                kind,
                summary: bounded(&summary, 200),
            })))
        }
        "source" => Ok(Some(RemoteEvent::Source {
            jail: host_jail(host, &jail),
            path: bounded(text("path").unwrap_or(""), 512),
            status: bounded(
                &[text("status"), text("message")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
                512,
            ),
        })),
        _ => Ok(None),
    }
}

/// A remote `status --json`, checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteStatus {
    /// Whether its fail2ban answered.
    pub answered: bool,
    /// Why not.
    pub error: Option<String>,
    /// Its jails.
    pub jails: Vec<RemoteJail>,
}

/// One jail of a remote `status --json`.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteJail {
    /// The jail's own name (without the host).
    pub name: String,
    /// Its bans in force, jails named `host/jail`.
    pub bans: Vec<Ban>,
    /// Its ignore list, as fail2ban holds it.
    pub ignoreip: Vec<String>,
}

#[derive(Deserialize)]
struct StatusWire {
    answered: bool,
    error: Option<String>,
    #[serde(default)]
    jails: Vec<JailWire>,
}

#[derive(Deserialize)]
struct JailWire {
    name: String,
    #[serde(default)]
    bans: Vec<BanWire>,
    #[serde(default)]
    ignoreip: Vec<String>,
}

#[derive(Deserialize)]
struct BanWire {
    ip: String,
    since: f64,
    until: Option<f64>,
    bancount: Option<i64>,
    failures: Option<i64>,
    #[serde(default)]
    matches: Vec<String>,
}

/// A remote `status --json` document, bans of addresses fail2ban would not hold left out.
pub fn parse_status(host: &str, text: &[u8]) -> Result<RemoteStatus, String> {
    let wire: StatusWire =
        serde_json::from_slice(text).map_err(|e| format!("status: not bantop's JSON: {e}"))?;
    if wire.jails.len() > MAX_JAILS {
        return Err(format!("status: more than {MAX_JAILS} jails"));
    }
    let mut jails = Vec::with_capacity(wire.jails.len());
    for jail in wire.jails {
        let name = checked_jail(&jail.name)?;
        let merged = host_jail(host, &name);
        let bans = jail
            .bans
            .into_iter()
            .take(MAX_BANS)
            .filter_map(|ban| {
                let ip = crate::model::address::canonical_target(&ban.ip).ok()?;
                (ip.prefix_len() == ip.max_prefix_len()).then_some(())?;
                Some(Ban {
                    jail: merged.clone(),
                    ip: ip.addr(),
                    since: checked_time(ban.since).ok()?,
                    until: match ban.until {
                        Some(until) => Some(checked_time(until).ok()?),
                        None => None,
                    },
                    count: ban.bancount.unwrap_or(1).clamp(0, 1_000_000) as u32,
                    failures: ban.failures.unwrap_or(0).clamp(0, 1_000_000) as u32,
                    evidence: ban
                        .matches
                        .iter()
                        .take(MAX_LIST)
                        .map(|m| bounded(m, MAX_TEXT))
                        .collect(),
                    origin: BanOrigin::Jail,
                    length_caveat: None,
                })
            })
            .collect();
        jails.push(RemoteJail {
            name,
            bans,
            ignoreip: jail
                .ignoreip
                .iter()
                .take(MAX_LIST)
                .map(|e| bounded(e, 64))
                .collect(),
        });
    }
    Ok(RemoteStatus {
        answered: wire.answered,
        error: wire.error.map(|e| bounded(&e, 300)),
        jails,
    })
}

#[derive(Deserialize)]
struct JailsWire {
    jails: Vec<JailSettingsWire>,
}

#[derive(Deserialize)]
struct JailSettingsWire {
    name: String,
    #[serde(default)]
    filter: String,
    maxretry: u32,
    findtime: i64,
    bantime: i64,
    #[serde(default)]
    ignoreip: Vec<String>,
    #[serde(default)]
    ignoreself: bool,
    #[serde(default)]
    ignorecommand: String,
    #[serde(default)]
    logpath: Vec<String>,
    #[serde(default)]
    backend: String,
    #[serde(default)]
    actions: Vec<String>,
}

/// A remote `jails --json` document: each jail's settings, named `host/jail`.
pub fn parse_jails(host: &str, text: &[u8]) -> Result<Vec<JailSettings>, String> {
    let wire: JailsWire =
        serde_json::from_slice(text).map_err(|e| format!("jails: not bantop's JSON: {e}"))?;
    if wire.jails.len() > MAX_JAILS {
        return Err(format!("jails: more than {MAX_JAILS} jails"));
    }
    wire.jails
        .into_iter()
        .map(|jail| {
            let name = checked_jail(&jail.name)?;
            let mut ignoreip = Vec::new();
            let mut ignore_names = Vec::new();
            for entry in jail.ignoreip.iter().take(MAX_LIST) {
                match ignore_entry(entry) {
                    IgnoreEntry::Net(net) => ignoreip.push(net),
                    IgnoreEntry::HostName(name) | IgnoreEntry::Unusable(name) => {
                        ignore_names.push(bounded(&name, 64))
                    }
                }
            }
            Ok(JailSettings {
                name: host_jail(host, &name),
                filter: bounded(&jail.filter, 128),
                maxretry: jail.maxretry.min(1_000_000),
                findtime: jail.findtime,
                bantime: jail.bantime,
                ignoreip,
                ignore_names,
                logpath: jail
                    .logpath
                    .iter()
                    .take(MAX_LIST)
                    .map(|p| bounded(p, 512))
                    .collect(),
                backend: bounded(&jail.backend, 32),
                action: bounded(&jail.actions.join(", "), 256),
                port: String::new(),
                ignoreself: jail.ignoreself,
                ignorecommand: Some(bounded(&jail.ignorecommand, 512)).filter(|c| !c.is_empty()),
                ban_increment: None,
            })
        })
        .collect()
}

/// The steps of a remote action (`unban ... --json`), checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteSteps {
    /// Whether every step worked.
    pub ok: bool,
    /// Each step: its words, whether it worked, whether it changed anything.
    pub steps: Vec<RemoteStep>,
}

/// One step of a remote action.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct RemoteStep {
    /// What was done, in words.
    pub text: String,
    /// Whether it worked.
    pub ok: bool,
    /// Whether it changed anything.
    #[serde(default)]
    pub changed: bool,
}

#[derive(Deserialize)]
struct StepsWire {
    ok: bool,
    steps: Vec<RemoteStep>,
}

/// A remote action's `--json` report.
pub fn parse_steps(text: &[u8]) -> Result<RemoteSteps, String> {
    let wire: StepsWire = serde_json::from_slice(text)
        .map_err(|e| format!("the remote action's answer is not bantop's JSON: {e}"))?;
    Ok(RemoteSteps {
        ok: wire.ok && wire.steps.iter().all(|s| s.ok),
        steps: wire
            .steps
            .into_iter()
            .take(MAX_LIST)
            .map(|s| RemoteStep {
                text: bounded(&s.text, MAX_TEXT),
                ..s
            })
            .collect(),
    })
}

/// The version a remote `bantop --version` prints (`0.1.0`), or why it is not bantop's.
pub fn parse_version(text: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(text);
    let version = text
        .trim()
        .strip_prefix("bantop ")
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|v| {
            v.len() <= 32
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-+~".contains(c))
        })
        .ok_or_else(|| format!("not bantop: --version printed {:?}", bounded(&text, 60)))?;
    Ok(version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_read_with_its_host_and_kind() {
        let line = r#"{"user":"1001","type":"failure","jail":"asterisk","ip":"::ffff:198.51.100.7","time":1768842130.5,"line":"x \u001b[31m\u202e","state":"counted","count":3,"maxretry":5,"country":null}"#;
        let Ok(Some(RemoteEvent::Failure(log))) = parse_event("pbx1", line) else {
            panic!("not read");
        };
        assert_eq!(log.failure.jail, "pbx1/asterisk");
        assert_eq!(log.failure.ip, "198.51.100.7".parse().ok());
        assert_eq!(
            log.kind,
            EventKind::Counted {
                count: 3,
                maxretry: 5
            }
        );
        assert_eq!(
            log.failure.captures.get("user").map(String::as_str),
            Some("1001")
        );
        assert!(!log.failure.line.contains('\u{1b}') && !log.failure.line.contains('\u{202e}'));
        // Without a count, the state says how the jail took it.
        for (state, kind) in [
            ("ignored", EventKind::Ignored),
            ("banned", EventKind::AlreadyBanned),
            ("unresolved", EventKind::Unresolved),
        ] {
            let line = format!(
                r#"{{"type":"failure","jail":"sshd","ip":"192.0.2.1","time":1.0,"line":"x","state":"{state}"}}"#
            );
            let Ok(Some(RemoteEvent::Failure(log))) = parse_event("pbx1", &line) else {
                panic!("not read: {line}");
            };
            assert_eq!(log.kind, kind);
        }
    }

    #[test]
    fn hostile_documents_are_refused() {
        for line in [
            "[]",
            "{}",
            r#"{"type":"failure","jail":"a/b","ip":"1.2.3.4","time":1}"#,
            r#"{"type":"failure","jail":"a b","ip":"1.2.3.4","time":1}"#,
            r#"{"type":"failure","jail":"sshd","ip":"1.2.3.4","time":1e300}"#,
            r#"{"type":"failure","jail":"sshd","ip":"1.2.3.4"}"#,
        ] {
            assert!(parse_event("h", line).is_err(), "{line}");
        }
        assert_eq!(
            parse_event("h", r#"{"type":"ban","jail":"sshd","ip":"1.2.3.4"}"#),
            Ok(None)
        );
        assert!(parse_status("h", br#"{"answered":true,"jails":[{"name":"../x"}]}"#).is_err());
        assert!(parse_version(b"sh: 1: bantop: not found").is_err());
        assert_eq!(
            parse_version(b"bantop 0.1.0 (git abc)\n"),
            Ok("0.1.0".to_string())
        );
    }

    #[test]
    fn a_status_keeps_address_bans() {
        let status = parse_status(
            "pbx2",
            br#"{"answered":true,"error":null,"jails":[{"name":"sshd","bans":[{"jail":"sshd","ip":"192.0.2.9","since":1768842130.0,"bantime":600,"until":1768842730.0,"bancount":2,"failures":5,"matches":["a"]},{"ip":"not an address","since":1.0}],"ignoreip":["127.0.0.1/8"]}]}"#,
        )
        .unwrap_or_default();
        assert!(status.answered);
        assert_eq!(status.jails[0].bans.len(), 1);
        assert_eq!(status.jails[0].bans[0].jail, "pbx2/sshd");
        assert_eq!(status.jails[0].bans[0].count, 2);
    }
}

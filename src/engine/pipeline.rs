//! Lines to events, the same way everywhere (demo, live TUI, `bantop events`): a jail's filter
//! finds the failure, its state counts it against `maxretry` and bans at the threshold.

use super::jail_state::{JailState, jail_and_others};
use crate::fail2ban::date::Zone;
use crate::fail2ban::dns::{self, NameAnswer};
use crate::fail2ban::filter::FilterMatch;
use crate::fail2ban::filter::failure_ids::{FailureIds, UseDns, failure_ids};
use crate::fail2ban::jail_conf::{JailConf, JailConfError, read_jails};
use crate::fail2ban::{Filter, FilterError};
use crate::model::summary::summarize;
use crate::model::{Ban, EngineEvent, EventKind, Failure, JailSettings, LogEvent};
use crate::source::SourceLine;
use crate::source::journal::JournalSource;
use crate::source::watch::{FileJail, Start, TimeOf};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A jail with its compiled filter and its failure counts.
#[derive(Debug)]
pub struct PipelineJail {
    /// Counts and bans.
    pub state: JailState,
    /// The compiled filter.
    pub filter: Filter,
    /// Whether a host name found in a line is resolved (fail2ban's `usedns`).
    pub usedns: UseDns,
}

/// Matches `text` with the filter of the jail named `jail` and counts the failure there, once
/// per address it counts against (see [`count_found`]). `given_time` is the source's own time
/// (journald); the failure's time is `force_time`, else the line's, else `now`.
pub fn count_line(
    jails: &mut [PipelineJail],
    jail: &str,
    text: &str,
    given_time: Option<f64>,
    now: f64,
    force_time: Option<f64>,
) -> Vec<(LogEvent, Option<Ban>)> {
    let Some(index) = jails.iter().position(|j| j.state.settings.name == jail) else {
        return Vec::new();
    };
    let Some(found) = jails[index].filter.match_line(text, given_time, now) else {
        return Vec::new();
    };
    let time = force_time.or(found.time).unwrap_or(now);
    count_found(jails, index, FoundLine::new(found, text), time)
}

/// A failure a filter found, with the line that completed it and that line in a few words
/// (made where the line was matched, on the matching thread of a block scan).
#[derive(Debug, Clone)]
pub struct FoundLine {
    /// What the filter found.
    pub found: FilterMatch,
    /// The line.
    pub text: String,
    /// The line in a few words ([`summarize`]).
    pub summary: String,
}

impl FoundLine {
    /// `found` in `text`.
    pub fn new(found: FilterMatch, text: &str) -> Self {
        FoundLine {
            found,
            text: text.to_string(),
            summary: summarize(text),
        }
    }
}

/// Counts a failure the filter of `jails[index]` found at `time`, once per address it counts
/// against (a host name resolved as the jail's `usedns` says); a ban with
/// `bantime.overalljails` counts the address's bans in the other jails too.
pub fn count_found(
    jails: &mut [PipelineJail],
    index: usize,
    line: FoundLine,
    time: f64,
) -> Vec<(LogEvent, Option<Ban>)> {
    let FoundLine {
        found,
        text,
        summary,
    } = line;
    let Some((jail, others)) = jail_and_others(jails, index) else {
        return Vec::new();
    };
    let others: Vec<&PipelineJail> = others.collect();
    let mut resolve = |name: &str| dns::addresses_of(name, NAME_TIMEOUT);
    // A name that resolves to nothing counts for nothing, as in fail2ban; it is still shown.
    let addresses: Vec<Option<IpAddr>> = match failure_ids(&found, jail.usedns, &mut resolve) {
        FailureIds::Addresses(addresses) if !addresses.is_empty() => {
            addresses.into_iter().map(Some).collect()
        }
        FailureIds::Addresses(_) | FailureIds::Text(_) => vec![None],
    };
    let mut counted = Vec::with_capacity(addresses.len());
    let (mut captures, mut text, mut summary) = (found.captures, text, summary);
    let last = addresses.len().saturating_sub(1);
    for (n, ip) in addresses.into_iter().enumerate() {
        let (kind, ban) = match ip {
            Some(ip) => {
                let bans_elsewhere = || {
                    others
                        .iter()
                        .map(|other| other.state.earlier_bans(ip))
                        .sum()
                };
                let outcome = jail.state.record_failure(ip, time, &text, bans_elsewhere);
                (outcome.kind, outcome.ban)
            }
            None => (EventKind::Unresolved, None),
        };
        // The last address takes the line and its captures; the others copy them.
        let take = n == last;
        let failure = Failure {
            jail: jail.state.settings.name.clone(),
            host: ip.map_or_else(|| found.host.clone(), |ip| ip.to_string()),
            ip,
            time,
            fid: found.fid,
            captures: if take {
                std::mem::take(&mut captures)
            } else {
                captures.clone()
            },
            line: if take {
                std::mem::take(&mut text)
            } else {
                text.clone()
            },
        };
        counted.push((
            LogEvent {
                failure,
                kind,
                summary: if take {
                    std::mem::take(&mut summary)
                } else {
                    summary.clone()
                },
            },
            ban,
        ));
    }
    counted
}

/// How long start-up waits for the ignore lists' host names.
const NAME_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The enabled jails of a server configuration, ready to match.
#[derive(Debug)]
pub struct Pipeline {
    /// The jails whose filter compiled.
    pub jails: Vec<PipelineJail>,
    /// Jails left out, with why (a filter that does not read or compile).
    pub problems: Vec<(String, String)>,
}

impl Pipeline {
    /// The enabled jails of `dir`; a jail whose filter fails is reported, not fatal.
    pub fn load(dir: &Path, zone: Zone) -> Result<Self, JailConfError> {
        Ok(Self::new(read_jails(dir)?, zone))
    }

    /// The jails of `confs`, their filters compiled.
    pub fn new(confs: Vec<JailConf>, zone: Zone) -> Self {
        let mut jails = Vec::new();
        let mut problems = Vec::new();
        let own = crate::ports::procfs::local_addresses(Path::new("/proc"));
        // Host names of the ignore lists, resolved once (bounded) for matching.
        let names: Vec<String> = confs
            .iter()
            .flat_map(|c| c.settings.ignore_names.iter().cloned())
            .collect();
        let answers = crate::fail2ban::dns::resolve(&names, NAME_TIMEOUT);
        for mut conf in confs {
            if conf.settings.ignoreself {
                conf.settings
                    .ignoreip
                    .extend(own.iter().map(|ip| ipnet::IpNet::from(*ip)));
            }
            for name in &conf.settings.ignore_names {
                if let Some(NameAnswer::Addresses(found)) = answers.get(name) {
                    conf.settings
                        .ignoreip
                        .extend(found.iter().map(|ip| ipnet::IpNet::from(*ip)));
                }
            }
            match Filter::compile(&conf.filter, zone) {
                Ok(filter) => jails.push(PipelineJail {
                    usedns: UseDns::of(conf.filter.usedns.as_deref()),
                    state: JailState::without_evidence(conf.settings),
                    filter,
                }),
                Err(error) => problems.push((conf.settings.name.clone(), error_text(&error))),
            }
        }
        Pipeline { jails, problems }
    }

    /// The jails' settings.
    pub fn settings(&self) -> Vec<JailSettings> {
        self.jails
            .iter()
            .map(|j| j.state.settings.clone())
            .collect()
    }

    /// The longest `findtime`, for how far back to read at start-up.
    pub fn longest_findtime(&self) -> i64 {
        self.jails
            .iter()
            .map(|j| j.state.settings.findtime)
            .max()
            .unwrap_or(600)
    }

    /// Matches and counts one line; `emit_bans` says whether bans counted here are events (not
    /// when fail2ban's own bans are shown instead).
    pub fn process(&mut self, line: &SourceLine, now: f64, emit_bans: bool) -> Vec<EngineEvent> {
        let given = line.time_from_source.then_some(line.time);
        let mut events = Vec::new();
        for (event, ban) in count_line(&mut self.jails, &line.jail, &line.text, given, now, None) {
            events.push(EngineEvent::Log(event));
            if emit_bans {
                events.extend(ban.map(EngineEvent::Banned));
            }
        }
        events
    }

    /// Ends the bans due at `now` and forgets old failures.
    pub fn expire(&mut self, now: f64) -> Vec<EngineEvent> {
        self.jails
            .iter_mut()
            .flat_map(|j| j.state.expire(now))
            .map(|ban| EngineEvent::Unbanned {
                ban,
                reason: "expired".to_string(),
            })
            .collect()
    }

    /// The file-backed jails (not `systemd`): from `from` on (epoch seconds, found by a backfill
    /// with the jail's own date reading), or whole files when `None`.
    pub fn file_jails(&self, from: Option<f64>) -> Vec<FileJail> {
        self.jails
            .iter()
            .filter(|j| !j.state.settings.backend.trim().starts_with("systemd"))
            .map(|j| {
                let start = match (from, self.time_reader(&j.state.settings.name)) {
                    (Some(cutoff), Some(time_of)) => Start::Backfill { cutoff, time_of },
                    _ => Start::FromStart,
                };
                FileJail {
                    jail: j.state.settings.name.clone(),
                    patterns: j.state.settings.logpath.clone(),
                    start,
                }
            })
            .collect()
    }

    /// The journal-backed jails, from `since` (or the whole journal), from `file` if given,
    /// followed or read to the end.
    pub fn journal_sources(
        &self,
        since: Option<f64>,
        file: Option<PathBuf>,
        follow: bool,
    ) -> Vec<JournalSource> {
        self.jails
            .iter()
            .filter(|j| j.state.settings.backend.trim().starts_with("systemd"))
            .map(|j| JournalSource {
                jail: j.state.settings.name.clone(),
                journalmatch: j.filter.journalmatch().to_vec(),
                since,
                file: file.clone(),
                follow,
            })
            .collect()
    }

    /// How to read a line's time with the jail's own filter (for the backfill).
    pub(crate) fn time_reader(&self, jail: &str) -> Option<TimeOf> {
        let filter = self
            .jails
            .iter()
            .find(|j| j.state.settings.name == jail)?
            .filter
            .compiled()
            .clone();
        // The clock is read here, at the edge: the filter infers a missing year from `now`.
        Some(Arc::new(move |line: &str| {
            filter.line_time(line, chrono::Utc::now().timestamp() as f64)
        }))
    }
}

fn error_text(error: &FilterError) -> String {
    error
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignoreself_ignores_the_machines_own_addresses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/fail2ban");
        let pipeline = Pipeline::load(&dir, Zone::utc()).unwrap_or_else(|e| panic!("{e}"));
        let configured = read_jails(&dir).unwrap_or_default();
        let own = crate::ports::procfs::local_addresses(Path::new("/proc"));
        assert!(!own.is_empty());
        for jail in &pipeline.jails {
            assert!(jail.state.settings.ignoreself, "fail2ban's default");
            assert!(
                own.iter().all(|ip| jail.state.settings.ignores(*ip)),
                "{own:?}"
            );
            let before = configured
                .iter()
                .find(|c| c.settings.name == jail.state.settings.name)
                .map_or(0, |c| c.settings.ignoreip.len());
            assert_eq!(jail.state.settings.ignoreip.len(), before + own.len());
        }
    }
}

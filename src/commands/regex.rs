//! `bantop regex [--json] [--now EPOCH] [--datepattern PATTERN] LOG FILTER`: a filter on a log
//! file, like fail2ban-regex. FILTER is a name in `<fail2ban-dir>/filter.d` or a path to a
//! `.conf`, optionally with options (`sshd[mode=aggressive]`). With `--json`, one object per
//! failure (one per address a host name resolves to, as `usedns` says): `lineno`, `fid`, `host`,
//! `time` and the captures under fail2ban's names; without, a summary (hits per failregex,
//! lines matched and missed, time taken).

use crate::fail2ban::config::Section;
use crate::fail2ban::date::Zone;
use crate::fail2ban::dns;
use crate::fail2ban::filter::failure_ids::{FailureIds, UseDns, failure_ids};
use crate::fail2ban::filter::{CompiledFilter, FilterMatch};
use crate::fail2ban::filter_conf::FilterConf;
use crate::fail2ban::log_scan::{self, Totals};
use crate::fail2ban::strptime;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to run.
#[derive(Debug, Clone)]
pub struct RegexRequest {
    /// The log file.
    pub log: PathBuf,
    /// The filter (name or path, with options).
    pub filter: String,
    /// fail2ban's configuration directory (for names).
    pub fail2ban_dir: PathBuf,
    /// The current time (epoch seconds) for year inference and undated lines.
    pub now: Option<f64>,
    /// Replaces the filter's `datepattern`.
    pub datepattern: Option<String>,
    /// JSON lines instead of the summary.
    pub json: bool,
    /// Matching threads (`None`: one per core, at most [`MAX_JOBS`]).
    pub jobs: Option<usize>,
    /// Replaces the filter's `usedns` (fail2ban-regex's `--usedns`).
    pub usedns: Option<String>,
}

/// Threads used when none are asked for.
pub const MAX_JOBS: usize = 8;

/// Runs the filter over the log and writes the result to `out`.
pub fn run(request: &RegexRequest, out: &mut dyn Write) -> anyhow::Result<u8> {
    let filter_dir = request.fail2ban_dir.join("filter.d");
    let mut conf = FilterConf::load(&request.filter, &filter_dir, &Section::new())?;
    if let Some(pattern) = &request.datepattern {
        conf.datepattern = Some(pattern.clone());
    }
    let filter = CompiledFilter::compile(&conf, Zone::Local)?;
    // The summary only counts failures: their hosts and captures are never copied out.
    let filter = if request.json {
        filter
    } else {
        filter.counting()
    };
    let now = request
        .now
        .unwrap_or_else(|| chrono::Utc::now().timestamp() as f64);
    let file = std::fs::File::open(&request.log)
        .map_err(|e| anyhow::anyhow!("{}: {e}", request.log.display()))?;
    let jobs = request.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS))
    });
    let start = Instant::now();
    let mut matched = 0u64;
    let mut hits = vec![0u64; conf.failregex.len()];
    let mut out = std::io::BufWriter::new(out);
    let usedns = UseDns::of(request.usedns.as_deref().or(conf.usedns.as_deref()));
    let prepare = |found: FilterMatch, _: &str| Prepared {
        fid: found.fid,
        json: if request.json {
            json_per_address(found, usedns, now)
        } else {
            Vec::new()
        },
    };
    let templates = filter.date_templates();
    let totals = log_scan::scan(file, &filter, now, jobs, &prepare, &mut |lineno, found| {
        matched += 1;
        if let Some(count) = hits.get_mut(found.fid) {
            *count += 1;
        }
        // One object per address the failure counts against; a closed pipe (`| head`) ends
        // the run.
        found
            .json
            .iter()
            .all(|(before, after)| write_object(&mut out, before, lineno, after).is_ok())
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", request.log.display()))?;
    if !request.json {
        let summary = Summary {
            conf: &conf,
            hits: &hits,
            templates: &templates,
            totals,
            matched,
            seconds: start.elapsed().as_secs_f64(),
            log: &request.log,
        };
        write_summary(&mut out, summary)?;
        out.flush()?;
    } else {
        // JSON lines end quietly when the reader has gone (`| head`).
        out.flush().ok();
    }
    Ok(super::OK)
}

/// One failure's JSON line: its members before `lineno`, `lineno`, those after.
fn write_object(
    out: &mut impl Write,
    before: &str,
    lineno: u64,
    after: &str,
) -> std::io::Result<()> {
    out.write_all(b"{")?;
    if !before.is_empty() {
        write!(out, "{before},")?;
    }
    write!(out, "\"lineno\":{lineno}")?;
    if !after.is_empty() {
        write!(out, ",{after}")?;
    }
    out.write_all(b"}\n")
}

/// A failure as the output needs it, made on the thread that found it.
struct Prepared {
    fid: usize,
    /// Its JSON objects' members before and after `lineno` (in key order, as serde_json
    /// writes an object), one per address it counts against, when `--json`.
    json: Vec<(String, String)>,
}

/// Waiting for the resolver, for a host name a failregex found (`usedns`).
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The failure's objects: one per address fail2ban counts it against (a host name resolved
/// as its `usedns` says; none when it resolves to nothing).
fn json_per_address(found: FilterMatch, usedns: UseDns, now: f64) -> Vec<(String, String)> {
    let mut resolve = |name: &str| dns::addresses_of(name, RESOLVE_TIMEOUT);
    match failure_ids(&found, usedns, &mut resolve) {
        FailureIds::Text(_) => vec![json_around_lineno(found, now)],
        FailureIds::Addresses(addresses)
            if addresses.len() == 1 && found.host.parse::<std::net::IpAddr>().is_ok() =>
        {
            vec![json_around_lineno(found, now)]
        }
        FailureIds::Addresses(addresses) => addresses
            .iter()
            .map(|ip| {
                let mut one = found.clone();
                one.host = ip.to_string();
                json_around_lineno(one, now)
            })
            .collect(),
    }
}

/// The failure's JSON members (captures under fail2ban's names, `fid`, `host`, `time`,
/// `attempts`, `users`) in key order, split around where `lineno` goes. Written straight into
/// the two strings (a failure is far more often written than anything else here).
fn json_around_lineno(found: FilterMatch, now: f64) -> (String, String) {
    let mut members: Vec<(&str, Member)> = vec![
        ("attempts", Member::Count(found.attempts)),
        ("fid", Member::Count(found.fid)),
        ("host", Member::Text(&found.host)),
        ("time", Member::Time(found.time.unwrap_or(now))),
    ];
    if !found.users.is_empty() {
        members.push(("users", Member::Users(&found.users)));
    }
    // fail2ban's own members take the place of captures of the same name.
    let own = members.len();
    for (name, value) in &found.captures {
        if name != "lineno" && !members[..own].iter().any(|(key, _)| key == name) {
            members.push((name, Member::Text(value)));
        }
    }
    members.sort_by(|a, b| a.0.cmp(b.0));
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (key, value) in &members {
        let out = if *key < "lineno" {
            &mut before
        } else {
            &mut after
        };
        if !out.is_empty() {
            out.push(b',');
        }
        value.write_key(key, out);
    }
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap_or_default();
    (text(before), text(after))
}

/// A JSON member's value, borrowed from the failure.
enum Member<'a> {
    Text(&'a str),
    Count(usize),
    Time(f64),
    Users(&'a [String]),
}

impl Member<'_> {
    /// `"key":value` as serde_json writes them (into memory, which cannot fail: strings,
    /// numbers and a list of strings always serialize).
    fn write_key(&self, key: &str, out: &mut Vec<u8>) {
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        let _ = match self {
            Member::Text(text) => serde_json::to_writer(&mut *out, text),
            Member::Count(count) => serde_json::to_writer(&mut *out, count),
            Member::Time(time) => serde_json::to_writer(&mut *out, time),
            Member::Users(users) => serde_json::to_writer(&mut *out, users),
        };
    }
}

/// What the summary says, as fail2ban-regex says it.
struct Summary<'a> {
    conf: &'a FilterConf,
    /// Failures by failregex.
    hits: &'a [u64],
    /// The date templates' names, in the order of the totals' date hits.
    templates: &'a [String],
    totals: Totals,
    matched: u64,
    seconds: f64,
    log: &'a Path,
}

fn write_summary(out: &mut dyn Write, summary: Summary) -> std::io::Result<()> {
    let Summary {
        conf,
        hits,
        templates,
        totals,
        matched,
        seconds,
        log,
    } = summary;
    writeln!(
        out,
        "Running tests\n=============\n\nUse   failregex filter file : {}\nUse         log file : {}\n",
        conf.path.display(),
        log.display()
    )?;
    writeln!(
        out,
        "Failregex: {matched} total\n|-  #) [# of hits] regular expression"
    )?;
    for (index, (regex, count)) in conf.failregex.iter().zip(hits).enumerate() {
        writeln!(out, "|   {}) [{count}] {regex}", index + 1)?;
    }
    // The templates that found dates, most first (fail2ban's detector reorders them so).
    writeln!(out, "`-\n\nDate template hits:\n|- [# of hits] date format")?;
    let mut used: Vec<(&String, u64)> = templates
        .iter()
        .zip(totals.date_hits.iter().copied())
        .filter(|(_, hits)| *hits > 0)
        .collect();
    used.sort_by_key(|(_, hits)| std::cmp::Reverse(*hits));
    for (name, hits) in used {
        writeln!(out, "|  [{hits}] {}", strptime::display_name(name))?;
    }
    let Totals { lines, ignored, .. } = totals;
    writeln!(
        out,
        "`-\n\nLines: {lines} lines, {ignored} ignored, {matched} matched, {} missed",
        lines.saturating_sub(matched + ignored)
    )?;
    writeln!(out, "[processed in {seconds:.2} sec]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_members_fall_on_either_side_of_lineno_in_key_order() {
        let found = FilterMatch {
            fid: 2,
            host: "192.0.2.7".into(),
            time: Some(5.5),
            captures: [
                ("user", "root"),
                ("ip4", "192.0.2.7"),
                ("lineno", "not this"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            attempts: 1,
            users: vec!["root".into(), "admin \"x\"".into()],
        };
        let (before, after) = json_around_lineno(found, 0.0);
        assert_eq!(
            before,
            r#""attempts":1,"fid":2,"host":"192.0.2.7","ip4":"192.0.2.7""#
        );
        assert_eq!(
            after,
            r#""time":5.5,"user":"root","users":["root","admin \"x\""]"#
        );
        let line: Result<serde_json::Value, _> =
            serde_json::from_str(&format!("{{{before},\"lineno\":3,{after}}}"));
        assert_eq!(line.ok().and_then(|v| v["lineno"].as_u64()), Some(3));
    }

    #[test]
    fn fail2bans_own_members_take_the_place_of_captures_of_their_name() {
        let found = FilterMatch {
            fid: 0,
            host: "192.0.2.7".into(),
            time: None,
            captures: [("host", "captured"), ("time", "noon"), ("users", "kept")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            attempts: 2,
            users: Vec::new(),
        };
        assert_eq!(
            json_around_lineno(found, 7.0),
            (
                r#""attempts":2,"fid":0,"host":"192.0.2.7""#.to_string(),
                r#""time":7.0,"users":"kept""#.to_string()
            )
        );
    }
}

//! Failures no jail counts: fail2ban's stock filters that fit a jail's logs run over the same
//! files as shadows (the stock `asterisk` filter beside Wazo's `asterisk-wazo`, `sshd` in its
//! aggressive mode beside `sshd`), and the failures they find in lines the jail's filter did
//! not count are reported with the filter and failregex that would catch them. Never counted
//! as bans.

use crate::fail2ban::config::Section;
use crate::fail2ban::date::Zone;
use crate::fail2ban::filter_conf::FilterConf;
use crate::fail2ban::{CompiledFilter, log_scan};
use crate::model::address::read_held;
use crate::model::report::BlindSpot;
use crate::source::rotated::open_lines;
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Lines shown per blind spot.
const EXAMPLES: usize = 3;
/// Sources named per blind spot.
const TOP_SOURCES: usize = 5;

/// The stock filters that fit the logs of a jail whose filter is `filter` (its name, options
/// left out): they read the same messages, and catch some the jail's filter does not.
pub fn shadows_of(filter: &str) -> &'static [&'static str] {
    let name = filter.split('[').next().unwrap_or(filter).trim();
    let aggressive = filter.contains("aggressive");
    match name {
        "asterisk-wazo" => &["asterisk"],
        "sshd" if !aggressive => &["sshd[mode=aggressive]"],
        _ => &[],
    }
}

/// What the jail and its logs are, for [`find`].
#[derive(Clone, Copy)]
pub struct JailLogs<'a> {
    /// The jail.
    pub jail: &'a str,
    /// Its filter, as the jail names it.
    pub filter: &'a str,
    /// Its files, oldest first.
    pub files: &'a [PathBuf],
    /// The lines its filter counted.
    pub counted: &'a HashSet<String>,
    /// Whether the jail ignores an address (its `ignoreip`): no blind spot there.
    pub ignores: &'a dyn Fn(IpAddr) -> bool,
}

/// Runs each shadow of `logs.jail` over its files and reports the failures, from `since` to
/// `until`, in lines the jail did not count. `filter_dir` holds the stock filters; a shadow it
/// lacks, or a file that cannot be read, is a problem in words, and the rest goes on.
pub fn find(
    filter_dir: &Path,
    logs: &JailLogs<'_>,
    (since, until): (f64, f64),
    now: f64,
) -> (Vec<BlindSpot>, Vec<String>) {
    let mut spots = Vec::new();
    let mut problems = Vec::new();
    for shadow in shadows_of(logs.filter) {
        let compiled = FilterConf::load(shadow, filter_dir, &Section::new())
            .map_err(|e| e.to_string())
            .and_then(|conf| {
                CompiledFilter::compile(&conf, Zone::Local)
                    .map(|compiled| (conf, compiled))
                    .map_err(|e| e.to_string())
            });
        let (conf, compiled) = match compiled {
            Ok(found) => found,
            Err(error) => {
                problems.push(format!("{}: shadow filter {shadow}: {error}", logs.jail));
                continue;
            }
        };
        let mut spot = BlindSpot {
            jail: logs.jail.to_string(),
            filter: shadow.to_string(),
            ..BlindSpot::default()
        };
        let mut sources: BTreeMap<IpAddr, u64> = BTreeMap::new();
        for file in logs.files {
            let reader = match open_lines(file, 0) {
                Ok(reader) => reader,
                Err(error) => {
                    problems.push(error.to_string());
                    continue;
                }
            };
            let prepare = |found: crate::fail2ban::FilterMatch, text: &str| {
                (found.host, found.time, found.fid, text.to_string())
            };
            let jobs = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
            let scanned =
                log_scan::scan(reader, &compiled, now, jobs, &prepare, &mut |_, found| {
                    let (host, time, fid, line) = found;
                    let time = time.unwrap_or(now);
                    let ip = read_held(&host);
                    if time < since
                        || time > until
                        || logs.counted.contains(&line)
                        || ip.is_some_and(|ip| (logs.ignores)(ip))
                    {
                        return true;
                    }
                    spot.failures += 1;
                    if let Some(ip) = ip {
                        *sources.entry(ip).or_default() += 1;
                    }
                    if spot.failregex.is_empty() {
                        spot.failregex = conf.failregex.get(fid).cloned().unwrap_or_default();
                    }
                    if spot.examples.len() < EXAMPLES {
                        spot.examples.push(line);
                    }
                    true
                });
            if let Err(error) = scanned {
                problems.push(format!("{}: {error}", file.display()));
            }
        }
        if spot.failures > 0 {
            spot.sources = sources.len();
            let mut by_count: Vec<(IpAddr, u64)> = sources.into_iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            spot.top_sources = by_count
                .into_iter()
                .take(TOP_SOURCES)
                .map(|(ip, count)| format!("{ip} ({count})"))
                .collect();
            spots.push(spot);
        }
    }
    (spots, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadows_by_the_jails_filter() {
        assert_eq!(shadows_of("asterisk-wazo"), ["asterisk"]);
        assert_eq!(shadows_of("sshd"), ["sshd[mode=aggressive]"]);
        assert_eq!(shadows_of("sshd[mode=normal]"), ["sshd[mode=aggressive]"]);
        assert!(shadows_of("sshd[mode=aggressive]").is_empty());
        assert!(shadows_of("wazo-provd").is_empty());
    }
}

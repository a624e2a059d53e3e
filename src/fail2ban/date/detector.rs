//! Finding the timestamp in a log line, as fail2ban's date detector does: its default
//! templates (and their line-start variants, tried first), or a filter's `datepattern`
//! (`%`-codes, `{^LN-BEG}`, `{NONE}`, `{DATE}`, `EPOCH`, `TAI64N`, several lines). The date text
//! is cut out of the line before the filter's regexes see it. Like fail2ban
//! (`reGroupDictStrptime` with `msec` off), text dates are read to the whole second.

use super::access::ACCESS_TEMPLATE;
use super::error::DateError;
use super::found::{FoundTime, TemplateMatch};
use super::iso;
use super::strptime::complete;
use super::template::{DateTemplate, ISO_TEMPLATE, SYSLOG_TEMPLATE, SYSLOG_YEAR_TEMPLATE};
use chrono::{Datelike, FixedOffset, Local, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use std::cell::Cell;
use std::sync::OnceLock;

/// The zone that log timestamps without an offset are read in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    /// The machine's local time (`TZ`), as fail2ban reads logs.
    Local,
    /// A fixed offset (the demo's recordings; tests).
    Fixed(FixedOffset),
}

impl Zone {
    /// UTC.
    pub fn utc() -> Self {
        Zone::Fixed(chrono::Utc.fix())
    }

    /// Epoch seconds of a wall-clock time in this zone (the earlier one when ambiguous).
    pub(crate) fn epoch(&self, wall: NaiveDateTime) -> Option<f64> {
        let utc = match self {
            Zone::Local => Local.from_local_datetime(&wall).earliest()?.naive_utc(),
            Zone::Fixed(offset) => offset.from_local_datetime(&wall).earliest()?.naive_utc(),
        };
        Some(utc.and_utc().timestamp_micros() as f64 / 1e6)
    }

    /// `epoch` as `YYYY-MM-DD HH:MM:SS` in this zone.
    pub fn format(&self, epoch: f64) -> String {
        self.wall(epoch).map_or_else(
            || "?".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    }

    /// The wall-clock time of `epoch` seconds in this zone.
    pub fn wall(&self, epoch: f64) -> Option<NaiveDateTime> {
        let micros = (epoch * 1e6).round() as i64;
        let utc = chrono::DateTime::from_timestamp_micros(micros)?;
        Some(match self {
            Zone::Local => utc.with_timezone(&Local).naive_local(),
            Zone::Fixed(offset) => utc.with_timezone(offset).naive_local(),
        })
    }
}

/// A timestamp found in a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateMatch {
    /// Epoch seconds.
    pub time: f64,
    /// Byte range of the date text in the line.
    pub(crate) start: usize,
    /// End of that range.
    pub(crate) end: usize,
    /// Which of the detector's templates found it (see [`DateDetector::template_names`]).
    pub(crate) template: usize,
}

/// fail2ban's default templates (datedetector.py), in its order.
const DEFAULT_TEMPLATES: [&str; 17] = [
    ISO_TEMPLATE,
    SYSLOG_TEMPLATE,
    SYSLOG_YEAR_TEMPLATE,
    r"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
    ACCESS_TEMPLATE,
    r"%m/%d/%ExY:%H:%M:%S",
    r"%m-%d-%ExY %k:%M:%S(?:\.%f)?",
    r"EPOCH",
    r"{^LN-BEG}%H:%M:%S",
    r"^<%m/%d/%Exy@%H:%M:%S>",
    r"%Exy%Exm%Exd  ?%H:%M:%S",
    r"%b %d, %ExY %I:%M:%S %p",
    r"^%b-%d-%Exy %k:%M:%S",
    r"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?",
    r"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"TAI64N",
];

/// What a filter's `datepattern` asks for: its templates, tried as fail2ban tries them.
#[derive(Debug, Clone)]
pub struct DateDetector {
    templates: Vec<Slot>,
    zone: Zone,
}

thread_local! {
    /// The zone's answers for the current hour of log time, and now in the zone: reading the
    /// local zone for every line costs more than matching it. Kept per thread (threads that
    /// match parts of one log would otherwise contend for them on every line), with the zone
    /// they are for.
    static ZONE_CACHE: Cell<ZoneCache> = const {
        Cell::new(ZoneCache { now: None, hours: [None; HOURS], next: 0 })
    };
}

/// Hours kept in the cache: a log whose lines without a date take today's (or the date of
/// other lines) goes back and forth between hours.
const HOURS: usize = 4;

/// See [`ZONE_CACHE`].
#[derive(Debug, Clone, Copy)]
struct ZoneCache {
    /// (zone, now, now as wall time).
    now: Option<(Zone, f64, NaiveDateTime)>,
    /// (zone, date, hour, offset in seconds) of hours with one offset throughout.
    hours: [Option<(Zone, NaiveDate, u32, i64)>; HOURS],
    /// The place of the next hour kept (the oldest).
    next: usize,
}

impl DateDetector {
    /// A detector for `datepattern`: `None` or `{DEFAULT}`: fail2ban's defaults; `{^LN-BEG}`:
    /// those anchored at the line start; `{NONE}`: lines carry no date; a pattern with
    /// `{DATE}`: each default inside it; else one template per line of the pattern.
    pub fn new(datepattern: Option<&str>, zone: Zone) -> Result<Self, DateError> {
        let this_year = chrono::Utc::now().year();
        let lines: Vec<&str> = datepattern
            .unwrap_or_default()
            .split('\n')
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        if lines.is_empty() {
            return Ok(DateDetector {
                templates: defaults(this_year)?,
                zone,
            });
        }
        // One template (or set of them) per line, as fail2ban's `appendTemplate`.
        let mut templates: Vec<Slot> = Vec::new();
        let add = |new: Vec<Slot>, templates: &mut Vec<Slot>| {
            for template in new {
                if !templates.iter().any(|t| t.name == template.name) {
                    templates.push(template);
                }
            }
        };
        for line in lines {
            let upper = line.to_uppercase();
            match upper.as_str() {
                "{NONE}" => {}
                "{DEFAULT}" => add(defaults(this_year)?, &mut templates),
                "{^LN-BEG}" => add(
                    defaults(this_year)?
                        .into_iter()
                        .filter(Slot::anchored)
                        .collect(),
                    &mut templates,
                ),
                _ if upper.contains("{DATE}") && !line.contains('%') => {
                    let at = upper.find("{DATE}").unwrap_or(0);
                    let wrapped: Vec<DateTemplate> = DEFAULT_TEMPLATES
                        .iter()
                        .filter(|t| t.contains('%'))
                        .map(|t| {
                            let inner = t.trim_start_matches("{^LN-BEG}");
                            let pattern = format!("{}{inner}{}", &line[..at], &line[at + 6..]);
                            DateTemplate::new(&pattern, this_year)
                        })
                        .collect::<Result<_, _>>()?;
                    add(
                        wrapped.into_iter().map(Slot::built).collect(),
                        &mut templates,
                    );
                }
                _ => add(
                    vec![Slot::built(DateTemplate::new(line, this_year)?)],
                    &mut templates,
                ),
            }
        }
        Ok(DateDetector { templates, zone })
    }

    /// Epoch seconds of a wall time in the zone, through the hour cache.
    fn epoch(&self, wall: NaiveDateTime) -> Option<f64> {
        let (date, hour) = (wall.date(), wall.hour());
        let as_utc = |w: NaiveDateTime| w.and_utc().timestamp() as f64;
        let mut cache = ZONE_CACHE.get();
        let cached = cache
            .hours
            .iter()
            .flatten()
            .find(|(zone, d, h, _)| *zone == self.zone && *d == date && *h == hour);
        if let Some((.., offset)) = cached {
            return Some(as_utc(wall) - *offset as f64);
        }
        let epoch = self.zone.epoch(wall)?;
        let offset_at = |w: NaiveDateTime| Some((as_utc(w) - self.zone.epoch(w)?) as i64);
        let start = wall.with_minute(0)?.with_second(0)?;
        let end = wall.with_minute(59)?.with_second(59)?;
        let offset = offset_at(wall)?;
        if offset_at(start)? == offset && offset_at(end)? == offset {
            cache.hours[cache.next] = Some((self.zone, date, hour, offset));
            cache.next = (cache.next + 1) % HOURS;
            ZONE_CACHE.set(cache);
        }
        Some(epoch)
    }

    /// Now as wall time in the zone, through the cache.
    fn now_wall(&self, now: f64) -> Option<NaiveDateTime> {
        let cache = ZONE_CACHE.get();
        if let Some((zone, cached_now, wall)) = cache.now
            && zone == self.zone
            && cached_now == now
        {
            return Some(wall);
        }
        let wall = self.zone.wall(now)?;
        ZONE_CACHE.set(ZoneCache {
            now: Some((self.zone, now, wall)),
            ..ZONE_CACHE.get()
        });
        Some(wall)
    }

    /// The date in `line`, as fail2ban's `matchTime` finds it from a fresh start: an anchored
    /// template's match at once, an unanchored one at the line start (or one character in), else
    /// the match nearest the line start. `now` fills in a missing year or date.
    pub fn find(&self, line: &str, now: f64) -> Option<DateMatch> {
        let mut best: Option<(usize, TemplateMatch)> = None;
        let ascii = line.is_ascii();
        let built = self.templates.iter().enumerate();
        for (index, template) in built.filter_map(|(index, slot)| Some((index, slot.get()?))) {
            let Some(found) = template.find_in(line, ascii) else {
                continue;
            };
            if template.anchored || found.start <= 1 {
                best = Some((index, found));
                break;
            }
            if best.as_ref().is_none_or(|(_, b)| found.start < b.start) {
                best = Some((index, found));
            }
        }
        let (index, found) = best?;
        self.timed(found, index, now)
    }

    /// The templates' names (fail2ban's date formats), in the order they are tried.
    pub(crate) fn template_names(&self) -> Vec<String> {
        self.templates
            .iter()
            .map(|slot| slot.name.clone())
            .collect()
    }

    /// [`DateDetector::find`], remembering in `memo` a date read by hand at the line start:
    /// the next line that begins with the same text, and goes on as a date's end must, has the
    /// same date without reading it (a busy log writes many lines within one second).
    pub(crate) fn find_remembered(
        &self,
        line: &str,
        now: f64,
        memo: &mut DateMemo,
    ) -> Option<DateMatch> {
        if let Some(found) = memo.recall(line, now) {
            return Some(found);
        }
        memo.found = None;
        // The first template's answer is taken at once when it is anchored (as in `find`).
        if let Some(first) = self.templates.first().and_then(Slot::get)
            && first.anchored
            && let Some(found) = first.read_by_hand(line)
        {
            let date = self.timed(found, 0, now)?;
            memo.keep(&line[..date.end], date, now);
            return Some(date);
        }
        self.find(line, now)
    }

    /// The time of what template `template` found, its year or date filled in from `now`.
    fn timed(&self, found: TemplateMatch, template: usize, now: f64) -> Option<DateMatch> {
        let time = match found.time {
            FoundTime::Epoch(epoch) => epoch,
            FoundTime::Wall(wall) => complete(wall, now, |w| self.epoch(w), || self.now_wall(now))?,
        };
        Some(DateMatch {
            time,
            start: found.start,
            end: found.end,
            template,
        })
    }
}

/// The last date [`DateDetector::find_remembered`] read by hand, with the text from the line
/// start to the date's end and the `now` it was completed with. Kept per thread of matching.
#[derive(Debug, Clone, Default)]
pub(crate) struct DateMemo {
    text: String,
    found: Option<(DateMatch, f64)>,
}

impl DateMemo {
    /// The remembered date, when `line` has it for certain.
    fn recall(&self, line: &str, now: f64) -> Option<DateMatch> {
        let (found, when) = self.found?;
        (when == now && iso::continues_like(&self.text, line)).then_some(found)
    }

    fn keep(&mut self, text: &str, found: DateMatch, now: f64) {
        self.text.clear();
        self.text.push_str(text);
        self.found = Some((found, now));
    }
}

/// The default templates as fail2ban caches them: the line-start variant of each unanchored
/// one first, then all of them in order. Each is built the first time a line reaches it: the
/// first one usually decides, and the others cost nothing.
fn defaults(this_year: i32) -> Result<Vec<Slot>, DateError> {
    let starts_at_line =
        |pattern: &str| pattern.starts_with('^') || pattern.starts_with("{^LN-BEG}");
    let mut all: Vec<Slot> = DEFAULT_TEMPLATES
        .iter()
        .filter(|pattern| !starts_at_line(pattern))
        .map(|pattern| Slot::lazy(format!("{{^LN-BEG}}{pattern}"), true, this_year))
        .collect();
    all.extend(
        DEFAULT_TEMPLATES
            .iter()
            .map(|pattern| Slot::lazy(pattern.to_string(), starts_at_line(pattern), this_year)),
    );
    Ok(all)
}

/// A template in the detector's list: built already (the filter's own `datepattern` lines,
/// whose errors are reported when the filter is read), or on first use (fail2ban's defaults).
#[derive(Debug, Clone)]
struct Slot {
    /// The template's pattern (fail2ban's template name).
    name: String,
    /// Anchored at the line start.
    anchored: bool,
    this_year: i32,
    template: OnceLock<Option<DateTemplate>>,
}

impl Slot {
    fn built(template: DateTemplate) -> Self {
        let slot = Slot {
            name: template.name.clone(),
            anchored: template.anchored,
            this_year: 0,
            template: OnceLock::new(),
        };
        slot.template.get_or_init(|| Some(template));
        slot
    }

    fn lazy(name: String, anchored: bool, this_year: i32) -> Self {
        Slot {
            name,
            anchored,
            this_year,
            template: OnceLock::new(),
        }
    }

    fn anchored(&self) -> bool {
        self.anchored
    }

    /// The template (`None` only if a default one failed to build, which a test rules out).
    fn get(&self) -> Option<&DateTemplate> {
        self.template
            .get_or_init(|| DateTemplate::new(&self.name, self.this_year).ok())
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> DateDetector {
        match DateDetector::new(None, Zone::utc()) {
            Ok(detector) => detector,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn asterisk_and_python_logging_dates() {
        let line = "[2026-01-19 17:07:58.1234] NOTICE[2345] manager.c: x";
        let found = detector().find(line, 0.0);
        assert_eq!(found.map(|d| (d.start, d.end)), Some((1, 25)));
        assert_eq!(
            found.map(|d| d.time),
            Some(1_768_842_478.0),
            "fractions are dropped, as fail2ban does"
        );
        let provd = detector().find("[2026-01-19 17:07:58,123] New device", 0.0);
        assert_eq!(provd.map(|d| d.time), Some(1_768_842_478.0));
        let epoch = detector().find("1768842478.500 x", 0.0);
        assert_eq!(epoch.map(|d| d.time), Some(1_768_842_478.5));
    }

    #[test]
    fn syslog_dates_take_the_year_from_now() {
        let now = 1_768_842_478.0; // 2026-01-19
        let found = detector().find("Jan 19 17:07:58 pbx sshd[1]: x", now);
        assert_eq!(found.map(|d| d.time), Some(1_768_842_478.0));
        let december = detector().find("Dec 31 23:00:00 pbx sshd[1]: x", now);
        assert!(
            december.map_or(0.0, |d| d.time) < now,
            "December is last year's"
        );
    }

    #[test]
    fn a_remembered_date_is_the_date_found_afresh() {
        // Lines that begin with the same date text and go on in every way that could change
        // what is read (a longer field, a fraction, a zone, a word), in changing order.
        let starts = [
            "[2026-01-19 17:08:10",
            "2026-01-19 17:08:10",
            "[2026-01-19 17:08:10.25",
            "2026-01-19T17:08:10.250+03",
            "2026-01-19 17:08:10 -0130",
        ];
        let rests = [
            "] NOTICE x",
            " x",
            "",
            ".5] x",
            ",25 x",
            "1] x",
            "Z x",
            " +0100 x",
            " UTC x",
            "x",
            "\u{e9} x",
            "] 2026-01-19 17:08:11 x",
            " - x",
            "\t\tGMT",
            "  y",
            ":00 x",
            "00 x",
            ":0",
        ];
        for detector in [
            Some(detector()),
            DateDetector::new(Some("{^LN-BEG}"), Zone::utc()).ok(),
        ]
        .into_iter()
        .flatten()
        {
            let mut memo = DateMemo::default();
            let (mut remembered, mut step) = (0, 0usize);
            for round in 0..400 {
                step = (step * 1_103_515_245 + 12_345) % (1 << 31);
                let line = format!(
                    "{}{}",
                    starts[round / 20 % starts.len()],
                    rests[(step >> 16) % rests.len()]
                );
                let now = if round % 50 == 49 {
                    1.0
                } else {
                    1_768_842_478.0
                };
                remembered += usize::from(memo.recall(&line, now).is_some());
                assert_eq!(
                    detector.find_remembered(&line, now, &mut memo),
                    detector.find(&line, now),
                    "{line:?}"
                );
            }
            assert!(
                remembered > 30,
                "{remembered} lines took the remembered date"
            );
        }
    }

    #[test]
    fn every_default_template_builds_as_its_slot_says() {
        let slots = defaults(2026).unwrap_or_default();
        assert_eq!(slots.len(), 31);
        for slot in &slots {
            let template = slot.get();
            assert!(template.is_some(), "{}", slot.name);
            assert_eq!(
                template.map(|t| t.anchored),
                Some(slot.anchored),
                "{}",
                slot.name
            );
        }
    }

    #[test]
    fn none_and_unsupported_patterns() {
        assert!(
            DateDetector::new(Some("{NONE}"), Zone::utc())
                .map(|d| d.template_names().is_empty())
                .unwrap_or(false)
        );
        assert!(DateDetector::new(Some("%d/%q/%Y"), Zone::utc()).is_err());
        assert!(DateDetector::new(Some("%d/%b/%Y"), Zone::utc()).is_ok());
    }

    #[test]
    fn a_bad_datepattern_says_why_in_the_words_it_always_used() {
        let message = |pattern| {
            DateDetector::new(Some(pattern), Zone::utc())
                .err()
                .map(|error| error.to_string())
                .unwrap_or_default()
        };
        assert_eq!(message("%d %q"), "unknown field %q in datepattern");
        assert_eq!(message("%d %G"), "field %G of datepattern is not supported");
        let unclosed = message("%d (");
        assert!(
            unclosed.starts_with("datepattern \"%d (\": Parsing error at position ")
                && unclosed.ends_with(" (and the linear engine: error: unclosed group)"),
            "{unclosed}"
        );
    }
}

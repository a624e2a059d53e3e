//! Finding the timestamp in a log line, as fail2ban's date detector does with its default
//! templates: ISO-like `YYYY-MM-DD hh:mm:ss[.,frac]` (Asterisk, Python logging), syslog
//! `Mon dd hh:mm:ss` with the year inferred, and epoch seconds at the line start.
//! The date text is cut out of the line before the filter's regexes see it. Like fail2ban
//! (`reGroupDictStrptime` with `msec` off), text dates are read to the whole second.

use chrono::{Datelike, FixedOffset, Local, NaiveDate, NaiveDateTime, Offset, TimeZone};
use regex::Regex;

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
    pub fn epoch(&self, wall: NaiveDateTime) -> Option<f64> {
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
    pub start: usize,
    /// End of that range.
    pub end: usize,
}

/// What a filter's `datepattern` asks for.
#[derive(Debug, Clone)]
pub struct DateDetector {
    templates: Vec<(Template, Regex)>,
    zone: Zone,
}

#[derive(Debug, Clone, Copy)]
enum Template {
    Iso,
    Syslog,
    Epoch,
}

const ISO: &str = r"([0-9]{4})[-/.]([0-9]{2})[-/.]([0-9]{2})(?:T| {1,2})([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(?:[ \t]*(Z|[+-][0-9]{2}:?[0-9]{2}))?";
const SYSLOG: &str = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ \t]+([0-9]{1,2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?";
const EPOCH: &str = r"^[ \t]*\[?([0-9]{10})(?:\.([0-9]+))?\b";

impl DateDetector {
    /// A detector for `datepattern` (`None`: fail2ban's defaults; `{^LN-BEG}`: defaults
    /// anchored at the line start; `{NONE}`: lines carry no date).
    pub fn new(datepattern: Option<&str>, zone: Zone) -> Result<Self, String> {
        let pattern = datepattern.map(str::trim).filter(|p| !p.is_empty());
        let anchored = match pattern {
            None => false,
            Some("{^LN-BEG}") => true,
            Some("{NONE}") => {
                return Ok(DateDetector {
                    templates: Vec::new(),
                    zone,
                });
            }
            Some(other) => {
                return Err(format!(
                    "datepattern {other:?} is not supported yet (only the default templates, {{^LN-BEG}} and {{NONE}})"
                ));
            }
        };
        let anchor = |body: &str| {
            if anchored {
                format!(r"^\W{{0,2}}{body}")
            } else {
                format!(r"(?:^|\b|\W){body}")
            }
        };
        let templates = [
            (Template::Iso, anchor(ISO)),
            (Template::Syslog, anchor(SYSLOG)),
            (Template::Epoch, EPOCH.to_string()),
        ];
        let templates = templates
            .into_iter()
            .map(|(template, source)| {
                Regex::new(&source)
                    .map(|regex| (template, regex))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        Ok(DateDetector { templates, zone })
    }

    /// Whether this detector never finds dates (`{NONE}`).
    pub fn is_none(&self) -> bool {
        self.templates.is_empty()
    }

    /// The first template that matches `line`; `now` is used to infer a missing year.
    pub fn find(&self, line: &str, now: f64) -> Option<DateMatch> {
        self.templates.iter().find_map(|(template, regex)| {
            let captures = regex.captures(line)?;
            let date_group = captures.get(1)?;
            let whole = captures.get(0)?;
            let end = whole.end();
            let start = date_group.start();
            let number = |i: usize| captures.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
            let fraction = |i: usize| {
                captures.get(i).map_or(0.0, |m| {
                    format!("0.{}", m.as_str()).parse::<f64>().unwrap_or(0.0)
                })
            };
            let time = match template {
                Template::Iso => {
                    let wall = NaiveDate::from_ymd_opt(number(1)? as i32, number(2)?, number(3)?)?
                        .and_hms_opt(number(4)?, number(5)?, number(6)?)?;
                    match captures.get(8).map(|m| m.as_str()) {
                        Some(offset) => parse_offset(offset)?
                            .from_local_datetime(&wall)
                            .single()?
                            .timestamp() as f64,
                        None => self.zone.epoch(wall)?,
                    }
                }
                Template::Syslog => {
                    let month = month_number(captures.get(1)?.as_str())?;
                    let (day, hour, minute, second) =
                        (number(2)?, number(3)?, number(4)?, number(5)?);
                    let this_year = self.zone.wall(now)?.year();
                    // fail2ban: a date more than a day in the future belongs to the year before.
                    let candidate = |year: i32| {
                        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)
                    };
                    let mut epoch = self.zone.epoch(candidate(this_year)?)?;
                    if epoch > now + 86_400.0 {
                        epoch = self.zone.epoch(candidate(this_year - 1)?)?;
                    }
                    epoch
                }
                Template::Epoch => number(1)? as f64 + fraction(2),
            };
            Some(DateMatch { time, start, end })
        })
    }
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    if text == "Z" {
        return Some(chrono::Utc.fix());
    }
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits: String = text[1..].chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4)?.parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
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
        let epoch = detector().find("1768842478.5 x", 0.0);
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
    fn none_and_unsupported_patterns() {
        assert!(
            DateDetector::new(Some("{NONE}"), Zone::utc())
                .map(|d| d.is_none())
                .unwrap_or(false)
        );
        assert!(DateDetector::new(Some("%d/%b/%Y"), Zone::utc()).is_err());
    }
}

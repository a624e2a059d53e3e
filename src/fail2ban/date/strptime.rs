//! strptime as fail2ban uses it (strptime.py): the regex of each `%`-code (fail2ban's own
//! field patterns, `%ExY` limited to plausible years), the time the matched fields make
//! (`reGroupDictStrptime`: two-digit years in this century, 12-hour clocks, zones), and the year
//! or day a line leaves out, filled in from now.

use super::error::DateError;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// A field of strptime, by its code.
fn field_regex(code: &str, this_year: i32) -> Option<String> {
    const MONTHS: &str = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";
    const MONTH_NAMES: &str =
        "september|february|november|december|january|october|august|april|march|june|july|may";
    const DAYS: &str = "mon|tue|wed|thu|fri|sat|sun";
    const DAY_NAMES: &str = "wednesday|thursday|saturday|tuesday|monday|friday|sunday";
    let regex = match code {
        "a" => format!("(?:{DAYS})"),
        "A" => format!("(?:{DAY_NAMES})"),
        "b" => format!("(?P<b>{MONTHS})"),
        "B" => format!("(?P<B>{MONTH_NAMES})"),
        "d" => r"(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])".to_string(),
        "f" => r"(?P<f>[0-9]{1,6})".to_string(),
        "H" => r"(?P<H>[0-1]?\d|2[0-3])".to_string(),
        "I" => r"(?P<I>1[0-2]|0[1-9]|[1-9])".to_string(),
        "j" => {
            r"(?P<j>36[0-6]|3[0-5]\d|[12]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])".to_string()
        }
        "k" => r" ?(?P<H>[0-2]?\d)".to_string(),
        "l" => r" ?(?P<I>1?\d)".to_string(),
        "m" => r"(?P<m>0?[1-9]|1[0-2])".to_string(),
        "M" => r"(?P<M>[0-5]?\d)".to_string(),
        "p" => r"(?P<p>am|pm)".to_string(),
        "S" => r"(?P<S>[0-5]?\d|6[0-1])".to_string(),
        "U" | "W" => r"(?:5[0-3]|[0-4]\d|\d)".to_string(),
        "w" => r"(?:[0-6])".to_string(),
        "y" | "Exy" => r"(?P<y>\d\d)".to_string(),
        "Y" => r"(?P<Y>\d{4})".to_string(),
        "z" => r"(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)".to_string(),
        "Z" => r"(?P<Z>Z|[A-Z]{3,5})".to_string(),
        "ExZ" => r"(?P<Z>[A-Z](?:[A-Z]{2,4})?)".to_string(),
        "Exz" => r"(?P<z>(?:[A-Z](?:[A-Z]{2,4})?)?[+-][01]\d(?::?\d{2})?|[A-Z](?:[A-Z]{2,4})?)"
            .to_string(),
        "Exd" => r"(?P<d>[1-2]\d|0[1-9]|3[0-1])".to_string(),
        "Exm" => r"(?P<m>0[1-9]|1[0-2])".to_string(),
        "ExH" => r"(?P<H>[0-1]\d|2[0-3])".to_string(),
        "Exk" => r" ?(?P<H>[0-1]?\d|2[0-3])".to_string(),
        "Exl" => r" ?(?P<I>1[0-2]|\d)".to_string(),
        "ExM" => r"(?P<M>[0-5]\d)".to_string(),
        "ExS" => r"(?P<S>[0-5]\d|6[0-1])".to_string(),
        "ExY" => format!("(?P<Y>{}\\d)", year_prefixes(this_year)),
        _ => return None,
    };
    Some(regex)
}

/// fail2ban's `%ExY`: the first three digits of the years from 2000 (its test date) to three
/// years from now.
fn year_prefixes(this_year: i32) -> String {
    let mut prefixes: Vec<String> = (2000..=this_year + 3)
        .map(|year| year.to_string()[..3].to_string())
        .collect();
    prefixes.dedup();
    format!("(?:{})", prefixes.join("|"))
}

/// The %-codes fail2ban knows, longest first.
pub(super) const CODES: [&str; 41] = [
    "ExY", "Exy", "Exd", "Exm", "ExH", "Exk", "Exl", "ExM", "ExS", "ExZ", "Exz", "a", "A", "b",
    "B", "d", "f", "H", "I", "j", "k", "l", "m", "M", "p", "S", "U", "W", "w", "y", "Y", "z", "Z",
    "%", "c", "x", "X", "G", "u", "V", "e",
];

/// Replaces `%`-codes by their field regexes; each group gets a unique name
/// (`<code>__<n>`) so that alternatives may repeat a field.
pub(super) fn expand_codes(
    pattern: &str,
    this_year: i32,
    counter: &mut usize,
) -> Result<String, DateError> {
    map_codes(pattern, |code, after| match code {
        None => Err(DateError::UnknownField(after.chars().next().unwrap_or(' '))),
        Some("%") => Ok("%".to_string()),
        Some(code) => {
            let regex = field_regex(code, this_year).ok_or(DateError::UnsupportedField(code))?;
            *counter += 1;
            Ok(regex.replace("(?P<", &format!("(?P<f{counter}_")))
        }
    })
}

/// `pattern` with each `%`-code replaced by what `replace` makes of it, given the code (`None`
/// for a `%` that starts none) and the text after the `%`; the text between codes is kept.
fn map_codes<E>(
    pattern: &str,
    mut replace: impl FnMut(Option<&'static str>, &str) -> Result<String, E>,
) -> Result<String, E> {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let code = CODES.iter().copied().find(|code| after.starts_with(code));
        out.push_str(&replace(code, after)?);
        rest = &after[code.map_or(0, str::len)..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A datepattern as fail2ban names it (its `getTimePatternRE` names): each `%`-code by the
/// field's name (`%ExY` `ExYear`, `%m` `Month`, `%z` `Zone offset`, ...), a code without one
/// as it is.
pub fn display_name(pattern: &str) -> String {
    let name = |code: &str| -> Option<&'static str> {
        Some(match code {
            "a" => "DAY",
            "A" => "DAYNAME",
            "b" => "MON",
            "B" => "MONTH",
            "d" => "Day",
            "H" => "24hour",
            "I" => "12hour",
            "j" => "Yearday",
            "m" => "Month",
            "M" => "Minute",
            "p" => "AMPM",
            "S" => "Second",
            "U" | "W" => "Yearweek",
            "w" => "Weekday",
            "y" => "Year2",
            "Y" => "Year",
            "%" => "%",
            "z" => "Zone offset",
            "f" => "Microseconds",
            "Z" => "Zone name",
            _ => return None,
        })
    };
    // The machine-timestamp templates have names of their own.
    let (start, body) = match pattern.strip_prefix("{^LN-BEG}") {
        Some(body) => ("{^LN-BEG}", body),
        None => ("", pattern),
    };
    match body {
        "EPOCH" => return format!("{start}Epoch"),
        "LEPOCH" => return format!("{start}LongEpoch"),
        _ => {}
    }
    let named = map_codes(pattern, |code, _| {
        Ok::<_, std::convert::Infallible>(match code {
            None => "%".to_string(),
            Some(code) => match (name(code), code.strip_prefix("Ex").and_then(name)) {
                (Some(field), _) => field.to_string(),
                (None, Some(field)) => format!("Ex{field}"),
                (None, None) => format!("%{code}"),
            },
        })
    });
    named.unwrap_or_else(|never| match never {})
}

/// A date and time as the fields of a line give it; what is missing comes from now
/// ([`complete`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WallTime {
    /// The year, when the line has one.
    pub(super) year: Option<i32>,
    /// Month and day, when the line has them.
    pub(super) month_day: Option<(u32, u32)>,
    /// The time of day (whole seconds, as fail2ban reads text dates).
    pub(super) time: NaiveTime,
    /// Minutes east of UTC, when the line says.
    pub(super) zone_minutes: Option<i32>,
}

/// A time from strptime fields (fail2ban's `reGroupDictStrptime`).
pub(super) fn read_fields<'a>(
    groups: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<WallTime> {
    let (mut year, mut month, mut day, mut zone) = (None, None, None, None);
    let (mut hour, mut minute, mut second) = (0u32, 0u32, 0u32);
    let mut twelve_hour: Option<u32> = None;
    let mut pm = false;
    for (code, value) in groups {
        match code {
            "y" => {
                let two: i32 = value.parse().ok()?;
                year = Some(if two <= 2000 { two + 2000 } else { two });
            }
            "Y" => year = Some(value.parse().ok()?),
            "m" => month = Some(value.parse().ok()?),
            "b" | "B" => month = month_of(value),
            "d" => day = Some(value.trim().parse().ok()?),
            "H" => hour = value.trim().parse().ok()?,
            "I" => twelve_hour = Some(value.trim().parse().ok()?),
            "p" => pm = value.eq_ignore_ascii_case("pm"),
            "M" => minute = value.parse().ok()?,
            "S" => second = value.parse().ok()?,
            "z" | "Z" => zone = Some(zone_offset(value)?),
            _ => {}
        }
    }
    if let Some(twelve) = twelve_hour {
        hour = match (twelve, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (hour, true) => hour + 12,
            (hour, false) => hour,
        };
    }
    let month_day = match (month, day) {
        (Some(month), Some(day)) => Some((month, day)),
        (None, None) => None,
        // strptime cannot make a date of half of one.
        _ => return None,
    };
    Some(WallTime {
        year,
        month_day,
        time: NaiveTime::from_hms_opt(hour, minute, second.min(59))?,
        zone_minutes: zone,
    })
}

fn month_of(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// Minutes east of UTC for `Z`, `UTC`, `GMT`, `+hh`, `+hhmm`, `+hh:mm`, or a known abbreviation
/// with an optional offset (`CET+0100`).
pub(super) fn zone_offset(text: &str) -> Option<i32> {
    let split = text.find(['+', '-']).unwrap_or(text.len());
    let (name, offset) = text.split_at(split);
    let base = match name {
        "" | "Z" | "UTC" | "GMT" | "UT" => 0,
        "CET" | "MET" => 60,
        "CEST" | "MEST" | "EET" => 120,
        "EEST" => 180,
        "WET" => 0,
        "WEST" | "BST" => 60,
        "EST" => -300,
        "EDT" | "CDT" => {
            if name == "EDT" {
                -240
            } else {
                -300
            }
        }
        "CST" => -360,
        "MST" => -420,
        "MDT" => -360,
        "PST" => -480,
        "PDT" => -420,
        _ => return None,
    };
    if offset.is_empty() {
        return Some(base);
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
    Some(base + sign * (hours * 60 + minutes))
}

/// The epoch of a wall time read by a template, filling a missing year or date from `now` as
/// fail2ban does: no year = this year, or last year when that is more than a day ahead; no
/// date = today, or yesterday when that is ahead. `to_epoch` reads a wall time in the default
/// zone; `now_wall` gives now in that zone (asked only when the line lacks its year or date).
pub(super) fn complete(
    wall: WallTime,
    now: f64,
    to_epoch: impl Fn(NaiveDateTime) -> Option<f64>,
    now_wall: impl Fn() -> Option<NaiveDateTime>,
) -> Option<f64> {
    let epoch = |w: NaiveDateTime| match wall.zone_minutes {
        Some(offset) => Some(
            (w - Duration::minutes(i64::from(offset)))
                .and_utc()
                .timestamp() as f64,
        ),
        None => to_epoch(w),
    };
    let Some((month, day)) = wall.month_day else {
        let today = now_wall()?.date().and_time(wall.time);
        let time = epoch(today)?;
        return if time > now {
            epoch(today - Duration::days(1))
        } else {
            Some(time)
        };
    };
    let on = |year: i32| NaiveDate::from_ymd_opt(year, month, day).map(|d| d.and_time(wall.time));
    match wall.year {
        Some(year) => epoch(on(year)?),
        None => {
            let year = now_wall()?.year();
            let time = epoch(on(year)?)?;
            if time > now + 86_400.0 {
                epoch(on(year - 1)?)
            } else {
                Some(time)
            }
        }
    }
}

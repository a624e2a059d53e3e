//! fail2ban's first default date template
//! (`%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?`) read by hand, for
//! the lines where the answer is plain: [`at_line_start`] without any automaton (the line-start
//! variant is tried first on every line), [`within_match`] inside what the automaton matched.
//!
//! Every field is a run of ASCII digits followed by a fixed delimiter (or, for the seconds and
//! the fraction, by something that is no digit), so the whole run is the only split the regex
//! can take; at the line start, the text after the date shows that no fraction, other zone or
//! longer word can follow (a numeric zone right after the time, or after one space, is read:
//! the regex takes it, and its minutes, greedily). Whatever else (three leading symbols, a
//! three-digit field, a zone name, a word or a non-ASCII character next to the date) is left to
//! the automaton: these readers only answer where their answer is the regex's.

use super::bytes::{after_leading_symbols, expect, is_word};
use super::found::{FoundTime, TemplateMatch};
use super::strptime::{WallTime, zone_offset};
use chrono::NaiveTime;

/// The date at the start of `line`, as the line-start template's regex finds it, when that is
/// certain; `None` when the automaton must decide. `max_year_prefix` is the highest first three
/// digits of a year `%ExY` accepts (it accepts `200` up to that).
pub(super) fn at_line_start(line: &str, max_year_prefix: u32) -> Option<TemplateMatch> {
    let bytes = line.as_bytes();
    // The date (a digit, a word character) starts after every leading symbol.
    let at = after_leading_symbols(bytes)?;
    let (fields, mut end) = fields(bytes, at, false)?;
    if !(200..=max_year_prefix).contains(&(fields.year / 10)) {
        return None;
    }
    let zone = match numeric_zone(&bytes[end..]) {
        Some((minutes, length)) => {
            end += length;
            // The date ends after the zone where no word, fraction or more digits follow.
            let next = bytes.get(end);
            next.is_none_or(|b| b.is_ascii() && !is_word(*b) && !matches!(b, b':' | b'.'))
                .then_some(Some(minutes))?
        }
        None => plain_end(&bytes[end..]).then_some(None)?,
    };
    let mut found = fields.matched(at, end)?;
    if let FoundTime::Wall(wall) = &mut found.time {
        wall.zone_minutes = zone;
    }
    Some(found)
}

/// `(?:\s*%z)?` where it is a numeric zone (`+0100`, `-05:00`, `+01`), after no space or one:
/// its offset in minutes and its length. The regex takes the zone and its minutes greedily; a
/// zone name, other spaces, or digits that make no such zone are left to the automaton.
fn numeric_zone(rest: &[u8]) -> Option<(i32, usize)> {
    let at = usize::from(rest.first() == Some(&b' '));
    rest.get(at).filter(|b| matches!(b, b'+' | b'-'))?;
    let hours = rest.get(at + 1..at + 3)?;
    (matches!(hours[0], b'0' | b'1') && hours[1].is_ascii_digit()).then_some(())?;
    let digits = |from: usize| {
        rest.get(from..from + 2)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let end = if digits(at + 3) {
        at + 5
    } else if rest.get(at + 3) == Some(&b':') && digits(at + 4) {
        at + 6
    } else if rest
        .get(at + 3)
        .is_some_and(|b| b.is_ascii_digit() || *b == b':')
    {
        return None;
    } else {
        at + 3
    };
    let text = std::str::from_utf8(&rest[at..end]).ok()?;
    Some((zone_offset(text)?, end))
}

/// Whether [`at_line_start`] reads from `line` exactly the date it read from `date_text` (a line
/// start up to the end of that date): `line` begins with that text, and what follows can neither
/// lengthen the last field (a digit, or `:` and the minutes of a zone), start a fraction (`.` or
/// `,`), nor start a zone or a word.
pub(super) fn continues_like(date_text: &str, line: &str) -> bool {
    let bytes = line.as_bytes();
    let rest = &bytes[date_text.len().min(bytes.len())..];
    bytes.starts_with(date_text.as_bytes())
        && !rest
            .first()
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b':'))
        && plain_end(rest)
}

/// The date the template's automaton matched at `start..end`: the fields by hand, taken only
/// when they end exactly where the match ends (a zone, or anything else, is the general
/// reader's).
pub(super) fn within_match(line: &str, start: usize, end: usize) -> Option<TemplateMatch> {
    let bytes = &line.as_bytes()[..end];
    let mut at = start;
    // The line-start variant lets up to two non-word characters come first.
    while at < start + 2 && at < end && !is_word(bytes[at]) {
        at += 1;
    }
    // `%d` may be a space and a digit here: the automaton already took it as a day.
    let (fields, after) = fields(bytes, at, true)?;
    (after == end).then_some(())?;
    fields.matched(at, end)
}

/// The fields of an ISO date, each in its range.
struct Fields {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Fields {
    /// The match of `start..end`, as a wall-clock time (leap seconds read as 59).
    fn matched(self, start: usize, end: usize) -> Option<TemplateMatch> {
        Some(TemplateMatch {
            start,
            end,
            time: FoundTime::Wall(WallTime {
                year: Some(i32::try_from(self.year).ok()?),
                month_day: Some((self.month, self.day)),
                time: NaiveTime::from_hms_opt(self.hour, self.minute, self.second.min(59))?,
                zone_minutes: None,
            }),
        })
    }
}

/// The fields of an ISO date from `at` (`YYYY`, `-`, `/` or `.`, month, the same separator,
/// day, `T` or one or two spaces, `H:M:S`, an optional `.` or `,` fraction of up to 6 digits),
/// and where they end. `space_day`: the day may be a space and one digit.
fn fields(bytes: &[u8], mut at: usize, space_day: bool) -> Option<(Fields, usize)> {
    let year = field(bytes, &mut at, 4, 4)?;
    let separator = *bytes.get(at).filter(|b| matches!(b, b'-' | b'/' | b'.'))?;
    at += 1;
    let month = field(bytes, &mut at, 1, 2).filter(|m| (1..=12).contains(m))?;
    expect(bytes, &mut at, separator)?;
    if space_day && bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    let day = field(bytes, &mut at, 1, 2).filter(|d| (1..=31).contains(d))?;
    match bytes.get(at) {
        Some(b'T') => at += 1,
        Some(b' ') => {
            at += 1;
            if bytes.get(at) == Some(&b' ') {
                at += 1;
            }
        }
        _ => return None,
    }
    let hour = field(bytes, &mut at, 1, 2).filter(|h| *h <= 23)?;
    expect(bytes, &mut at, b':')?;
    let minute = field(bytes, &mut at, 1, 2).filter(|m| *m <= 59)?;
    expect(bytes, &mut at, b':')?;
    let second = field(bytes, &mut at, 1, 2).filter(|s| *s <= 61)?;
    if matches!(bytes.get(at), Some(b'.' | b','))
        && bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
    {
        let mut fraction = at + 1;
        field(bytes, &mut fraction, 1, 6)?;
        at = fraction;
    }
    let fields = Fields {
        year,
        month,
        day,
        hour,
        minute,
        second,
    };
    Some((fields, at))
}

/// Whether the text after the date can start no zone (`\s*%z`: `Z`, `UTC`, `GMT`, `+hh`, `-hh`)
/// and is no word character (fail2ban's end of a date is outside a word).
fn plain_end(rest: &[u8]) -> bool {
    let spaces = rest
        .iter()
        .take_while(|b| matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' '))
        .count();
    let zone_start = |b: &u8| matches!(b, b'Z' | b'U' | b'G' | b'+' | b'-') || !b.is_ascii();
    match (rest.first(), rest.get(spaces)) {
        (None, _) => true,
        (Some(first), _) if is_word(*first) || !first.is_ascii() => false,
        (_, Some(after)) if zone_start(after) => false,
        _ => true,
    }
}

/// A whole run of `min..=max` ASCII digits at `at` (a longer run is no match of the field).
fn field(bytes: &[u8], at: &mut usize, min: usize, max: usize) -> Option<u32> {
    let (mut run, mut value) = (0, 0u32);
    while let Some(digit) = bytes.get(*at + run).filter(|b| b.is_ascii_digit()) {
        if run == max {
            return None;
        }
        value = value * 10 + u32::from(digit - b'0');
        run += 1;
    }
    if run < min {
        return None;
    }
    *at += run;
    Some(value)
}

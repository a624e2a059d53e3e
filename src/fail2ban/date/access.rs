//! The date of web servers' access logs (`[07/Dec/2026:10:17:20 +0000]`), fail2ban's default
//! template `%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?` as the apache and
//! nginx filters wrap it (`^[^\[]*\[({DATE})`: the date in the line's first brackets), read by
//! hand for the lines where the answer is plain.
//!
//! Only the usual shape is read: a two-character day (`07`, `17`, `31`), the same separator
//! around a month, a year, `:` or a space, two digits for each of hour, minute and second, maybe
//! a space and a numeric zone (`+0000`), followed by neither a word character, a fraction, a
//! zone name nor a non-ASCII character. On such a line the regex's first path in priority order
//! is the one read here (`[^\[]*` can only stop at the first `[`; the day's and the hour's
//! alternatives that take both digits are the only ones the separators after them let through).
//! Anything else is left to the automaton: this reader only answers where its answer is the
//! regex's.

use super::bytes::{day_of_month, expect, is_word, month, time_of_day, year_in};
use super::found::{FoundTime, TemplateMatch};
use super::strptime::{WallTime, zone_offset};

/// fail2ban's default access-log template.
pub(super) const ACCESS_TEMPLATE: &str =
    r"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?";

/// The template in the line's first brackets, as the apache and nginx filters write it.
pub(super) fn in_brackets_pattern() -> String {
    format!(r"^[^\[]*\[({ACCESS_TEMPLATE})")
}

/// The date in the first brackets of `line`, as `^[^\[]*\[(TEMPLATE)`'s regex finds it, when
/// that is certain; `None` when the automaton must decide. `max_year_prefix` is the highest
/// first three digits of a year `%ExY` accepts (it accepts `200` up to that).
pub(super) fn in_brackets(line: &str, max_year_prefix: u32) -> Option<TemplateMatch> {
    let bytes = line.as_bytes();
    let start = memchr::memchr(b'[', bytes)? + 1;
    let mut at = start;
    let day = day_of_month(bytes, &mut at)?;
    let separator = *bytes.get(at).filter(|b| matches!(b, b'/' | b'-'))?;
    at += 1;
    let month = month(bytes, &mut at)?;
    expect(bytes, &mut at, separator)?;
    let year = year_in(bytes, &mut at, max_year_prefix)?;
    // `[ :]?` takes the one there is (without, the hour would run into the year).
    bytes.get(at).filter(|b| matches!(b, b' ' | b':'))?;
    at += 1;
    let time = time_of_day(bytes, &mut at)?;
    // `(?: %z)?`: a numeric zone where the date can end after it; a zone name, or a sign that
    // starts no zone, is the automaton's.
    let mut zone_minutes = None;
    if bytes.get(at) == Some(&b' ')
        && let Some(next) = bytes.get(at + 1)
        && matches!(next, b'+' | b'-' | b'Z' | b'U' | b'G' | b'z' | b'u' | b'g')
    {
        let zone = bytes.get(at + 1..at + 6)?;
        let numeric = matches!(zone[0], b'+' | b'-')
            && matches!(zone[1], b'0' | b'1')
            && zone[2..].iter().all(u8::is_ascii_digit);
        numeric.then_some(())?;
        zone_minutes = Some(zone_offset(std::str::from_utf8(zone).ok()?)?);
        at += 6;
    }
    let plain_end = match bytes.get(at) {
        None => true,
        Some(next) => next.is_ascii() && !is_word(*next) && *next != b'.',
    };
    plain_end.then_some(())?;
    Some(TemplateMatch {
        start,
        end: at,
        time: FoundTime::Wall(WallTime {
            year: Some(year),
            month_day: Some((month, day)),
            time,
            zone_minutes,
        }),
    })
}

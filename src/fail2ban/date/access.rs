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

use super::bytes::{expect, four_digits, is_word, name_in, two_digits};
use super::found::{FoundTime, TemplateMatch};
use super::strptime::{WallTime, zone_offset};
use chrono::NaiveTime;

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
    let day = match *bytes.get(at..at + 2)? {
        [b' ' | b'0', low @ b'1'..=b'9'] => u32::from(low - b'0'),
        [high @ b'1'..=b'2', low] if low.is_ascii_digit() => {
            u32::from(high - b'0') * 10 + u32::from(low - b'0')
        }
        [b'3', low @ b'0'..=b'1'] => 30 + u32::from(low - b'0'),
        _ => return None,
    };
    at += 2;
    let separator = *bytes.get(at).filter(|b| matches!(b, b'/' | b'-'))?;
    at += 1;
    let month = month_of(bytes.get(at..at + 3)?)?;
    at += 3;
    expect(bytes, &mut at, separator)?;
    let year = four_digits(bytes, &mut at)?;
    (200..=max_year_prefix)
        .contains(&(year / 10))
        .then_some(())?;
    // `[ :]?` takes the one there is (without, the hour would run into the year).
    bytes.get(at).filter(|b| matches!(b, b' ' | b':'))?;
    at += 1;
    // `[0-1]?\d|2[0-3]`: the first takes both digits of 00-19; of 20-23 only the second lets
    // the `:` follow.
    let hour = two_digits(bytes, &mut at, b'2').filter(|hour| *hour <= 23)?;
    expect(bytes, &mut at, b':')?;
    let minute = two_digits(bytes, &mut at, b'5')?;
    expect(bytes, &mut at, b':')?;
    let second = two_digits(bytes, &mut at, b'5')?;
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
            year: Some(i32::try_from(year).ok()?),
            month_day: Some((month, day)),
            time: NaiveTime::from_hms_opt(hour, minute, second)?,
            zone_minutes,
        }),
    })
}

/// The month (1-12) that `word` names, in any case (the template's `(?i)`).
fn month_of(word: &[u8]) -> Option<u32> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    name_in(word, &MONTHS).map(|index| index + 1)
}

//! fail2ban's syslog date template at the line start
//! (`{^LN-BEG}(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?`, the date of about half of Debian's
//! filters) read by hand, for the lines where the answer is plain: `Dec  7 09:08:10 host ...`;
//! and its variant with the year before the time (`Dec  5 2026 11:26:42`).
//!
//! Only the usual shape is read: an optional weekday, a month, a two-character day (`17`, `07`
//! or ` 7`), two digits for each of hour, minute and second, maybe a space and a year, followed
//! by neither a word character, a fraction (`.`), other digits nor a non-ASCII character. On such
//! a line the regex's first path in priority order is the one read here: the day's first
//! alternative (`[1-2]\d`) takes its two digits, `3[0-1]` is reached only after the others
//! fail, and every greedy field takes both digits. Anything else (a single-digit hour, a
//! second of 60, a fraction, a year, a word next to the date) is left to the automaton: this
//! reader only answers where its answer is the regex's.

use super::bytes::{
    after_leading_symbols, day_of_month, expect, is_word, month, name_in, time_of_day, year_in,
};
use super::found::{FoundTime, TemplateMatch};
use super::strptime::WallTime;

/// The date at the start of `line`, as the line-start syslog template's regex finds it, when
/// that is certain; `None` when the automaton must decide. `max_year_prefix` is the highest
/// first three digits of a year `%ExY` accepts (it accepts `200` up to that).
pub(super) fn at_line_start(line: &str, max_year_prefix: u32) -> Option<TemplateMatch> {
    read(line, max_year_prefix, false)
}

/// The same for the template with the year before the time
/// (`{^LN-BEG}(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?`: `Dec  5 2026 11:26:42`).
pub(super) fn with_year_at_line_start(line: &str, max_year_prefix: u32) -> Option<TemplateMatch> {
    read(line, max_year_prefix, true)
}

/// The date at the start of `line`, the year before the time (`year_first`) or maybe after it.
fn read(line: &str, max_year_prefix: u32, year_first: bool) -> Option<TemplateMatch> {
    let bytes = line.as_bytes();
    // The date (a letter) starts after every leading symbol.
    let mut at = after_leading_symbols(bytes)?;
    let start = at;
    // `(?:%a )?`: a weekday is never a month, so with one only the path that takes it can match.
    if bytes.get(at + 3) == Some(&b' ') && name_in(bytes.get(at..at + 3)?, &DAYS).is_some() {
        at += 4;
    }
    let month = month(bytes, &mut at)?;
    expect(bytes, &mut at, b' ')?;
    let day = day_of_month(bytes, &mut at)?;
    expect(bytes, &mut at, b' ')?;
    let mut year = None;
    if year_first {
        year = Some(year_in(bytes, &mut at, max_year_prefix)?);
        expect(bytes, &mut at, b' ')?;
    }
    let time = time_of_day(bytes, &mut at)?;
    // `(?: %ExY)?`: a year is taken when the date can end after it (what follows is no word
    // character); where it cannot, or the digits are no such year, the automaton decides.
    if !year_first
        && bytes.get(at) == Some(&b' ')
        && bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
    {
        at += 1;
        year = Some(year_in(bytes, &mut at, max_year_prefix)?);
    }
    let plain_end = match bytes.get(at) {
        None => true,
        Some(b' ') if !year_first => !bytes.get(at + 1).is_some_and(u8::is_ascii_digit),
        Some(next) => next.is_ascii() && !is_word(*next) && *next != b'.',
    };
    plain_end.then_some(())?;
    Some(TemplateMatch {
        start,
        end: at,
        time: FoundTime::Wall(WallTime {
            year,
            month_day: Some((month, day)),
            time,
            zone_minutes: None,
        }),
    })
}

/// `%a`: the weekdays.
const DAYS: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];

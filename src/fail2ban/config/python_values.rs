//! Values as fail2ban's Python reads them: `int()` of an option, and a time option as its
//! server takes it.

use super::duration::parse_seconds;
use super::resolved_jail::TimeValue;

/// Python's `int()` of a string: white space around, a sign, digits with single `_` between.
pub(crate) fn python_int(text: &str) -> Option<i64> {
    let text = text.trim_matches(super::ini::is_py_space);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let bytes = digits.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_digit)
        && bytes.last().is_some_and(u8::is_ascii_digit)
        && bytes
            .windows(2)
            .all(|w| w[0].is_ascii_digit() || w[1].is_ascii_digit())
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_');
    if !well_formed {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

/// A time option as fail2ban's server reads it.
pub(crate) fn time_value(text: &str) -> TimeValue {
    parse_seconds(text).map_or_else(
        |_| TimeValue::Unreadable(text.to_string()),
        TimeValue::Seconds,
    )
}

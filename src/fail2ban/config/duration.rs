//! fail2ban time values (`bantime`, `findtime`): `600`, `10m`, `1h 30m`, `1d`, `-1`, as
//! `MyTime.str2seconds` reads them.

use super::arithmetic;
use fancy_regex::Regex;
use std::sync::LazyLock;

/// Seconds in each unit fail2ban knows, longest spellings first (for the operator's `--for`).
const UNITS: [(&[&str], f64); 7] = [
    (&["seconds", "second", "sec", "se", "ss", "s"], 1.0),
    (&["minutes", "minute", "min", "mi", "mm", "m"], 60.0),
    (&["hours", "hour", "hou", "ho", "hh", "h"], 3600.0),
    (&["days", "day", "da", "dd", "d"], 86_400.0),
    (&["weeks", "week", "wee", "we", "ww", "w"], 604_800.0),
    (&["months", "month", "mon", "mo"], 2_629_800.0),
    (&["years", "year", "yea", "ye", "yy", "y"], 31_557_600.0),
];

/// fail2ban's unit words (`MyTime._str2sec_parts`), each replaced by `*seconds`, in its order.
const UNIT_WORDS: [(&str, &str); 7] = [
    (r"days?|da|dd?", "*86400"),
    (r"weeks?|wee?|ww?", "*604800"),
    (r"months?|mon?", "*2629800.0"),
    (r"years?|yea?|yy?", "*31557600.0"),
    (r"seconds?|sec?|ss?", "*1"),
    (r"minutes?|min?|mm?", "*60"),
    (r"hours?|hou?|hh?", "*3600"),
];

/// `MyTime._str2sec_prep`: a digit right after a letter starts a new group.
static LETTER_DIGIT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)(?<=[a-z])(\d)").ok());
/// `MyTime._str2sec_fini`: groups separated by white space are added.
static DIGIT_SPACE_DIGIT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(\d)\s+(\d)").ok());

/// The unit expressions, compiled once.
static UNIT_EXPRESSIONS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    UNIT_WORDS
        .iter()
        .filter_map(|(words, replacement)| {
            Regex::new(&format!(r"(?i)(?<=[\d\s])({words})\b"))
                .ok()
                .map(|regex| (regex, *replacement))
        })
        .collect()
});

/// Parses a duration in seconds as fail2ban's `MyTime.str2seconds` does: unit words become
/// multiplications, groups separated by white space are added, and the result is evaluated as
/// an arithmetic expression (`1h 30m`, `1year-6mo`, `3600*2`, `600 # ten minutes`); the
/// result is truncated to whole seconds as fail2ban's server stores it.
pub(super) fn parse_seconds(text: &str) -> Result<i64, String> {
    let not_a_duration = |why: String| format!("{text:?} is not a duration ({why})");
    let (Some(letter_digit), Some(digit_space_digit)) =
        (LETTER_DIGIT.as_ref(), DIGIT_SPACE_DIGIT.as_ref())
    else {
        return Err(not_a_duration(
            "time expressions did not compile".to_string(),
        ));
    };
    // Plain seconds, the common case, need no rewriting.
    if let Ok(seconds) = text.trim().parse::<i64>()
        && !text.trim().starts_with(['+', '0'])
    {
        return Ok(seconds);
    }
    let mut expression = letter_digit.replace_all(text, " $1").to_string();
    for (regex, replacement) in UNIT_EXPRESSIONS.iter() {
        expression = regex.replace_all(&expression, *replacement).to_string();
    }
    // The pattern overlaps itself (`1 2 3`): repeat as Python's non-overlapping sub leaves
    // `1+2 3` only for the next evaluation to refuse, which fail2ban does too.
    let expression = digit_space_digit
        .replace_all(&expression, "$1+$2")
        .to_string();
    let seconds = arithmetic::evaluate(&expression).map_err(not_a_duration)?;
    if !seconds.is_finite() || seconds.abs() > i64::MAX as f64 {
        return Err(not_a_duration("out of range".to_string()));
    }
    Ok(seconds.trunc() as i64)
}

/// The longest ban bantop writes with a timeout (ten years): every kernel takes it, where
/// some refuse a hundred years with "Numerical result out of range".
pub(super) const LONGEST_BAN: u64 = 3650 * 86_400;

/// A ban's duration as the operator types it: fail2ban's units for seconds to weeks, in lower
/// case only (`10M` could be minutes or months), positive and at most [`LONGEST_BAN`].
pub fn parse_ban_duration(text: &str) -> Result<u64, String> {
    if text.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "{text}: units are lower case (s, m, h, d, w): is 'M' minutes or months?"
        ));
    }
    let units_ok = text
        .split(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace() || c == '+')
        .filter(|unit| !unit.is_empty())
        .all(|unit| UNITS[..5].iter().any(|(names, _)| names.contains(&unit)));
    if !units_ok {
        return Err(format!(
            "{text}: use s, m, h, d or w (months and years: write days, e.g. 30d)"
        ));
    }
    match parse_seconds(text)? {
        seconds if seconds <= 0 => Err(format!(
            "{text}: a ban lasts a positive time (leave --for out for a permanent ban)"
        )),
        seconds if seconds as u64 > LONGEST_BAN => Err(format!(
            "{text}: longer than {}, the longest timed ban (leave --for out for a permanent ban)",
            format_seconds(LONGEST_BAN as i64)
        )),
        seconds => Ok(seconds as u64),
    }
}

/// How far back to read (`--since`): the units of [`parse_ban_duration`], a positive time of
/// at most ten years.
pub fn parse_period(text: &str) -> Result<u64, String> {
    parse_ban_duration(text).map_err(|_| {
        format!("{text}: a positive time in s, m, h, d or w, at most 3650d (e.g. 24h, 7d)")
    })
}

/// Seconds as a short text: `45s`, `10m`, `1h30m`, `2d`, `permanent` for negative values.
pub fn format_seconds(seconds: i64) -> String {
    if seconds < 0 {
        return "permanent".to_string();
    }
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")];
    let text: String = parts
        .iter()
        .filter(|(value, _)| *value > 0)
        .take(2)
        .map(|(value, unit)| format!("{value}{unit}"))
        .collect();
    if text.is_empty() {
        "0s".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fail2ban_durations() {
        assert_eq!(parse_seconds("600"), Ok(600));
        assert_eq!(parse_seconds("10m"), Ok(600));
        assert_eq!(parse_seconds("1h 30m"), Ok(5400));
        assert_eq!(parse_seconds("1w"), Ok(604_800));
        assert_eq!(parse_seconds("-1"), Ok(-1));
        assert!(parse_seconds("ten minutes").is_err());
        assert!(parse_seconds("10 parsecs").is_err());
    }

    #[test]
    fn a_comment_after_a_time_is_a_python_comment_as_fail2ban_evaluates_it() {
        // fail2ban 1.0.2's server, given `bantime = 600 # 10 minutes` and
        // `findtime = 1h # one hour`, answers `get JAIL bantime` 600 and `findtime` 3600.
        assert_eq!(parse_seconds("600 # 10 minutes"), Ok(600));
        assert_eq!(parse_seconds("1h # one hour"), Ok(3600));
        assert!(parse_seconds("# nothing").is_err());
    }

    #[test]
    fn formats_short_durations() {
        assert_eq!(format_seconds(3600), "1h");
        assert_eq!(format_seconds(5430), "1h30m");
        assert_eq!(format_seconds(59), "59s");
        assert_eq!(format_seconds(-1), "permanent");
    }

    #[test]
    fn a_ban_duration_has_one_grammar_and_a_ceiling() {
        assert_eq!(parse_ban_duration("90"), Ok(90));
        assert_eq!(parse_ban_duration("10m"), Ok(600));
        assert_eq!(parse_ban_duration("1h30m"), Ok(5400));
        assert_eq!(parse_ban_duration("1w"), Ok(604_800));
        assert_eq!(parse_ban_duration("3650d"), Ok(LONGEST_BAN));
        for refused in [
            "10M",
            "1H",
            "2mo",
            "1y",
            "0",
            "-5m",
            "3651d",
            "99999999999999d",
            "5x",
        ] {
            assert!(parse_ban_duration(refused).is_err(), "{refused}");
        }
        assert!(parse_ban_duration("10M").is_err_and(|e| e.contains("lower case")));
        assert!(parse_ban_duration("3651d").is_err_and(|e| e.contains("longest")));
    }
}

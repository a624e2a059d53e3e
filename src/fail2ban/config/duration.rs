//! fail2ban time values (`bantime`, `findtime`): `600`, `10m`, `1h 30m`, `1d`, `-1`, as
//! `MyTime.str2seconds` reads them.

/// Seconds in each unit fail2ban knows, longest spellings first.
const UNITS: [(&[&str], f64); 7] = [
    (&["seconds", "second", "sec", "se", "ss", "s"], 1.0),
    (&["minutes", "minute", "min", "mi", "mm", "m"], 60.0),
    (&["hours", "hour", "hou", "ho", "hh", "h"], 3600.0),
    (&["days", "day", "da", "dd", "d"], 86_400.0),
    (&["weeks", "week", "wee", "we", "ww", "w"], 604_800.0),
    (&["months", "month", "mon", "mo"], 2_629_800.0),
    (&["years", "year", "yea", "ye", "yy", "y"], 31_557_600.0),
];

/// Parses a duration in seconds; the error says what was not understood.
pub(super) fn parse_seconds(text: &str) -> Result<i64, String> {
    // fail2ban's server `eval`s the expression its client passes as written, so what follows a
    // `#` is a Python comment: `bantime = 600 # 10 minutes` bans for 600 s.
    let trimmed = text.split('#').next().unwrap_or_default().trim();
    let (sign, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, trimmed),
    };
    if body.is_empty() {
        return Err(format!("{text:?} is not a duration"));
    }
    let mut total = 0.0;
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len]
            .parse()
            .map_err(|_| format!("{text:?} is not a duration"))?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = rest[..unit_len].to_ascii_lowercase();
        let factor = if unit.is_empty() {
            1.0
        } else {
            UNITS
                .iter()
                .find(|(names, _)| names.contains(&unit.as_str()))
                .map(|(_, seconds)| *seconds)
                .ok_or_else(|| format!("{text:?}: unknown unit {unit:?}"))?
        };
        total += number * factor;
        rest = rest[unit_len..].trim_start_matches([' ', '\t', '+']);
    }
    Ok((sign * total).round() as i64)
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

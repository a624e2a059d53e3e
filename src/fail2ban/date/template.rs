//! One fail2ban date template (datetemplate.py, strptime.py): a `datepattern` with strptime
//! `%`-codes (`%Y`, `%b`, `%ExY`, `%k`, ...) becomes a regex with fail2ban's own field patterns
//! and word boundaries (`{^LN-BEG}`, `{UNB}`, `**`), and a match becomes a time as
//! `reGroupDictStrptime` makes it (the year and the day inferred from now, a zone from `%z`);
//! `EPOCH`, `LEPOCH`, `{EPOCH}` and `TAI64N` templates read machine timestamps.

use super::access;
use super::error::DateError;
use super::found::{FoundTime, TemplateMatch};
use super::iso;
use super::strptime::{CODES, expand_codes, read_fields};
use super::syslog;
use crate::fail2ban::pattern::{Pattern, Text};

/// The name of the group holding the date text (fail2ban's group 1), cut out of the line.
const DATE_GROUP: &str = "bantopdate";

/// fail2ban's first default template (ISO 8601 and the like).
pub(super) const ISO_TEMPLATE: &str =
    r"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?";

/// fail2ban's second default template (syslog dates).
pub(super) const SYSLOG_TEMPLATE: &str = r"(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?";

/// fail2ban's third default template (syslog dates with the year before the time).
pub(super) const SYSLOG_YEAR_TEMPLATE: &str = r"(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?";

/// How a template reads what it matched.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reader {
    /// strptime fields.
    Fields,
    /// Seconds since the epoch (`LEPOCH`: also milli- and microseconds).
    Epoch { long: bool },
    /// `@` and 24 hex digits.
    Tai64n,
}

/// Where a date may begin (fail2ban's `wordBegin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    /// Not inside a word (the default).
    Word,
    /// At the line start, after at most two non-word characters (`{^LN-BEG}`).
    LineStart,
    /// Anywhere (`{UNB}`).
    Anywhere,
}

/// A compiled date template.
#[derive(Debug, Clone)]
pub(super) struct DateTemplate {
    /// The pattern it was made from (fail2ban's template name).
    pub(super) name: String,
    pattern: Pattern,
    /// The same with ASCII word boundaries, for ASCII lines (where the pattern has no ASCII twin).
    ascii: Option<Pattern>,
    reader: Reader,
    /// Anchored at the line start (or end): such a match is taken at once.
    pub(super) anchored: bool,
    /// The groups that may hold the date text, by index, in order of preference.
    date_groups: Vec<usize>,
    /// The strptime fields, by group index and code.
    fields: Vec<(usize, &'static str)>,
    /// fail2ban's ISO template (`%ExY-%m-%d %H:%M:%S`...), which has a fast reader.
    iso: bool,
    /// For that template at the line start: the highest first three digits of a year it takes,
    /// for [`iso::at_line_start`], which needs no automaton.
    iso_line_start: Option<u32>,
    /// For the syslog template at the line start, which [`syslog::at_line_start`] reads: the
    /// highest first three digits of a year it takes.
    syslog_line_start: Option<u32>,
    /// The same for its variant with the year before the time
    /// ([`syslog::with_year_at_line_start`]).
    syslog_year_line_start: Option<u32>,
    /// The same for the access-log template in the line's first brackets
    /// ([`access::in_brackets`]).
    access_in_brackets: Option<u32>,
    /// The ISO template at the very line start (`^`, no symbols before it), which
    /// [`iso::at_line_start`] reads on lines that begin with a word character.
    iso_at_line_start_only: bool,
}

/// Expands a back-reference to a one-character separator group (`(?P<_sep>[-/.])...(?P=_sep)`,
/// as fail2ban's default templates use) into one alternative per separator around what lies
/// between them: the linear regex engine has no back-references.
fn expand_separator(pattern: &str) -> String {
    let Some(open) = pattern.find("(?P<_sep>[") else {
        return pattern.to_string();
    };
    let class_start = open + "(?P<_sep>[".len();
    let Some(class_len) = pattern[class_start..].find("])") else {
        return pattern.to_string();
    };
    let class = &pattern[class_start..class_start + class_len];
    let group_end = class_start + class_len + 2;
    let Some(middle_len) = pattern[group_end..].find("(?P=_sep)") else {
        return pattern.to_string();
    };
    let middle = &pattern[group_end..group_end + middle_len];
    let rest = &pattern[group_end + middle_len + "(?P=_sep)".len()..];
    let variants: Vec<String> = class
        .chars()
        .filter(|c| *c != '\\')
        .map(|c| {
            let literal = regex::escape(&c.to_string());
            format!("{literal}{middle}{literal}")
        })
        .collect();
    format!("{}(?:{}){rest}", &pattern[..open], variants.join("|"))
}

/// Whether a regex has a plain capturing group (fail2ban's `RE_GROUPED`).
fn has_plain_group(regex: &str) -> bool {
    let bytes = regex.as_bytes();
    (0..bytes.len()).any(|i| {
        bytes[i] == b'(' && bytes.get(i + 1) != Some(&b'?') && (i == 0 || bytes[i - 1] != b'\\')
    })
}

/// Names the first plain group the date group, or wraps the whole (keeping a leading `^` and a
/// trailing `$` outside, as fail2ban's `RE_GROUP`).
fn with_date_group(regex: &str) -> String {
    if has_plain_group(regex) {
        let bytes = regex.as_bytes();
        if let Some(i) = (0..bytes.len()).find(|&i| {
            bytes[i] == b'(' && bytes.get(i + 1) != Some(&b'?') && (i == 0 || bytes[i - 1] != b'\\')
        }) {
            return format!("{}(?P<{DATE_GROUP}>{}", &regex[..i], &regex[i + 1..]);
        }
    }
    let (head, body) = match regex.strip_prefix('^') {
        Some(body) => ("^", body),
        None => ("", regex),
    };
    let (body, tail) = match body.strip_suffix('$') {
        Some(body) if !body.ends_with('\\') => (body, "$"),
        _ => (body, ""),
    };
    format!("{head}(?P<{DATE_GROUP}>{body}){tail}")
}

/// fail2ban's `(?=^|\b|\W)` and `(?=\b|\W|$)`: not inside a word.
const NOT_IN_WORD: &str = r"(?:\b{start-half}|\b{end-half})";
/// The same for ASCII lines, where the automaton need not know Unicode's word characters
/// (much faster; the same answer on such lines).
const NOT_IN_WORD_ASCII: &str = r"(?-u:\b{start-half}|\b{end-half})";

/// The epoch number fail2ban matches (`LEPOCH`: with milli- or microseconds).
fn epoch_regex(long: bool) -> &'static str {
    if long {
        r"\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?"
    } else {
        r"\d{10,11}\b(?:\.\d{3,6})?"
    }
}

impl DateTemplate {
    /// A template for one datepattern line, as fail2ban's `_getPatternTemplate` makes it.
    pub(super) fn new(pattern: &str, this_year: i32) -> Result<Self, DateError> {
        let key = if pattern.contains('%') {
            pattern.to_string()
        } else {
            pattern.to_uppercase()
        };
        match key.as_str() {
            "EPOCH" => return Self::epoch(pattern, false, false),
            "{^LN-BEG}EPOCH" | "^EPOCH" => return Self::epoch(pattern, true, false),
            "LEPOCH" => return Self::epoch(pattern, false, true),
            "{^LN-BEG}LEPOCH" | "^LEPOCH" => return Self::epoch(pattern, true, true),
            "TAI64N" | "{^LN-BEG}TAI64N" | "^TAI64N" => {
                let begin = if key == "TAI64N" {
                    ""
                } else {
                    r"^(?:\W{0,2})?"
                };
                let regex = format!(r"{begin}(?P<{DATE_GROUP}>@[0-9a-f]{{24}}){NOT_IN_WORD}");
                return Self::compiled(pattern, &regex, Reader::Tai64n, key != "TAI64N");
            }
            _ => {}
        }
        let upper = pattern.to_uppercase();
        if upper.contains("{EPOCH}") || upper.contains("{LEPOCH}") {
            let long = upper.contains("{LEPOCH}");
            let marker = if long { "{LEPOCH}" } else { "{EPOCH}" };
            let at = upper.find(marker).unwrap_or(0);
            let regex = format!(
                "{}(?P<{DATE_GROUP}>{}){}",
                &pattern[..at],
                epoch_regex(long),
                &pattern[at + marker.len()..]
            );
            return Self::bounded(pattern, &regex, Reader::Epoch { long }, Begin::Word, true);
        }
        let (mut body, mut begin, mut word_end) = (pattern.trim(), Begin::Word, true);
        if let Some(rest) = body.strip_prefix("{UNB}") {
            body = rest;
            begin = Begin::Anywhere;
            word_end = false;
        }
        if let Some(rest) = body.strip_prefix("{^LN-BEG}")
            && begin == Begin::Word
        {
            body = rest;
            begin = Begin::LineStart;
        }
        let mut counter = 0;
        let expanded = expand_codes(&expand_separator(body), this_year, &mut counter)?;
        let alpha = ["%a", "%A", "%b", "%B", "%p"]
            .iter()
            .any(|code| body.contains(code));
        let regex = if alpha {
            format!("(?i){expanded}")
        } else {
            expanded
        };
        let mut template = Self::bounded(pattern, &regex, Reader::Fields, begin, word_end)?;
        let max_year_prefix = u32::try_from((this_year + 3) / 10).ok();
        if template.iso && begin == Begin::LineStart {
            template.iso_line_start = max_year_prefix;
        }
        if begin == Begin::LineStart && body == SYSLOG_TEMPLATE {
            template.syslog_line_start = max_year_prefix;
        }
        if begin == Begin::LineStart && body == SYSLOG_YEAR_TEMPLATE {
            template.syslog_year_line_start = max_year_prefix;
        }
        if begin == Begin::Word && body == access::in_brackets_pattern() {
            template.access_in_brackets = max_year_prefix;
        }
        if begin == Begin::Word && body.strip_prefix('^') == Some(ISO_TEMPLATE) {
            template.iso_line_start = max_year_prefix;
            template.iso_at_line_start_only = true;
        }
        Ok(template)
    }

    fn epoch(name: &str, line_begin: bool, long: bool) -> Result<Self, DateError> {
        let number = epoch_regex(long);
        if line_begin {
            // At the line start, maybe in square brackets.
            let regex = format!(
                r"^(?:\W{{0,2}})?(?:\[(?P<{DATE_GROUP}>{number})\]|(?P<bare>{number})){NOT_IN_WORD}"
            );
            return Self::compiled(name, &regex, Reader::Epoch { long }, true);
        }
        // At the line start, in `[...]` there, or in SELinux's `audit(...:n)`.
        let regex = format!(
            r"(?:^(?P<{DATE_GROUP}>{number})|^\[(?P<square>{number})\]|\baudit\((?P<selinux>{number}):\d+\)){NOT_IN_WORD}"
        );
        Self::compiled(name, &regex, Reader::Epoch { long }, false)
    }

    /// Adds fail2ban's boundaries (`setRegex`) where the pattern asks for them.
    fn bounded(
        name: &str,
        regex: &str,
        reader: Reader,
        begin: Begin,
        word_end: bool,
    ) -> Result<Self, DateError> {
        let (flags, regex) = match regex.strip_prefix("(?i)") {
            Some(rest) => ("(?i)", rest),
            None => ("", regex),
        };
        let no_begin = {
            let stripped = regex.trim_start_matches('(');
            stripped.starts_with('^')
                || stripped.starts_with("**")
                || regex.starts_with("(?:^")
                || regex.starts_with("(^")
        };
        let no_end = {
            let stripped = regex.trim_end_matches(')');
            (regex.ends_with('$') && !regex.ends_with("\\$"))
                || regex.ends_with("$)")
                || regex.ends_with("\\b")
                || regex.ends_with("\\s")
                || stripped.ends_with("**")
        };
        let mut body = if regex.contains(&format!("(?P<{DATE_GROUP}>")) {
            regex.to_string()
        } else {
            with_date_group(regex)
        };
        let mut anchored = false;
        match begin {
            _ if no_begin => {}
            Begin::LineStart => {
                body = format!(r"^(?:\W{{0,2}})?{body}");
                anchored = true;
            }
            Begin::Word => body = format!("{NOT_IN_WORD}{body}"),
            Begin::Anywhere => {}
        }
        if word_end && !no_end {
            body.push_str(NOT_IN_WORD);
        }
        let body = body.replace("**", "");
        anchored |= body.starts_with('^') || body.starts_with("(?:^") || body.starts_with("(^");
        anchored |= body.ends_with('$') && !body.ends_with("\\$");
        Self::compiled(name, &format!("{flags}{body}"), reader, anchored)
    }

    fn compiled(
        name: &str,
        regex: &str,
        reader: Reader,
        anchored: bool,
    ) -> Result<Self, DateError> {
        let pattern = Pattern::compile(regex).map_err(|error| DateError::Regex {
            name: name.to_string(),
            error,
        })?;
        // Needed only where the pattern has no ASCII twin of its own (which has ASCII `\b`s).
        let ascii = (regex.contains(NOT_IN_WORD) && !pattern.has_ascii_twin())
            .then(|| Pattern::compile(&regex.replace(NOT_IN_WORD, NOT_IN_WORD_ASCII)).ok())
            .flatten();
        let names = pattern.group_names();
        let index_of = |wanted: &str| names.iter().position(|n| n.as_deref() == Some(wanted));
        let date_groups = [DATE_GROUP, "bare", "square", "selinux"]
            .iter()
            .filter_map(|name| index_of(name))
            .collect();
        // Field groups are named `f<n>_<code>`.
        let fields = names
            .iter()
            .enumerate()
            .filter_map(|(index, name)| {
                let (_, code) = name.as_deref()?.split_once('_')?;
                let code = CODES.iter().copied().find(|c| *c == code)?;
                Some((index, code))
            })
            .collect();
        Ok(DateTemplate {
            iso: name.trim_start_matches("{^LN-BEG}") == ISO_TEMPLATE,
            name: name.to_string(),
            pattern,
            ascii,
            reader,
            anchored,
            date_groups,
            fields,
            iso_line_start: None,
            syslog_line_start: None,
            syslog_year_line_start: None,
            access_in_brackets: None,
            iso_at_line_start_only: false,
        })
    }

    /// The date at the start of `line` as [`iso::at_line_start`] reads it, for the ISO
    /// template at the line start, where that reader's answer is certain.
    pub(super) fn read_by_hand(&self, line: &str) -> Option<TemplateMatch> {
        // With nothing allowed before the date, it is the same regex on a line that begins
        // with a word character (the symbols the reader skips are none there).
        if self.iso_at_line_start_only
            && !line
                .as_bytes()
                .first()
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            return None;
        }
        iso::at_line_start(line, self.iso_line_start?)
    }

    /// The first match in `line`, read into a time.
    #[cfg(test)]
    pub(super) fn find(&self, line: &str) -> Option<TemplateMatch> {
        self.find_in(line, line.is_ascii())
    }

    /// [`DateTemplate::find`] on a line known to be all ASCII or not.
    pub(super) fn find_in(&self, line: &str, ascii: bool) -> Option<TemplateMatch> {
        if let Some(found) = self.read_by_hand(line) {
            return Some(found);
        }
        if let Some(max_year_prefix) = self.syslog_line_start
            && let Some(found) = syslog::at_line_start(line, max_year_prefix)
        {
            return Some(found);
        }
        if let Some(max_year_prefix) = self.syslog_year_line_start
            && let Some(found) = syslog::with_year_at_line_start(line, max_year_prefix)
        {
            return Some(found);
        }
        if let Some(max_year_prefix) = self.access_in_brackets
            && let Some(found) = access::in_brackets(line, max_year_prefix)
        {
            return Some(found);
        }
        let pattern = match &self.ascii {
            Some(twin) if ascii => twin,
            _ => &self.pattern,
        };
        // Most templates tried on a line fail at its first byte.
        let text = Text::known(line, ascii);
        if pattern.rules_out(text) {
            return None;
        }
        // fail2ban's first default template, read by hand within the automaton's match; not
        // at the line start, where the hand reader above left it to the groups (a zone, a
        // fraction) and the back-tracker reads them from the first byte at once.
        if self.iso && !self.anchored {
            let (start, end) = pattern.find_span(line)?;
            if let Some(found) = iso::within_match(line, start, end) {
                return Some(found);
            }
        }
        let spans = pattern.spans_in(text)?;
        let text = |index: usize| {
            spans
                .get(index)
                .copied()
                .flatten()
                .map(|(start, end)| (start, end, &line[start..end]))
        };
        let (start, end, date) = self
            .date_groups
            .iter()
            .find_map(|index| text(*index))
            .or_else(|| text(0))?;
        // An empty date (`^WARNING:()**`): the line is known, its time is not.
        if start == end {
            return None;
        }
        let time =
            match self.reader {
                Reader::Tai64n => {
                    let seconds = u64::from_str_radix(date.get(1..17)?, 16).ok()?;
                    FoundTime::Epoch(seconds.checked_sub(1 << 62)? as f64)
                }
                Reader::Epoch { long } => {
                    let mut value: f64 = date.parse().ok()?;
                    if long && date.len() >= 13 {
                        value /= if date.len() >= 16 && !date.contains('.') {
                            1_000_000.0
                        } else {
                            1000.0
                        };
                    }
                    FoundTime::Epoch(value)
                }
                Reader::Fields => FoundTime::Wall(read_fields(self.fields.iter().filter_map(
                    |(index, code)| text(*index).map(|(_, _, value)| (*code, value)),
                ))?),
            };
        Some(TemplateMatch { start, end, time })
    }
}

#[cfg(test)]
mod tests {
    use super::super::strptime::{WallTime, complete};
    use super::*;

    /// A line made of one choice from each part: the first (the date's own) two times in
    /// three, another at random otherwise (xorshift on `seed`).
    fn random_line(parts: &[&[&str]], seed: &mut u64) -> String {
        let mut line = String::new();
        for choices in parts {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let pick = if !seed.is_multiple_of(3) {
                0
            } else {
                (*seed >> 8) as usize % choices.len()
            };
            line.push_str(choices[pick]);
        }
        line
    }
    use chrono::{Datelike, NaiveDateTime};

    fn wall(text: &str) -> FoundTime {
        let w = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_default();
        FoundTime::Wall(WallTime {
            year: Some(w.year()),
            month_day: Some((w.month(), w.day())),
            time: w.time(),
            zone_minutes: None,
        })
    }

    #[test]
    fn percent_codes_become_fields_with_fail2ban_boundaries() {
        let template = DateTemplate::new("%d/%b/%Y:%H:%M:%S %z", 2026).ok();
        let found = template
            .and_then(|t| t.find(r#"192.0.2.1 - - [31/Oct/2025:09:22:55 +0200] "GET / HTTP/1.1""#));
        let expected = match wall("2025-10-31 09:22:55") {
            FoundTime::Wall(w) => FoundTime::Wall(WallTime {
                zone_minutes: Some(120),
                ..w
            }),
            other => other,
        };
        assert_eq!(found.as_ref().map(|f| f.time), Some(expected));
        assert_eq!(found.map(|f| (f.start, f.end)), Some((15, 41)));
        // Not inside a word: "x31/Oct/2025..." does not start a date.
        let inside = DateTemplate::new("%d/%b/%Y:%H:%M:%S", 2026).ok();
        assert!(
            inside
                .and_then(|t| t.find("x31/Oct/2025:09:22:55"))
                .is_none()
        );
    }

    #[test]
    fn separators_back_references_and_anchors() {
        let template =
            DateTemplate::new(r"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S", 2026);
        let template = template.ok();
        let found = |line: &str| template.as_ref().and_then(|t| t.find(line)).map(|f| f.time);
        assert_eq!(
            found("x11vnc 23/01/2025 21:59:59 x"),
            Some(wall("2025-01-23 21:59:59"))
        );
        assert_eq!(
            found("17-07-08 17:23:25"),
            Some(wall("2008-07-17 17:23:25"))
        );
        assert_eq!(
            found("17-07/2008 17:23:25"),
            None,
            "the separators must agree"
        );
        let anchored = DateTemplate::new("{^LN-BEG}%ExY-%Exm-%Exd %ExH:%ExM:%ExS", 2026).ok();
        assert!(anchored.as_ref().is_some_and(|t| t.anchored));
        let at = |line: &str| {
            anchored
                .as_ref()
                .and_then(|t| t.find(line))
                .map(|f| f.start)
        };
        assert_eq!(at("[2026-01-19 17:08:10] x"), Some(1));
        assert_eq!(at("host 2026-01-19 17:08:10 x"), None);
    }

    #[test]
    fn the_iso_fast_reader_agrees_with_the_general_one() {
        for pattern in [
            ISO_TEMPLATE.to_string(),
            format!("{{^LN-BEG}}{ISO_TEMPLATE}"),
        ] {
            let fast = DateTemplate::new(&pattern, 2026).ok();
            let mut general = fast.clone();
            if let Some(general) = general.as_mut() {
                general.iso = false;
                general.iso_line_start = None;
            }
            for line in [
                "[2026-01-19 17:08:10.1234] NOTICE x",
                "2026-01-19T17:08:10,123 x",
                "2026/1/9  7:08:10 x",
                "2026.01.19 17:08:10+0100 x",
                "2026-01-19 17:08:10 +02:00 x",
                "2026-01-19 17:08:10.1234567 x",
                "x 2026-01-19 17:08:10 x",
                "2026-13-19 17:08:10 x",
                "2026-01-19 17:08:10x",
            ] {
                let found = |t: &Option<DateTemplate>| t.as_ref().and_then(|t| t.find(line));
                assert_eq!(found(&fast), found(&general), "{pattern} on {line:?}");
            }
        }
    }

    #[test]
    fn the_line_start_reader_answers_only_as_the_automaton_does() {
        for pattern in [
            format!("{{^LN-BEG}}{ISO_TEMPLATE}"),
            format!("^{ISO_TEMPLATE}"),
        ] {
            line_start_reader_agrees(&pattern);
        }
    }

    fn line_start_reader_agrees(pattern: &str) {
        let fast = DateTemplate::new(pattern, 2026).ok();
        assert!(fast.as_ref().is_some_and(|t| t.iso_line_start.is_some()));
        let mut general = fast.clone();
        if let Some(general) = general.as_mut() {
            general.iso = false;
            general.iso_line_start = None;
        }
        // Each part of a line: the usual value half of the time, else an odd one.
        let parts: [&[&str]; 12] = [
            &["[", "", "[[", "[ ", "<<<", " ", "\u{e9}", "x", "\u{e9}["],
            &["2026", "1999", "2031", "20266", "226", "2000"],
            &["-", "/", ".", ":"],
            &["01", "1", "12", "13", "00", "001"],
            &["-", "/", "."],
            &["19", "9", "31", "32", " 9", "0"],
            &[" ", "T", "  ", "   ", "t"],
            &["17", "7", "23", "24", "007"],
            &[":08", ":59", ":60", ":8", "-08"],
            &[":10", ":0", ":60", ":61", ":62", ":100"],
            &["", ".1234", ",1", ".1234567", ".", ".x", ".123456"],
            &[
                "] NOTICE", "", "]", " x", " +0100", "+02:00", "Z", " UTC", "x", "_", "\u{e9}",
                "\t-", "  GMT", " U", " \u{a0}", "\n", "+0100 x", "-05:00]", "+01 x", "+01:0",
                "+0100x", " +01", "+2000", "+01:00:", "+0100.5", "-0130", "+01:", "  +0100", "+1",
                "+010",
            ],
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let (mut agreed, mut read_by_hand) = (0, 0);
        for _ in 0..20_000 {
            let mut line = String::new();
            for choices in parts {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let pick = if !seed.is_multiple_of(4) {
                    0
                } else {
                    (seed >> 8) as usize % choices.len()
                };
                line.push_str(choices[pick]);
            }
            let found = |t: &Option<DateTemplate>| t.as_ref().and_then(|t| t.find(&line));
            assert_eq!(found(&fast), found(&general), "{line:?}");
            agreed += 1;
            read_by_hand +=
                usize::from(fast.as_ref().and_then(|t| t.read_by_hand(&line)).is_some());
        }
        assert_eq!(agreed, 20_000);
        // Most lines begin with `[`, which only the line-start variant lets come first.
        let wanted = if pattern.starts_with('^') { 100 } else { 3_000 };
        assert!(
            read_by_hand > wanted,
            "{pattern}: only {read_by_hand} lines read by hand"
        );
    }

    #[test]
    fn the_syslog_reader_answers_only_as_the_automaton_does() {
        for template in [SYSLOG_TEMPLATE, SYSLOG_YEAR_TEMPLATE] {
            syslog_reader_agrees(template);
        }
    }

    fn syslog_reader_agrees(template: &str) {
        let fast = DateTemplate::new(&format!("{{^LN-BEG}}{template}"), 2026).ok();
        assert!(fast.as_ref().is_some_and(|t| {
            t.syslog_line_start.is_some() != t.syslog_year_line_start.is_some()
        }));
        let mut general = fast.clone();
        if let Some(general) = general.as_mut() {
            general.syslog_line_start = None;
            general.syslog_year_line_start = None;
        }
        let year_first = template == SYSLOG_YEAR_TEMPLATE;
        // Each part of a line: the usual value half of the time, else an odd one.
        let parts: [&[&str]; 12] = [
            &["", "[", "<<", "<<<", " ", "\u{e9}", "x", "_", "1"],
            &["", "Mon ", "sun ", "Mon  ", "Mon", "Dec "],
            &["Dec", "jan", "FEB", "Dez", "De", "Decx", "Sat"],
            &[" ", "  ", "-", ""],
            &[
                " 7", "17", "07", "31", "30", "32", "29", "00", " 0", "3", "7", "1 ", "\u{e9}",
            ],
            &[" ", "  ", "", "\t"],
            if year_first {
                &[
                    "2026 ", "2026  ", "1999 ", "2030 ", "20266 ", "2026", " 2026 ", "202 ",
                ]
            } else {
                &[""]
            },
            &["09", "23", "24", "29", "30", "9", " 9", "1", "009"],
            &[":08", ":59", ":60", ":8", "-08", ":"],
            &[":10", ":0", ":59", ":60", ":61", ":62", ":100", ":6"],
            &[
                "", ".123", ".", ".1234567", " 2026", " 2030", " 1999", " 20266", " 2",
            ],
            &[
                " host sshd[1]: x",
                "",
                " ",
                "x",
                "_",
                "\u{e9}",
                ".",
                ",5",
                " \u{e9}",
                "] x",
                ":",
                "\n",
            ],
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut read_by_hand = 0;
        for _ in 0..30_000 {
            let line = random_line(&parts, &mut seed);
            let found = |t: &Option<DateTemplate>| t.as_ref().and_then(|t| t.find(&line));
            assert_eq!(found(&fast), found(&general), "{line:?}");
            let by_hand = if year_first {
                super::syslog::with_year_at_line_start(&line, 202)
            } else {
                super::syslog::at_line_start(&line, 202)
            };
            read_by_hand += usize::from(by_hand.is_some());
        }
        assert!(
            read_by_hand > 1_000,
            "{template}: only {read_by_hand} lines read by hand"
        );
    }

    #[test]
    fn the_access_log_reader_answers_only_as_the_automaton_does() {
        let fast = DateTemplate::new(&access::in_brackets_pattern(), 2026).ok();
        assert!(
            fast.as_ref()
                .is_some_and(|t| t.access_in_brackets.is_some())
        );
        let mut general = fast.clone();
        if let Some(general) = general.as_mut() {
            general.access_in_brackets = None;
        }
        // Each part of a line: the usual value two times in three, else an odd one.
        let parts: [&[&str]; 12] = [
            &["192.0.2.1 - - [", "[", "x [ [", "", "\u{e9} [", "a]b ["],
            &["07", "17", "31", "30", "32", " 7", "7", "00", "3", "\u{e9}"],
            &["/", "-", ":", ""],
            &["Dec", "jan", "FEB", "Dez", "Sat", "De"],
            &["/", "-", ":"],
            &["2026", "2029", "2030", "1999", "20266", "26", "2000"],
            &[":", " ", "", "  ", "T"],
            &["10", "23", "20", "24", "09", "9", "1"],
            &[":17", ":59", ":60", ":7", "-17"],
            &[":20", ":0", ":59", ":60", ":61", ":62", ":100"],
            &[
                " +0000", "", " -0130", " +01:00", " +2000", " +01", " +010", " Z", " UTC", " gmt",
                " +0000x", ".123", " x", "  +0000", " +00001",
            ],
            &[
                "] \"GET / HTTP/1.1\" 401",
                "",
                "]",
                "x",
                "_",
                "\u{e9}",
                ".",
                " ",
                ":",
                "\n",
            ],
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut read_by_hand = 0;
        for _ in 0..30_000 {
            let line = random_line(&parts, &mut seed);
            let found = |t: &Option<DateTemplate>| t.as_ref().and_then(|t| t.find(&line));
            assert_eq!(found(&fast), found(&general), "{line:?}");
            read_by_hand += usize::from(access::in_brackets(&line, 202).is_some());
        }
        assert!(
            read_by_hand > 1_000,
            "only {read_by_hand} lines read by hand"
        );
    }

    #[test]
    fn machine_timestamps() {
        let epoch = DateTemplate::new("EPOCH", 2026).ok();
        let time = |t: &Option<DateTemplate>, line: &str| {
            t.as_ref().and_then(|t| t.find(line)).map(|f| f.time)
        };
        assert_eq!(
            time(&epoch, "1700000000.123 x"),
            Some(FoundTime::Epoch(1_700_000_000.123))
        );
        assert_eq!(
            time(&epoch, "[1700000000] x"),
            Some(FoundTime::Epoch(1_700_000_000.0))
        );
        assert_eq!(
            time(&epoch, "type=USER_AUTH msg=audit(1700000000.500:123): x"),
            Some(FoundTime::Epoch(1_700_000_000.5))
        );
        assert_eq!(time(&epoch, "x 1700000000 x"), None);
        let long = DateTemplate::new("LEPOCH", 2026).ok();
        assert_eq!(
            time(&long, "1700000000123 x"),
            Some(FoundTime::Epoch(1_700_000_000.123))
        );
        let tai = DateTemplate::new("TAI64N", 2026).ok();
        assert_eq!(
            time(&tai, "@4000000065a8e6e30c4ec7c4 x"),
            Some(FoundTime::Epoch(f64::from(0x65a8_e6e3_u32)))
        );
    }

    #[test]
    fn missing_year_and_date_come_from_now() {
        let now_wall = NaiveDateTime::parse_from_str("2026-01-02 10:00:00", "%Y-%m-%d %H:%M:%S")
            .unwrap_or_default();
        let to_epoch = |w: NaiveDateTime| Some(w.and_utc().timestamp() as f64);
        let now = now_wall.and_utc().timestamp() as f64;
        let read = |pattern: &str, line: &str| {
            let template = DateTemplate::new(pattern, 2026).ok()?;
            match template.find(line)?.time {
                FoundTime::Wall(w) => complete(w, now, to_epoch, || Some(now_wall)),
                FoundTime::Epoch(e) => Some(e),
            }
        };
        let at = |text: &str| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .map(|w| w.and_utc().timestamp() as f64)
                .ok()
        };
        assert_eq!(
            read("%b %d %H:%M:%S", "Jan  2 09:00:00 x"),
            at("2026-01-02 09:00:00")
        );
        assert_eq!(
            read("%b %d %H:%M:%S", "Dec 31 09:00:00 x"),
            at("2025-12-31 09:00:00")
        );
        assert_eq!(
            read("{^LN-BEG}%H:%M:%S", "09:30:00 x"),
            at("2026-01-02 09:30:00")
        );
        assert_eq!(
            read("{^LN-BEG}%H:%M:%S", "11:30:00 x"),
            at("2026-01-01 11:30:00")
        );
        assert_eq!(
            read("%b %d, %ExY %I:%M:%S %p", "Jan 02, 2026 1:05:07 PM x"),
            at("2026-01-02 13:05:07")
        );
    }
}

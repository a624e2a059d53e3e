//! A literal prefilter for a filter's failregexes: every match of a failregex starts (or ends)
//! with one of a few literals that `regex-syntax` finds in it, so a line that holds none of the
//! literals of any failregex cannot fail, and is rejected with one literal scan before the
//! prefregex and failregexes run. A filter with a failregex that has no such literals (a bare
//! `<HOST>` at both ends, a conditional) gets no prefilter: every line is matched in full.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Literals shorter than this make a prefilter that rejects little; such a regex counts as
/// having none.
const MIN_LITERAL: usize = 2;

/// The compiled prefilter.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// The literals as one alternation: the regex crate searches it with SIMD (Teddy) or
    /// Aho-Corasick, whichever suits the set.
    regex_literals: regex::bytes::Regex,
    /// The literals for [`Prefilter::find_at`]: the SIMD searcher alone, without the regex
    /// crate's set-up per search (which costs more than the search on a line or two), where
    /// the machine and the literals suit it.
    packed: Option<aho_corasick::packed::Searcher>,
    /// The longest literal's length.
    longest: usize,
    /// Every pair of adjacent bytes in a literal, bit `256 * first + second`.
    pairs: Box<[u64; 1024]>,
    /// Whether some literal holds a newline (and may stand across two lines).
    newline: bool,
}

/// A filter's literal screens: one for any failregex, and one for each failregex anchored at
/// the text start whose matches begin with no literal (`^(?:Host )?<HOST> failed...`) but end
/// with one: the back-tracker cannot reject a text at its first bytes, and its screen rejects
/// a text without any of those endings at once.
#[derive(Debug, Clone)]
pub(crate) struct Screens {
    /// For a line: `None` when one of the failregexes has no literal that every match holds.
    pub(crate) line: Option<Prefilter>,
    /// For each failregex, in order (`None` for the others).
    pub(crate) each: Vec<Option<Prefilter>>,
    /// For each failregex, the literals every match holds somewhere (all of them; only for
    /// multi-line failregexes with `<SKIPLINES>`, whose whole buffer is searched at each line).
    pub(crate) inner: Vec<Vec<Vec<u8>>>,
}

impl Prefilter {
    /// The screens of failregexes (in Rust syntax).
    pub(crate) fn screens(failregexes: &[String]) -> Screens {
        let found: Vec<_> = failregexes.iter().map(|r| required_literals(r)).collect();
        let line = found
            .iter()
            .map(|found| found.as_ref().map(|(literals, _)| literals.clone()))
            .collect::<Option<Vec<_>>>()
            .and_then(|all| Self::of(all.concat()));
        let each = failregexes
            .iter()
            .zip(found)
            .map(|(regex, found)| match found {
                Some((literals, Side::End)) if regex.starts_with('^') => Self::of(literals),
                _ => None,
            })
            .collect();
        // A multi-line failregex's matches all hold some long literals somewhere (slapd's
        // ` ACCEPT from IP=` and ` err=49 text=`): a buffer without every one of them is not
        // searched.
        let inner = failregexes
            .iter()
            .map(|regex| {
                if regex.contains("(?P<skiplines") {
                    inner_literals(regex)
                } else {
                    Vec::new()
                }
            })
            .collect();
        Screens { line, each, inner }
    }

    fn of(mut literals: Vec<Vec<u8>>) -> Option<Self> {
        literals.sort();
        literals.dedup();
        let alternation: Vec<String> = literals
            .iter()
            .map(|literal| {
                literal
                    .iter()
                    .map(|byte| format!("\\x{byte:02x}"))
                    .collect::<String>()
            })
            .collect();
        let mut pairs = Box::new([0u64; 1024]);
        for pair in literals.iter().flat_map(|literal| literal.windows(2)) {
            let bit = 256 * usize::from(pair[0]) + usize::from(pair[1]);
            pairs[bit / 64] |= 1 << (bit % 64);
        }
        regex::bytes::RegexBuilder::new(&alternation.join("|"))
            .unicode(false)
            .build()
            .ok()
            .map(|regex| Prefilter {
                regex_literals: regex,
                packed: aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(&literals)
                    .build(),
                longest: literals.iter().map(Vec::len).max().unwrap_or(0),
                pairs,
                newline: literals.iter().any(|literal| literal.contains(&b'\n')),
            })
    }

    /// Whether no literal holds a newline (each stands within a line).
    pub(crate) fn within_lines(&self) -> bool {
        !self.newline
    }

    /// Where the first literal in `text` from `from` stands.
    pub(crate) fn find_at(&self, text: &[u8], from: usize) -> Option<std::ops::Range<usize>> {
        match &self.packed {
            Some(packed) => packed
                .find_in(text, aho_corasick::Span::from(from..text.len()))
                .map(|found| found.range()),
            None => self
                .regex_literals
                .find_at(text, from)
                .map(|found| found.range()),
        }
    }

    /// Whether `line` with `line[start..end]` cut out (the text before and after it joined)
    /// may hold a literal that stands across the cut, when neither part holds one: only when
    /// the two bytes that meet there are next to each other in some literal is the text
    /// around the cut searched.
    pub(crate) fn may_span_cut(&self, line: &str, start: usize, end: usize) -> bool {
        let bytes = line.as_bytes();
        let (Some(before), Some(after)) = (start.checked_sub(1), bytes.get(end)) else {
            return false;
        };
        let bit = 256 * usize::from(bytes[before]) + usize::from(*after);
        if self.pairs[bit / 64] >> (bit % 64) & 1 == 0 {
            return false;
        }
        let reach = self.longest.saturating_sub(1);
        let mut around = bytes[start.saturating_sub(reach)..start].to_vec();
        around.extend_from_slice(&bytes[end..(end + reach).min(bytes.len())]);
        self.regex_literals.is_match(&around)
    }

    /// Whether `text` holds a literal some failregex needs (otherwise no failregex can match).
    pub(crate) fn may_match(&self, text: &str) -> bool {
        self.regex_literals.is_match(text.as_bytes())
    }
}

/// Which end of every match the literals are found at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Start,
    End,
}

/// Literals one of which every match of `regex` starts or ends with, and which; `None` when
/// there are no usable ones.
fn required_literals(regex: &str) -> Option<(Vec<Vec<u8>>, Side)> {
    let relaxed = relaxed(regex)?;
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&relaxed)
        .ok()?;
    for prefix in [true, false] {
        let kind = if prefix {
            ExtractKind::Prefix
        } else {
            ExtractKind::Suffix
        };
        let mut seq = Extractor::new().kind(kind).extract(&hir);
        // Shortening keeps each literal a prefix (suffix) of every match it stood for.
        if prefix {
            seq.optimize_for_prefix_by_preference();
        } else {
            seq.optimize_for_suffix_by_preference();
        }
        if let Some(literals) = seq.literals()
            && !literals.is_empty()
            && literals.iter().all(|l| l.as_bytes().len() >= MIN_LITERAL)
        {
            let side = if prefix { Side::Start } else { Side::End };
            return Some((
                literals.iter().map(|l| l.as_bytes().to_vec()).collect(),
                side,
            ));
        }
    }
    None
}

/// Literals shorter than this are no screen worth a search of their own.
const MIN_INNER_LITERAL: usize = 6;

/// The literals every match of `regex` holds somewhere: those of its top-level sequence
/// (inside groups and repetitions taken at least once, never inside an alternative).
fn inner_literals(regex: &str) -> Vec<Vec<u8>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn collect(hir: &Hir, out: &mut Vec<Vec<u8>>) {
        match hir.kind() {
            HirKind::Literal(literal) => out.push(literal.0.to_vec()),
            HirKind::Capture(capture) => collect(&capture.sub, out),
            HirKind::Repetition(repetition) if repetition.min >= 1 => {
                collect(&repetition.sub, out);
            }
            HirKind::Concat(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    let Some(hir) = relaxed(regex).and_then(|relaxed| {
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(&relaxed)
            .ok()
    }) else {
        return Vec::new();
    };
    let mut literals = Vec::new();
    collect(&hir, &mut literals);
    literals.retain(|literal| literal.len() >= MIN_INNER_LITERAL);
    literals
}

/// `regex` with its look-around groups taken out: it then matches at least what the original
/// matches (literals every match of it holds are held by every original match too; where it
/// does not match, neither does the original); conditionals become plain alternations.
pub(crate) fn relaxed(regex: &str) -> Option<String> {
    let mut out = String::with_capacity(regex.len());
    let bytes = regex.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let end = regex[i..]
                .char_indices()
                .nth(2)
                .map_or(regex.len(), |(offset, _)| i + offset);
            out.push_str(&regex[i..end]);
            i = end;
            continue;
        }
        let rest = &regex[i..];
        if ["(?=", "(?!", "(?<=", "(?<!"]
            .iter()
            .any(|p| rest.starts_with(p))
        {
            i = closing_paren(regex, i)? + 1;
            continue;
        }
        if rest.starts_with("(?P=") {
            // A back-reference matches the text its group took: what the group matches, or
            // any text.
            let close = closing_paren(regex, i)?;
            let group = referenced(regex, &regex[i + 4..close]);
            out.push_str(group.as_deref().unwrap_or("(?s:.*)"));
            i = close + 1;
            continue;
        }
        if rest.starts_with("(?(") {
            // `(?(name)yes|no)` -> `(?:yes|no)`, and `(?(name)yes)` -> `(?:yes|)`.
            let close = closing_paren(regex, i)?;
            let condition_end = closing_paren(regex, i + 2)? + 1;
            let branches = relaxed(&regex[condition_end..close])?;
            let alternative = if has_top_level_bar(&branches) {
                ""
            } else {
                "|"
            };
            out.push_str(&format!("(?:{branches}{alternative})"));
            i = close + 1;
            continue;
        }
        let c = rest.chars().next()?;
        out.push(c);
        i += c.len_utf8();
    }
    Some(out)
}

/// What the group `name` of `regex` matches, relaxed and without groups of its own, for a
/// back-reference to it: the text the group took matches it again wherever it stands, unless
/// the group holds assertions (`^`, `\b`, ...) or case-insensitive flags are about. `None`
/// then, or when the group is not found.
fn referenced(regex: &str, name: &str) -> Option<String> {
    if regex.contains("(?i") {
        return None;
    }
    let open = regex.find(&format!("(?P<{name}>"))?;
    let close = closing_paren(regex, open)?;
    let body = &regex[open + name.len() + 5..close];
    // Its own named groups become plain ones (a name may be used once only).
    let mut plain = String::with_capacity(body.len());
    let mut at = 0;
    while let Some(found) = find_outside_classes(&body[at..], 0, |byte, _| byte == b'(') {
        let start = at + found;
        plain.push_str(&body[at..start]);
        let rest = &body[start..];
        if rest.starts_with("(?P<") {
            let end = rest.find('>')?;
            plain.push_str("(?:");
            at = start + end + 1;
        } else {
            plain.push('(');
            at = start + 1;
        }
    }
    plain.push_str(&body[at..]);
    let relaxed = relaxed(&plain)?;
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&relaxed)
        .ok()?;
    hir.properties()
        .look_set()
        .is_empty()
        .then(|| format!("(?:{relaxed})"))
}

/// Whether `regex` has a `|` outside any group or class.
fn has_top_level_bar(regex: &str) -> bool {
    find_outside_classes(regex, 0, |byte, depth| byte == b'|' && depth == 0).is_some()
}

/// The index of the `)` closing the group opened at `open`.
pub(super) fn closing_paren(regex: &str, open: usize) -> Option<usize> {
    find_outside_classes(regex, open, |byte, depth| byte == b')' && depth == 0)
}

/// The first index from `from` whose byte, outside escapes and classes, satisfies `wanted`
/// given the group depth there (counted after a `(`, and after a `)` is closed).
pub(super) fn find_outside_classes(
    regex: &str,
    from: usize,
    wanted: impl Fn(u8, usize) -> bool,
) -> Option<usize> {
    let bytes = regex.as_bytes();
    let (mut depth, mut in_class, mut i) = (0usize, false, from);
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !in_class && byte != b'\\' && wanted(byte, depth) {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_from_the_start_or_the_end_of_each_failregex() {
        let prefilter = Prefilter::screens(&[
            r"^Registration from '[^']*' failed for '(?P<ip4>\d+\.\d+\.\d+\.\d+)'".to_string(),
            r"^(?:Host )?(?P<ip4>\d+\.\d+\.\d+\.\d+) (?:failed to authenticate\b|tried)"
                .to_string(),
            r#"^SecurityEvent="(?:FailedACL)"(?:,(?!RemoteAddress=)\w+="[^"]*")*$"#.to_string(),
        ])
        .line;
        let may = |line: &str| prefilter.as_ref().is_some_and(|p| p.may_match(line));
        assert!(may("Registration from 'x' failed for '192.0.2.1'"));
        assert!(may("192.0.2.1 failed to authenticate as 'x'"));
        assert!(may(r#"SecurityEvent="FailedACL",Service="SIP""#));
        assert!(!may("VERBOSE[123] pbx.c: Executing [s@default:1] Answer"));
    }

    #[test]
    fn a_failregex_whose_start_no_literal_marks_is_screened_by_its_endings() {
        let host = r"^(?:Host )?(?P<ip4>\d+\.\d+\.\d+\.\d+) (?:failed to authenticate\b|tried)";
        let screen = Prefilter::screens(&[host.to_string()]).each.pop().flatten();
        let may = |line: &str| screen.as_ref().map(|p| p.may_match(line));
        assert_eq!(may("192.0.2.1 failed to authenticate"), Some(true));
        assert_eq!(
            may("Request 'REGISTER' from 'x' failed for '192.0.2.1'"),
            Some(false)
        );
        for marked in [
            r"^Registration from '[^']*' failed for '(?P<ip4>\d+\.\d+\.\d+\.\d+)'",
            r"(?P<ip4>\d+\.\d+\.\d+\.\d+) failed to authenticate",
        ] {
            let screens = Prefilter::screens(&[marked.to_string()]);
            assert!(
                screens.line.is_some() && screens.each[0].is_none(),
                "{marked}"
            );
        }
    }

    #[test]
    fn a_back_reference_relaxes_to_what_its_group_matches() {
        assert_eq!(
            relaxed(r"^(?P<a>x(?P<b>\d+)|y)-(?P=a)(?P=b)").as_deref(),
            Some(r"^(?P<a>x(?P<b>\d+)|y)-(?:x(?:\d+)|y)(?:\d+)")
        );
        assert_eq!(
            relaxed(r"^(?P<a>\bx)-(?P=a)(?P=c)").as_deref(),
            Some(r"^(?P<a>\bx)-(?s:.*)(?s:.*)")
        );
    }

    #[test]
    fn a_failregex_without_literals_means_no_prefilter() {
        let none = |regex: &str| Prefilter::screens(&[regex.to_string()]).line.is_none();
        assert!(none(r"^(?P<ip4>\d+\.\d+\.\d+\.\d+)$"));
        assert_eq!(
            relaxed(r"^(?P<x>a)?(?(<x>)bb|cc)d(?(<x>)e)").as_deref(),
            Some(r"^(?P<x>a)?(?:bb|cc)d(?:e|)")
        );
        assert!(none(r"(?P<x>a)?(?(<x>)b|c)(?P<ip4>\d+)"));
    }
}

//! The three Python constructs that keep a failregex from the linear engine (back-references
//! `(?P=name)`, look-aheads `(?!err)` and conditionals `(?(name)yes|no)`) written as empty
//! groups with reserved names, markers, so that `regex-syntax` parses the pattern and the
//! back-tracker runs each marker as the construct it stands for (slapd's and mongodb-auth's
//! multi-line failregexes, sshd's, roundcube-auth's, ...). Look-behinds, case-insensitive or
//! verbose flags and numbered references are left to `fancy-regex`.

use super::prefilter::{closing_paren, find_outside_classes};
use regex_syntax::hir::{Hir, HirKind};

/// The name of marker `index`'s group.
fn marker_name(index: usize) -> String {
    format!("{MARKER_PREFIX}{index}")
}

/// What every marker group's name starts with (no fail2ban group name does).
pub(super) const MARKER_PREFIX: &str = "__bantop_m";

/// A construct written as a marker, as it stands in the pattern.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum RawMarker {
    /// `(?P=name)`: the text group `name` took, again.
    BackRef(String),
    /// `(?=body)` or, negated, `(?!body)`.
    LookAhead {
        /// `(?!`: the body must not match here.
        negate: bool,
        /// The body's source.
        body: String,
    },
    /// The `yes` branch of `(?(name)yes|no)`: taken only when group `name` took part.
    IfGroup(String),
    /// The `no` branch: taken only when group `name` did not.
    UnlessGroup(String),
}

/// `source` (Rust syntax, as `fancy-regex` reads it) with its back-references, look-aheads and
/// conditionals written as marker groups `(?P<__bantop_mN>)`, and what marker `N` stands for.
/// `None` when it holds another construct the back-tracker cannot run.
pub(super) fn marked(source: &str) -> Option<(String, Vec<RawMarker>)> {
    let mut markers = Vec::new();
    let text = mark(source, &mut markers)?;
    Some((text, markers))
}

/// How far past the end of a match the look-aheads of `source` (Rust syntax) may read: for
/// each, the longest text its body matches less the shortest the pattern takes after it (slapd's
/// `(?!err)` is followed by at least ` err=49 text=`: nothing past the end). A match is known
/// by the bytes up to this far past its end. `None` when a body has no longest text, or
/// `source` cannot be marked.
pub(crate) fn lookahead_reach(source: &str) -> Option<usize> {
    let (text, markers) = marked(source)?;
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&text)
        .ok()?;
    let mut reach = 0;
    reach_in(&hir, 0, &markers, &mut reach)?;
    Some(reach)
}

/// [`lookahead_reach`] within `hir`, which at least `after` bytes follow.
fn reach_in(hir: &Hir, after: usize, markers: &[RawMarker], reach: &mut usize) -> Option<()> {
    match hir.kind() {
        HirKind::Capture(capture) => {
            let marker = capture
                .name
                .as_deref()
                .and_then(|name| name.strip_prefix(MARKER_PREFIX))
                .and_then(|index| markers.get(index.parse::<usize>().ok()?));
            match marker {
                Some(RawMarker::LookAhead { body, .. }) => {
                    let body = regex_syntax::ParserBuilder::new()
                        .build()
                        .parse(body)
                        .ok()?;
                    let longest = body.properties().maximum_len()?;
                    *reach = (*reach).max(longest.saturating_sub(after));
                }
                Some(_) => {}
                None => reach_in(&capture.sub, after, markers, reach)?,
            }
        }
        HirKind::Concat(subs) => {
            let mut following = after;
            for sub in subs.iter().rev() {
                reach_in(sub, following, markers, reach)?;
                following += sub.properties().minimum_len().unwrap_or(0);
            }
        }
        HirKind::Alternation(subs) => {
            for sub in subs {
                reach_in(sub, after, markers, reach)?;
            }
        }
        HirKind::Repetition(repetition) => reach_in(&repetition.sub, after, markers, reach)?,
        _ => {}
    }
    Some(())
}

fn mark(source: &str, markers: &mut Vec<RawMarker>) -> Option<String> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len() + 16);
    let (mut i, mut in_class) = (0, false);
    while i < bytes.len() {
        let rest = &source[i..];
        let byte = bytes[i];
        if byte == b'\\' {
            let end = rest
                .char_indices()
                .nth(2)
                .map_or(source.len(), |(at, _)| i + at);
            out.push_str(&source[i..end]);
            i = end;
            continue;
        }
        if in_class || byte != b'(' {
            match byte {
                b'[' => in_class = true,
                b']' => in_class = false,
                _ => {}
            }
            let c = rest.chars().next()?;
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        let push = |markers: &mut Vec<RawMarker>, out: &mut String, marker: RawMarker| {
            out.push_str(&format!("(?P<{}>)", marker_name(markers.len())));
            markers.push(marker);
        };
        if rest.starts_with("(?<=") || rest.starts_with("(?<!") {
            return None;
        }
        if let Some(flags) = rest.strip_prefix("(?")
            && let Some(end) = flags.find([')', ':'])
            && flags[..end]
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-')
            && flags[..end].contains(['i', 'x'])
        {
            return None;
        }
        if let Some(name) = rest.strip_prefix("(?P=") {
            let close = closing_paren(source, i)?;
            let name = &name[..close - i - 4];
            push(markers, &mut out, RawMarker::BackRef(name.to_string()));
            i = close + 1;
        } else if rest.starts_with("(?=") || rest.starts_with("(?!") {
            let close = closing_paren(source, i)?;
            let body = source[i + 3..close].to_string();
            let negate = rest.starts_with("(?!");
            push(markers, &mut out, RawMarker::LookAhead { negate, body });
            i = close + 1;
        } else if rest.starts_with("(?(") {
            // `(?(<name>)yes|no)` (as the rewriting of Python's `(?(name)...)` spells it).
            let close = closing_paren(source, i)?;
            let condition_end = closing_paren(source, i + 2)?;
            let name = source[i + 3..condition_end]
                .trim_start_matches('<')
                .trim_end_matches('>');
            if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                return None;
            }
            let body = &source[condition_end + 1..close];
            let bar = find_outside_classes(body, 0, |byte, depth| byte == b'|' && depth == 0);
            let (yes, no) = match bar {
                Some(at) => (&body[..at], &body[at + 1..]),
                None => (body, ""),
            };
            if find_outside_classes(no, 0, |byte, depth| byte == b'|' && depth == 0).is_some() {
                return None;
            }
            out.push_str("(?:");
            push(markers, &mut out, RawMarker::IfGroup(name.to_string()));
            out.push_str(&mark(yes, markers)?);
            out.push('|');
            push(markers, &mut out, RawMarker::UnlessGroup(name.to_string()));
            out.push_str(&mark(no, markers)?);
            out.push(')');
            i = close + 1;
        } else {
            out.push('(');
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructs_become_marker_groups() {
        let found = marked(r"^(?P<u>\S+) (?!err)x(?P=u)(?(<u>)a|b(?=c))[(?!]$");
        assert_eq!(
            found,
            Some((
                r"^(?P<u>\S+) (?P<__bantop_m0>)x(?P<__bantop_m1>)(?:(?P<__bantop_m2>)a|(?P<__bantop_m3>)b(?P<__bantop_m4>))[(?!]$"
                    .to_string(),
                vec![
                    RawMarker::LookAhead {
                        negate: true,
                        body: "err".into()
                    },
                    RawMarker::BackRef("u".into()),
                    RawMarker::IfGroup("u".into()),
                    RawMarker::UnlessGroup("u".into()),
                    RawMarker::LookAhead {
                        negate: false,
                        body: "c".into()
                    },
                ]
            ))
        );
        assert_eq!(
            marked(r"(?(<u>)a)").map(|(text, _)| text).as_deref(),
            Some(r"(?:(?P<__bantop_m0>)a|(?P<__bantop_m1>))")
        );
    }

    #[test]
    fn how_far_a_lookahead_reads_past_a_match() {
        assert_eq!(lookahead_reach(r"a(?!err)\S+=\S* err=49"), Some(0));
        assert_eq!(lookahead_reach(r"a(?!err)"), Some(3));
        assert_eq!(lookahead_reach(r"a(?=error|x)b?c"), Some(4));
        assert_eq!(lookahead_reach(r"(?:(?! from ).)*x"), Some(4));
        assert_eq!(lookahead_reach(r"^a(?P<x>b)\n(?P=x)$"), Some(0));
        assert_eq!(lookahead_reach(r"a(?!b+)"), None);
    }

    #[test]
    fn what_it_leaves_to_fancy_regex() {
        for source in [
            r"(?<=a)b",
            r"(?<!a)b",
            r"(?i)(?P<a>x)(?P=a)",
            r"(?(1)a|b)",
            r"(?(<a>)x|y|z)",
        ] {
            assert_eq!(marked(source), None, "{source}");
        }
    }
}

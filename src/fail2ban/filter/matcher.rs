//! A compiled fail2ban filter's matching of one log line, following fail2ban's
//! `Filter.processLine`/`findFailure`: cut the date, apply `prefregex` (its `<F-CONTENT>` becomes
//! the text the failregexes see), take the first failregex that matches unless an ignoreregex
//! matches too, and report the host from `ip4`, `ip6`, `dns` or the failure id. The compiled
//! filter is only read; what a line leaves for the next is in a [`FilterState`]. A failure with
//! a multi-line id is found in two steps, as fail2ban's `findFailure` does it before and from
//! `_mergeFailure`: what the line alone holds ([`LineFind`]), then its merge into the entry of
//! its id ([`CompiledFilter::settle`]), which alone reads and changes the entries; a
//! single-line filter's lines may thus be found apart and settled in order.

use super::compiled::{CompiledFilter, FilterError};
use super::host_groups::{HOST_GROUPS, alternate_of};
use super::state::FilterState;
use crate::fail2ban::config::{FilterConf, Section};
use crate::fail2ban::date::{DateMatch, Zone};
use crate::fail2ban::pattern::{GaveUp, Text};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// A failure found in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterMatch {
    /// 0-based index of the failregex that matched.
    pub fid: usize,
    /// The host (address or name) the failure is counted against (empty from a
    /// [`CompiledFilter::counting`] filter).
    pub host: String,
    /// Epoch seconds from the line (or the time given with it).
    pub time: Option<f64>,
    /// Named captures merged from prefregex and failregex, `alt_` values folded in (none from
    /// a [`CompiledFilter::counting`] filter).
    pub captures: BTreeMap<String, String>,
    /// The log lines the failure stands for (fail2ban's `matches`; a multi-line id gathers
    /// those of its connection).
    pub attempts: usize,
    /// Every user tried on the connection of a multi-line id (fail2ban's `users`).
    pub users: Vec<String>,
}

/// A line's failure before the merge into the entry of its multi-line id (for a single-line
/// filter, what the line alone tells: lines can be found apart and merged in order).
#[derive(Debug)]
pub(super) enum LineFind {
    /// A complete failure: it has no multi-line id.
    Done(FilterMatch),
    /// A failure to merge, in line order, into the entry of its multi-line id
    /// ([`CompiledFilter::settle`]).
    Unmerged(Unmerged),
}

/// A failregex's match on a line with an `<F-MLFID>`, before the merge into its id's entry.
#[derive(Debug)]
pub(super) struct Unmerged {
    mlfid: String,
    fid: usize,
    time: Option<f64>,
    captures: BTreeMap<String, String>,
    matched_lines: usize,
}

/// A compiled filter with the state of the one log it matches: shared compiled part, own state
/// (a clone shares the compiled part and copies the state).
#[derive(Debug, Clone)]
pub struct Filter {
    compiled: Arc<CompiledFilter>,
    state: FilterState,
}

impl From<CompiledFilter> for Filter {
    fn from(compiled: CompiledFilter) -> Self {
        Filter::new(Arc::new(compiled))
    }
}

impl Filter {
    /// Matching with `compiled` from a fresh state.
    pub fn new(compiled: Arc<CompiledFilter>) -> Self {
        Filter {
            compiled,
            state: FilterState::default(),
        }
    }

    /// Reads and compiles filter `spec` from `filter_dir` for a jail with options `jail_vars`.
    pub fn load(
        spec: &str,
        filter_dir: &Path,
        jail_vars: &Section,
        zone: Zone,
    ) -> Result<Self, FilterError> {
        CompiledFilter::load(spec, filter_dir, jail_vars, zone).map(Filter::from)
    }

    /// Compiles resolved filter options.
    pub fn compile(conf: &FilterConf, zone: Zone) -> Result<Self, FilterError> {
        CompiledFilter::compile(conf, zone).map(Filter::from)
    }

    /// This filter for counting failures (see [`CompiledFilter::counting`]).
    pub fn counting(self) -> Self {
        let compiled = Arc::unwrap_or_clone(self.compiled).counting();
        Filter {
            compiled: Arc::new(compiled),
            state: self.state,
        }
    }

    /// The compiled part, to share with other logs or threads.
    pub fn compiled(&self) -> &Arc<CompiledFilter> {
        &self.compiled
    }

    /// The names of the date templates (fail2ban's date formats), in the order they are tried.
    pub fn date_templates(&self) -> Vec<String> {
        self.compiled.date_templates()
    }

    /// The compiled part and this filter's state, to match a whole log in blocks
    /// ([`super::log_scan::scan_continuing`]) and follow it on from where that ended.
    pub fn parts(&mut self) -> (&CompiledFilter, &mut FilterState) {
        (&self.compiled, &mut self.state)
    }

    /// The time of a log line by this filter's date settings, with `now` for year inference.
    pub fn line_time(&self, line: &str, now: f64) -> Option<f64> {
        self.compiled.line_time(line, now)
    }

    /// The `journalmatch` lines, for a systemd backend.
    pub fn journalmatch(&self) -> &[String] {
        self.compiled.journalmatch()
    }

    /// Matches one line (see [`CompiledFilter::match_line`]) with this filter's own state.
    pub fn match_line(&mut self, line: &str, time: Option<f64>, now: f64) -> Option<FilterMatch> {
        self.compiled.match_line(&mut self.state, line, time, now)
    }
}

/// What a match's `<SKIPLINES>` took: groups `skiplines0`, `skiplines1`, ... joined in order
/// (fail2ban's `getSkippedLines`).
fn skipped_lines(groups: &BTreeMap<String, String>) -> String {
    let mut numbered: Vec<(usize, &str)> = groups
        .iter()
        .filter_map(|(name, value)| {
            let n = name.strip_prefix("skiplines")?.parse().ok()?;
            Some((n, value.as_str()))
        })
        .collect();
    numbered.sort_unstable();
    numbered.into_iter().map(|(_, value)| value).collect()
}

impl CompiledFilter {
    /// Matches one line with `state`, the state of its log. `time` is the source's own timestamp
    /// (journald); without it the date is found in the line and cut out first. `now` is used for
    /// year inference. Matching is stateful for filters with `<F-MLFID>`: lines of one
    /// connection are merged as fail2ban merges them.
    pub fn match_line(
        &self,
        state: &mut FilterState,
        line: &str,
        time: Option<f64>,
        now: f64,
    ) -> Option<FilterMatch> {
        match self.find_line_holding(state, line, time, now, None)? {
            LineFind::Done(failure) => Some(failure),
            LineFind::Unmerged(unmerged) => self.settle(state, unmerged),
        }
    }

    /// Whether an ignoreregex matches `text` (counted as an ignored line).
    fn ignores(&self, state: &mut FilterState, text: Text) -> bool {
        let ignored = self
            .ignoreregex
            .iter()
            .any(|regex| regex.find_in(text).is_some());
        state.ignored += u64::from(ignored);
        ignored
    }

    /// The date in a line.
    fn find_date(&self, state: &mut FilterState, line: &str, now: f64) -> Option<DateMatch> {
        self.dates.find_remembered(line, now, &mut state.date_memo)
    }

    /// [`CompiledFilter::match_line`] up to the merge of a multi-line id; `literal`: where the
    /// line holds one of the prefilter's literals, when known (the prefilter need not search the
    /// line again where its date is not cut out across it).
    fn find_line_holding(
        &self,
        state: &mut FilterState,
        line: &str,
        time: Option<f64>,
        now: f64,
        literal: Option<Range<usize>>,
    ) -> Option<LineFind> {
        let line = line.trim_end_matches(['\n', '\r']);
        // Whether the text searched holds the literal: it stands clear of the date cut out.
        let holds = |cut: Option<Range<usize>>| {
            literal.as_ref().is_some_and(|at| {
                at.end <= line.len()
                    && cut.is_none_or(|cut| at.end <= cut.start || at.start >= cut.end)
            })
        };
        // The line without its date is built in a buffer kept from line to line.
        let mut cut = std::mem::take(&mut state.cut);
        cut.clear();
        let (text, time, prefiltered) = match time {
            Some(time) => (line, Some(time), holds(None)),
            None => match self.find_date(state, line, now) {
                Some(date) => {
                    state.count_date(&date);
                    cut.push_str(&line[..date.start]);
                    cut.push_str(&line[date.end..]);
                    (
                        cut.as_str(),
                        Some(date.time),
                        holds(Some(date.start..date.end)),
                    )
                }
                // No date: the last one found, when it is recent (fail2ban's `__lastDate`).
                None => (
                    line,
                    state.last_date.filter(|last| *last > now - 60.0),
                    holds(None),
                ),
            },
        };
        let found = self.find_text(state, text, time, prefiltered);
        state.cut = cut;
        found
    }

    /// [`CompiledFilter::find_line`] on a line screened by [`CompiledFilter::next_literal`]:
    /// `literal` is where it holds the first literal, `None` when it holds none. Such a line
    /// cannot fail unless cutting its date out makes a literal, so it only gives its time to the
    /// lines after it.
    pub(super) fn find_screened_line(
        &self,
        state: &mut FilterState,
        line: &str,
        now: f64,
        literal: Option<Range<usize>>,
    ) -> Option<LineFind> {
        if literal.is_some() {
            return self.find_line_holding(state, line, None, now, literal);
        }
        let line = line.trim_end_matches(['\n', '\r']);
        let date = self.find_date(state, line, now)?;
        if self
            .prefilter
            .as_ref()
            .is_some_and(|prefilter| prefilter.may_span_cut(line, date.start, date.end))
        {
            return self.find_line(state, line, now);
        }
        state.count_date(&date);
        state.last_date = Some(date.time);
        None
    }

    /// [`CompiledFilter::match_line`] (without a source time) up to the merge of a multi-line
    /// id. For a single-line filter what it finds depends on no earlier line but through the
    /// time of the last dated one: the lines of a log may be found apart, then settled in order
    /// ([`CompiledFilter::settle`]) with one state.
    pub(super) fn find_line(
        &self,
        state: &mut FilterState,
        line: &str,
        now: f64,
    ) -> Option<LineFind> {
        self.find_line_holding(state, line, None, now, None)
    }

    /// Finds the failure in a line whose date is cut out (`time` is its time), up to the merge
    /// of a multi-line id. `prefiltered`: the text is known to hold one of the prefilter's
    /// literals.
    fn find_text(
        &self,
        state: &mut FilterState,
        text: &str,
        time: Option<f64>,
        prefiltered: bool,
    ) -> Option<LineFind> {
        if time.is_some() {
            state.last_date = time;
        }
        let multiline = self.maxlines > 1;
        // What the regexes search: this line, or the buffer of the last `maxlines` lines joined
        // with newlines (and one at the end), as fail2ban's `_tupleLinesBuf`.
        let joined;
        let searched: &str = if multiline {
            let line_start = state.buffer.push(text, self.maxlines);
            if let Some(screen) = &self.tail_screen {
                if !screen.may_match(&mut state.tail, state.buffer.text(), line_start) {
                    return None;
                }
                // Until a search below finds no match in the buffer.
                state.tail.clean = false;
            }
            joined = state.buffer.text().to_string();
            &joined
        } else {
            text
        };
        if let Some(prefilter) = &self.prefilter
            && !prefiltered
            && !prefilter.may_match(searched)
        {
            state.tail.clean = true;
            return None;
        }
        // fail2ban's `findFailure` first tries the ignoreregexes on the whole text, before the
        // prefregex cuts out the content, when they are fewer than the failregexes less two.
        if !self.ignoreregex.is_empty()
            && self.ignoreregex.len() + 2 < self.failregex.len()
            && self.ignores(state, Text::new(searched))
        {
            return None;
        }
        let mut captures = BTreeMap::new();
        let mut content: &str = searched;
        let prefix_groups;
        let replaced;
        // The usual prefregex `^PREFIX<F-CONTENT>.+</F-CONTENT>$`: the content is what follows
        // the first-priority match of PREFIX, found by the fast automaton alone.
        let content_start = match &self.content_prefix {
            Some(prefix) if !multiline => match prefix.find_span(searched) {
                None => return None,
                Some((0, end)) if end < searched.len() => Some((prefix, end)),
                Some(_) => None,
            },
            _ => None,
        };
        if let Some((prefix, end)) = content_start {
            if self.content_prefix_groups {
                let found = prefix.find(searched)?;
                captures.extend(found.groups);
            }
            content = &searched[end..];
        } else if let Some(prefregex) = &self.prefregex {
            let found = prefregex.find(searched)?;
            prefix_groups = found.groups;
            for (name, value) in &prefix_groups {
                if name != "content" {
                    captures.insert(name.clone(), value.clone());
                }
            }
            if let Some(inner) = prefix_groups.get("content").filter(|c| !c.is_empty()) {
                if multiline {
                    state.buffer.set_lines(vec![inner.clone()]);
                    replaced = state.buffer.text().to_string();
                    content = &replaced;
                } else {
                    content = inner;
                }
            }
        }
        let text = Text::new(content);
        let screens = &self.failregex_screens;
        let mut failregexes = self
            .failregex
            .iter()
            .enumerate()
            .filter(|(_, regex)| !regex.rules_out(text))
            .filter(|(i, _)| match screens.get(*i) {
                Some(Some(screen)) => screen.may_match(content),
                _ => true,
            })
            .filter(|(i, _)| {
                self.failregex_literals.get(*i).is_none_or(|literals| {
                    literals
                        .iter()
                        .all(|literal| literal.find(content.as_bytes()).is_some())
                })
            });
        // Counting, when the prefregex captured nothing: the first failregex that matches,
        // if one of its host groups took part.
        if self.counting && captures.is_empty() {
            let (fid, host) = failregexes
                .find_map(|(i, regex)| regex.has_group_in(text, &HOST_GROUPS).map(|h| (i, h)))?;
            let ignored = self.ignores(state, text);
            return (host && !ignored).then(|| {
                LineFind::Done(FilterMatch {
                    fid,
                    host: String::new(),
                    time,
                    captures,
                    attempts: 1,
                    users: Vec::new(),
                })
            });
        }
        // The first failregex that matches; none (and none gave up): the buffer holds no match.
        let mut gave_up = false;
        let Some((fid, found)) =
            failregexes.find_map(|(i, regex)| match regex.find_checked(text) {
                Ok(found) => found.map(|m| (i, m)),
                Err(GaveUp) => {
                    gave_up = true;
                    None
                }
            })
        else {
            state.tail.clean = !gave_up;
            return None;
        };
        if self.ignores(state, text) {
            return None;
        }
        // The lines the match spans leave the buffer, but those its `<SKIPLINES>` took stay
        // (after the lines before the match, before those after it), as fail2ban's
        // `Regex.search` puts them back.
        let matched_lines = if multiline {
            let first = content[..found.start].matches('\n').count();
            let upto = &content[..found.end.max(found.start)];
            let last = upto
                .strip_suffix('\n')
                .unwrap_or(upto)
                .matches('\n')
                .count()
                .max(first);
            let mut lines = state.buffer.take_lines();
            let after = lines.split_off((last + 1).min(lines.len()));
            let mut matched = lines.split_off(first.min(lines.len()));
            let mut kept = lines;
            let skipped = skipped_lines(&found.groups);
            let mut from = 0;
            for line in skipped.lines() {
                if let Some(at) = matched[from.min(matched.len())..]
                    .iter()
                    .position(|candidate| candidate == line)
                {
                    kept.push(matched.remove(from + at));
                    from += at;
                }
            }
            kept.extend(after);
            state.buffer.set_lines(kept);
            matched.len()
        } else {
            1
        };
        // Moved, not copied, when the prefregex captured nothing.
        let mut groups = found.groups;
        captures.append(&mut groups);
        fold_alternates(&mut captures);
        if let Some(mlfid) = captures.get("mlfid").cloned() {
            return Some(LineFind::Unmerged(Unmerged {
                mlfid,
                fid,
                time,
                captures,
                matched_lines,
            }));
        }
        let host = HOST_GROUPS
            .iter()
            .find_map(|key| captures.get(*key).cloned())?;
        captures.remove("nofail");
        Some(LineFind::Done(FilterMatch {
            fid,
            host,
            time,
            captures,
            attempts: matched_lines,
            users: Vec::new(),
        }))
    }

    /// The failure `unmerged` makes with `state`: merged into the entry of its multi-line id
    /// (which it updates, as fail2ban's `_mergeFailure`), in the order of the lines.
    pub(super) fn settle(
        &self,
        state: &mut FilterState,
        unmerged: Unmerged,
    ) -> Option<FilterMatch> {
        let Unmerged {
            mlfid,
            fid,
            time,
            captures,
            matched_lines,
        } = unmerged;
        // fail2ban honours `nofail` only for multi-line ids.
        let merged =
            state
                .mlfid
                .merge(&mlfid, captures, super::mlfid::clock_now(), matched_lines)?;
        let mut captures = merged.groups;
        let Some(host) = HOST_GROUPS
            .iter()
            .find_map(|key| captures.get(*key).cloned())
        else {
            state.mlfid.mark_pending(&mlfid);
            return None;
        };
        captures.remove("nofail");
        Some(FilterMatch {
            fid,
            host,
            time,
            captures,
            attempts: merged.matches,
            users: merged.users,
        })
    }
}

/// fail2ban's `alt_user` -> `user` (when `user` is empty or missing).
fn fold_alternates(captures: &mut BTreeMap<String, String>) {
    let alternates: Vec<(String, String)> = captures
        .iter()
        .filter_map(|(name, value)| Some((alternate_of(name)?.to_string(), value.clone())))
        .collect();
    for (base, value) in alternates {
        if !value.is_empty() && captures.get(&base).is_none_or(|v| v.is_empty()) {
            captures.insert(base, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn filter(failregex: &[&str], prefregex: Option<&str>) -> Filter {
        let conf = FilterConf {
            path: PathBuf::from("test.conf"),
            prefregex: prefregex.map(str::to_string),
            failregex: failregex.iter().map(|s| s.to_string()).collect(),
            ignoreregex: vec!["ignore me".to_string()],
            maxlines: 1,
            ..FilterConf::default()
        };
        match Filter::compile(&conf, Zone::utc()) {
            Ok(filter) => filter,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn a_counting_filter_finds_the_failures_the_full_one_finds() {
        let failregex = [
            r"^\s*fail from <HOST>(?: .*)?$",
            r"^\s*maybe(?: from <HOST>)? end$",
            r"^\s*(?:user (?P<user>\S+) )?denied(?: <F-ID>\S+</F-ID>)?$",
        ];
        let lines = [
            "2026-01-19 17:00:00 fail from 192.0.2.1",
            "2026-01-19 17:00:01 fail from 192.0.2.2 ignore me",
            "2026-01-19 17:00:02 maybe end",
            "2026-01-19 17:00:03 maybe from 192.0.2.3 end",
            "2026-01-19 17:00:04 user root denied",
            "2026-01-19 17:00:05 user root denied k3y",
            "2026-01-19 17:00:06 denied",
            "fail from 2001:db8::1",
            "2026-01-19 17:00:07 nothing",
        ];
        for prefregex in [None, Some(r"^\s*<F-CONTENT>.+</F-CONTENT>$")] {
            let (mut full, mut counting) = (
                filter(&failregex, prefregex),
                filter(&failregex, prefregex).counting(),
            );
            let now = 1_768_842_100.0;
            let mut found = 0;
            for line in lines {
                let expected = full.match_line(line, None, now);
                let counted = counting.match_line(line, None, now);
                found += usize::from(expected.is_some());
                assert_eq!(
                    counted.map(|m| (m.fid, m.time, m.host, m.captures.len())),
                    expected.map(|m| (m.fid, m.time, String::new(), 0)),
                    "{line}"
                );
            }
            assert_eq!(found, 4, "{prefregex:?}");
        }
    }

    #[test]
    fn only_alternates_of_a_host_group_keep_a_filter_from_counting() {
        let counts = |failregex: &str| filter(&[failregex], None).counting().compiled().counting;
        assert!(counts(r"^login (?P<alt_user1>\S+) from <HOST>$"));
        assert!(counts(r"^login (?P<alt_ip4>\S+) from <HOST>$"));
        assert!(!counts(r"^login (?P<alt_dns>\S+) from <HOST>$"));
        assert!(!counts(r"^login (?P<alt_fid_2>\S+) from <HOST>$"));
        let failregex = [r"^login (?:(?P<alt_user>\S+) )?from <HOST>$"];
        let (mut full, mut counting) = (
            filter(&failregex, None),
            filter(&failregex, None).counting(),
        );
        for line in ["login root from 192.0.2.1", "login from 192.0.2.2", "login"] {
            let expected = full.match_line(line, None, 0.0);
            assert_eq!(
                counting
                    .match_line(line, None, 0.0)
                    .map(|m| (m.fid, m.time, m.host)),
                expected.map(|m| (m.fid, m.time, String::new())),
                "{line}"
            );
        }
    }

    #[test]
    fn finds_host_time_and_captures() {
        let mut f = filter(
            &[r"manager\.c: <HOST> failed to authenticate as '<F-USER>[^']*</F-USER>'"],
            None,
        );
        let found = f.match_line("[2026-01-19 17:07:58.1234] NOTICE[2345] manager.c: 192.0.2.11 failed to authenticate as 'admin'", None, 0.0);
        let found = found.map(|m| {
            (
                m.fid,
                m.host,
                m.captures.get("user").cloned(),
                m.time.map(|t| t.floor()),
            )
        });
        assert_eq!(
            found,
            Some((
                0,
                "192.0.2.11".to_string(),
                Some("admin".to_string()),
                Some(1_768_842_478.0)
            ))
        );
    }

    #[test]
    fn ipv6_hosts_and_ignoreregex() {
        let mut f = filter(&[r"failed for '<HOST>:\d+'"], None);
        let found = f.match_line("x failed for '[2001:db8::5]:5060' y", Some(5.0), 0.0);
        assert_eq!(
            found.map(|m| (m.host, m.time)),
            Some(("2001:db8::5".to_string(), Some(5.0)))
        );
        assert_eq!(
            f.match_line("failed for '192.0.2.1:1' ignore me", Some(5.0), 0.0),
            None
        );
    }

    #[test]
    fn prefregex_content_is_what_failregex_sees() {
        let mut f = filter(
            &[
                r"^Failed \S+ for <F-USER>\S+</F-USER> from <HOST>",
                r"^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>",
            ],
            Some(r"^<F-MLFID>\S+ sshd\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$"),
        );
        let found = f.match_line(
            "pbx sshd[42]: Failed password for root from 198.51.100.7 port 4 ssh2",
            Some(1.0),
            0.0,
        );
        let found = found.map(|m| {
            (
                m.host,
                m.captures.get("mlfid").cloned(),
                m.captures.contains_key("content"),
            )
        });
        assert_eq!(
            found,
            Some((
                "198.51.100.7".to_string(),
                Some("pbx sshd[42]:".to_string()),
                false
            ))
        );
        assert_eq!(
            f.match_line("pbx sshd[42]: Connection from 198.51.100.7", Some(1.0), 0.0),
            None,
            "F-NOFAIL is no failure"
        );
        assert_eq!(
            f.match_line(
                "other[1]: Failed password for root from 198.51.100.7",
                Some(1.0),
                0.0
            ),
            None
        );
    }

    #[test]
    fn threads_sharing_one_compiled_filter_match_as_filters_of_their_own() {
        let conf = FilterConf {
            path: PathBuf::from("test.conf"),
            prefregex: Some(
                r"^<F-MLFID>\S+ sshd\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$".into(),
            ),
            failregex: vec![
                r"^Failed \S+ for <F-USER>\S+</F-USER>(?: from <HOST>)?".into(),
                r"^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>".into(),
            ],
            maxlines: 1,
            ..FilterConf::default()
        };
        let compiled =
            CompiledFilter::compile(&conf, Zone::utc()).unwrap_or_else(|e| panic!("{e}"));
        // The second line fails only with the address the first one left in its state.
        let lines = [
            "pbx sshd[7]: Connection from 198.51.100.7",
            "pbx sshd[7]: Failed password for root",
        ];
        let run = |matching: &mut dyn FnMut(&str) -> Option<FilterMatch>| {
            lines
                .iter()
                .map(|line| matching(line).map(|m| (m.host, m.users)))
                .collect::<Vec<_>>()
        };
        let mut own = Filter::from(compiled.clone());
        let expected = run(&mut |line| own.match_line(line, Some(1.0), 1.0));
        assert_eq!(
            expected.last(),
            Some(&Some((
                "198.51.100.7".to_string(),
                vec!["root".to_string()]
            )))
        );
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        let mut state = FilterState::default();
                        run(&mut |line| compiled.match_line(&mut state, line, Some(1.0), 1.0))
                    })
                })
                .collect();
            for thread in threads {
                assert_eq!(thread.join().ok(), Some(expected.clone()));
            }
        });
    }

    #[test]
    fn a_multi_line_failure_is_found_past_a_1mb_line_in_the_buffer() {
        // mongodb-auth's shape: a back-reference across <SKIPLINES>. fancy-regex gave up on such
        // a buffer (its step limit) where fail2ban finds the failure.
        let conf = FilterConf {
            path: PathBuf::from("test.conf"),
            failregex: vec![
                r"^\s+\[conn(?P<__connid>\d+)\] Failed [^\n]+<SKIPLINES>\s+\[conn(?P=__connid)\] end connection <HOST>"
                    .into(),
            ],
            maxlines: 4,
            ..FilterConf::default()
        };
        let mut f = Filter::compile(&conf, Zone::utc()).unwrap_or_else(|e| panic!("{e}"));
        let long = "x".repeat(1 << 20);
        let lines = [
            " [conn7] Failed to authenticate root",
            long.as_str(),
            " [conn8] end connection 192.0.2.8:1",
            " [conn7] end connection 192.0.2.7:1",
            " [conn8] end connection 192.0.2.9:1",
        ];
        let found: Vec<Option<String>> = lines
            .iter()
            .map(|line| f.match_line(line, Some(1.0), 1.0).map(|m| m.host))
            .collect();
        assert_eq!(
            found,
            [None, None, None, Some("192.0.2.7".to_string()), None]
        );
    }

    #[test]
    fn a_bad_regex_names_file_list_and_line() {
        let conf = FilterConf {
            path: PathBuf::from("filter.d/bad.conf"),
            failregex: vec!["ok <HOST>".into(), "(unclosed <HOST>".into()],
            ..FilterConf::default()
        };
        let error = Filter::compile(&conf, Zone::utc())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("filter.d/bad.conf: failregex line 2:"),
            "{error}"
        );
    }
}

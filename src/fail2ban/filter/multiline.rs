//! A multi-line filter's buffer (fail2ban's `_tupleLinesBuf`: the last `maxlines` lines, dates
//! cut out, searched joined with newlines at each line) and the screen that spares the search
//! on most lines. fail2ban searches the whole buffer again at every line, from every line
//! start: slapd's failregex (20 lines, back-references) costs it as much as the rest of a log.
//! But when the last search found nothing in the buffer, a match now must read the newest
//! line: every path that reads only older lines was there before (a failregex with `\A` or a
//! look-behind excepted, which is not screened). So the screen runs every failregex, relaxed to
//! a linear pattern that matches at least what it matches (see `prefilter::relaxed`), as one
//! lazy DFA over the log's lines as they come, never restarted: its state after a line stands
//! for every match begun anywhere before, a superset of those begun in the buffer. Unless one
//! of them ends within the newest line (or so close before it that a look-ahead reads into
//! it, see `marked::lookahead_reach`), the buffer is not searched.

use crate::fail2ban::pattern::marked::lookahead_reach;
use crate::fail2ban::pattern::prefilter::relaxed;
use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::{self, Hir, HirKind, Look};
use std::collections::VecDeque;

/// The lines a multi-line filter searches: one text, each line followed by `\n`.
#[derive(Debug, Clone, Default)]
pub(super) struct LineBuffer {
    /// The lines from `starts[0]` on; what lies before is dropped, and cut off now and then.
    text: String,
    /// Where each line starts in `text`.
    starts: VecDeque<usize>,
}

impl LineBuffer {
    /// Appends `line`, and drops the oldest lines beyond `max`. Returns where the line starts
    /// in [`LineBuffer::text`].
    pub(super) fn push(&mut self, line: &str, max: usize) -> usize {
        match self.starts.front().copied() {
            None => self.text.clear(),
            // Cut off once the dropped part is as long as the kept one: each byte is moved
            // about once.
            Some(first) if first > 0 && first >= self.text.len() - first => {
                self.text.drain(..first);
                for start in &mut self.starts {
                    *start -= first;
                }
            }
            Some(_) => {}
        }
        self.starts.push_back(self.text.len());
        self.text.push_str(line);
        self.text.push('\n');
        while self.starts.len() > max.max(1) {
            self.starts.pop_front();
        }
        self.starts
            .back()
            .zip(self.starts.front())
            .map_or(0, |(last, first)| last - first)
    }

    /// The lines joined, each followed by `\n`.
    pub(super) fn text(&self) -> &str {
        let first = self.starts.front().copied().unwrap_or(self.text.len());
        &self.text[first..]
    }

    /// The lines, taken out (the buffer is left empty).
    pub(super) fn take_lines(&mut self) -> Vec<String> {
        let lines = self
            .text()
            .split_terminator('\n')
            .map(str::to_string)
            .collect();
        self.starts.clear();
        self.text.clear();
        lines
    }

    /// The buffer holding `lines` only.
    pub(super) fn set_lines(&mut self, lines: Vec<String>) {
        self.starts.clear();
        self.text.clear();
        let count = lines.len();
        for line in lines {
            self.push(&line, count);
        }
    }
}

/// The screen of a multi-line filter's failregexes (see the module's header).
#[derive(Debug, Clone)]
pub(super) struct TailScreen {
    dfa: DFA,
    /// How far past its end a match may be read (its look-aheads).
    reach: u64,
}

/// Where a log's screen stands: the DFA's state after the lines read so far.
#[derive(Debug, Clone, Default)]
pub(super) struct TailState {
    /// The lazy DFA's states, made as the lines need them.
    cache: Option<Cache>,
    /// The state after the bytes read, when it stands for them (not after the buffer was
    /// changed by a match, or the cache was cleared under a state kept aside).
    at: Option<LazyStateID>,
    /// Bytes read so far.
    read: u64,
    /// Where in them the last match of a relaxed failregex ended.
    last_end: Option<u64>,
    /// The last search found no match in the buffer (the caller says so).
    pub(super) clean: bool,
}

impl TailScreen {
    /// The screen of `failregexes` (Rust syntax, `(?m)` first), or `None` when one of them has
    /// `\A`, a look-behind, or no linear relaxation.
    pub(super) fn new(failregexes: &[String]) -> Option<Self> {
        let mut reach = 0;
        let mut relaxed_all = Vec::with_capacity(failregexes.len());
        for source in failregexes {
            reach = reach.max(lookahead_reach(source)?);
            let hir = regex_syntax::ParserBuilder::new()
                .build()
                .parse(&relaxed(source)?)
                .ok()?;
            if hir.properties().look_set().contains(Look::Start) {
                return None;
            }
            relaxed_all.push(without_word_boundaries(&hir));
        }
        let nfa = thompson::Compiler::new()
            .build_many_from_hir(&relaxed_all)
            .ok()?;
        let dfa = DFA::builder()
            .configure(DFA::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .ok()?;
        Some(TailScreen {
            dfa,
            reach: u64::try_from(reach).ok()?,
        })
    }

    /// Whether a failregex may match in `window`, the buffer's text, whose newest line starts
    /// at `line_start`: read the newest line; or, when the last search found a match (which
    /// changed the buffer) or the state was lost, the whole buffer afresh, which then may
    /// match wherever a relaxed failregex matches in it.
    pub(super) fn may_match(&self, state: &mut TailState, window: &str, line_start: usize) -> bool {
        let cache = state.cache.get_or_insert_with(|| self.dfa.create_cache());
        let resumed = state.at.filter(|_| state.clean);
        let (at, from) = match resumed {
            Some(at) => (at, line_start),
            None => {
                let config = start::Config::new().anchored(Anchored::No);
                match self.dfa.start_state(cache, &config) {
                    Ok(at) => (at, 0),
                    Err(_) => {
                        state.at = None;
                        return true;
                    }
                }
            }
        };
        // From where a match may end (a look-ahead reads past it): in the newest line, or
        // anywhere in a buffer read afresh.
        let wanted = match resumed {
            Some(_) => (state.read + (line_start - from) as u64).saturating_sub(self.reach),
            None => state.read,
        };
        let mut at = at;
        for byte in window[from..].bytes() {
            match self.dfa.next_state(cache, at, byte) {
                Ok(next) => at = next,
                Err(_) => {
                    state.at = None;
                    return true;
                }
            }
            if at.is_match() {
                state.last_end = Some(state.read);
            }
            state.read += 1;
        }
        state.at = Some(at);
        if state.last_end.is_some_and(|end| end >= wanted) {
            return true;
        }
        // A match ending with the text (`\z`, or `[\w\s]*$` taking the last newline).
        let clears = cache.clear_count();
        let at_end = self
            .dfa
            .next_eoi_state(cache, at)
            .map_or(true, |end| end.is_match());
        if cache.clear_count() != clears {
            state.at = None;
        }
        at_end
    }
}

/// `hir` without its word boundaries (the lazy DFA runs no Unicode ones): it then matches at
/// least what it matched.
fn without_word_boundaries(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(look)
            if !matches!(look, Look::Start | Look::End | Look::StartLF | Look::EndLF) =>
        {
            Hir::empty()
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(without_word_boundaries).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.iter().map(without_word_boundaries).collect())
        }
        HirKind::Repetition(repetition) => Hir::repetition(hir::Repetition {
            sub: Box::new(without_word_boundaries(&repetition.sub)),
            ..repetition.clone()
        }),
        HirKind::Capture(capture) => Hir::capture(hir::Capture {
            sub: Box::new(without_word_boundaries(&capture.sub)),
            ..capture.clone()
        }),
        _ => hir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_keeps_the_last_lines_joined() {
        let mut buffer = LineBuffer::default();
        let mut starts = Vec::new();
        for i in 0..50 {
            starts.push(buffer.push(&format!("line {i}"), 3));
        }
        assert_eq!(buffer.text(), "line 47\nline 48\nline 49\n");
        assert_eq!(starts[..4], [0, 7, 14, 14]);
        assert_eq!(starts.last(), Some(&16));
        let lines = buffer.take_lines();
        assert_eq!(lines, ["line 47", "line 48", "line 49"]);
        assert_eq!(buffer.text(), "");
        buffer.set_lines(vec!["a".into(), String::new(), "c".into()]);
        assert_eq!(buffer.text(), "a\n\nc\n");
        assert_eq!(buffer.take_lines(), ["a", "", "c"]);
    }

    #[test]
    fn the_screen_lets_through_what_may_end_in_the_newest_line() {
        let screen = TailScreen::new(&[r"(?m)^a (?P<x>\d+)\n(?:.*\n)*?b (?P=x)\b".to_string()]);
        let Some(screen) = screen else {
            panic!("no screen");
        };
        let mut state = TailState::default();
        let mut buffer = LineBuffer::default();
        let mut passed = Vec::new();
        for line in ["x", "a 1", "y", "b 2", "z", "b 1 q", "w", "a 3"] {
            let start = buffer.push(line, 4);
            passed.push(screen.may_match(&mut state, buffer.text(), start));
            state.clean = true;
        }
        // Only "b N" lines after an "a" line may end a match.
        assert_eq!(
            passed,
            [false, false, false, true, false, true, false, false]
        );
        assert!(TailScreen::new(&[r"\Aa".to_string()]).is_none());
        assert!(TailScreen::new(&[r"(?<=a)b".to_string()]).is_none());
    }
}

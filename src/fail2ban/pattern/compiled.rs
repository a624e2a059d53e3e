//! One compiled failregex: the linear-time `regex` engine wherever the pattern allows (attackers
//! write these lines), `fancy-regex` with a backtrack limit only for look-around, back-references
//! and conditionals (and there, on ASCII text, bantop's back-tracker first wherever it can run
//! them). A linear pattern is checked when it is read and compiled to automata the
//! first time a line needs it: a filter (and the date detector's thirty-odd templates) costs
//! nothing for the variants no line asks for, and `bantop regex` starts at once.

use super::backtrack::{Backtracker, Marker, OtherWord, Outcome};
use super::error::PatternError;
use super::marked::{MARKER_PREFIX, RawMarker, marked};
use regex_syntax::hir::Hir;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Steps `fancy-regex` may backtrack on one line before the line is taken as not matching.
const BACKTRACK_LIMIT: usize = 100_000;

/// A compiled pattern and the engine that runs it.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Linear time, no back-tracking (see [`Linear`]).
    Linear(Box<Linear>),
    /// Back-tracking (see [`Backtracking`]).
    Backtracking(Box<Backtracking>),
}

/// A pattern with look-arounds, back-references or conditionals: `fancy-regex`, bounded by
/// [`BACKTRACK_LIMIT`], behind the same pattern relaxed for the linear engine (see
/// `prefilter::relaxed`): where that does not match, neither does this, and the slow engine is
/// not run. On ASCII text, bantop's back-tracker runs it first where it can (see `marked`).
#[derive(Debug, Clone)]
pub struct Backtracking {
    fancy: fancy_regex::Regex,
    screen: Option<regex::Regex>,
    /// `fancy`'s group names by index.
    names: Vec<Option<String>>,
    marked: Option<Marked>,
}

/// The back-tracker of a pattern with markers, and its group names by index (none for the
/// markers).
#[derive(Debug, Clone)]
struct Marked {
    backtracker: Backtracker,
    names: Vec<Option<String>>,
}

impl Backtracking {
    /// What `read` makes of the groups' slots after the back-tracker matched, trying each
    /// start where the screen (the relaxed pattern) has a match, in order (line starts only,
    /// for a pattern that begins with `(?m)^`), on one step budget. `Err` when the
    /// back-tracker cannot tell.
    fn backtracked<R>(
        &self,
        text: Text,
        read: impl FnOnce(&[Option<usize>], &[Option<String>]) -> R,
    ) -> Result<Option<R>, ()> {
        let marked = self.marked.as_ref().filter(|_| text.ascii).ok_or(())?;
        let backtracker = &marked.backtracker;
        let bytes = text.text.as_bytes();
        // The first start at or after `from` where a match may start.
        let next_start = |from: usize| -> Option<usize> {
            if backtracker.anchored {
                return (from == 0).then_some(0);
            }
            let from = if backtracker.at_line_starts() && from > 0 {
                from + memchr::memchr(b'\n', &bytes[from - 1..])?
            } else {
                from
            };
            // The screen finds the first start; after it, a pattern at line starts is tried at
            // each (most fail at their first bytes, sooner than the screen finds the next).
            match &self.screen {
                Some(screen) if from == 0 || !backtracker.at_line_starts() => {
                    screen.find_at(text.text, from).map(|found| found.start())
                }
                _ => (from <= bytes.len()).then_some(from),
            }
        };
        let mut slots = SLOTS.take();
        let mut budget = Backtracker::budget(bytes);
        let mut start = next_start(0);
        let outcome = loop {
            let Some(at) = start else {
                break Outcome::NoMatch;
            };
            let outcome = backtracker.run_within(bytes, at, &mut slots, &mut budget);
            if outcome != Outcome::NoMatch {
                break outcome;
            }
            start = next_start(at + 1);
        };
        let found = match outcome {
            Outcome::Match(_) => Ok(Some(read(&slots, &marked.names))),
            Outcome::NoMatch => Ok(None),
            Outcome::GaveUp => Err(()),
        };
        SLOTS.set(slots);
        found
    }
}

/// A pattern for the linear engine: the pattern, its ASCII twin for ASCII lines (see
/// [`ascii_variant`]), and the back-tracker that resolves its groups on ASCII lines (see
/// [`Backtracker`]), when the pattern suits it.
#[derive(Debug, Clone)]
pub struct Linear {
    unicode: Lazy,
    ascii: Option<Lazy>,
    backtracker: Option<Backtracker>,
    /// Whether the back-tracker records every group, not only the named ones.
    all_groups: bool,
    /// The pattern as parsed, for [`always_takes_part`].
    hir: Hir,
    /// Whether the back-tracker tells quickly whether a line matches, lately.
    quick: Quick,
    /// Whether one of these named groups takes part in every match (the last names asked).
    takes_part: OnceLock<(Vec<String>, bool)>,
}

/// A text to search, and whether it is all ASCII (asked once, whatever the patterns tried).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a> {
    /// The text.
    pub(super) text: &'a str,
    /// Whether it is all ASCII.
    pub(super) ascii: bool,
}

impl<'a> Text<'a> {
    /// `text`, known to be all ASCII or not (looked at once for several patterns).
    pub(crate) fn known(text: &'a str, ascii: bool) -> Self {
        Text { text, ascii }
    }

    /// `text`, looked at once.
    pub(crate) fn new(text: &'a str) -> Self {
        Text {
            text,
            ascii: text.is_ascii(),
        }
    }
}

impl Linear {
    /// Whether one of the named groups `wanted` takes part in every match.
    fn always_has(&self, wanted: &[&str]) -> bool {
        let compute = || {
            let names = &self.unicode.names;
            let is_wanted = |index: usize| {
                names
                    .get(index)
                    .and_then(Option::as_deref)
                    .is_some_and(|name| wanted.contains(&name))
            };
            always_takes_part(&self.hir, &is_wanted)
        };
        let (asked, answer) = self
            .takes_part
            .get_or_init(|| (wanted.iter().map(|w| w.to_string()).collect(), compute()));
        if asked.iter().map(String::as_str).eq(wanted.iter().copied()) {
            *answer
        } else {
            compute()
        }
    }

    /// The automaton for `text`: the ASCII twin for ASCII text, where it finds exactly what the
    /// Unicode regex finds.
    fn regex(&self, text: Text) -> Option<&regex::Regex> {
        match self
            .ascii
            .as_ref()
            .filter(|_| text.ascii)
            .and_then(Lazy::get)
        {
            Some(ascii) => Some(ascii),
            None => self.unicode.get(),
        }
    }

    /// Where the first match is, by the automaton.
    fn find_span(&self, text: Text) -> Option<(usize, usize)> {
        self.regex(text)?
            .find(text.text)
            .map(|m| (m.start(), m.end()))
    }

    /// What `read` makes of the groups' slots (two per group, start and end) after the
    /// back-tracker matched: an anchored pattern needs no automaton at all, another starts
    /// where the automaton's match starts. `Err` when the back-tracker cannot tell.
    fn backtracked<R>(
        &self,
        text: Text,
        read: impl FnOnce(&[Option<usize>]) -> R,
    ) -> Result<Option<R>, ()> {
        let backtracker = self.backtracker.as_ref().filter(|_| text.ascii).ok_or(())?;
        let start = if backtracker.anchored {
            0
        } else {
            match self.find_span(text) {
                Some((start, _)) => start,
                None => return Ok(None),
            }
        };
        // The slots are kept from run to run on each thread.
        let mut slots = SLOTS.take();
        let found = match backtracker.run(text.text.as_bytes(), start, &mut slots) {
            Outcome::Match(_) => Ok(Some(read(&slots))),
            Outcome::NoMatch if backtracker.anchored => Ok(None),
            Outcome::NoMatch | Outcome::GaveUp => Err(()),
        };
        SLOTS.set(slots);
        found
    }
}

thread_local! {
    /// Capture slots for the back-tracker, kept from run to run.
    static SLOTS: std::cell::Cell<Vec<Option<usize>>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The byte span of each group by index (group 0: the whole match), `None` where it took no
/// part.
pub(super) type Spans = Vec<Option<(usize, usize)>>;

/// A match's group spans as an engine left them, with the group names by index of that
/// engine.
struct GroupSpans<'a> {
    spans: EngineSpans<'a>,
    names: &'a [Option<String>],
}

/// The spans of a match's groups by index.
enum EngineSpans<'a> {
    /// The back-tracker's slots: start and end of each group in turn.
    Slots(&'a [Option<usize>]),
    /// The engine's spans.
    Spans(&'a Spans),
}

impl GroupSpans<'_> {
    /// The span of group `index` (0: the whole match), `None` where it took no part.
    fn get(&self, index: usize) -> Option<(usize, usize)> {
        match self.spans {
            EngineSpans::Slots(slots) => {
                let slot = |at: usize| slots.get(at).copied().flatten();
                slot(2 * index).zip(slot(2 * index + 1))
            }
            EngineSpans::Spans(spans) => spans.get(index).copied().flatten(),
        }
    }

    /// Each named group, with its index.
    fn named(&self) -> impl Iterator<Item = (usize, &str)> {
        self.names
            .iter()
            .enumerate()
            .filter_map(|(index, name)| Some((index, name.as_deref()?)))
    }
}

/// A checked regex, compiled on first use.
#[derive(Debug, Clone)]
pub(super) struct Lazy {
    source: String,
    /// Group names by index (0, the whole match, has none), read from the parsed pattern.
    names: Vec<Option<String>>,
    compiled: OnceLock<Option<regex::Regex>>,
}

/// How an anchored back-tracker has done lately at telling within a few steps whether a line
/// matches (it is not asked while it keeps failing to, but for one line in
/// [`Quick::PROBE_EVERY`]): which engine answers changes no answer, only the time it takes.
#[derive(Debug, Default)]
struct Quick {
    /// Up for each line it could not tell, down for each it could.
    misses: AtomicU32,
    /// Lines asked while it was not.
    skipped: AtomicU32,
}

impl Clone for Quick {
    fn clone(&self) -> Self {
        Quick::default()
    }
}

impl Quick {
    /// Misses beyond which it is left alone.
    const TOO_MANY: u32 = 8;
    /// While left alone, it is tried on one line in this many.
    const PROBE_EVERY: u32 = 64;

    /// Whether to try the back-tracker on this line.
    fn try_now(&self) -> bool {
        if self.misses.load(Ordering::Relaxed) < Self::TOO_MANY {
            return true;
        }
        self.skipped
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(Self::PROBE_EVERY)
    }

    /// Whether it told.
    fn tell(&self, told: bool) {
        let misses = self.misses.load(Ordering::Relaxed);
        let next = if told {
            misses.saturating_sub(1)
        } else {
            (misses + 2).min(2 * Self::TOO_MANY)
        };
        self.misses.store(next, Ordering::Relaxed);
    }
}

/// Steps an anchored back-tracker is given to tell whether a line matches before the
/// automaton is asked instead: one per this many bytes of the line, and [`QUICK_STEPS`] more.
const QUICK_STEPS_PER_BYTE: usize = 4;
/// See [`QUICK_STEPS_PER_BYTE`].
const QUICK_STEPS: usize = 32;

/// Compiled automata may grow this large (the default, 10 MB, is for untrusted patterns;
/// these come from the operator's own configuration, already parsed).
const SIZE_LIMIT: usize = 1 << 28;

impl Lazy {
    /// Checks `source` (syntax, groups, nesting) without building automata; with the parsed
    /// pattern.
    fn checked(source: &str) -> Result<(Self, Hir), regex::Error> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(source)
            .map_err(|error| regex::Error::Syntax(error.to_string()))?;
        let mut names = vec![None];
        collect_group_names(&hir, &mut names);
        let lazy = Lazy {
            source: source.to_string(),
            names,
            compiled: OnceLock::new(),
        };
        Ok((lazy, hir))
    }

    /// The compiled regex; `None` only if a parsed pattern still could not be built.
    fn get(&self) -> Option<&regex::Regex> {
        self.compiled
            .get_or_init(|| {
                regex::RegexBuilder::new(&self.source)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

/// Every capture group's name at its index in `names`.
fn collect_group_names(hir: &Hir, names: &mut Vec<Option<String>>) {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(capture) => {
            let index = capture.index as usize;
            if names.len() <= index {
                names.resize(index + 1, None);
            }
            names[index] = capture.name.as_deref().map(str::to_string);
            collect_group_names(&capture.sub, names);
        }
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            for sub in subs {
                collect_group_names(sub, names);
            }
        }
        HirKind::Repetition(repetition) => collect_group_names(&repetition.sub, names),
        _ => {}
    }
}

/// A back-tracking pattern hit its step limit: whether it matches is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GaveUp;

/// A match: where it is and the named groups that took part, by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatternMatch {
    /// Byte offset of the match start.
    pub(crate) start: usize,
    /// Byte offset of the match end.
    pub(crate) end: usize,
    /// Named groups that matched.
    pub groups: BTreeMap<String, String>,
}

impl Pattern {
    /// Compiles `source` (already in Rust syntax) with the cheapest engine that accepts it.
    pub fn compile(source: &str) -> Result<Self, PatternError> {
        match linear(source, &[]) {
            Ok(pattern) => Ok(pattern),
            Err(_)
                if let Some(pattern) = without_word_lookahead(source)
                    .and_then(|(rewritten, words)| linear(&rewritten, &words).ok()) =>
            {
                Ok(pattern)
            }
            Err(linear_error) => fancy_regex::RegexBuilder::new(source)
                .backtrack_limit(BACKTRACK_LIMIT)
                .build()
                .map(|fancy| {
                    let screen = super::prefilter::relaxed(source)
                        .and_then(|relaxed| regex::Regex::new(&relaxed).ok());
                    let names = fancy
                        .capture_names()
                        .map(|n| n.map(str::to_string))
                        .collect();
                    Pattern::Backtracking(Box::new(Backtracking {
                        fancy,
                        screen,
                        names,
                        marked: marked_backtracker(source),
                    }))
                })
                .map_err(|backtracking| PatternError::Unsupported {
                    backtracking: Box::new(backtracking),
                    linear: first_line(&linear_error.to_string()).to_string(),
                }),
        }
    }

    /// The first match in `text` with its named groups; a back-tracking pattern that hits its
    /// limit does not match.
    pub fn find(&self, text: &str) -> Option<PatternMatch> {
        self.find_in(Text::new(text))
    }

    /// [`Pattern::find`] on a text whose ASCII-ness is known.
    pub(crate) fn find_in(&self, text: Text) -> Option<PatternMatch> {
        self.find_checked(text).ok().flatten()
    }

    /// [`Pattern::find_in`], telling a back-tracking pattern that hit its limit (`Err`) from
    /// one that does not match.
    pub(crate) fn find_checked(&self, text: Text) -> Result<Option<PatternMatch>, GaveUp> {
        self.read_match(text, |spans| {
            let (start, end) = spans.get(0)?;
            // Inserted one by one: a match has few groups, and collecting would sort a vector.
            let mut groups = BTreeMap::new();
            for (index, name) in spans.named() {
                if let Some((from, to)) = spans.get(index) {
                    groups.insert(name.to_string(), text.text[from..to].to_string());
                }
            }
            Some(PatternMatch { start, end, groups })
        })
        .map(Option::flatten)
    }

    /// Whether the first match in `text` has a group that took part whose name `wanted`
    /// takes (`None`: no match), without copying any text.
    pub(crate) fn has_group_in(&self, text: Text, wanted: &[&str]) -> Option<bool> {
        // When one of the wanted groups takes part in every match, whether it matches tells:
        // an anchored pattern's back-tracker, if it tells within a few steps (most lines fail
        // at their first bytes), else the automaton.
        if let Pattern::Linear(linear) = self
            && linear.always_has(wanted)
        {
            if let Some(backtracker) = linear.backtracker.as_ref().filter(|b| b.anchored)
                && text.ascii
                && linear.quick.try_now()
            {
                let bytes = text.text.as_bytes();
                let mut budget = bytes.len() / QUICK_STEPS_PER_BYTE + QUICK_STEPS;
                let mut slots = SLOTS.take();
                let outcome = backtracker.run_within(bytes, 0, &mut slots, &mut budget);
                SLOTS.set(slots);
                linear.quick.tell(outcome != Outcome::GaveUp);
                match outcome {
                    Outcome::Match(_) => return Some(true),
                    Outcome::NoMatch => return None,
                    Outcome::GaveUp => {}
                }
            }
            return linear.regex(text)?.is_match(text.text).then_some(true);
        }
        self.read_match(text, |spans| {
            spans
                .named()
                .any(|(index, name)| wanted.contains(&name) && spans.get(index).is_some())
        })
        .ok()
        .flatten()
    }

    /// What `read` makes of the first match in `text` (`None`: no match), given its groups'
    /// spans: from the back-tracker's slots where it can tell, else from the pattern's own
    /// engine.
    fn read_match<R>(
        &self,
        text: Text,
        read: impl Fn(GroupSpans) -> R,
    ) -> Result<Option<R>, GaveUp> {
        let backtracked = match self {
            Pattern::Linear(linear) => linear.backtracked(text, |slots| {
                read(GroupSpans {
                    spans: EngineSpans::Slots(slots),
                    names: &linear.unicode.names,
                })
            }),
            Pattern::Backtracking(backtracking) => {
                backtracking.backtracked(text, |slots, names| {
                    read(GroupSpans {
                        spans: EngineSpans::Slots(slots),
                        names,
                    })
                })
            }
        };
        if let Ok(found) = backtracked {
            return Ok(found);
        }
        let Some(spans) = self.spans_by_engine(text)? else {
            return Ok(None);
        };
        let names = match self {
            Pattern::Linear(linear) => &linear.unicode.names,
            Pattern::Backtracking(backtracking) => &backtracking.names,
        };
        Ok(Some(read(GroupSpans {
            spans: EngineSpans::Spans(&spans),
            names,
        })))
    }

    /// Where the first match is, without resolving groups (the fast automaton only, for the
    /// linear engine).
    pub(crate) fn find_span(&self, text: &str) -> Option<(usize, usize)> {
        match self {
            Pattern::Linear(linear) => linear.find_span(Text::new(text)),
            Pattern::Backtracking(backtracking) => {
                let text = Text::new(text);
                if let Ok(found) = backtracking.backtracked(text, |slots, _| {
                    slots
                        .first()
                        .copied()
                        .flatten()
                        .zip(slots.get(1).copied().flatten())
                }) {
                    return found.flatten();
                }
                let Backtracking { fancy, screen, .. } = &**backtracking;
                if screen
                    .as_ref()
                    .is_some_and(|screen| !screen.is_match(text.text))
                {
                    return None;
                }
                fancy.find(text.text).ok()?.map(|m| (m.start(), m.end()))
            }
        }
    }

    /// Whether the pattern cannot match `text`, as its anchored back-tracker tells from the
    /// first byte alone (most failregexes tried on a line fail there): asking it then would
    /// only find no match, more slowly.
    pub(crate) fn rules_out(&self, text: Text) -> bool {
        let backtracker = match self {
            Pattern::Linear(linear) => linear.backtracker.as_ref(),
            Pattern::Backtracking(backtracking) => backtracking
                .marked
                .as_ref()
                .map(|marked| &marked.backtracker),
        };
        text.ascii && backtracker.is_some_and(|b| b.rules_out(text.text.as_bytes()))
    }

    /// Whether ASCII text is matched by the pattern's ASCII twin (see [`ascii_variant`]), whose
    /// `\b` and classes are ASCII: the pattern written with ASCII word boundaries would find
    /// nothing else there.
    pub(crate) fn has_ascii_twin(&self) -> bool {
        matches!(self, Pattern::Linear(linear) if linear.ascii.is_some())
    }

    /// The group names by index (0, the whole match, has none).
    pub(crate) fn group_names(&self) -> Vec<Option<String>> {
        match self {
            Pattern::Linear(linear) => linear.unicode.names.clone(),
            Pattern::Backtracking(backtracking) => backtracking.names.clone(),
        }
    }

    /// The byte spans of every group of the first match, by index (0: the whole match),
    /// without copying any text: for the hot path (dates on every line).
    pub(crate) fn spans_in(&self, text: Text) -> Option<Spans> {
        if let Pattern::Linear(linear) = self
            && linear.all_groups
            && let Ok(spans) = linear.backtracked(text, |slots| {
                slots.chunks(2).map(|pair| pair[0].zip(pair[1])).collect()
            })
        {
            return spans;
        }
        self.spans_by_engine(text).ok().flatten()
    }

    /// The spans by the pattern's own engine (the automaton for a linear pattern); `Err` when
    /// `fancy-regex` hit its limit.
    fn spans_by_engine(&self, text: Text) -> Result<Option<Spans>, GaveUp> {
        match self {
            Pattern::Linear(linear) => {
                let Some(captures) = linear.regex(text).and_then(|r| r.captures(text.text)) else {
                    return Ok(None);
                };
                Ok(Some(
                    captures
                        .iter()
                        .map(|m| m.map(|m| (m.start(), m.end())))
                        .collect(),
                ))
            }
            Pattern::Backtracking(backtracking) => {
                let Backtracking { fancy, screen, .. } = &**backtracking;
                let text = text.text;
                if screen.as_ref().is_some_and(|screen| !screen.is_match(text)) {
                    return Ok(None);
                }
                let Some(captures) = fancy.captures(text).map_err(|_| GaveUp)? else {
                    return Ok(None);
                };
                Ok(Some(
                    captures
                        .iter()
                        .map(|m| m.map(|m| (m.start(), m.end())))
                        .collect(),
                ))
            }
        }
    }
}

/// `(?!WORD=)\w+=` (a word other than WORD, then `=` or `:`; asterisk's
/// `(?!RemoteAddress=)\w+="...`) written without the look-ahead, so that the linear engine runs
/// it: `\w+` cannot stop before the `=`, so "a word that is not WORD" is a plain pattern, written
/// as a trie over WORD's characters (at each one: another character and any rest, or this
/// character and the same again one further, or the end when some came before; past the end of
/// WORD at least one more), which both engines run one character at a time. The same
/// language, and no group inside it, so the same matches and captures. With the pattern, the
/// words left out. `None` when the pattern has no such look-ahead, or has flags that would
/// change its meaning.
pub fn without_word_lookahead(source: &str) -> Option<(String, Vec<String>)> {
    let shape = regex::Regex::new(r"\(\?!([0-9A-Za-z_]+)([=:])\)\\w\+([=:])").ok()?;
    if source.contains("(?i") || !shape.is_match(source) {
        return None;
    }
    let (mut failed, mut words) = (false, Vec::new());
    let rewritten = shape.replace_all(source, |caps: &regex::Captures| {
        let (word, before, after) = (&caps[1], &caps[2], &caps[3]);
        if before != after {
            failed = true;
            return caps[0].to_string();
        }
        words.push(word.to_string());
        format!("{}{after}", other_word_trie(word))
    });
    (!failed).then(|| (rewritten.into_owned(), words))
}

/// The trie of the words other than `word` (see [`without_word_lookahead`]).
fn other_word_trie(word: &str) -> String {
    other_word(&word.chars().collect::<Vec<_>>(), 0)
}

/// A word (`\w+`) whose first `from` characters are `word`'s and which is not `word`.
fn other_word(word: &[char], from: usize) -> String {
    let Some(c) = word.get(from) else {
        return r"\w+".to_string();
    };
    let rest = other_word(word, from + 1);
    // The alternatives exclude each other (by the next character), so their order only decides
    // what is tried first: past the first character a word that got this far is most likely
    // WORD itself.
    if from == 0 {
        format!(r"(?:[\w--{c}]\w*|{c}{rest})")
    } else {
        format!(r"(?:{c}{rest}|[\w--{c}]\w*|)")
    }
}

/// `source` with `\d`, `\w`, `\s` (and their negations) and `\b` in their ASCII forms. On a line
/// of ASCII text it matches exactly what `source` matches (Python's Unicode classes differ
/// only on other characters), and the automata are far smaller and faster. `None` when a
/// class holds a negated escape or a Unicode property (kept as they are).
pub fn ascii_variant(source: &str) -> Option<String> {
    const DIGIT: &str = "0-9";
    const WORD: &str = "0-9A-Za-z_";
    const SPACE: &str = r"\t\n\x0B\x0C\r ";
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() + 32);
    let (mut i, mut in_class) = (0, false);
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let next = *chars.get(i + 1)?;
            let set = match next {
                'd' | 'D' => Some(DIGIT),
                'w' | 'W' => Some(WORD),
                's' | 'S' => Some(SPACE),
                _ => None,
            };
            match (set, next.is_ascii_uppercase(), in_class) {
                (Some(set), false, true) => out.push_str(set),
                (Some(set), false, false) => out.push_str(&format!("[{set}]")),
                (Some(set), true, false) => out.push_str(&format!("[^{set}]")),
                (Some(_), true, true) => return None,
                (None, ..) if next == 'p' || next == 'P' => return None,
                (None, ..) if (next == 'b' || next == 'B') && !in_class => {
                    // `\b`, `\B`, `\b{start-half}`...
                    let mut end = i + 2;
                    if chars.get(end) == Some(&'{') {
                        end = i + chars[i..].iter().position(|c| *c == '}')? + 1;
                    }
                    let assertion: String = chars[i..end].iter().collect();
                    out.push_str(&format!("(?-u:{assertion})"));
                    i = end;
                    continue;
                }
                _ => {
                    out.push(c);
                    out.push(next);
                }
            }
            i += 2;
            continue;
        }
        match c {
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    Some(out)
}

/// The linear engine, with the ASCII twin of `source` for ASCII lines. `other_words`: the
/// words whose tries [`without_word_lookahead`] wrote into `source`.
fn linear(source: &str, other_words: &[String]) -> Result<Pattern, regex::Error> {
    let (unicode, hir) = Lazy::checked(source)?;
    let ascii = ascii_variant(source).and_then(|ascii| Lazy::checked(&ascii).ok());
    // The tries as they appear in the pattern the back-tracker is built from.
    let as_parsed = |trie: String| match &ascii {
        Some(_) => ascii_variant(&trie),
        None => Some(trie),
    };
    let other_words: Vec<OtherWord> = other_words
        .iter()
        .filter_map(|word| {
            let trie = as_parsed(other_word_trie(word))?;
            Some(OtherWord {
                trie: regex_syntax::parse(&trie).ok()?,
                word: word.as_bytes().into(),
            })
        })
        .collect();
    // On ASCII text the twin and the pattern agree; the twin's classes are the smaller.
    let parsed = ascii.as_ref().map_or(&hir, |(_, hir)| hir);
    // Every group recorded where the pattern allows (dates read groups by index); else only
    // the named ones, for failregexes.
    let (backtracker, all_groups) = match Backtracker::new(parsed, &other_words, &[], false) {
        Some(backtracker) => (Some(backtracker), true),
        None => (Backtracker::new(parsed, &other_words, &[], true), false),
    };
    Ok(Pattern::Linear(Box::new(Linear {
        hir,
        quick: Quick::default(),
        takes_part: OnceLock::new(),
        unicode,
        ascii: ascii.map(|(lazy, _)| lazy),
        backtracker,
        all_groups,
    })))
}

/// The back-tracker of a pattern that only its markers keep from the linear engine (see
/// `marked`), built from its ASCII twin; `None` when it has other constructs.
fn marked_backtracker(source: &str) -> Option<Marked> {
    let (text, raw) = marked(source)?;
    let text = ascii_variant(&text).unwrap_or(text);
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&text)
        .ok()?;
    let mut names = vec![None];
    collect_group_names(&hir, &mut names);
    let group = |wanted: &str| {
        names
            .iter()
            .position(|name| name.as_deref() == Some(wanted))
    };
    let markers = raw
        .into_iter()
        .map(|marker| {
            Some(match marker {
                RawMarker::BackRef(name) => Marker::BackRef(group(&name)?),
                RawMarker::IfGroup(name) => Marker::IfGroup {
                    group: group(&name)?,
                    set: true,
                },
                RawMarker::UnlessGroup(name) => Marker::IfGroup {
                    group: group(&name)?,
                    set: false,
                },
                RawMarker::LookAhead { negate, body } => {
                    let body = ascii_variant(&body).unwrap_or(body);
                    Marker::LookAhead {
                        negate,
                        body: regex_syntax::ParserBuilder::new()
                            .build()
                            .parse(&body)
                            .ok()?,
                    }
                }
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let backtracker = Backtracker::new(&hir, &[], &markers, true)?;
    for name in &mut names {
        if name
            .as_deref()
            .is_some_and(|n| n.starts_with(MARKER_PREFIX))
        {
            *name = None;
        }
    }
    Some(Marked { backtracker, names })
}

/// Whether a group `wanted` takes by index takes part in every match of `hir` (one of
/// `<HOST>`'s alternatives always does).
fn always_takes_part(hir: &Hir, wanted: &dyn Fn(usize) -> bool) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(capture) => {
            wanted(capture.index as usize) || always_takes_part(&capture.sub, wanted)
        }
        HirKind::Concat(subs) => subs.iter().any(|sub| always_takes_part(sub, wanted)),
        HirKind::Alternation(subs) => subs.iter().all(|sub| always_takes_part(sub, wanted)),
        HirKind::Repetition(repetition) => {
            repetition.min > 0 && always_takes_part(&repetition.sub, wanted)
        }
        _ => false,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which engine runs a pattern.
    fn engine(pattern: &Pattern) -> &'static str {
        match pattern {
            Pattern::Linear(..) => "regex",
            Pattern::Backtracking(..) => "fancy-regex",
        }
    }

    #[test]
    fn ascii_twins_find_what_the_unicode_patterns_find_on_ascii_lines() {
        assert_eq!(
            ascii_variant(r"^\d+\s[\w.-]+\b\W").as_deref(),
            Some(r"^[0-9]+[\t\n\x0B\x0C\r ][0-9A-Za-z_.-]+(?-u:\b)[^0-9A-Za-z_]")
        );
        assert_eq!(ascii_variant(r"[^\S]"), None);
        assert_eq!(ascii_variant(r"\p{L}"), None);
        for source in [
            r"^(?P<user>\w+) from (?P<ip4>\d+\.\d+\.\d+\.\d+)\b",
            r"(?i)failed\s+for\s+(?P<u>[^\s]+)",
            r"\bport \d{2,5}\s*$",
        ] {
            let unicode = regex::Regex::new(source).ok();
            let ascii = ascii_variant(source).and_then(|a| regex::Regex::new(&a).ok());
            for line in [
                "root from 192.0.2.1 port 22",
                "FAILED  for admin x",
                "x port 2222 ",
                "\u{e9}t\u{e9} from 1.2.3.4",
                "",
            ] {
                let spans = |r: &Option<regex::Regex>| {
                    r.as_ref()
                        .and_then(|r| r.captures(line))
                        .map(|c| c.iter().map(|m| m.map(|m| m.range())).collect::<Vec<_>>())
                };
                if line.is_ascii() {
                    assert_eq!(spans(&unicode), spans(&ascii), "{source} on {line:?}");
                }
            }
        }
    }

    #[test]
    fn a_word_lookahead_runs_linear_and_finds_the_same() {
        let source = r#"^SecurityEvent="(?:FailedACL|InvalidPassword)"(?:(?:,(?!RemoteAddress=)\w+="[^"]*")*|.*?),RemoteAddress="IPV[46]/[^/"]+/(?P<ip4>[\d.]+)/\d+"(?:,(?!RemoteAddress=)\w+="[^"]*")*$"#;
        let linear = Pattern::compile(source).ok();
        assert_eq!(linear.as_ref().map(engine), Some("regex"));
        let fancy = fancy_regex::Regex::new(source).ok();
        for line in [
            r#"SecurityEvent="InvalidPassword",Service="SIP",RemoteAddress="IPV4/UDP/192.0.2.1/5060",Challenge="x""#,
            r#"SecurityEvent="FailedACL",RemoteAddressX="y",RemoteAddress="IPV4/UDP/192.0.2.2/5060""#,
            r#"SecurityEvent="FailedACL",Remote="y",RemoteAddress="IPV4/UDP/192.0.2.3/5060",RemoteAddress="IPV4/UDP/192.0.2.4/5060""#,
            r#"SecurityEvent="FailedACL",RemoteAddress="IPV4/UDP/192.0.2.5/5060",A="1",RemoteAddress="IPV4/UDP/192.0.2.6/5060",B="2""#,
            r#"SecurityEvent="FailedACL",Service="SIP""#,
            r#"SecurityEvent="FailedACL",R="1",RemoteAddres="2",Rx="3",RemoteAddress="IPV4/UDP/192.0.2.7/5060",RemoteAddressy="4""#,
            r#"SecurityEvent="FailedACL",RemoteAddress="IPV4/UDP/192.0.2.8/5060",RemoteAddress="x""#,
        ] {
            let ours = linear.as_ref().and_then(|p| p.find(line)).map(|m| m.groups);
            let theirs = fancy
                .as_ref()
                .and_then(|f| f.captures(line).ok().flatten())
                .map(|c| {
                    c.name("ip4")
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default()
                });
            assert_eq!(
                ours.map(|g| g.get("ip4").cloned().unwrap_or_default()),
                theirs,
                "{line}"
            );
        }
        assert_eq!(
            without_word_lookahead(r"(?!ab=)\w+:"),
            None,
            "different characters"
        );
    }

    #[test]
    fn a_word_trie_is_one_step_only_where_a_non_word_byte_follows() {
        let trie = other_word_trie("Re");
        for source in [
            format!(r#"^{trie}="(?P<v>[^"]*)""#),
            format!(r"^{trie}(?P<g>\w*)="),
        ] {
            let ours = linear(&source, &["Re".to_string()]).ok();
            let regex = regex::Regex::new(&source).ok();
            for text in [
                "Re=\"1\"",
                "R=\"2\"",
                "Rex=\"3\"",
                "Re=",
                "Rx=",
                "e=",
                "=",
                "Ree=",
            ] {
                let groups = |m: Option<PatternMatch>| m.map(|m| m.groups);
                let expected = regex.as_ref().and_then(|r| {
                    let captures = r.captures(text)?;
                    Some(
                        r.capture_names()
                            .flatten()
                            .filter_map(|name| {
                                Some((name.to_string(), captures.name(name)?.as_str().to_string()))
                            })
                            .collect::<BTreeMap<_, _>>(),
                    )
                });
                let found = groups(ours.as_ref().and_then(|p| p.find(text)));
                assert_eq!(found, expected, "{source} on {text:?}");
            }
        }
    }

    #[test]
    fn plain_patterns_use_the_linear_engine() {
        let pattern = Pattern::compile(r"from (?P<ip4>\d+\.\d+\.\d+\.\d+)");
        let pattern = pattern.ok();
        assert_eq!(pattern.as_ref().map(engine), Some("regex"));
        let found = pattern.and_then(|p| p.find("x from 192.0.2.1 port"));
        assert_eq!(
            found.map(|m| m.groups.get("ip4").cloned()),
            Some(Some("192.0.2.1".to_string()))
        );
    }

    #[test]
    fn conditionals_and_lookaround_fall_back_to_backtracking() {
        let pattern = Pattern::compile(r"^(?P<inv>invalid )?(?(<inv>)x|y)(?! from )").ok();
        assert_eq!(pattern.as_ref().map(engine), Some("fancy-regex"));
        let pattern = pattern.as_ref();
        assert!(pattern.and_then(|p| p.find("invalid x")).is_some());
        assert!(pattern.and_then(|p| p.find("y")).is_some());
        assert!(pattern.and_then(|p| p.find("invalid y")).is_none());
    }

    #[test]
    fn a_host_that_takes_part_in_every_match_needs_no_groups_resolved() {
        let host = r"(?:\[?(?P<ip4>\d+\.\d+\.\d+\.\d+)\]?|(?P<dns>\w+))";
        let hosts = ["ip4", "ip6", "dns"];
        for (source, always) in [
            (format!("^fail from {host}$"), true),
            (format!("^fail(?: from {host})?$"), false),
            (format!("^(?:a {host}|b (?P<ip6>x))$"), true),
            (format!("^(?:a {host}|b)$"), false),
        ] {
            let Ok(Pattern::Linear(linear)) = Pattern::compile(&source) else {
                panic!("{source}");
            };
            assert_eq!(linear.always_has(&hosts), always, "{source}");
            let pattern = Pattern::Linear(linear);
            for line in ["fail from 192.0.2.1", "fail", "a h", "b x", "b"] {
                let resolved = pattern
                    .find(line)
                    .map(|m| hosts.iter().any(|h| m.groups.contains_key(*h)));
                assert_eq!(
                    pattern.has_group_in(Text::new(line), &hosts),
                    resolved,
                    "{source} on {line}"
                );
            }
        }
    }

    #[test]
    fn catastrophic_backtracking_is_cut_off() {
        let pattern = Pattern::compile(r"^(a+)+(?=b)\1$").ok();
        let line = "a".repeat(40);
        assert_eq!(pattern.and_then(|p| p.find(&line)), None);
    }
}

#[cfg(test)]
#[path = "marked_tests.rs"]
mod marked_tests;

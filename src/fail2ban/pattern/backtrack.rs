//! A back-tracking matcher for a linear pattern's captures on ASCII lines, run the way Python's
//! `re` (and the `regex` crate's leftmost-first rules) order the paths: alternatives left to
//! right, greedy repetitions longest first, lazy ones shortest first; the first path that
//! reaches the end is the match. A run of one character class (`[^"]*`, `\w+`) is taken in one
//! step and given back one byte at a time, and a split only tries the branches the next byte
//! can begin (each instruction knows the bytes its paths start with), so fail2ban's patterns
//! cost about a pass over the line, not the full automaton the `regex` crate resolves captures
//! with.
//!
//! It takes only patterns whose every path is finite (no repeated sub-pattern that can match
//! nothing); and it gives up after a step budget
//! proportional to the line, so an unlucky pattern never takes long: the caller then asks the
//! `regex` crate, which is never wrong and never slow (or `fancy-regex`, for a pattern with
//! markers: back-references, look-aheads of fixed strings and conditionals, see `marked`).

use super::marked::MARKER_PREFIX;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Steps allowed per byte of text before giving up.
const STEPS_PER_BYTE: usize = 64;
/// Steps allowed on any line: each step keeps at most one way back, so this also bounds the
/// stack (about 48 MB) on a very long line.
const MAX_STEPS: usize = 1 << 20;
/// Room for ways back kept between runs (a line that needed more gives it back).
const KEPT_FRAMES: usize = 1 << 12;
/// The largest program built (a counted repetition is written out).
const MAX_PROGRAM: usize = 20_000;

thread_local! {
    /// The ways back, kept from run to run on each thread.
    static STACK: std::cell::RefCell<Vec<Frame>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A set of ASCII bytes, bit `b` for byte `b`.
type ByteSet = u128;

#[derive(Debug, Clone)]
enum Inst {
    /// These bytes, in order.
    Literal(Box<[u8]>),
    /// One byte of the set.
    Byte(ByteSet),
    /// `min..=max` bytes of the set, greedy or lazy.
    Run {
        set: ByteSet,
        /// The set as a table, for the byte-by-byte scan.
        table: Box<[bool; 256]>,
        min: usize,
        max: usize,
        greedy: bool,
        /// Whether a greedy run may give bytes back: not when what follows cannot begin with
        /// a byte of the set (`[^"]*"`, `\S+ `), where every shorter run stops before such a
        /// byte.
        gives_back: bool,
    },
    /// A whole run of word bytes (at least one) that is not this word: the trie of an
    /// [`OtherWord`], where a non-word byte must follow.
    OtherWord(Box<[u8]>),
    /// Try `first`, then `second`.
    Split(usize, usize),
    Jump(usize),
    /// Record the position in a capture slot.
    Save(usize),
    Assert(Look),
    /// The text group `.0` took, again (Python's `(?P=name)`); fails when it took no part.
    BackRef(usize),
    /// Whether one of these strings (of byte sets) stands here: the path goes on only when
    /// one does (look-ahead) or, `negate`d, when none does.
    LookAhead {
        negate: bool,
        alternatives: Box<[Box<[ByteSet]>]>,
    },
    /// The path goes on only when group `group` took part (`set`) or did not (a conditional's
    /// branches).
    IfGroup {
        group: usize,
        set: bool,
    },
    Match,
}

/// What a marker group stands for (see `marked`), its group names resolved to indices.
#[derive(Debug, Clone)]
pub(super) enum Marker {
    /// A back-reference to the group of this index.
    BackRef(usize),
    /// A look-ahead and its body as parsed.
    LookAhead { negate: bool, body: Hir },
    /// A conditional's branch: taken when the group took part (`set`) or when it did not.
    IfGroup { group: usize, set: bool },
}

/// What a run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// A match ending here; the slots hold its groups.
    Match(usize),
    /// No match from the start position (every path was tried).
    NoMatch,
    /// The step budget ran out: ask another engine.
    GaveUp,
}

/// Ways back to try, latest first. Positions and instructions are `u32` (a line of 4 GiB or
/// more is left to the `regex` crate): a frame is 16 bytes, not 48.
#[derive(Clone, Copy)]
enum Frame {
    Retry {
        pc: u32,
        at: u32,
    },
    /// Put back a slot's value (`NONE` for none).
    Restore {
        slot: u32,
        old: u32,
    },
    /// A greedy run from `from`, of which `taken` bytes are left to try next, down to `min`.
    Shorter {
        pc: u32,
        from: u32,
        taken: u32,
    },
    /// A lazy run of `taken` bytes from `from` tried; longer ones are left, as far as the run's
    /// instruction (just before `pc`) allows.
    Longer {
        pc: u32,
        from: u32,
        taken: u32,
    },
}

/// A slot's "no position" in a [`Frame::Restore`].
const NONE: u32 = u32::MAX;

/// What a path from an instruction can begin with: a byte of `set`, or nothing at all (it can
/// reach the match, or the text end, without reading).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Start {
    set: ByteSet,
    empty: bool,
}

impl Start {
    const ANY: Start = Start {
        set: u128::MAX,
        empty: true,
    };

    /// Whether a path beginning so may succeed at `at`.
    fn admits(self, text: &[u8], at: usize) -> bool {
        self.empty || text.get(at).is_some_and(|b| contains(self.set, *b))
    }
}

/// A sub-pattern that matches exactly the words (`\w+`) other than `word`, as a trie of
/// alternatives one character at a time (see `pattern::without_word_lookahead`). Where a
/// non-word byte must follow it, only the whole run of word bytes can lead to a match, so it is
/// run as one step: the run, and a comparison with `word`.
#[derive(Debug, Clone)]
pub(super) struct OtherWord {
    /// The trie as parsed.
    pub(super) trie: Hir,
    /// The word it leaves out.
    pub(super) word: Box<[u8]>,
}

/// A compiled program.
#[derive(Debug, Clone)]
pub(super) struct Backtracker {
    program: Vec<Inst>,
    /// For each instruction, what a path from it can begin with: a split tries only the
    /// branches the next byte can begin.
    starts: Vec<Start>,
    slots: usize,
    /// Every match starts at the text start.
    pub(super) anchored: bool,
    /// Every match starts at a line start.
    line_anchored: bool,
}

impl Backtracker {
    /// The program for `hir` (the pattern as parsed), or `None` when it is outside what this
    /// matcher takes. The sub-patterns in `other_words` are run as one step each; the marker
    /// groups stand for `markers`. With `named_only`, groups without a name are not recorded
    /// (their slots stay empty), so they may be repeated (fail2ban's `(\d+\.){3}`).
    pub(super) fn new(
        hir: &Hir,
        other_words: &[OtherWord],
        markers: &[Marker],
        named_only: bool,
    ) -> Option<Self> {
        let mut compiler = Compiler {
            program: Vec::new(),
            slots: 2,
            other_words,
            markers,
            named_only,
        };
        compiler.compile(hir)?;
        compiler.emit(Inst::Match)?;
        let starts = starts(&compiler.program);
        for (pc, inst) in compiler.program.iter_mut().enumerate() {
            if let Inst::Run {
                set, gives_back, ..
            } = inst
                && let Some(next) = starts.get(pc + 1)
            {
                *gives_back = next.empty || *set & next.set != 0;
            }
        }
        let prefix = hir.properties().look_set_prefix();
        Some(Backtracker {
            starts,
            program: compiler.program,
            slots: compiler.slots,
            anchored: prefix.contains(Look::Start),
            line_anchored: prefix.contains(Look::StartLF),
        })
    }

    /// Matches `text` (ASCII) from `start` only; on a match, `slots` holds each group's start
    /// and end (slot 0 and 1 the whole match).
    pub(super) fn run(&self, text: &[u8], start: usize, slots: &mut Vec<Option<usize>>) -> Outcome {
        let mut budget = budget_for(text);
        self.run_within(text, start, slots, &mut budget)
    }

    /// The steps [`Backtracker::run`] allows on `text`, for runs that share them.
    pub(super) fn budget(text: &[u8]) -> usize {
        budget_for(text)
    }

    /// [`Backtracker::run`] taking its steps from `budget` (several runs on one text, from
    /// one start after another, share one budget).
    pub(super) fn run_within(
        &self,
        text: &[u8],
        start: usize,
        slots: &mut Vec<Option<usize>>,
        budget: &mut usize,
    ) -> Outcome {
        // Most patterns tried on a line fail at its first byte.
        if !self.starts[0].admits(text, start) {
            return Outcome::NoMatch;
        }
        STACK.with(|stack| match stack.try_borrow_mut() {
            Ok(mut stack) => {
                let outcome = self.run_with(text, start, slots, &mut stack, budget);
                if stack.capacity() > KEPT_FRAMES {
                    stack.clear();
                    stack.shrink_to(KEPT_FRAMES);
                }
                outcome
            }
            Err(_) => self.run_with(text, start, slots, &mut Vec::new(), budget),
        })
    }

    /// Whether `text` (ASCII) cannot match: every match starts at the text start, and no path
    /// begins with its first byte.
    pub(super) fn rules_out(&self, text: &[u8]) -> bool {
        self.anchored && !self.starts[0].admits(text, 0)
    }

    /// Whether every match starts at a line start (`(?m)^` first).
    pub(super) fn at_line_starts(&self) -> bool {
        self.line_anchored
    }

    fn run_with(
        &self,
        text: &[u8],
        start: usize,
        slots: &mut Vec<Option<usize>>,
        stack: &mut Vec<Frame>,
        budget: &mut usize,
    ) -> Outcome {
        // Every position, the text's end included, is below `NONE`.
        let fits = u32::try_from(text.len()).is_ok_and(|len| len < NONE);
        let (true, Ok(first)) = (fits, u32::try_from(start)) else {
            return Outcome::GaveUp;
        };
        slots.clear();
        slots.resize(self.slots, None);
        stack.clear();
        stack.push(Frame::Retry { pc: 0, at: first });
        // Positions fit in u32 (checked above), instructions too (`MAX_PROGRAM`).
        let wide = |value: u32| value as usize;
        let narrow = |value: usize| value as u32;
        while let Some(frame) = stack.pop() {
            let (mut pc, mut at) = match frame {
                Frame::Retry { pc, at } => (wide(pc), wide(at)),
                Frame::Restore { slot, old } => {
                    slots[wide(slot)] = (old != NONE).then_some(wide(old));
                    continue;
                }
                // A run gives back (or, lazy, takes) bytes only as far as where what follows
                // it can begin: `.*\n` gives back nothing.
                Frame::Shorter { pc, from, taken } => {
                    let min = match &self.program[wide(pc) - 1] {
                        Inst::Run { min, .. } => *min,
                        _ => usize::MAX,
                    };
                    let next = self.starts[wide(pc)];
                    let (from, mut taken) = (wide(from), wide(taken));
                    while taken > min && !next.admits(text, from + taken) {
                        taken -= 1;
                    }
                    if !next.admits(text, from + taken) {
                        continue;
                    }
                    if taken > min {
                        stack.push(Frame::Shorter {
                            pc,
                            from: narrow(from),
                            taken: narrow(taken - 1),
                        });
                    }
                    (wide(pc), from + taken)
                }
                Frame::Longer { pc, from, taken } => {
                    let (table, max) = match &self.program[wide(pc) - 1] {
                        Inst::Run { table, max, .. } => (table, *max),
                        _ => continue,
                    };
                    let next = self.starts[wide(pc)];
                    let (from, mut taken) = (wide(from), wide(taken));
                    let longer = loop {
                        let at = from + taken;
                        if taken >= max || !text.get(at).is_some_and(|b| table[usize::from(*b)]) {
                            break None;
                        }
                        taken += 1;
                        if next.admits(text, at + 1) {
                            break Some(taken);
                        }
                    };
                    let Some(taken) = longer else {
                        continue;
                    };
                    stack.push(Frame::Longer {
                        pc,
                        from: narrow(from),
                        taken: narrow(taken),
                    });
                    (wide(pc), from + taken)
                }
            };
            // Follow this path until it fails (then the next frame) or matches.
            loop {
                if *budget == 0 {
                    return Outcome::GaveUp;
                }
                *budget -= 1;
                match &self.program[pc] {
                    Inst::Literal(bytes) => {
                        // Most literals are a few bytes: compared in line, not by `memcmp`.
                        let rest = &text[at..];
                        if rest.len() < bytes.len()
                            || !bytes.iter().zip(rest).all(|(wanted, byte)| wanted == byte)
                        {
                            break;
                        }
                        at += bytes.len();
                        pc += 1;
                    }
                    Inst::Byte(set) => {
                        if !text.get(at).is_some_and(|b| contains(*set, *b)) {
                            break;
                        }
                        at += 1;
                        pc += 1;
                    }
                    Inst::Run {
                        table,
                        min,
                        max,
                        greedy,
                        gives_back,
                        ..
                    } => {
                        let limit = text.len().min(at.saturating_add(*max));
                        let available = text[at..limit]
                            .iter()
                            .take_while(|byte| table[usize::from(**byte)])
                            .count();
                        if available < *min {
                            break;
                        }
                        if available > *min && (*gives_back || !*greedy) {
                            let (next, from) = (narrow(pc + 1), narrow(at));
                            stack.push(if *greedy {
                                Frame::Shorter {
                                    pc: next,
                                    from,
                                    taken: narrow(available - 1),
                                }
                            } else {
                                Frame::Longer {
                                    pc: next,
                                    from,
                                    taken: narrow(*min),
                                }
                            });
                        }
                        at += if *greedy { available } else { *min };
                        pc += 1;
                    }
                    Inst::OtherWord(word) => {
                        let run = text[at..].iter().take_while(|b| is_word(Some(b))).count();
                        if run == 0 || text[at..at + run] == **word {
                            break;
                        }
                        at += run;
                        pc += 1;
                    }
                    Inst::Split(first, second) => {
                        let can_second = self.starts[*second].admits(text, at);
                        if !self.starts[*first].admits(text, at) {
                            if !can_second {
                                break;
                            }
                            pc = *second;
                            continue;
                        }
                        if can_second {
                            stack.push(Frame::Retry {
                                pc: narrow(*second),
                                at: narrow(at),
                            });
                        }
                        pc = *first;
                    }
                    Inst::Jump(target) => pc = *target,
                    Inst::Save(slot) => {
                        // With no way back left, a failure ends the run: nothing to restore.
                        if !stack.is_empty() {
                            stack.push(Frame::Restore {
                                slot: narrow(*slot),
                                old: slots[*slot].map_or(NONE, narrow),
                            });
                        }
                        slots[*slot] = Some(at);
                        pc += 1;
                    }
                    Inst::Assert(look) => {
                        if !holds(*look, text, at) {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::BackRef(group) => {
                        let taken = slots[2 * group].zip(slots[2 * group + 1]);
                        let Some((from, to)) = taken.filter(|(from, to)| from <= to) else {
                            break;
                        };
                        let len = to - from;
                        if text.len() - at < len || text[from..to] != text[at..at + len] {
                            break;
                        }
                        at += len;
                        pc += 1;
                    }
                    Inst::LookAhead {
                        negate,
                        alternatives,
                    } => {
                        let rest = &text[at..];
                        let stands = alternatives.iter().any(|sets| {
                            sets.len() <= rest.len()
                                && sets
                                    .iter()
                                    .zip(rest)
                                    .all(|(set, byte)| contains(*set, *byte))
                        });
                        if stands == *negate {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::IfGroup { group, set } => {
                        let took_part =
                            slots[2 * group].is_some() && slots[2 * group + 1].is_some();
                        if took_part != *set {
                            break;
                        }
                        pc += 1;
                    }
                    Inst::Match => {
                        slots[0] = Some(start);
                        slots[1] = Some(at);
                        return Outcome::Match(at);
                    }
                }
            }
        }
        Outcome::NoMatch
    }
}

/// Steps allowed on `text` (see [`STEPS_PER_BYTE`], [`MAX_STEPS`]).
fn budget_for(text: &[u8]) -> usize {
    (STEPS_PER_BYTE * (text.len() + 1)).min(MAX_STEPS)
}

/// What a path from each instruction can begin with.
fn starts(program: &[Inst]) -> Vec<Start> {
    let mut memo: Vec<Option<Start>> = vec![None; program.len()];
    (0..program.len())
        .map(|pc| start_of(program, pc, &mut memo, 0))
        .collect()
}

/// Instructions that read nothing followed this deep are taken to begin with anything.
const MAX_START_DEPTH: usize = 200;

fn start_of(program: &[Inst], pc: usize, memo: &mut Vec<Option<Start>>, depth: usize) -> Start {
    if let Some(start) = memo[pc] {
        return start;
    }
    if depth > MAX_START_DEPTH {
        return Start::ANY;
    }
    // Marked while in progress: a loop back to here (never without reading) begins with anything.
    memo[pc] = Some(Start::ANY);
    let mut next = |pc: usize| start_of(program, pc, memo, depth + 1);
    let start = match &program[pc] {
        Inst::Literal(bytes) => match bytes.first() {
            Some(first) => Start {
                set: set_of(*first),
                empty: false,
            },
            None => next(pc + 1),
        },
        Inst::Byte(set) => Start {
            set: *set,
            empty: false,
        },
        Inst::OtherWord(_) => Start {
            set: WORD_BYTES,
            empty: false,
        },
        Inst::Run { set, min, .. } => {
            if *min > 0 {
                Start {
                    set: *set,
                    empty: false,
                }
            } else {
                let after = next(pc + 1);
                Start {
                    set: set | after.set,
                    empty: after.empty,
                }
            }
        }
        Inst::Split(first, second) => {
            let (first, second) = (next(*first), next(*second));
            Start {
                set: first.set | second.set,
                empty: first.empty || second.empty,
            }
        }
        Inst::Jump(target) => next(*target),
        Inst::Save(_) | Inst::Assert(_) | Inst::LookAhead { .. } | Inst::IfGroup { .. } => {
            next(pc + 1)
        }
        // A reference may take nothing, or anything.
        Inst::BackRef(_) | Inst::Match => Start::ANY,
    };
    memo[pc] = Some(start);
    start
}

fn set_of(byte: u8) -> ByteSet {
    if byte.is_ascii() { 1 << byte } else { 0 }
}

fn contains(set: ByteSet, byte: u8) -> bool {
    // One 64-bit half and one shift (a 128-bit shift by a variable is a branchy sequence).
    let half = if byte < 64 {
        set as u64
    } else {
        (set >> 64) as u64
    };
    byte < 128 && half >> (byte & 63) & 1 == 1
}

/// The ASCII word bytes (`\w` on ASCII text).
const WORD_BYTES: ByteSet = {
    let (mut set, mut byte) = (0u128, 0u8);
    while byte < 128 {
        if byte.is_ascii_alphanumeric() || byte == b'_' {
            set |= 1 << byte;
        }
        byte += 1;
    }
    set
};

fn is_word(byte: Option<&u8>) -> bool {
    byte.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Whether an assertion holds at `at` (ASCII text: Unicode and ASCII word rules agree).
fn holds(look: Look, text: &[u8], at: usize) -> bool {
    let before = at.checked_sub(1).and_then(|i| text.get(i));
    let after = text.get(at);
    let (word_before, word_after) = (is_word(before), is_word(after));
    match look {
        Look::Start => at == 0,
        Look::End => at == text.len(),
        Look::StartLF => at == 0 || before == Some(&b'\n'),
        Look::EndLF => at == text.len() || after == Some(&b'\n'),
        Look::WordAscii | Look::WordUnicode => word_before != word_after,
        Look::WordAsciiNegate | Look::WordUnicodeNegate => word_before == word_after,
        Look::WordStartAscii | Look::WordStartUnicode => !word_before && word_after,
        Look::WordEndAscii | Look::WordEndUnicode => word_before && !word_after,
        Look::WordStartHalfAscii | Look::WordStartHalfUnicode => !word_before,
        Look::WordEndHalfAscii | Look::WordEndHalfUnicode => !word_after,
        // Not compiled (see `Compiler::compile`).
        Look::StartCRLF | Look::EndCRLF => false,
    }
}

struct Compiler<'a> {
    program: Vec<Inst>,
    slots: usize,
    other_words: &'a [OtherWord],
    markers: &'a [Marker],
    /// Groups without a name are not recorded.
    named_only: bool,
}

impl Compiler<'_> {
    fn emit(&mut self, inst: Inst) -> Option<usize> {
        if self.program.len() >= MAX_PROGRAM {
            return None;
        }
        self.program.push(inst);
        Some(self.program.len() - 1)
    }

    fn compile(&mut self, hir: &Hir) -> Option<()> {
        match hir.kind() {
            HirKind::Empty => {}
            HirKind::Literal(literal) => {
                self.emit(Inst::Literal(literal.0.clone()))?;
            }
            HirKind::Class(class) => {
                self.emit(Inst::Byte(byte_set(class)))?;
            }
            HirKind::Look(look) => {
                if matches!(look, Look::StartCRLF | Look::EndCRLF) {
                    return None;
                }
                self.emit(Inst::Assert(*look))?;
            }
            HirKind::Capture(capture) if let Some(marker) = self.marker(capture) => {
                let inst = match marker? {
                    Marker::BackRef(group) => Inst::BackRef(*group),
                    Marker::IfGroup { group, set } => Inst::IfGroup {
                        group: *group,
                        set: *set,
                    },
                    Marker::LookAhead { negate, body } => Inst::LookAhead {
                        negate: *negate,
                        alternatives: fixed_strings(body)?
                            .into_iter()
                            .map(Vec::into_boxed_slice)
                            .collect(),
                    },
                };
                // The slots of a group a marker reads are there even when it comes first.
                if let Inst::BackRef(group) | Inst::IfGroup { group, .. } = inst {
                    self.slots = self.slots.max(2 * group + 2);
                }
                self.emit(inst)?;
            }
            HirKind::Capture(capture) if self.named_only && capture.name.is_none() => {
                self.compile(&capture.sub)?;
            }
            HirKind::Capture(capture) => {
                let index = capture.index as usize;
                self.slots = self.slots.max(2 * index + 2);
                self.emit(Inst::Save(2 * index))?;
                self.compile(&capture.sub)?;
                self.emit(Inst::Save(2 * index + 1))?;
            }
            HirKind::Concat(subs) => {
                for (index, sub) in subs.iter().enumerate() {
                    let other_word = self
                        .other_words
                        .iter()
                        .find(|other| other.trie == *sub)
                        .filter(|_| subs.get(index + 1).is_some_and(starts_with_non_word));
                    match other_word {
                        Some(other) => {
                            self.emit(Inst::OtherWord(other.word.clone()))?;
                        }
                        None => self.compile(sub)?,
                    }
                }
            }
            HirKind::Alternation(subs) => {
                let mut jumps = Vec::new();
                for (i, sub) in subs.iter().enumerate() {
                    if i + 1 < subs.len() {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(sub)?;
                        jumps.push(self.emit(Inst::Jump(0))?);
                        let next = self.program.len();
                        self.program[split] = Inst::Split(split + 1, next);
                    } else {
                        self.compile(sub)?;
                    }
                }
                let end = self.program.len();
                for jump in jumps {
                    self.program[jump] = Inst::Jump(end);
                }
            }
            HirKind::Repetition(repetition) => {
                let (min, max) = (repetition.min as usize, repetition.max.map(|m| m as usize));
                if let Some(set) = single_byte(&repetition.sub) {
                    self.emit(Inst::Run {
                        set,
                        table: Box::new(std::array::from_fn(|byte| {
                            u8::try_from(byte).is_ok_and(|byte| contains(set, byte))
                        })),
                        min,
                        max: max.unwrap_or(usize::MAX),
                        greedy: repetition.greedy,
                        gives_back: true,
                    })?;
                    return Some(());
                }
                // A group repeated keeps what its last pass took (the slots of a pass given
                // back are restored), as Python's `re` and the `regex` crate report it.
                let repeats = max != Some(1) && max != Some(0);
                if repeats && repetition.sub.properties().minimum_len() == Some(0) {
                    return None;
                }
                for _ in 0..min {
                    self.compile(&repetition.sub)?;
                }
                match max {
                    None => {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.compile(&repetition.sub)?;
                        self.emit(Inst::Jump(split))?;
                        let end = self.program.len();
                        self.program[split] = ordered(repetition.greedy, split + 1, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in min..max {
                            splits.push(self.emit(Inst::Split(0, 0))?);
                            self.compile(&repetition.sub)?;
                        }
                        let end = self.program.len();
                        for split in splits {
                            self.program[split] = ordered(repetition.greedy, split + 1, end);
                        }
                    }
                }
            }
        }
        Some(())
    }
}

impl Compiler<'_> {
    /// The construct a marker group stands for: `None` for a group of the pattern's own,
    /// `Some(None)` for a marker that is not known.
    fn marker(&self, capture: &regex_syntax::hir::Capture) -> Option<Option<&Marker>> {
        let index = capture.name.as_deref()?.strip_prefix(MARKER_PREFIX)?;
        Some(
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| self.markers.get(i)),
        )
    }
}

/// The strings a look-ahead's body matches, as sequences of byte sets, when it is made of
/// literals and classes only (`err`, `error|info`, ` from `).
fn fixed_strings(hir: &Hir) -> Option<Vec<Vec<ByteSet>>> {
    match hir.kind() {
        HirKind::Empty => Some(vec![Vec::new()]),
        HirKind::Literal(literal) => Some(vec![literal.0.iter().map(|b| set_of(*b)).collect()]),
        HirKind::Class(class) => Some(vec![vec![byte_set(class)]]),
        HirKind::Capture(capture) => fixed_strings(&capture.sub),
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for sub in subs {
                all.extend(fixed_strings(sub)?);
            }
            Some(all)
        }
        HirKind::Concat(subs) => {
            let mut all = vec![Vec::new()];
            for sub in subs {
                let next = fixed_strings(sub)?;
                if all.len() * next.len() > 64 {
                    return None;
                }
                all = all
                    .iter()
                    .flat_map(|head| {
                        next.iter()
                            .map(move |tail| [head.as_slice(), tail].concat())
                    })
                    .collect();
            }
            Some(all)
        }
        _ => None,
    }
}

/// Whether every match of `hir` begins with a byte that is no word byte (a literal's first).
fn starts_with_non_word(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Literal(literal) => literal.0.first().is_some_and(|b| !is_word(Some(b))),
        HirKind::Concat(subs) => subs.first().is_some_and(starts_with_non_word),
        _ => false,
    }
}

/// A split that prefers `more` when greedy, `done` when lazy.
fn ordered(greedy: bool, more: usize, done: usize) -> Inst {
    if greedy {
        Inst::Split(more, done)
    } else {
        Inst::Split(done, more)
    }
}

/// The bytes a one-byte pattern (a class or a one-byte literal) takes, if it is one.
fn single_byte(hir: &Hir) -> Option<ByteSet> {
    match hir.kind() {
        HirKind::Class(class) => Some(byte_set(class)),
        HirKind::Literal(literal) if literal.0.len() == 1 => Some(if literal.0[0].is_ascii() {
            1u128 << literal.0[0]
        } else {
            0
        }),
        _ => None,
    }
}

/// The ASCII bytes of a class (the text is ASCII, so no other byte is ever asked about).
fn byte_set(class: &Class) -> ByteSet {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Unicode(class) => class
            .ranges()
            .iter()
            .map(|r| (r.start() as u32, r.end() as u32))
            .collect(),
        Class::Bytes(class) => class
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut set: ByteSet = 0;
    for (start, end) in ranges {
        for byte in start..=end.min(127) {
            set |= 1 << byte;
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backtracker's groups and the `regex` crate's, on the same text.
    fn compare(pattern: &str, text: &str) -> Result<(), String> {
        let hir = regex_syntax::parse(pattern).map_err(|e| e.to_string())?;
        let Some(backtracker) = Backtracker::new(&hir, &[], &[], false) else {
            return Err(format!("{pattern} not taken"));
        };
        let regex = regex::Regex::new(pattern).map_err(|e| e.to_string())?;
        let expected = regex.captures(text).map(|caps| {
            caps.iter()
                .map(|m| m.map(|m| (m.start(), m.end())))
                .collect::<Vec<_>>()
        });
        let mut slots = Vec::new();
        let found = match regex.find(text) {
            Some(m) => match backtracker.run(text.as_bytes(), m.start(), &mut slots) {
                Outcome::Match(_) => Some(
                    slots
                        .chunks(2)
                        .map(|pair| pair[0].zip(pair[1]))
                        .collect::<Vec<_>>(),
                ),
                other => return Err(format!("{pattern} on {text:?}: {other:?}")),
            },
            None => None,
        };
        if backtracker.anchored && expected.is_none() {
            let outcome = backtracker.run(text.as_bytes(), 0, &mut slots);
            if outcome != Outcome::NoMatch {
                return Err(format!("{pattern} on {text:?}: {outcome:?}, not NoMatch"));
            }
        }
        if found == expected {
            Ok(())
        } else {
            Err(format!("{pattern} on {text:?}: {found:?} != {expected:?}"))
        }
    }

    #[test]
    fn groups_are_the_regex_crates_on_generated_texts() {
        let patterns = [
            r"^(?P<a>a+)(?P<b>a*)b",
            r"(?P<x>ab|a)(?P<y>bc|c)?",
            r"^x(?:a|ab)(?P<rest>b*)$",
            r"(?P<lazy>a+?)(?P<tail>a*)",
            r"^(?:(?P<ip>\d{1,3}(?:\.\d{1,3}){3})|(?P<dns>[\w.-]*\w))(?::\d+)?$",
            r#"^S="(?:A|B)"(?:(?:,\w+="[^"]*")*|.*?),R="(?P<h>[^"]+)"(?:,\w+="[^"]*")*$"#,
            r"\bfor (?P<user>\S+?)\s*(?:from (?P<h>\S+))?\s*$",
            r"(?m)^line (?P<n>\d+)$",
            r"a{2,3}?(?P<g>a{0,2})b",
            r"(?i)failed\s+(?P<w>[a-z]+)",
            r"\Bb+\b(?P<e>)",
            r"(?:ab){2}(?P<c>c?)",
            // Repeated groups: each keeps what its last pass took.
            r"^(?:(?P<a>a)|b)*c",
            r"(?:x(?P<g>a)?|b)*",
            r"^(?:(?:user=(?P<u>[^,]*)|\w+=[^,]*), )*ip=(?P<h>\S+)",
            r"(?:a(?P<b>b)?)+ab",
            r"^(?:(?P<p>a|ab)(?P<q>c|bcd))*(?P<r>d*)$",
            r"(?:(?P<one>a)|(?P<two>b)){2,3}?(?P<end>b*)",
            r"(?:(?P<w>\w+)=(?P<v>[^,]*),?)+ x",
        ];
        let alphabet = [
            "a", "b", "c", "x", " ", "1", ".", "\"", ",", "=", "S", "R", "A", "\n", "for ",
            "from ", "line ", ":", "_", "d", "user=", "ip=", ", ",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut failures = Vec::new();
        for pattern in patterns {
            for _ in 0..600 {
                let mut text = String::new();
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                for i in 0..(seed % 14) {
                    text.push_str(alphabet[((seed >> (4 * i)) % alphabet.len() as u64) as usize]);
                }
                if let Err(error) = compare(pattern, &text) {
                    failures.push(error);
                }
            }
        }
        for (pattern, text) in [
            (
                r#"^S="(?:A|B)"(?:(?:,\w+="[^"]*")*|.*?),R="(?P<h>[^"]+)"(?:,\w+="[^"]*")*$"#,
                r#"S="A",k="v",R="1.2.3.4",z="q""#,
            ),
            (
                r"\bfor (?P<user>\S+?)\s*(?:from (?P<h>\S+))?\s*$",
                "x for root from 10.0.0.1 ",
            ),
            (r"(?m)^line (?P<n>\d+)$", "junk\nline 42\nmore"),
            (
                r"^(?:(?:user=(?P<u>[^,]*)|\w+=[^,]*), )*ip=(?P<h>\S+)",
                "user=bob, method=x, user=, ip=1.2.3.4",
            ),
            (
                r"^(?:(?:user=(?P<u>[^,]*)|\w+=[^,]*), )*ip=(?P<h>\S+)",
                "user=bob, method=x, ip=1.2.3.4",
            ),
        ] {
            if let Err(error) = compare(pattern, text) {
                failures.push(error);
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn patterns_it_does_not_take() {
        for pattern in [r"(a*)*b", r"(?:(?P<g>a?)b?)+", r"(?mR)^x$"] {
            let taken = regex_syntax::parse(pattern)
                .ok()
                .and_then(|hir| Backtracker::new(&hir, &[], &[], false));
            assert!(taken.is_none(), "{pattern}");
        }
    }

    #[test]
    fn a_long_line_does_not_grow_the_stack_without_bound() {
        let hir = regex_syntax::parse(r"^(?:a|ab)*x").ok();
        let backtracker = hir
            .as_ref()
            .and_then(|hir| Backtracker::new(hir, &[], &[], false));
        let mut slots = Vec::new();
        let short = "a".repeat(1000) + "x";
        assert_eq!(
            backtracker
                .as_ref()
                .map(|b| b.run(short.as_bytes(), 0, &mut slots)),
            Some(Outcome::Match(1001))
        );
        let long = "a".repeat(MAX_STEPS + 10) + "x";
        assert_eq!(
            backtracker.map(|b| b.run(long.as_bytes(), 0, &mut slots)),
            Some(Outcome::GaveUp)
        );
        let capacity = STACK.with(|stack| stack.borrow().capacity());
        assert!(capacity <= KEPT_FRAMES, "{capacity} frames kept");
    }

    #[test]
    fn an_exponential_pattern_gives_up() {
        let hir = regex_syntax::parse(r"^(?:a|aa)+(?:a|aa)+(?:a|aa)+c$").ok();
        let backtracker = hir
            .as_ref()
            .and_then(|hir| Backtracker::new(hir, &[], &[], false));
        let text = "a".repeat(60);
        let mut slots = Vec::new();
        assert_eq!(
            backtracker.map(|b| b.run(text.as_bytes(), 0, &mut slots)),
            Some(Outcome::GaveUp)
        );
    }
}

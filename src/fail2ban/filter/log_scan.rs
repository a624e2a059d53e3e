//! A whole log through a filter, as `bantop regex` reads one: in large blocks of whole lines,
//! and, for a single-line filter ([`CompiledFilter::finds_lines_apart`]), each block cut into
//! parts matched on their own threads, which share the one compiled filter (each keeps its own
//! [`FilterState`]). What a line takes from the lines before it is the time of the last dated
//! line, handed to each part by reading the dates of the lines before it from the end (usually
//! one line), and, with `<F-MLFID>`, the entry of its multi-line id: the parts give back such
//! failures unmerged, and they are merged on one thread in line order with one state
//! ([`CompiledFilter::settle`]). Failures come back in line order, exactly as one thread finds
//! them. Lines are split at `\n`; a line that is not UTF-8 is read with replacement characters,
//! and NUL bytes or a very long line are just text.

use super::compiled::CompiledFilter;
use super::matcher::{FilterMatch, LineFind, Unmerged};
use super::state::FilterState;
use std::collections::VecDeque;
use std::io::Read;
use std::ops::{ControlFlow, Range};
use std::sync::{Arc, Mutex, mpsc};

/// Bytes read at a time (a block holds whole lines; a longer line makes it grow).
const BLOCK: usize = 1 << 20;

/// What a scan read: its lines, those the filter ignored (see [`FilterState::take_ignored`]),
/// and the dates each date template found (see [`FilterState::take_date_hits`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// Lines read.
    pub lines: u64,
    /// Lines an ignoreregex kept from failing.
    pub ignored: u64,
    /// Dates found, by template, in the order of [`CompiledFilter::date_templates`].
    pub date_hits: Vec<u64>,
}

impl Totals {
    /// These totals with those of the lines after them.
    fn add(&mut self, after: Totals) {
        self.lines += after.lines;
        self.ignored += after.ignored;
        if self.date_hits.len() < after.date_hits.len() {
            self.date_hits.resize(after.date_hits.len(), 0);
        }
        for (hits, more) in self.date_hits.iter_mut().zip(after.date_hits) {
            *hits += more;
        }
    }

    /// These totals stopped after `line` of the lines after them.
    fn stopped_at(mut self, line: u64) -> Totals {
        self.lines += line;
        self
    }
}

/// Matches every line of `reader` with `filter` on up to `jobs` threads. Each failure is made
/// into what the caller needs by `prepare` (given the line that completed it), on the thread
/// that found it (one of a multi-line id: on the thread that merged it), and given to `each`
/// with its 1-based line number, in order (`each` returns false to stop). Returns what the
/// lines read add up to.
pub fn scan<T: Send>(
    reader: impl Read,
    filter: &CompiledFilter,
    now: f64,
    jobs: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    let mut state = FilterState::default();
    scan_in_blocks(reader, filter, &mut state, now, jobs, BLOCK, prepare, each)
}

/// As [`scan`], going on from `state`: the multi-line ids and the last date the lines before
/// left, which the lines read leave as one thread matching them in order would (when `each`
/// did not stop them), so that lines read later (the same log followed) continue the
/// connections they began.
pub fn scan_continuing<T: Send>(
    reader: impl Read,
    filter: &CompiledFilter,
    state: &mut FilterState,
    now: f64,
    jobs: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    scan_in_blocks(reader, filter, state, now, jobs, BLOCK, prepare, each)
}

/// [`scan_continuing`] in blocks of `block_size` bytes (or a longer line).
#[allow(clippy::too_many_arguments)]
fn scan_in_blocks<T: Send>(
    mut reader: impl Read,
    filter: &CompiledFilter,
    state: &mut FilterState,
    now: f64,
    jobs: usize,
    block_size: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    if jobs <= 1 || !filter.finds_lines_apart() {
        return scan_alone(reader, filter, state, now, block_size, prepare, each);
    }
    // Workers for the whole run, each with its own state of the one shared filter, take parts from one queue as they
    // get free (an uneven part holds up no other worker), and send each part's failures back
    // on the part's own channel.
    let (part_sender, parts) = mpsc::channel::<(Part, mpsc::Sender<Found<T>>)>();
    let merging = state;
    let parts = Mutex::new(parts);
    std::thread::scope(|scope| {
        let mut workers = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let mut state = FilterState::default();
            let parts = &parts;
            workers.push(scope.spawn(move || {
                loop {
                    let next = match parts.lock() {
                        Ok(parts) => parts.recv(),
                        Err(_) => return,
                    };
                    let Ok((part, found_sender)) = next else {
                        return;
                    };
                    state.set_last_date(part.last_date);
                    let found = match_part(
                        filter,
                        &mut state,
                        &part.block[part.range],
                        now,
                        prepare,
                        false,
                    );
                    // The block is let go before its failures are told, so that the reader
                    // gets it back for the next one.
                    drop(part.block);
                    if found_sender.send(found).is_err() {
                        return;
                    }
                }
            }));
        }
        let mut before = Totals::default();
        // The last date of all the lines before the block being read.
        let mut carried_date = merging.last_date;
        let mut buffer = Vec::new();
        // Blocks handed out and not yet collected (with their parts' channels, in order), and
        // buffers to read into again. Blocks are collected only while more than
        // `IN_FLIGHT - 1` are out: the workers never wait for the reading.
        let mut in_flight: VecDeque<HandedOut<T>> = VecDeque::new();
        let mut spare: Vec<Vec<u8>> = Vec::new();
        let outcome = 'blocks: loop {
            let (whole, at_end) = match next_block(&mut reader, &mut buffer, block_size) {
                Ok(read) => read,
                Err(error) => break Err(error),
            };

            // The whole lines become the block; the part line left over starts the next buffer,
            // one the workers are done with when there is one (no fresh memory per block).
            let mut next = spare.pop().unwrap_or_default();
            next.clear();
            next.extend_from_slice(&buffer[whole..]);
            buffer.truncate(whole);
            let block = Arc::new(std::mem::replace(&mut buffer, next));
            let this_one = !block.is_empty();
            if this_one {
                // Each part starts with the last date of the lines before it.
                let mut start = 0;
                let mut receivers = Vec::new();
                for end in part_ends(&block, jobs) {
                    let last_date = last_date_in(filter, &block[..start], now).or(carried_date);
                    let part = Part {
                        block: Arc::clone(&block),
                        range: start..end,
                        last_date,
                    };
                    let (found_sender, found) = mpsc::channel();
                    if part_sender.send((part, found_sender)).is_err() {
                        break 'blocks Err(std::io::Error::other("a matching thread failed"));
                    }
                    receivers.push((start..end, found));
                    start = end;
                }
                carried_date = last_date_in(filter, &block, now).or(carried_date);
                in_flight.push_back((block, receivers));
            }
            // Then the failures of the oldest blocks, and, at the end, of all of them.
            let finished = at_end || !this_one;
            let keep = if finished { 0 } else { IN_FLIGHT - 1 };
            while in_flight.len() > keep {
                let Some((done, receivers)) = in_flight.pop_front() else {
                    break;
                };
                for (range, found) in receivers {
                    let Ok((part, failures)) = found.recv() else {
                        break 'blocks Err(std::io::Error::other("a matching thread failed"));
                    };
                    let lines = &done[range];
                    let told = tell(
                        filter,
                        merging,
                        lines,
                        failures,
                        before.lines,
                        prepare,
                        each,
                    );
                    if let ControlFlow::Break(line) = told {
                        break 'blocks Ok(std::mem::take(&mut before).stopped_at(line));
                    }
                    before.add(part);
                }
                if let Ok(done) = Arc::try_unwrap(done) {
                    spare.push(done);
                }
            }
            if finished {
                merging.set_last_date(carried_date);
                break Ok(std::mem::take(&mut before));
            }
        };
        // Every worker is joined (a panic is an error here, not a second panic).
        drop(part_sender);
        let joined: Vec<_> = workers.into_iter().map(|handle| handle.join()).collect();
        if joined.iter().any(Result::is_err) {
            return Err(std::io::Error::other("a matching thread failed"));
        }
        outcome
    })
}

/// Blocks read ahead of the one whose failures are being collected, at most.
const IN_FLIGHT: usize = 3;

/// What a part gives back: what its lines add up to, and its failures by line number within
/// it.
type Found<T> = (Totals, Vec<(u64, Failure<T>)>);

/// A failure as a part gives it back.
enum Failure<T> {
    /// Made into what the caller needs, on the thread that found it.
    Prepared(T),
    /// Found in the line at `Range` of the part, to merge into the entry of its multi-line id
    /// in line order.
    Unmerged(Unmerged, Range<usize>),
}

/// A block handed out to the workers, and where its parts are with the channels of their
/// failures, in order.
type HandedOut<T> = (Arc<Vec<u8>>, Vec<(Range<usize>, mpsc::Receiver<Found<T>>)>);

/// A part of a block for a worker: the lines in `range`, after lines whose last date is
/// `last_date`.
struct Part {
    block: Arc<Vec<u8>>,
    range: std::ops::Range<usize>,
    last_date: Option<f64>,
}

/// One thread, one state, every line in order (a filter with `maxlines` > 1, or `--jobs 1`).
fn scan_alone<T>(
    mut reader: impl Read,
    filter: &CompiledFilter,
    state: &mut FilterState,
    now: f64,
    block_size: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    let (mut before, mut buffer) = (Totals::default(), Vec::new());
    loop {
        let (whole, at_end) = next_block(&mut reader, &mut buffer, block_size)?;
        let lines = &buffer[..whole];
        let (part, failures) = match_part(filter, state, lines, now, prepare, true);
        let told = tell(filter, state, lines, failures, before.lines, prepare, each);
        if let ControlFlow::Break(line) = told {
            return Ok(before.stopped_at(line));
        }
        before.add(part);
        if at_end {
            return Ok(before);
        }
        buffer.drain(..whole);
    }
}

/// The time of the last dated line of `lines`, read from the end (fail2ban's `__lastDate` after
/// them, when they have one).
fn last_date_in(filter: &CompiledFilter, lines: &[u8], now: f64) -> Option<f64> {
    lines
        .rsplit(|b| *b == b'\n')
        .find_map(|line| filter.line_time(&String::from_utf8_lossy(line), now))
}

/// Reads on after what `buffer` holds (the part line left from the block before) until it
/// holds at least one whole line. Returns how many bytes of it are whole lines (all of them at
/// the end of the input), and whether the input ended.
fn next_block(
    reader: &mut impl Read,
    buffer: &mut Vec<u8>,
    block_size: usize,
) -> std::io::Result<(usize, bool)> {
    loop {
        let filled = buffer.len();
        // Appended into the buffer's spare room, which is not zeroed first.
        let read = reader
            .by_ref()
            .take(block_size as u64)
            .read_to_end(buffer)?;
        if read == 0 {
            return Ok((buffer.len(), true));
        }
        if let Some(last) = memchr::memrchr(b'\n', &buffer[filled..]) {
            return Ok((filled + last + 1, false));
        }
    }
}

/// Where each of `parts` pieces of whole lines of about equal size ends (some may be empty).
fn part_ends(block: &[u8], parts: usize) -> Vec<usize> {
    let mut ends = Vec::with_capacity(parts);
    let mut start = 0;
    for index in 1..parts {
        let target = (block.len() * index / parts).max(start);
        start = memchr::memchr(b'\n', &block[target..]).map_or(block.len(), |at| target + at + 1);
        ends.push(start);
    }
    ends.push(block.len());
    ends
}

/// What the lines of one part add up to, and its failures by line number within it. With
/// `settle` (one thread: `state` is the log's), failures of multi-line ids are merged at once
/// with `state`, while the line is at hand; otherwise they are given back unmerged.
fn match_part<T>(
    filter: &CompiledFilter,
    state: &mut FilterState,
    part: &[u8],
    now: f64,
    prepare: &dyn Fn(FilterMatch, &str) -> T,
    settle: bool,
) -> Found<T> {
    let mut failures = Vec::new();
    let mut lines = 0u64;
    let body = part.strip_suffix(b"\n").unwrap_or(part);
    if part.is_empty() {
        return (Totals::default(), failures);
    }
    // A part that is valid UTF-8 (almost every one) is checked once, in one pass, and its lines
    // are borrowed from it; otherwise each line is checked, and repaired where it must be.
    let valid = std::str::from_utf8(body).ok();
    // In such a part, the lines that hold none of the prefilter's literals are passed over in
    // one scan (from each line that holds one, the scan goes on at the next line).
    let screened = valid.is_some() && filter.screens_blocks();
    let mut literal = screened.then(|| filter.next_literal(body, 0)).flatten();
    let mut start = 0;
    while start <= body.len() {
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |at| start + at);
        let raw = &body[start..end];
        let text = match valid.and_then(|valid| valid.get(start..end)) {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => String::from_utf8_lossy(raw),
        };
        let line_start = start;
        start = end + 1;
        lines += 1;
        let found = if screened {
            let here = literal.take_if(|at| at.start < end);
            if here.is_some() {
                literal = filter.next_literal(body, start.min(body.len()));
            }
            let here = here.map(|at| at.start - line_start..at.end - line_start);
            filter.find_screened_line(state, &text, now, here)
        } else {
            filter.find_line(state, &text, now)
        };
        match found {
            Some(LineFind::Done(found)) => {
                failures.push((lines, Failure::Prepared(prepare(found, &text))));
            }
            Some(LineFind::Unmerged(found)) if settle => {
                if let Some(found) = filter.settle(state, found) {
                    failures.push((lines, Failure::Prepared(prepare(found, &text))));
                }
            }
            Some(LineFind::Unmerged(found)) => {
                failures.push((lines, Failure::Unmerged(found, line_start..end)));
            }
            None => {}
        }
    }
    let totals = Totals {
        lines,
        ignored: state.take_ignored(),
        date_hits: state.take_date_hits(),
    };
    (totals, failures)
}

/// Gives the failures `match_part` found in `part` (whose first line follows `before` lines)
/// to `each`, in order, those of a multi-line id merged first with `state`. Breaks with the
/// line (of the part) where `each` stopped.
fn tell<T>(
    filter: &CompiledFilter,
    state: &mut FilterState,
    part: &[u8],
    failures: Vec<(u64, Failure<T>)>,
    before: u64,
    prepare: &dyn Fn(FilterMatch, &str) -> T,
    each: &mut dyn FnMut(u64, T) -> bool,
) -> ControlFlow<u64> {
    for (line, failure) in failures {
        let told = match failure {
            Failure::Prepared(told) => told,
            Failure::Unmerged(unmerged, range) => {
                let Some(found) = filter.settle(state, unmerged) else {
                    continue;
                };
                let text = part.get(range).unwrap_or_default();
                prepare(found, &String::from_utf8_lossy(text))
            }
        };
        if !each(before + line, told) {
            return ControlFlow::Break(line);
        }
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fail2ban::config::FilterConf;
    use crate::fail2ban::date::Zone;
    use std::path::PathBuf;

    fn filter(failregex: &str) -> CompiledFilter {
        let conf = FilterConf {
            path: PathBuf::from("test.conf"),
            failregex: vec![failregex.to_string()],
            maxlines: 1,
            ..FilterConf::default()
        };
        CompiledFilter::compile(&conf, Zone::utc()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn results(log: &[u8], jobs: usize, block: usize) -> (u64, Vec<(u64, String, Option<f64>)>) {
        let filter = filter(r"fail from <HOST>$");
        let mut found = Vec::new();
        let now = 1_768_842_600.0;
        let prepare = |m: FilterMatch, _: &str| (m.host, m.time);
        let mut state = FilterState::default();
        let lines = scan_in_blocks(
            log,
            &filter,
            &mut state,
            now,
            jobs,
            block,
            &prepare,
            &mut |line, m| {
                found.push((line, m.0, m.1));
                true
            },
        );
        (lines.map(|totals| totals.lines).unwrap_or_default(), found)
    }

    #[test]
    fn parts_find_what_one_thread_finds_with_the_last_date_handed_on() {
        let mut log = Vec::new();
        for i in 0..3000u32 {
            match i % 7 {
                // Undated lines take the last date (recent: within 60 s of now).
                0 => log.extend_from_slice(format!("fail from 192.0.2.{}\n", i % 250).as_bytes()),
                1 => log.extend_from_slice(b"\xff\x00 not utf-8\n"),
                2 if i % 500 == 2 => {
                    log.extend_from_slice(&[[b'x'; 5000].as_slice(), b"\n"].concat())
                }
                _ => log.extend_from_slice(
                    format!(
                        "2026-01-19 17:{:02}:{:02} fail from 198.51.100.{}\n",
                        9 + i % 2,
                        i % 60,
                        i % 250
                    )
                    .as_bytes(),
                ),
            }
        }
        log.extend_from_slice(b"fail from 203.0.113.9");
        let one = results(&log, 1, BLOCK);
        assert_eq!(one.0, 3001);
        assert!(one.1.len() > 2500, "{}", one.1.len());
        assert!(
            one.1
                .iter()
                .any(|(_, host, time)| host.starts_with("192.0.2.") && time.is_some()),
            "undated lines take the last date"
        );
        for (jobs, block) in [(1, 1000), (2, BLOCK), (3, 1000), (7, 4096), (2, 64)] {
            assert_eq!(
                results(&log, jobs, block),
                one,
                "{jobs} jobs, blocks of {block}"
            );
        }
    }

    #[test]
    fn lines_screened_in_one_scan_are_matched_as_one_by_one() {
        // Literals that the date's cut makes ("[] fail from "), that stand in the date and
        // again after it ("-19 17:"), and lines with none, undated lines and `\r` endings.
        let conf = FilterConf {
            path: PathBuf::from("test.conf"),
            failregex: vec![
                r"^\[\] fail from <HOST>$".to_string(),
                r"^\S*x <HOST> -19 17:$".to_string(),
                r"^ ?again from <HOST>$".to_string(),
            ],
            maxlines: 1,
            ..FilterConf::default()
        };
        let filter = CompiledFilter::compile(&conf, Zone::utc()).unwrap_or_else(|e| panic!("{e}"));
        assert!(filter.screens_blocks());
        let mut log = String::new();
        for i in 0..400 {
            let line = match i % 8 {
                0 => format!(
                    "[2026-01-19 17:{:02}:00] fail from 192.0.2.{}",
                    i % 60,
                    i % 250
                ),
                1 => format!(
                    "[2026-01-19 17:{:02}:01]x 198.51.100.{} -19 17:",
                    i % 60,
                    i % 250
                ),
                2 => format!("again from 203.0.113.{}", i % 250),
                3 => format!("[2026-01-19 17:{:02}:02] nothing to see", i % 60),
                4 => format!(
                    "[2026-01-19 17:{:02}:03] fail from 192.0.2.{}\r",
                    i % 60,
                    i % 9
                ),
                5 => "no date and no literal".to_string(),
                6 => format!(
                    "2026-01-19 17:{:02}:04 again from 203.0.113.{}",
                    i % 60,
                    i % 7
                ),
                _ => format!("[2026-01-19 17:{:02}:05]] fail from 192.0.2.1", i % 60),
            };
            log.push_str(&line);
            log.push('\n');
        }
        let now = 1_768_842_600.0;
        let mut alone = FilterState::default();
        let expected: Vec<(u64, String, Option<f64>)> = log
            .lines()
            .zip(1..)
            .filter_map(|(line, n)| {
                filter
                    .match_line(&mut alone, line, None, now)
                    .map(|m| (n, m.host, m.time))
            })
            .collect();
        let kinds: std::collections::BTreeSet<u64> =
            expected.iter().map(|(n, ..)| (n - 1) % 8).collect();
        assert_eq!(kinds, [0, 1, 2, 4, 6].into(), "the kinds of line that fail");
        for jobs in [1, 3] {
            let mut found = Vec::new();
            let prepare = |m: FilterMatch, _: &str| (m.host, m.time);
            let lines = scan_in_blocks(
                log.as_bytes(),
                &filter,
                &mut FilterState::default(),
                now,
                jobs,
                700,
                &prepare,
                &mut |line, m| {
                    found.push((line, m.0, m.1));
                    true
                },
            );
            assert_eq!(lines.ok().map(|totals| totals.lines), Some(400));
            assert_eq!(found, expected, "{jobs} jobs");
        }
    }

    /// A failure as the tests compare them: line, host, time, captures, attempts, users.
    type Seen = (
        u64,
        String,
        Option<f64>,
        std::collections::BTreeMap<String, String>,
        usize,
        Vec<String>,
    );

    fn seen(
        m: FilterMatch,
    ) -> (
        String,
        Option<f64>,
        std::collections::BTreeMap<String, String>,
        usize,
        Vec<String>,
    ) {
        (m.host, m.time, m.captures, m.attempts, m.users)
    }

    #[test]
    fn multi_line_ids_merge_in_line_order_for_any_jobs_and_blocks() {
        // sshd's way: a connection's address comes on a nofail line, its failures later, on
        // lines of their own, interleaved with up to 120 other connections (more than the 100
        // the cache keeps), so ids span parts and blocks.
        let conf = FilterConf {
            path: PathBuf::from("test.conf"),
            prefregex: Some(
                r"^\s*<F-MLFID>\S+ sshd\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$".into(),
            ),
            failregex: vec![
                r"^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>".into(),
                r"^Failed \S+ for <F-USER>\S+</F-USER>(?: from <HOST>)?".into(),
                r"^<F-MLFFORGET><F-MLFGAINED>Accepted \w+</F-MLFGAINED></F-MLFFORGET> for <F-USER>\S+</F-USER>".into(),
                r"^<F-NOFAIL><F-MLFFORGET>Disconnected</F-MLFFORGET></F-NOFAIL> from <HOST>".into(),
                r"^Too many failures from <F-ID>\S+</F-ID>".into(),
            ],
            maxlines: 1,
            ..FilterConf::default()
        };
        let filter = CompiledFilter::compile(&conf, Zone::utc()).unwrap_or_else(|e| panic!("{e}"));
        assert!(filter.finds_lines_apart());
        let mut log = String::new();
        let mut seed = 7u64;
        for i in 0..6000u64 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let pick = seed >> 33;
            let pid = 1000 + pick % 120;
            let date = format!("2026-01-19 17:{:02}:{:02}", (i / 60) % 60, i % 60);
            let line = match (pick >> 8) % 9 {
                0 | 1 => format!(
                    "{date} pbx sshd[{pid}]: Connection from 192.0.2.{}",
                    pid % 250
                ),
                2..=4 => format!("{date} pbx sshd[{pid}]: Failed password for u{}", pick % 5),
                5 => format!(
                    "{date} pbx sshd[{pid}]: Failed password for root from 198.51.100.{}",
                    pick % 9
                ),
                6 => format!(
                    "{date} pbx sshd[{pid}]: Accepted publickey for u{}",
                    pick % 3
                ),
                7 => format!(
                    "{date} pbx sshd[{pid}]: Disconnected from 192.0.2.{}",
                    pid % 250
                ),
                _ if pick.is_multiple_of(3) => {
                    format!("pbx sshd[{pid}]: Too many failures from k{}", pick % 4)
                }
                _ => format!("{date} pbx cron[{pid}]: nothing"),
            };
            log.push_str(&line);
            log.push('\n');
        }
        let now = 1_768_842_600.0;
        let mut alone = FilterState::default();
        let expected: Vec<Seen> = log
            .lines()
            .zip(1..)
            .filter_map(|(line, n)| {
                let (host, time, captures, attempts, users) =
                    seen(filter.match_line(&mut alone, line, None, now)?);
                Some((n, host, time, captures, attempts, users))
            })
            .collect();
        assert!(expected.len() > 1000, "{}", expected.len());
        assert!(
            expected
                .iter()
                .any(|(_, _, _, c, ..)| c.get("user").is_some()
                    && c.get("ip4").is_some_and(|ip| ip.starts_with("192.0.2."))),
            "a failure takes the address of its connection's first line"
        );
        assert!(expected.iter().any(|(.., users)| users.len() > 1));
        let scanned = |jobs: usize, block: usize, lines: &str, state: &mut FilterState| {
            let mut found = Vec::new();
            let prepare = |m: FilterMatch, line: &str| (seen(m), line.to_string());
            let totals = scan_in_blocks(
                lines.as_bytes(),
                &filter,
                state,
                now,
                jobs,
                block,
                &prepare,
                &mut |n, (m, line)| {
                    found.push(((n, m.0, m.1, m.2, m.3, m.4), line));
                    true
                },
            );
            (totals.map(|t| t.lines).unwrap_or_default(), found)
        };
        let lines: Vec<&str> = log.lines().collect();
        for (jobs, block) in [
            (1, BLOCK),
            (1, 700),
            (2, BLOCK),
            (2, 64),
            (3, 1000),
            (7, 4096),
            (64, 5000),
        ] {
            let (count, found) = scanned(jobs, block, &log, &mut FilterState::default());
            assert_eq!(count, 6000);
            for ((n, ..), line) in &found {
                assert_eq!(line, lines[*n as usize - 1], "prepare is given the line");
            }
            let found: Vec<Seen> = found.into_iter().map(|(m, _)| m).collect();
            assert_eq!(found, expected, "{jobs} jobs, blocks of {block}");
            // Read in two goes, the second going on from the state the first left.
            let half = log.len() / 2;
            let half = half + log[half..].find('\n').unwrap_or_default() + 1;
            let mut state = FilterState::default();
            let (first, mut found) = scanned(jobs, block, &log[..half], &mut state);
            let (_, second) = scanned(jobs, block, &log[half..], &mut state);
            found.extend(
                second
                    .into_iter()
                    .map(|((n, h, t, c, a, u), line)| ((n + first, h, t, c, a, u), line)),
            );
            let found: Vec<Seen> = found.into_iter().map(|(m, _)| m).collect();
            assert_eq!(
                found, expected,
                "{jobs} jobs, blocks of {block}, in two goes"
            );
        }
    }

    #[test]
    fn parts_end_after_newlines() {
        let block = b"a\nbb\nccc\ndddd\n";
        let ends = part_ends(block, 3);
        assert_eq!(ends.last(), Some(&block.len()));
        assert!(ends.iter().all(|end| block[end - 1] == b'\n'), "{ends:?}");
        assert!(ends.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(part_ends(b"x", 4), vec![1, 1, 1, 1]);
    }
}

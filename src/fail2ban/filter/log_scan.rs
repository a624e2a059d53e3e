//! A whole log through a filter, as `bantop regex` reads one: in large blocks of whole lines,
//! and, for a filter whose lines are independent ([`CompiledFilter::lines_independent`]), each
//! block cut into parts matched on their own threads, which share the one compiled filter (each
//! keeps its own [`FilterState`]). The one state a line passes on, the time of the
//! last dated line, is handed to each part by reading the dates of the lines before it from the
//! end (usually one line). Failures come back in line order, exactly as one thread finds them.
//! Lines are split at `\n`; a line that is not UTF-8 is read with replacement characters, and
//! NUL bytes or a very long line are just text.

use super::compiled::CompiledFilter;
use super::matcher::FilterMatch;
use super::state::FilterState;
use std::collections::VecDeque;
use std::io::Read;
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
/// that found it (the failure itself
/// never crosses threads), and given to `each` with its 1-based line number, in order (`each`
/// returns false to stop). Returns what the lines read add up to.
pub fn scan<T: Send>(
    reader: impl Read,
    filter: &CompiledFilter,
    now: f64,
    jobs: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    scan_in_blocks(reader, filter, now, jobs, BLOCK, prepare, each)
}

/// As [`scan`], going on from `state` where a line depends on the lines before it (a
/// multi-line filter, or one job): the lines are matched in order with `state`, which they
/// leave as the last one left it, so that lines read later (the same log followed) continue
/// the connections they began.
pub fn scan_continuing<T: Send>(
    reader: impl Read,
    filter: &CompiledFilter,
    state: &mut FilterState,
    now: f64,
    jobs: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    if jobs <= 1 || !filter.lines_independent() {
        return scan_alone_with(reader, filter, state, now, BLOCK, prepare, each);
    }
    scan(reader, filter, now, jobs, prepare, each)
}

fn scan_in_blocks<T: Send>(
    mut reader: impl Read,
    filter: &CompiledFilter,
    now: f64,
    jobs: usize,
    block_size: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    if jobs <= 1 || !filter.lines_independent() {
        return scan_alone(reader, filter, now, block_size, prepare, each);
    }
    // Workers for the whole run, each with its own state of the one shared filter, take parts from one queue as they
    // get free (an uneven part holds up no other worker), and send each part's failures back
    // on the part's own channel.
    let (part_sender, parts) = mpsc::channel::<(Part, mpsc::Sender<Found<T>>)>();
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
                    let found =
                        match_part(filter, &mut state, &part.block[part.range], now, prepare);
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
        let mut carried_date = None;
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
                    start = end;
                    let (found_sender, found) = mpsc::channel();
                    if part_sender.send((part, found_sender)).is_err() {
                        break 'blocks Err(std::io::Error::other("a matching thread failed"));
                    }
                    receivers.push(found);
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
                for found in receivers {
                    let Ok((part, failures)) = found.recv() else {
                        break 'blocks Err(std::io::Error::other("a matching thread failed"));
                    };
                    for (line, failure) in failures {
                        if !each(before.lines + line, failure) {
                            break 'blocks Ok(std::mem::take(&mut before).stopped_at(line));
                        }
                    }
                    before.add(part);
                }
                if let Ok(done) = Arc::try_unwrap(done) {
                    spare.push(done);
                }
            }
            if finished {
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
type Found<T> = (Totals, Vec<(u64, T)>);

/// A block handed out to the workers, and the channels of its parts' failures, in order.
type HandedOut<T> = (Arc<Vec<u8>>, Vec<mpsc::Receiver<Found<T>>>);

/// A part of a block for a worker: the lines in `range`, after lines whose last date is
/// `last_date`.
struct Part {
    block: Arc<Vec<u8>>,
    range: std::ops::Range<usize>,
    last_date: Option<f64>,
}

/// One thread, one state, every line in order (a multi-line filter, or `--jobs 1`).
fn scan_alone<T>(
    reader: impl Read,
    filter: &CompiledFilter,
    now: f64,
    block_size: usize,
    prepare: &(dyn Fn(FilterMatch, &str) -> T + Sync),
    each: &mut dyn FnMut(u64, T) -> bool,
) -> std::io::Result<Totals> {
    let mut state = FilterState::default();
    scan_alone_with(reader, filter, &mut state, now, block_size, prepare, each)
}

/// [`scan_alone`] from `state`.
fn scan_alone_with<T>(
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
        let (part, failures) = match_part(filter, state, &buffer[..whole], now, prepare);
        for (line, failure) in failures {
            if !each(before.lines + line, failure) {
                return Ok(before.stopped_at(line));
            }
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

/// What the lines of one part add up to, and its failures by line number within it.
fn match_part<T>(
    filter: &CompiledFilter,
    state: &mut FilterState,
    part: &[u8],
    now: f64,
    prepare: &dyn Fn(FilterMatch, &str) -> T,
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
            filter.match_screened_line(state, &text, now, here)
        } else {
            filter.match_line(state, &text, None, now)
        };
        if let Some(found) = found {
            failures.push((lines, prepare(found, &text)));
        }
    }
    let totals = Totals {
        lines,
        ignored: state.take_ignored(),
        date_hits: state.take_date_hits(),
    };
    (totals, failures)
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
        let lines = scan_in_blocks(log, &filter, now, jobs, block, &prepare, &mut |line, m| {
            found.push((line, m.0, m.1));
            true
        });
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

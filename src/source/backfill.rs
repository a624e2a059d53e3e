//! Where to start reading a log so the last `findtime` is counted at start-up: the file is read
//! backwards, a chunk at a time, until a line older than the cut-off is found. Only the tail is
//! ever read, so a 1 GB log costs no more than its recent lines (at most [`MAX_BACKFILL`]).
//! Only a regular file is read: a FIFO or a device as logpath is an error here.

use super::regular::{OpenError, open_regular};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The most that is read backwards.
pub const MAX_BACKFILL: u64 = 64 * 1024 * 1024;
/// Bytes read backwards at a time.
const CHUNK: u64 = 256 * 1024;

/// The offset of the first line whose time (by `time_of`) is at or after `cutoff`; lines
/// without a readable time go with their neighbours.
pub fn start_offset(
    path: &Path,
    cutoff: f64,
    time_of: &dyn Fn(&str) -> Option<f64>,
) -> std::io::Result<u64> {
    let mut file = open_regular(path).map_err(|error| match error {
        OpenError::Io(error) => error,
        other => std::io::Error::other(other),
    })?;
    let len = file.metadata()?.len();
    let floor = len.saturating_sub(MAX_BACKFILL);
    let mut end = len;
    // Bytes after `end` already examined belong to lines at or after the cut-off.
    let mut carry: Vec<u8> = Vec::new();
    while end > floor {
        let start = end.saturating_sub(CHUNK).max(floor);
        let mut chunk = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&carry);
        // Lines whose start is inside this chunk (the first piece may begin before it).
        let mut line_end = chunk.len();
        let mut newlines: Vec<usize> = chunk
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect();
        newlines.reverse();
        for newline in newlines {
            let line = &chunk[newline + 1..line_end];
            if let Some(time) = time_of(&String::from_utf8_lossy(line))
                && time < cutoff
            {
                // The older line ends at `line_end`: recent lines start after its newline.
                return Ok((start + line_end as u64 + 1).min(len));
            }
            line_end = newline;
        }
        if start == 0 {
            let first = &chunk[..line_end];
            if let Some(time) = time_of(&String::from_utf8_lossy(first))
                && time < cutoff
            {
                return Ok((line_end as u64 + 1).min(len));
            }
            return Ok(0);
        }
        carry = chunk[..line_end].to_vec();
        end = start;
    }
    // Nothing older within reach: start at the first whole line of the window.
    Ok(if floor == 0 {
        0
    } else {
        next_line_start(&mut file, floor)?
    })
}

fn next_line_start(file: &mut File, from: u64) -> std::io::Result<u64> {
    file.seek(SeekFrom::Start(from))?;
    let mut buffer = [0u8; 4096];
    let mut offset = from;
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(offset);
        }
        if let Some(i) = buffer[..read].iter().position(|b| *b == b'\n') {
            return Ok(offset + i as u64 + 1);
        }
        offset += read as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_of(line: &str) -> Option<f64> {
        line.split_whitespace().next()?.parse().ok()
    }

    #[test]
    fn starts_at_the_first_recent_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.log");
        let text: String = (0..100_000)
            .map(|t| format!("{t} line number {t}\n"))
            .collect();
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{e}"));
        let offset = start_offset(&path, 99_990.0, &time_of).unwrap_or(0) as usize;
        assert!(
            text[offset..].starts_with("99990 line"),
            "{}",
            &text[offset..offset + 20]
        );
        assert_eq!(start_offset(&path, 0.0, &time_of).ok(), Some(0));
        assert_eq!(
            start_offset(&path, 1e9, &time_of).ok(),
            Some(text.len() as u64)
        );
        let offset = start_offset(&path, 12_345.0, &time_of).unwrap_or(0) as usize;
        assert!(
            text[offset..].starts_with("12345 line"),
            "across chunks: {}",
            &text[offset..offset + 20]
        );
    }
}

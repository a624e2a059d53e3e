//! Lines of a remote stream, each bounded, read so that a `tokio::select!` may drop a read
//! half-way (a timer won) without losing or splitting a line: what was read stays in the
//! buffer for the next call.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

/// The longest line kept; longer ones are skipped and counted.
pub const MAX_LINE: usize = 64 << 10;

/// A reader of bounded lines.
pub struct Lines<R> {
    reader: BufReader<R>,
    buffer: Vec<u8>,
    skipping: bool,
    /// Lines longer than [`MAX_LINE`] skipped so far.
    pub skipped: u64,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    /// Lines of `reader`.
    pub fn new(reader: R) -> Self {
        Lines {
            reader: BufReader::with_capacity(1 << 16, reader),
            buffer: Vec::new(),
            skipping: false,
            skipped: 0,
        }
    }

    /// The next line (without its newline), or `None` at the end. Cancel-safe.
    pub async fn next_line(&mut self) -> Option<String> {
        loop {
            // At most one byte past the limit is read, so a long line is told as such.
            let room = (MAX_LINE + 1).saturating_sub(self.buffer.len()).max(1) as u64;
            let read = (&mut self.reader)
                .take(room)
                .read_until(b'\n', &mut self.buffer)
                .await
                .ok()?;
            if self.buffer.last() == Some(&b'\n') {
                self.buffer.pop();
                let line = std::mem::take(&mut self.buffer);
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                return Some(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buffer.len() > MAX_LINE {
                if !self.skipping {
                    self.skipped += 1;
                    self.skipping = true;
                }
                self.buffer.clear();
                continue;
            }
            if read == 0 {
                // The end: a last line without its newline is still a line.
                let line = std::mem::take(&mut self.buffer);
                return (!line.is_empty() && !self.skipping)
                    .then(|| String::from_utf8_lossy(&line).into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A read dropped by a timer that wins again and again loses nothing (the fleet benchmark
    /// found lines cut in two when the buffer was cleared at each call).
    #[tokio::test]
    async fn reads_dropped_half_way_lose_no_line() {
        let (mut writer, reader) = tokio::io::duplex(64);
        let lines: Vec<String> = (0..2000)
            .map(|n| format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(n % 300)))
            .collect();
        let sent = lines.clone();
        tokio::spawn(async move {
            for line in sent {
                let _ = writer.write_all(line.as_bytes()).await;
                let _ = writer.write_all(b"\n").await;
            }
        });
        let mut reader = Lines::new(reader);
        let mut got = Vec::new();
        loop {
            tokio::select! {
                line = reader.next_line() => match line {
                    Some(line) => got.push(line),
                    None => break,
                },
                _ = tokio::task::yield_now() => {}
            }
        }
        assert_eq!(got, lines);
    }

    #[tokio::test]
    async fn a_long_line_is_skipped_and_counted() {
        let mut text = "a\n".to_string();
        text.push_str(&"B".repeat(MAX_LINE * 3));
        text.push_str("\nc\nlast");
        let mut reader = Lines::new(text.as_bytes());
        let mut got = Vec::new();
        while let Some(line) = reader.next_line().await {
            got.push(line);
        }
        assert_eq!(got, ["a", "c", "last"]);
        assert_eq!(reader.skipped, 1);
    }
}

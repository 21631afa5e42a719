//! Reading a saved JSONL trace line by line from any byte stream, with bounded memory: each
//! line is read as bytes up to a cap, checked to be UTF-8 (a bad byte is reported with its
//! line), then parsed with [`super::jsonl_read::from_line`]. Opening the file is the caller's
//! business; this module only sees a [`BufRead`].

use super::event::Event;
use super::jsonl_read::from_line;
use std::io::{BufRead, Read};

/// The longest line accepted. Real lines are under a few KiB (a `tls` line with a long chain is
/// the largest); the cap keeps a file without newlines from filling memory.
pub const MAX_LINE: usize = 1024 * 1024;

/// Why a trace could not be read, and on which line (1-based), when a line is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub line: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// The events of a JSONL trace, one per non-blank line, in file order. After the first error
/// the iterator ends.
pub struct EventReader<R> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    done: bool,
    max_line: usize,
}

impl<R: BufRead> EventReader<R> {
    pub fn new(input: R) -> EventReader<R> {
        EventReader {
            input,
            line: 0,
            buf: Vec::new(),
            done: false,
            max_line: MAX_LINE,
        }
    }

    /// The same, with lines of up to `max_line` bytes accepted (the app takes longer lines than
    /// [`MAX_LINE`], since their strings are cut to [`super::jsonl_read::MAX_TEXT`] when read).
    pub fn with_max_line(input: R, max_line: usize) -> EventReader<R> {
        EventReader {
            max_line,
            ..EventReader::new(input)
        }
    }

    /// Lines read so far (the number of the last line returned or refused).
    pub fn lines_read(&self) -> u64 {
        self.line
    }

    /// The next line's bytes without its line ending; None at the end of the input.
    fn next_line(&mut self) -> Result<Option<&[u8]>, String> {
        self.buf.clear();
        // One byte more than the cap: a line that fills it has no room left for its newline.
        let limit = self.max_line as u64 + 1;
        let n = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            return Ok(None);
        }
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        }
        if self.buf.len() > self.max_line {
            return Err(format!("longer than {} MiB", self.max_line / (1024 * 1024)));
        }
        Ok(Some(&self.buf))
    }
}

/// Parses one line's bytes: UTF-8 first (naming the first bad byte and where it is), then JSON.
fn parse(bytes: &[u8]) -> Result<Option<Event>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let byte = bytes.get(at).copied().unwrap_or(0);
        format!(
            "not UTF-8: byte 0x{byte:02x} at column {} (a trace is UTF-8 text)",
            at + 1
        )
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    match from_line(text) {
        Ok(event) => Ok(Some(event)),
        // The closing summary of a `--repeat` run is not an event.
        Err(_) if super::many::is_summary_line(text) => Ok(None),
        Err(reason) => Err(reason),
    }
}

/// Parses a block of whole lines (the last may lack its newline), the first of them line
/// `first_line` of the file, into `out`: the same lines as [`EventReader`] reads them (line
/// ending, cap, UTF-8, blank lines, the summary line) without copying each line first. Returns
/// how many lines it read, or the first line that could not be read.
///
/// The block is checked to be UTF-8 in one pass, and each line of it is scanned in place
/// ([`super::jsonl_scan::scan_at`]), the scan finding where the line ends; a line the scanner
/// is not sure of (or that reaches past the valid UTF-8) is cut at its newline and read the
/// general way, which gives every error its message.
pub fn parse_block(
    block: &[u8],
    first_line: u64,
    max_line: usize,
    out: &mut Vec<Event>,
) -> Result<u64, ReadError> {
    let valid = match std::str::from_utf8(block) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&block[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut line = first_line;
    let mut at = 0;
    let mut raw = Default::default();
    while at < block.len() {
        if let Some(end) = super::jsonl_scan::scan_at(valid, at, &mut raw) {
            let ends_line = block.get(end).is_none_or(|&b| b == b'\n');
            if ends_line && end - at <= max_line {
                if let Some(event) = super::jsonl_fast::event_of(&raw) {
                    out.push(event);
                    at = end + 1;
                    line += 1;
                    continue;
                }
            }
        }
        let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i);
        let mut bytes = &block[at..end];
        at = end + 1;
        if bytes.last() == Some(&b'\r') {
            bytes = &bytes[..bytes.len() - 1];
        }
        let parsed = if bytes.len() > max_line {
            Err(format!("longer than {} MiB", max_line / (1024 * 1024)))
        } else {
            parse(bytes)
        };
        match parsed {
            Ok(Some(event)) => out.push(event),
            Ok(None) => {}
            Err(reason) => {
                return Err(ReadError {
                    line: Some(line),
                    reason,
                })
            }
        }
        line += 1;
    }
    Ok(line - first_line)
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line += 1;
            let line = Some(self.line);
            let parsed = match self.next_line() {
                Ok(None) => break,
                Ok(Some(bytes)) => parse(bytes),
                Err(reason) => Err(reason),
            };
            match parsed {
                Ok(None) => continue,
                Ok(Some(event)) => return Some(Ok(event)),
                Err(reason) => {
                    self.done = true;
                    return Some(Err(ReadError { line, reason }));
                }
            }
        }
        self.done = true;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHASE: &str = r#"{"t":1,"conn":1,"kind":"phase","phase":"resolve"}"#;

    fn read(bytes: &[u8]) -> (Vec<Event>, Option<ReadError>) {
        let mut events = Vec::new();
        for item in EventReader::new(bytes) {
            match item {
                Ok(e) => events.push(e),
                Err(e) => return (events, Some(e)),
            }
        }
        (events, None)
    }

    #[test]
    fn lines_become_events_and_blank_lines_are_skipped() {
        let text = format!("{PHASE}\n\n{PHASE}\r\n{PHASE}");
        let (events, err) = read(text.as_bytes());
        assert_eq!(err, None);
        assert_eq!(events.len(), 3);
        assert!(read(b"").0.is_empty());
    }

    #[test]
    fn a_bad_byte_names_its_line_and_column() {
        let mut bytes = format!("{PHASE}\n{PHASE}\n").into_bytes();
        bytes.extend_from_slice(b"{\"t\":1,\"conn\":1,\"kind\":\"err\xff\"}\n");
        let (events, err) = read(&bytes);
        assert_eq!(events.len(), 2);
        let err = err.expect("refused");
        assert_eq!(err.line, Some(3));
        assert!(
            err.reason.contains("not UTF-8: byte 0xff at column 28"),
            "{err}"
        );
        assert!(err.to_string().starts_with("line 3: "));
    }

    #[test]
    fn a_line_over_the_cap_is_refused_without_reading_it_all() {
        let mut bytes = format!("{PHASE}\n").into_bytes();
        bytes.extend(std::iter::repeat_n(b' ', MAX_LINE + 10));
        bytes.extend_from_slice(format!("\n{PHASE}\n").as_bytes());
        let mut reader = EventReader::new(&bytes[..]);
        assert!(reader.next().is_some_and(|r| r.is_ok()));
        let err = reader.next().expect("an item").expect_err("too long");
        assert_eq!(err.line, Some(2));
        assert_eq!(err.reason, "longer than 1 MiB");
        assert!(reader.next().is_none(), "nothing after an error");
        // A line of exactly the cap (without its newline) is still read.
        let mut exact = vec![b' '; MAX_LINE - PHASE.len()];
        exact.extend_from_slice(PHASE.as_bytes());
        assert_eq!(read(&exact).0.len(), 1);
    }

    /// A block parsed in one go reads as the line reader reads it, errors and all.
    #[test]
    fn a_block_reads_as_the_line_reader_reads() {
        let text = format!("{PHASE}\r\n\n{PHASE}\n{PHASE}");
        let mut out = Vec::new();
        assert_eq!(parse_block(text.as_bytes(), 10, MAX_LINE, &mut out), Ok(4));
        assert_eq!(out, read(text.as_bytes()).0);
        let bad = format!("{PHASE}\n{{\"t\":1,\"conn\":1,\"kind\":\"bogus\"}}\n{PHASE}\n");
        let mut out = Vec::new();
        let err = parse_block(bad.as_bytes(), 10, MAX_LINE, &mut out).expect_err("bad line");
        assert_eq!(err.to_string(), "line 11: unknown kind \"bogus\"");
        assert_eq!(out.len(), 1);
        let long = format!("{PHASE}\n{}\n", " ".repeat(100));
        let err = parse_block(long.as_bytes(), 1, 64, &mut Vec::new()).expect_err("long");
        assert_eq!(
            (err.line, err.reason.as_str()),
            (Some(2), "longer than 0 MiB")
        );
    }

    /// What the in-place scan of a block must not take for a line: an object followed by a bad
    /// byte or by more text, or cut by a newline; blank lines and `\r\n` between.
    #[test]
    fn a_block_scanned_in_place_still_refuses_what_the_line_reader_refuses() {
        for tail in [&b"\xff"[..], b" x", b"\r", b"\t \r", b""] {
            let mut block = format!("{PHASE}\r\n\n  \n").into_bytes();
            block.extend_from_slice(PHASE.as_bytes());
            block.extend_from_slice(tail);
            block.extend_from_slice(format!("\n{PHASE}").as_bytes());
            let mut out = Vec::new();
            let got = parse_block(&block, 1, MAX_LINE, &mut out).map_err(|e| e.to_string());
            let (expect, err) = read(&block);
            assert_eq!(out, expect, "{tail:?}");
            match err {
                Some(e) => assert_eq!(got, Err(e.to_string()), "{tail:?}"),
                None => assert_eq!(got, Ok(5), "{tail:?}"),
            }
        }
        let split = "{\"t\":1,\"conn\":1,\n\"kind\":\"phase\",\"phase\":\"resolve\"}\n";
        let err = parse_block(split.as_bytes(), 7, MAX_LINE, &mut Vec::new()).expect_err("cut");
        assert_eq!(err.line, Some(7));
    }

    #[test]
    fn parse_errors_keep_their_line() {
        let text = format!("{PHASE}\n{{\"t\":1,\"conn\":1,\"kind\":\"bogus\"}}\n{PHASE}\n");
        let (events, err) = read(text.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("line 2: unknown kind \"bogus\"")
        );
        let (_, err) = read(format!("{PHASE}\n{{\"t\":1,\"co").as_bytes());
        let err = err.expect("truncated");
        assert_eq!(err.line, Some(2));
        assert!(err.reason.starts_with("not JSON"), "{err}");
    }
}

//! Reading a big JSONL trace on several threads: one thread cuts the input into blocks of whole
//! lines, parser threads turn blocks into events ([`parse_block`]), and the calling thread gets
//! the events back in file order, so it can add them to a store while the next blocks are parsed.
//! Lines read exactly as [`super::jsonl_stream::EventReader`] reads them, the first bad line
//! ending the read with its line number.

use super::event::Event;
use super::jsonl_stream::{parse_block, ReadError};
use crossbeam_channel::{bounded, Receiver, Sender};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

/// Bytes of whole lines per block (a longer line makes a longer block, up to the line cap).
const BLOCK_BYTES: usize = 1 << 20;

/// One block of whole lines. Its lines are not counted here (that would be one more pass over
/// the bytes on the one splitting thread): the parser counts them and [`in_order`] numbers them.
struct Block {
    seq: u64,
    bytes: Vec<u8>,
    /// The input failed after this block (its lines are still read first).
    read_error: Option<String>,
}

/// A block's events, its lines, and the error that ended it, if one did (its line numbered
/// from 1 at the block's first line).
struct Parsed {
    seq: u64,
    events: Vec<Event>,
    lines: u64,
    end: Option<ReadError>,
}

/// Reads `input` to its end with `threads` parser threads, handing the events to `sink` in
/// file order, a block at a time. Returns the end: `Some(Ok)` when every line was read,
/// `Some(Err)` at the first line that could not be (what came before it was handed over), `None`
/// when `cancel` was set or `sink` returned false.
pub fn read_parallel<R: Read + Send>(
    input: R,
    max_line: usize,
    threads: usize,
    cancel: &AtomicBool,
    sink: impl FnMut(Vec<Event>) -> bool,
) -> Option<Result<(), ReadError>> {
    let threads = threads.max(1);
    let (block_tx, block_rx) = bounded::<Block>(threads * 2);
    let (parsed_tx, parsed_rx) = bounded::<Parsed>(threads * 2);
    std::thread::scope(|s| {
        s.spawn(move || split(input, max_line, cancel, &block_tx));
        for _ in 0..threads {
            let (rx, tx) = (block_rx.clone(), parsed_tx.clone());
            s.spawn(move || parse_blocks(&rx, &tx, max_line, cancel));
        }
        drop((block_rx, parsed_tx));
        // Returning drops the receiver, which stops the parsers and then the splitter.
        in_order(parsed_rx, cancel, sink)
    })
}

/// Cuts `input` into blocks of whole lines.
fn split(mut input: impl Read, max_line: usize, cancel: &AtomicBool, out: &Sender<Block>) {
    let mut seq = 0;
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (64 << 10));
    // buf[..clean] is known to hold no newline (a long line being read).
    let mut clean = 0;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let len = buf.len();
        buf.resize(len + (64 << 10), 0);
        let (n, read_error) = match input.read(&mut buf[len..]) {
            Ok(n) => (n, None),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                buf.truncate(len);
                continue;
            }
            Err(e) => (0, Some(format!("cannot read: {e}"))),
        };
        buf.truncate(len + n);
        let at_end = n == 0 || read_error.is_some();
        if at_end && read_error.is_none() && buf.is_empty() {
            return;
        }
        if !at_end && buf.len() < BLOCK_BYTES {
            continue;
        }
        // The block ends after its last newline; the rest starts the next one. A line longer
        // than the cap goes as it is (the parser refuses it), and so does the end of the input.
        let (cut, no_newline) = match memchr::memrchr(b'\n', &buf[clean..]) {
            Some(i) => (clean + i + 1, false),
            None if at_end || buf.len() > max_line => (buf.len(), true),
            None => {
                clean = buf.len();
                continue;
            }
        };
        clean = 0;
        let cut = if at_end { buf.len() } else { cut };
        let rest = buf[cut..].to_vec();
        buf.truncate(cut);
        let block = Block {
            seq,
            bytes: std::mem::replace(&mut buf, rest),
            read_error: read_error.clone(),
        };
        let stop = at_end || block.bytes.len() > max_line && no_newline;
        if out.send(block).is_err() || stop {
            return;
        }
        seq += 1;
    }
}

/// Parses blocks until there are no more (or no one wants them).
fn parse_blocks(rx: &Receiver<Block>, tx: &Sender<Parsed>, max_line: usize, cancel: &AtomicBool) {
    for block in rx {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let mut events = Vec::with_capacity(block.bytes.len() / 100);
        let (lines, end) = match parse_block(&block.bytes, 1, max_line, &mut events) {
            Err(e) => (0, Some(e)),
            Ok(lines) => (
                lines,
                block.read_error.map(|reason| ReadError {
                    line: Some(lines + 1),
                    reason,
                }),
            ),
        };
        let parsed = Parsed {
            seq: block.seq,
            events,
            lines,
            end,
        };
        if tx.send(parsed).is_err() {
            return;
        }
    }
}

/// Hands the parsed blocks to `sink` in file order.
fn in_order(
    rx: Receiver<Parsed>,
    cancel: &AtomicBool,
    mut sink: impl FnMut(Vec<Event>) -> bool,
) -> Option<Result<(), ReadError>> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    // Lines in the blocks handed over so far.
    let mut before = 0;
    for parsed in rx {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        waiting.insert(parsed.seq, parsed);
        while let Some(p) = waiting.remove(&next) {
            next += 1;
            if !p.events.is_empty() && !sink(p.events) {
                return None;
            }
            if let Some(mut e) = p.end {
                e.line = e.line.map(|n| before + n);
                return Some(Err(e));
            }
            before += p.lines;
        }
    }
    (!cancel.load(Ordering::Relaxed)).then_some(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::jsonl_stream::EventReader;

    const PHASE: &str = r#"{"t":1,"conn":1,"kind":"phase","phase":"resolve"}"#;

    fn both(text: &[u8], max_line: usize) -> (Vec<Event>, Option<Result<(), ReadError>>) {
        let mut events = Vec::new();
        let end = read_parallel(text, max_line, 2, &AtomicBool::new(false), |b| {
            events.extend(b);
            true
        });
        (events, end)
    }

    fn serial(text: &[u8], max_line: usize) -> (Vec<Event>, Result<(), ReadError>) {
        let mut events = Vec::new();
        for item in EventReader::with_max_line(text, max_line) {
            match item {
                Ok(e) => events.push(e),
                Err(e) => return (events, Err(e)),
            }
        }
        (events, Ok(()))
    }

    /// Many blocks, in order, with the same events and the same first bad line as one thread.
    #[test]
    fn blocks_come_back_in_file_order_as_one_thread_reads_them() {
        let mut text = String::new();
        for i in 0..60_000u64 {
            text.push_str(&PHASE.replace("\"t\":1", &format!("\"t\":{i}")));
            text.push_str(if i % 7 == 0 { "\r\n" } else { "\n" });
        }
        let (events, end) = both(text.as_bytes(), 1 << 20);
        assert_eq!(end, Some(Ok(())));
        assert_eq!(events.len(), 60_000);
        assert_eq!(events, serial(text.as_bytes(), 1 << 20).0);
        // A bad line deep in a later block: what came before it, then its number.
        text.push_str("{\"t\":1}\n");
        text.push_str(PHASE);
        let (events, end) = both(text.as_bytes(), 1 << 20);
        let (expect, err) = serial(text.as_bytes(), 1 << 20);
        assert_eq!(events, expect);
        assert_eq!(end, Some(err));
        assert_eq!(end.and_then(|e| e.err()).and_then(|e| e.line), Some(60_001));
    }

    #[test]
    fn a_line_over_the_cap_and_a_last_line_without_newline() {
        let mut text = format!("{PHASE}\n").into_bytes();
        text.extend(std::iter::repeat_n(b' ', 3 << 20));
        text.extend_from_slice(format!("\n{PHASE}").as_bytes());
        let (events, end) = both(&text, 1 << 20);
        assert_eq!(events.len(), 1);
        let err = end.and_then(|e| e.err()).expect("refused");
        assert_eq!(
            (err.line, err.reason.as_str()),
            (Some(2), "longer than 1 MiB")
        );
        let (events, end) = both(format!("{PHASE}\n{PHASE}").as_bytes(), 1 << 20);
        assert_eq!((events.len(), end), (2, Some(Ok(()))));
        assert_eq!(both(b"", 1 << 20), (Vec::new(), Some(Ok(()))));
    }

    #[test]
    fn a_sink_that_stops_or_a_cancel_ends_the_read() {
        let text = format!("{PHASE}\n").repeat(100_000);
        let mut batches = 0;
        let end = read_parallel(text.as_bytes(), 1 << 20, 2, &AtomicBool::new(false), |_| {
            batches += 1;
            false
        });
        assert_eq!((end, batches), (None, 1));
        let end = read_parallel(text.as_bytes(), 1 << 20, 2, &AtomicBool::new(true), |_| {
            true
        });
        assert_eq!(end, None);
    }
}

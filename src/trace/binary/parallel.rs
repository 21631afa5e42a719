//! Reading a binary trace on several threads, as [`crate::trace::jsonl_parallel`] reads JSONL:
//! one thread reads the file header and then block after block (each length checked before
//! its payload is allocated), decoder threads check and decode blocks, and the calling thread
//! gets the events back in file order, a block at a time, so it can add them to a store while
//! the next blocks are decoded. The first bad block ends the read with its byte offset.

use super::decode::{decode_block, read_block, read_header, Block};
use super::{BLOCK_HEADER_LEN, HEADER_LEN};
use crate::trace::event::Event;
use crate::trace::jsonl_stream::ReadError;
use crossbeam_channel::{bounded, Receiver, Sender};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

/// A block to decode, or the error that ended the file where it would have been.
struct Job {
    seq: u64,
    block: Result<Block, ReadError>,
}

/// A block's events, and the error that ended it, if one did.
struct Decoded {
    seq: u64,
    events: Vec<Event>,
    end: Option<ReadError>,
}

/// Reads the binary trace `input` (from its first byte) to its end with `threads` decoder
/// threads, handing the events to `sink` in file order, a block at a time. Returns
/// `Some(Ok)` when every block was read, `Some(Err)` at the first that could not be (what came
/// before it was handed over), `None` when `cancel` was set or `sink` returned false.
pub fn read_parallel<R: Read + Send>(
    input: R,
    threads: usize,
    cancel: &AtomicBool,
    sink: impl FnMut(Vec<Event>) -> bool,
) -> Option<Result<(), ReadError>> {
    let threads = threads.max(1);
    let (job_tx, job_rx) = bounded::<Job>(threads * 2);
    let (done_tx, done_rx) = bounded::<Decoded>(threads * 2);
    std::thread::scope(|s| {
        s.spawn(move || split(input, cancel, &job_tx));
        for _ in 0..threads {
            let (rx, tx) = (job_rx.clone(), done_tx.clone());
            s.spawn(move || decode_blocks(&rx, &tx, cancel));
        }
        drop((job_rx, done_tx));
        // Returning drops the receiver, which stops the decoders and then the splitter.
        in_order(done_rx, cancel, sink)
    })
}

/// Reads the header, then the blocks, until the end, an error or a cancel.
fn split(mut input: impl Read, cancel: &AtomicBool, out: &Sender<Job>) {
    if let Err(e) = read_header(&mut input) {
        let _ = out.send(Job {
            seq: 0,
            block: Err(e),
        });
        return;
    }
    let mut offset = HEADER_LEN as u64;
    for seq in 0.. {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let block = match read_block(&mut input, offset) {
            Ok(None) => return,
            Ok(Some(b)) => b,
            Err(e) => {
                let _ = out.send(Job { seq, block: Err(e) });
                return;
            }
        };
        offset += (BLOCK_HEADER_LEN + block.bytes.len()) as u64;
        if out
            .send(Job {
                seq,
                block: Ok(block),
            })
            .is_err()
        {
            return;
        }
    }
}

/// Decodes blocks until there are no more (or no one wants them).
fn decode_blocks(rx: &Receiver<Job>, tx: &Sender<Decoded>, cancel: &AtomicBool) {
    for job in rx {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let mut events = Vec::new();
        let end = match &job.block {
            Ok(block) => decode_block(block, &mut events).err(),
            Err(e) => Some(e.clone()),
        };
        drop(job.block);
        if tx
            .send(Decoded {
                seq: job.seq,
                events,
                end,
            })
            .is_err()
        {
            return;
        }
    }
}

/// Hands the decoded blocks to `sink` in file order.
fn in_order(
    rx: Receiver<Decoded>,
    cancel: &AtomicBool,
    mut sink: impl FnMut(Vec<Event>) -> bool,
) -> Option<Result<(), ReadError>> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for decoded in rx {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        waiting.insert(decoded.seq, decoded);
        while let Some(d) = waiting.remove(&next) {
            next += 1;
            if !d.events.is_empty() && !sink(d.events) {
                return None;
            }
            if let Some(e) = d.end {
                return Some(Err(e));
            }
        }
    }
    (!cancel.load(Ordering::Relaxed)).then_some(Ok(()))
}

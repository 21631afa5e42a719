//! What a fuzzer exercises: a trace file's bytes through the JSONL reader, then every event it
//! accepted through everything that reads events (the verdict, the diagnosis section, the text
//! writer, the app's store and its per-pixel queries). Shared by the stable in-tree fuzz test
//! (`tests/fuzz_trace.rs`) and the cargo-fuzz targets (`fuzz/`), so both hit the same code.
//!
//! Panics are the findings: nothing here may panic on any input. One property is checked too:
//! an event the reader accepted writes back to a line that reads as the same event, and
//! through the binary trace to the same event.
//!
//! An input whose first byte is the binary trace's ([`super::binary::is_binary`]) is read as
//! one instead, by the serial and the parallel reader (which must agree), and what they
//! accept must encode and decode back to the same events.

use super::diagnosis::Diagnoser;
use super::event::Event;
use super::jsonl::to_line;
use super::jsonl_read::from_line;
use super::store::{aggregate, Lane, Store};
use super::text::TextWriter;

/// Most lines taken from one input, so one input stays cheap.
const MAX_LINES: usize = 4096;

/// Runs one input. Panics (a finding) when a reader or analysis panics, or when an accepted
/// event does not survive a write/read round trip.
pub fn exercise(data: &[u8]) {
    let events = if super::binary::is_binary(data.first().copied()) {
        read_binary(data)
    } else {
        read_lines(data)
    };
    assert_binary_round_trip(&events);
    analyse(&events);
}

/// The events of a binary trace up to its first error; the parallel reader must hand over the
/// same events and end with the same error.
fn read_binary(data: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut end = None;
    for item in super::binary::decode::Reader::new(data) {
        match item {
            Ok(e) => events.push(e),
            Err(e) => end = Some(e),
        }
    }
    let mut parallel = Vec::new();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let pend = super::binary::parallel::read_parallel(data, 2, &cancel, |b| {
        parallel.extend(b);
        true
    });
    assert!(
        parallel == events && pend == Some(end.map_or(Ok(()), Err)),
        "the parallel binary reader disagrees with the serial one"
    );
    events.truncate(MAX_LINES);
    events
}

/// Accepted events written as a binary trace read back the same.
fn assert_binary_round_trip(events: &[Event]) {
    let mut bytes = Vec::new();
    let mut enc = super::binary::encode::Encoder::new();
    for e in events {
        // Writing to memory cannot fail, but for an event too large for a block.
        if enc.push(e, &mut bytes).is_err() {
            return;
        }
    }
    if enc.finish(&mut bytes).is_err() {
        return;
    }
    let back: Result<Vec<Event>, _> = super::binary::decode::Reader::new(&bytes[..]).collect();
    let kept: Vec<&Event> = events.iter().filter(|e| !e.kind.is_export_only()).collect();
    match back {
        Ok(back) => assert!(
            back.iter().eq(kept.iter().copied()),
            "accepted events did not read back the same through the binary trace"
        ),
        Err(e) => panic!("accepted events written as a binary trace were refused: {e}"),
    }
}

/// The events the reader accepts, one line at a time; lines that are not UTF-8 or not an event
/// are skipped (the reader's refusal is the behaviour under test, not an error here).
fn read_lines(data: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    for line in data.split(|&b| b == b'\n').take(MAX_LINES) {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        let Ok(event) = from_line(text) else {
            continue;
        };
        // Raw bytes and secrets have no line (they never go into a trace file).
        if let Some(written) = to_line(&event) {
            assert_eq!(
                from_line(&written).as_ref(),
                Ok(&event),
                "an accepted event did not read back the same after writing it\nline: {text}"
            );
        }
        events.push(event);
    }
    events
}

/// Everything that consumes events, fed the accepted ones in file order.
fn analyse(events: &[Event]) {
    let mut diagnoser = Diagnoser::new();
    let mut writer = TextWriter::new();
    let mut store = Store::new();
    let mut sink = std::io::sink();
    for e in events {
        let verdict = diagnoser.feed(e);
        for e in verdict.iter().chain(std::iter::once(e)) {
            // Writing to a sink cannot fail; a panic inside is what we look for.
            let _ = writer.write_event(e, &mut sink);
        }
        store.push(e);
    }
    for conn in diagnoser.conns() {
        let _ = diagnoser.section(conn);
    }
    let now = store.last_t;
    for c in &store.conns {
        let _ = c.verdict(now);
        let _ = c.status();
        let _ = c.stalled_since(now);
        let (t0, t1) = (c.first_t.min(now), c.end_at(now));
        let _ = aggregate(&c.calls(), t0, t1, 200);
        let _ = aggregate(&c.io(), t0, t1, 200);
        let _ = aggregate(&c.waits(), t0, t1, 200);
        let _ = c.inq.envelope(&c.events, t0, t1, 200);
        let _ = c.interesting_call();
        for i in 0..c.call_spans.len().min(64) {
            let _ = c.nested(i);
            let _ = c.wait_after(i);
            let _ = c.retry_run(i);
        }
        let mid = t0 / 2 + t1 / 2;
        for lane in Lane::ALL {
            if let Some(hit) = c.hit(lane, mid, t1.saturating_sub(t0) / 100 + 1) {
                let _ = hit.describe(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_line_passes_and_garbage_is_skipped() {
        let line = r#"{"t":10,"conn":1,"kind":"phase","phase":"connect"}"#;
        assert_eq!(read_lines(line.as_bytes()).len(), 1);
        assert!(read_lines(b"\xff\xfe{not json}\n{}\n").is_empty());
    }
}

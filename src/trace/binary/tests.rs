//! Tests of the binary trace: every kind round trips, many blocks read back in order on one
//! thread or several, and damaged files (cut short, a byte flipped, a wrong magic or version,
//! lengths over their caps, fields out of range) are refused with the byte offset.

use super::decode::Reader;
use super::encode::{Encoder, BLOCK_EVENTS};
use super::*;
use crate::trace::*;
use std::sync::atomic::AtomicBool;

fn encode(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new();
    for e in events {
        enc.push(e, &mut out).expect("to memory");
    }
    enc.finish(&mut out).expect("to memory");
    out
}

fn decode(bytes: &[u8]) -> (Vec<Event>, Option<ReadError>) {
    let mut events = Vec::new();
    for item in Reader::new(bytes) {
        match item {
            Ok(e) => events.push(e),
            Err(e) => return (events, Some(e)),
        }
    }
    (events, None)
}

fn decode_parallel(bytes: &[u8]) -> (Vec<Event>, Option<ReadError>) {
    let mut events = Vec::new();
    let end = parallel::read_parallel(bytes, 2, &AtomicBool::new(false), |b| {
        events.extend(b);
        true
    });
    (events, end.and_then(Result::err))
}

fn every_kind() -> Vec<Event> {
    let mut events = Vec::new();
    crate::trace::jsonl_read::tests::all_kinds(|kind| {
        let n = events.len() as u64;
        // Times that go back as well as forward, connections that change and repeat.
        let t = 1_000_000 + n * 7919 % 5000;
        events.push(Event {
            t,
            conn: (n % 3) as u32 + 1,
            kind,
        });
    });
    events
}

#[test]
fn every_kind_round_trips() {
    let events = every_kind();
    assert!(events.len() > 25, "{}", events.len());
    let bytes = encode(&events);
    assert_eq!(decode(&bytes), (events.clone(), None));
    assert_eq!(decode_parallel(&bytes), (events.clone(), None));
    // One at a time too (each first in its block, from time and connection 0).
    for e in events {
        assert_eq!(decode(&encode(std::slice::from_ref(&e))).0, vec![e]);
    }
}

/// A trace of several blocks with state texts, calls and times that go back: read back in
/// order, the same on one thread and on several, with fields at their extremes.
#[test]
fn many_blocks_read_back_in_order() {
    let mut events = Vec::new();
    let texts = [
        "SSLv3/TLS write client hello",
        "SSL negotiation finished successfully",
    ];
    for i in 0..(BLOCK_EVENTS as u64 * 2 + 123) {
        let conn = u32::MAX - 4 + (i / 1000) as u32 % 4;
        let call = (i / 3) as u32;
        let kind = match i % 6 {
            0 => EventKind::Io(Io::new(
                Some(call),
                Dir::Read,
                u32::MAX,
                (i % 7) as u32,
                i % 5 == 0,
                None,
            )),
            1 => EventKind::Call(Call::new(
                call,
                Op::ALL[i as usize % 11],
                i32::MIN,
                SslError::from_code((i % 300) as i32),
                i * 997,
            )),
            2 => EventKind::State(State::new(
                None,
                StateText::of_static(texts[i as usize % 2]),
                0x1001,
                -1,
            )),
            3 => EventKind::Io(Io::new(
                None,
                Dir::Write,
                5,
                0,
                false,
                Some((i % 65_534) as i32 + 1),
            )),
            4 => EventKind::Wait(Wait {
                interest: Interest::ReadWrite,
                dur: jsonl_read::MAX_NANOS,
                woke: Woke::Hangup,
            }),
            _ => EventKind::Phase(Phase::ALL[i as usize % 8]),
        };
        let t = if i % 2 == 0 { i * 1000 } else { i * 1000 - 700 };
        events.push(Event { t, conn, kind });
    }
    let bytes = encode(&events);
    assert!(bytes.len() < events.len() * 12, "{} bytes", bytes.len());
    let (back, err) = decode(&bytes);
    assert_eq!(err, None);
    assert!(back == events, "the events differ");
    let (back, err) = decode_parallel(&bytes);
    assert_eq!(err, None);
    assert!(back == events, "the events differ (parallel)");
}

#[test]
fn secrets_and_raw_bytes_are_never_written() {
    let secret = "CLIENT_RANDOM 0011 2233";
    let events = [
        Event {
            t: 1,
            conn: 1,
            kind: EventKind::Secret(secret.into()),
        },
        Event {
            t: 2,
            conn: 1,
            kind: EventKind::Wire(Box::new(Wire {
                call: None,
                dir: Dir::Write,
                moved: 3,
                data: Box::new(*b"GET"),
            })),
        },
        Event {
            t: 3,
            conn: 1,
            kind: EventKind::Phase(Phase::Connect),
        },
    ];
    let bytes = encode(&events);
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert!(!bytes.windows(3).any(|w| w == b"GET"));
    assert_eq!(decode(&bytes).0, vec![events[2].clone()]);
}

fn small() -> Vec<u8> {
    encode(&every_kind()[..12])
}

/// The reason of a refusal, which must name a byte offset.
fn refusal(bytes: &[u8]) -> String {
    let (_, err) = decode(bytes);
    let err = err.expect("refused");
    assert!(err.reason.starts_with("at byte "), "{}", err.reason);
    assert_eq!(
        decode_parallel(bytes).1.as_ref(),
        Some(&err),
        "parallel differs"
    );
    err.reason
}

#[test]
fn a_file_cut_anywhere_is_refused_with_its_offset() {
    let bytes = small();
    let (all, _) = decode(&bytes);
    for cut in 1..bytes.len() {
        let (events, err) = decode(&bytes[..cut]);
        assert!(err.is_some(), "cut at {cut} read as whole");
        assert!(all.starts_with(&events));
    }
    assert_eq!(
        refusal(&bytes[..5]),
        "at byte 5: the file ends inside its header"
    );
    assert_eq!(
        refusal(&bytes[..HEADER_LEN + 3]),
        "at byte 12: the file ends inside a block header (3 of its 12 bytes; cut short?)"
    );
    let reason = refusal(&bytes[..bytes.len() - BLOCK_HEADER_LEN - 1]);
    assert!(
        reason.starts_with("at byte 12: the block of ") && reason.contains("is cut short"),
        "{reason}"
    );
    // Cut at the end of a block: the end mark is missing.
    let cut = bytes.len() - BLOCK_HEADER_LEN;
    assert_eq!(
        refusal(&bytes[..cut]),
        format!("at byte {cut}: the file ends without the trace's end mark (cut short?)")
    );
    let mut more = bytes.clone();
    more.push(b'\n');
    assert_eq!(
        refusal(&more),
        format!("at byte {}: bytes follow the trace's end mark", bytes.len())
    );
    // No events: the header and the end mark (the readers say it is empty).
    assert_eq!(decode(&encode(&[])), (Vec::new(), None));
    assert_eq!(encode(&[]).len(), HEADER_LEN + BLOCK_HEADER_LEN);
}

#[test]
fn any_flipped_byte_is_refused() {
    let bytes = small();
    for i in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut bad = bytes.clone();
            bad[i] ^= bit;
            let (_, err) = decode(&bad);
            assert!(err.is_some(), "byte {i} flipped read as valid");
        }
    }
    let mut bad = bytes.clone();
    bad[HEADER_LEN + BLOCK_HEADER_LEN + 3] ^= 0x10;
    assert_eq!(
        refusal(&bad),
        format!(
            "at byte 12: the block's checksum does not match its {} bytes (the file is damaged)",
            bytes.len() - HEADER_LEN - 2 * BLOCK_HEADER_LEN
        )
    );
}

#[test]
fn wrong_magic_version_and_huge_lengths_are_refused() {
    let bytes = small();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert!(is_binary(png.first().copied()));
    assert!(!is_binary(Some(b'{')) && !is_binary(None));
    assert_eq!(
        refusal(png),
        "at byte 0: not a tlsscope binary trace (it does not start with the binary trace's magic bytes)"
    );
    let mut v2 = bytes.clone();
    v2[8] = 2;
    assert_eq!(
        refusal(&v2),
        "at byte 8: a binary trace of version 2; this tlsscope reads version 1 (a newer tlsscope wrote it?)"
    );
    let mut huge = bytes[..HEADER_LEN].to_vec();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    huge.extend_from_slice(&[0; 8]);
    assert_eq!(
        refusal(&huge),
        "at byte 12: a block of 4294967295 bytes, over the 16777216 a block may hold (damaged?)"
    );
    let mut many = bytes[..HEADER_LEN].to_vec();
    many.extend_from_slice(&1000u32.to_le_bytes());
    many.extend_from_slice(&u32::MAX.to_le_bytes());
    many.extend_from_slice(&[0; 4]);
    assert!(refusal(&many).contains("says it holds 4294967295 events, which cannot be"));
}

/// A block with a good checksum but a bad event (as a buggy writer would make): refused at the
/// byte where that event starts.
#[test]
fn a_bad_event_is_refused_at_its_own_offset() {
    let block = |payload: &[u8], count: u32| {
        let mut f = encode::header().to_vec();
        f.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        f.extend_from_slice(&count.to_le_bytes());
        f.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        f.extend_from_slice(payload);
        f
    };
    // A phase (tag, t, conn, phase) then an unknown kind 17.
    let payload = [0u8, 2, 1, 4, 17, 0, 0, 0];
    assert_eq!(
        refusal(&block(&payload, 2)),
        "at byte 28: unknown event kind 17"
    );
    assert_eq!(
        refusal(&block(&[0, 2, 1, 9], 1)),
        "at byte 24: phase 9 is not a phase"
    );
    assert_eq!(
        refusal(&block(&[0, 2, 1, 4, 0, 0], 2)),
        "at byte 28: the block ends inside an event"
    );
    assert_eq!(
        refusal(&block(&[0, 2, 1, 4, 0, 0], 1)),
        "at byte 28: 2 bytes follow the block's 1 events"
    );
    // A time beyond the bound, a JSONL line that is not an event.
    let mut far = vec![0u8];
    varint::put(&mut far, varint::zig(1 << 60));
    far.extend_from_slice(&[1, 0]);
    assert!(refusal(&block(&far, 1)).contains("a trace can span"));
    let mut line = vec![encode::LINE, 7];
    line.extend_from_slice(b"{\"t\":1}");
    assert_eq!(
        refusal(&block(&line, 1)),
        "at byte 24: an event line: missing field `conn`"
    );
}

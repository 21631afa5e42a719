//! `tlsscope bench --only recorder`: the recorder alone, without OpenSSL or sockets. Events
//! shaped like a bulk transfer's (socket writes and a message inside each call, the call, the
//! buffer levels after it) go through the engine's thread-local recorder and batch hand-off to
//! a consumer thread, which either drops them or keeps them in the app's store.

use super::super::{say, CliError};
use crate::probe::record;
use crate::trace::store::Store;
use crate::trace::{Call, Dir, Event, EventKind, Io, Msg, MsgDir, Op, Sock, SslError};
use std::time::Instant;

/// Calls recorded between two batch hand-offs: the engine sends one batch per poll-loop
/// iteration, and a busy bulk transfer makes a few calls per iteration.
const CALLS_PER_BATCH: u64 = 16;
/// Events recorded per call below.
const EVENTS_PER_CALL: u64 = 5;
/// Batches in flight before the producer waits, as in the engine.
const BATCHES_IN_FLIGHT: usize = 64;

/// One measured run.
struct RecorderRun {
    events: u64,
    secs: f64,
}

/// Records `calls` synthetic calls on a producer thread and hands each batch to `consume` on
/// this one, as the engine hands them to the app.
fn run_once(calls: u64, mut consume: impl FnMut(Vec<Event>)) -> Result<RecorderRun, CliError> {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Event>>(BATCHES_IN_FLIGHT);
    let start = Instant::now();
    let producer = std::thread::Builder::new()
        .name("tlsscope-recorder-bench".into())
        .spawn(move || {
            record::init(Instant::now(), true);
            for id in 1..=calls {
                record_one_call(id as u32);
                if id % CALLS_PER_BATCH == 0 && tx.send(record::take_batch()).is_err() {
                    return;
                }
            }
            let _ = tx.send(record::take_batch());
        })
        .map_err(|e| CliError::Failed(format!("cannot start the recorder thread: {e}")))?;
    let mut events = 0u64;
    for batch in rx.iter() {
        events += batch.len() as u64;
        consume(batch);
    }
    producer
        .join()
        .map_err(|_| CliError::Failed("the recorder thread panicked".into()))?;
    Ok(RecorderRun {
        events,
        secs: start.elapsed().as_secs_f64(),
    })
}

/// What the engine records for one `SSL_write` of a bulk upload: two socket writes and the
/// record's message inside the call, then the call and the levels after it.
fn record_one_call(id: u32) {
    const CONN: u32 = 1;
    let t0 = record::now();
    record::set_current(CONN, Some(id));
    record::in_call(|call| EventKind::Io(Io::new(call, Dir::Write, 16_406, 16_406, false, None)));
    record::in_call(|call| EventKind::Msg(Msg::new(call, MsgDir::Out, 23, 0, 0, 0, 16_384)));
    record::in_call(|call| EventKind::Io(Io::new(call, Dir::Write, 16_406, 0, true, None)));
    record::set_current(CONN, None);
    let error = if id.is_multiple_of(2) {
        SslError::WantWrite
    } else {
        SslError::None
    };
    let ret = if error == SslError::None { 16_384 } else { -1 };
    let dur = record::now().saturating_sub(t0);
    record::push_at(
        t0,
        CONN,
        EventKind::Call(Call::new(id, Op::Write, ret, error, dur)),
    );
    record::push(
        CONN,
        EventKind::Sock(Box::new(Sock {
            outq: 2_000_000 + id % 1000,
            notsent: id % 4096,
            sndbuf: 2_626_560,
            rcvbuf: 131_072,
            ..Sock::default()
        })),
    );
}

fn rate(run: &RecorderRun) -> f64 {
    run.events as f64 / run.secs.max(1e-9)
}

/// Runs the recorder benchmark `rounds` times each way and prints the medians.
pub(super) fn recorder(events: u64, rounds: u32) -> Result<(), CliError> {
    let calls = (events / EVENTS_PER_CALL).max(CALLS_PER_BATCH);
    say(&format!(
        "recorder alone: {} events per run ({} calls of {EVENTS_PER_CALL} events, a batch every {CALLS_PER_BATCH} calls), {rounds} rounds\n",
        calls * EVENTS_PER_CALL,
        calls
    ))?;
    let mut dropped = Vec::new();
    let mut stored = Vec::new();
    let mut store_bytes = 0;
    for _ in 0..rounds {
        dropped.push(rate(&run_once(calls, drop)?));
        let mut store = Store::new();
        let run = run_once(calls, |batch| store.take_batch(batch))?;
        stored.push(rate(&run));
        store_bytes = store.memory();
        if store.total_events != run.events {
            return Err(CliError::Failed(format!(
                "the store kept {} of {} events",
                store.total_events, run.events
            )));
        }
    }
    let per_event = store_bytes as f64 / (calls * EVENTS_PER_CALL) as f64;
    say(&format!(
        "  recorded and handed off (consumer drops them): {:.1} M events/s (median)\n",
        median(&mut dropped) / 1e6
    ))?;
    say(&format!(
        "  recorded, handed off and kept in the app's store: {:.1} M events/s (median), {per_event:.0} bytes per event in the store\n",
        median(&mut stored) / 1e6
    ))?;
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

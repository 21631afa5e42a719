//! Unit tests of ingest, status and aggregation over whole connections.

use super::fixtures::*;
use super::*;
use crate::trace::event::*;

#[test]
fn columns_and_status_follow_the_events() {
    let mut store = Store::new();
    let events = stalled_writer();
    store.push_batch(&events[..5]);
    let c = store.conn(1).unwrap();
    assert_eq!(
        c.status(),
        Status::Waiting {
            op: Op::DoHandshake,
            error: SslError::WantRead,
            since: 30
        }
    );
    store.push_batch(&events[5..10]);
    assert_eq!(store.conn(1).unwrap().status(), Status::Open);
    store.push_batch(&events[10..]);
    let c = store.conn(1).unwrap();
    assert_eq!(c.call_spans.len(), 3);
    assert_eq!(c.io_spans.len(), 4);
    assert_eq!(c.wait_spans.len(), 1);
    assert_eq!(store.total_events, events.len() as u64);
    assert!(matches!(
        c.status(),
        Status::Waiting {
            op: Op::Write,
            error: SslError::WantWrite,
            since: 205
        }
    ));
    assert!(!c.is_stalled(300));
    assert!(c.is_stalled(205 + STALL_NANOS));
    assert_eq!(c.levels_at(1000), Some((0, 5000, 0)));
}

#[test]
fn nested_events_belong_to_their_call() {
    let mut store = Store::new();
    store.push_batch(&stalled_writer());
    let c = store.conn(1).unwrap();
    let nested = c.nested(0);
    assert_eq!(nested.len(), 2);
    assert!(nested.iter().all(|e| e.call_id() == Some(1)));
    assert_eq!(c.nested(2).len(), 1);
    assert_eq!(c.call_at(25), Some(0));
    assert_eq!(c.call_at(100), None);
    assert_eq!(c.call_index(3), Some(2));
}

#[test]
fn retries_of_the_same_operation_are_counted() {
    let mut store = Store::new();
    let mut events = Vec::new();
    for i in 0..4 {
        let err = if i < 3 {
            SslError::WantRead
        } else {
            SslError::None
        };
        events.push(ev(i * 100, call(i as u32 + 1, Op::Read, err, 10)));
    }
    store.push_batch(&events);
    let c = store.conn(1).unwrap();
    assert_eq!(
        (0..4).map(|i| c.attempt(i)).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn close_and_failure_end_the_status() {
    let mut store = Store::new();
    store.push(&ev(0, EventKind::Error("certificate verify failed".into())));
    store.push(&ev(
        1,
        EventKind::Close(Close {
            reason: CloseReason::Failed,
            notify_sent: false,
            notify_received: false,
            workload_done: false,
        }),
    ));
    assert_eq!(
        store.conn(1).unwrap().status(),
        Status::Failed("certificate verify failed".into())
    );
    store.push(&ev(2, EventKind::Dropped { count: 7 }));
    assert_eq!(store.dropped, 7);
}

#[test]
fn aggregation_bounds_the_marks_and_keeps_the_worst_class() {
    let mut store = Store::new();
    let n = 100_000u64;
    let events: Vec<Event> = (0..n)
        .map(|i| {
            let err = if i == 5_000 {
                SslError::WantWrite
            } else {
                SslError::None
            };
            ev(i * 10, call(i as u32 + 1, Op::Write, err, 5))
        })
        .collect();
    store.push_batch(&events);
    let c = store.conn(1).unwrap();
    let marks = aggregate(&c.calls(), 0, n * 10, 500);
    assert!(marks.len() <= 502, "{}", marks.len());
    assert_eq!(marks.iter().map(|m| m.count).sum::<usize>(), n as usize);
    let ww = marks
        .iter()
        .filter(|m| m.class == CallClass::WantWrite)
        .count();
    assert_eq!(ww, 1);
    // Zoomed in, every call is its own mark.
    let marks = aggregate(&c.calls(), 1000, 1100, 500);
    assert_eq!(marks.len(), 11);
    assert!(marks.iter().all(|m| m.count == 1));
}

#[test]
fn retries_of_one_operation_form_one_run() {
    let c = |t, id, op, error| ev(t, call(id, op, error, 10));
    let mut s = Store::new();
    s.push_batch(&[
        c(0, 1, Op::DoHandshake, SslError::WantRead),
        c(100, 2, Op::DoHandshake, SslError::None),
        c(200, 3, Op::Write, SslError::WantWrite),
        c(300, 4, Op::Write, SslError::WantWrite),
        c(400, 5, Op::Write, SslError::None),
        c(500, 6, Op::Read, SslError::None),
        c(600, 7, Op::Read, SslError::WantRead),
    ]);
    let Some(t) = s.conn(1) else {
        panic!("no connection");
    };
    let runs = t.retries();
    assert_eq!(
        (0..2).map(|r| runs.get(r)).collect::<Vec<_>>(),
        [Some((0, 110)), Some((200, 410))]
    );
    assert_eq!(t.retry_first, vec![0, 2]);
    assert_eq!(t.retry_attempts, vec![2, 3]);
    let runs: Vec<_> = (0..7).map(|i| t.retry_run(i)).collect();
    let expected = [Some(0), Some(0), Some(1), Some(1), Some(1), None, None];
    assert_eq!(runs, expected);
    // A new attempt extends the open run only when it is the same operation again.
    s.push(&c(700, 8, Op::Read, SslError::None));
    let Some(t) = s.conn(1) else {
        panic!("no connection");
    };
    assert_eq!(t.retry_attempts, vec![2, 3, 2]);
    assert_eq!(t.retries().end(2), 710);
    assert_eq!(t.retry_run(6), Some(2));
}

#[test]
fn a_removed_connection_is_gone_and_the_others_are_still_found() {
    let mut store = Store::new();
    for conn in [4, 5, 6] {
        store.push_batch(&[Event {
            conn,
            ..stalled_writer()[0].clone()
        }]);
    }
    assert_eq!(store.remove(5).map(|c| c.id), Some(5));
    assert!(store.conn(5).is_none() && store.remove(5).is_none());
    assert_eq!(store.conn(6).map(|c| c.id), Some(6));
    assert_eq!(store.conn(4).map(|c| c.id), Some(4));
    store.push_batch(&[Event {
        conn: 5,
        ..stalled_writer()[0].clone()
    }]);
    assert_eq!(store.conn(5).map(|c| c.events.len()), Some(1));
}

/// A trace saved as JSONL and loaded the app's way (blocks parsed on two threads) gives the
/// same store as the events pushed live: every column, the calls read back from their events,
/// attempts, level envelopes and per-bucket marks, across many count checkpoints and min/max
/// leaves (the compacted parts).
#[test]
fn a_loaded_file_gives_the_store_live_ingest_gives() {
    use crate::trace::jsonl::to_line;
    use crate::trace::jsonl_parallel::read_parallel;
    use crate::trace::store::fixtures::writes_with_levels;
    use std::sync::atomic::AtomicBool;
    let events = writes_with_levels(5_000);
    let t = events.iter().map(|e| e.t).max().unwrap_or(0);
    let mut live = Store::new();
    live.push_batch(&events);
    let text: String = events
        .iter()
        .filter_map(to_line)
        .map(|l| l + "\n")
        .collect();
    let mut loaded = Store::new();
    let end = read_parallel(text.as_bytes(), 1 << 20, 2, &AtomicBool::new(false), |b| {
        loaded.push_batch(&b);
        true
    });
    assert_eq!(end, Some(Ok(())));
    let (a, b) = (&live.conns[0], &loaded.conns[0]);
    assert_eq!(a.events, b.events);
    // The columns are indices into the events, which are equal: so are their times.
    assert_eq!(
        (&a.call_spans.event, &a.call_spans.class),
        (&b.call_spans.event, &b.call_spans.class)
    );
    assert_eq!(
        (&a.io_spans.event, &a.io_spans.class),
        (&b.io_spans.event, &b.io_spans.class)
    );
    assert_eq!(&a.wait_spans.event, &b.wait_spans.event);
    assert_eq!(
        (&a.retry_first, &a.retry_attempts),
        (&b.retry_first, &b.retry_attempts)
    );
    let io = a.io();
    assert!(
        (0..io.len()).all(|i| io.start(i) == io.end(i)),
        "socket operations are instants"
    );
    assert_eq!(a.memory_parts(), b.memory_parts());
    for i in (0..a.call_spans.len()).step_by(37) {
        assert_eq!(a.call(i), b.call(i));
        assert_eq!(a.call(i).map(|c| c.id), Some(i as u32 + 1));
        assert_eq!(a.attempt(i), b.attempt(i));
    }
    for (t0, t1, n) in [(0, t, 300), (t / 3, t / 2, 50), (1000, 1200, 1000)] {
        assert_eq!(
            a.outq.envelope(&a.events, t0, t1, n),
            b.outq.envelope(&b.events, t0, t1, n)
        );
        assert_eq!(
            a.snd_wnd.envelope(&a.events, t0, t1, n),
            b.snd_wnd.envelope(&b.events, t0, t1, n)
        );
        assert_eq!(
            aggregate(&a.calls(), t0, t1, n),
            aggregate(&b.calls(), t0, t1, n)
        );
        assert_eq!(aggregate(&a.io(), t0, t1, n), aggregate(&b.io(), t0, t1, n));
    }
    // The envelope's spikes survive the leaves: the largest outq is in the whole-range one.
    let most = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Sock(s) => Some(s.outq),
            _ => None,
        })
        .max();
    assert_eq!(
        a.outq
            .envelope(&a.events, 0, t, 100)
            .iter()
            .map(|p| p.1)
            .max(),
        most
    );
}

/// The columns read their times from the events, so an event that would go back in time (a
/// call reported to start before the previous one ended) is kept at its column's last time:
/// every column stays sorted and the searches find it.
#[test]
fn an_event_back_in_time_is_kept_at_its_column_end() {
    let mut s = Store::new();
    s.push_batch(&[
        ev(100, call(1, Op::Write, SslError::None, 50)),
        ev(120, call(2, Op::Write, SslError::None, 10)),
        ev(90, io(2, Dir::Write, 5, false)),
        ev(80, io(2, Dir::Write, 5, false)),
    ]);
    let c = s.conn(1).unwrap();
    let calls = c.calls();
    assert_eq!(calls.get(1), Some((150, 160)));
    assert_eq!(
        c.events[1].t, 150,
        "the stored event says where it is drawn"
    );
    assert_eq!(c.call_at(155), Some(1));
    let io = c.io();
    assert_eq!((io.start(0), io.start(1)), (90, 90));
    assert_eq!(c.hit(Lane::Calls, 152, 1), Some(Hit::Call(1)));
    assert_eq!(c.memory_parts()[0].1, 4 * 24, "24 bytes per stored event");
}

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
    assert_eq!(c.calls.len(), 3);
    assert_eq!(c.io.len(), 4);
    assert_eq!(c.waits.len(), 1);
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
    let marks = aggregate(&c.calls, 0, n * 10, 500);
    assert!(marks.len() <= 502, "{}", marks.len());
    assert_eq!(marks.iter().map(|m| m.count).sum::<usize>(), n as usize);
    let ww = marks
        .iter()
        .filter(|m| m.class == CallClass::WantWrite)
        .count();
    assert_eq!(ww, 1);
    // Zoomed in, every call is its own mark.
    let marks = aggregate(&c.calls, 1000, 1100, 500);
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
    assert_eq!(t.retries.start, vec![0, 200]);
    assert_eq!(t.retries.end, vec![110, 410]);
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
    assert_eq!(t.retries.end[2], 710);
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

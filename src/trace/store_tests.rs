//! Unit tests of the store: hand-built event sequences shaped like the engine's.

use super::*;

fn ev(t: Nanos, kind: EventKind) -> Event {
    Event { t, conn: 1, kind }
}

fn call(id: CallId, op: Op, error: SslError, dur: Nanos) -> EventKind {
    EventKind::Call(Call {
        id,
        op,
        ret: if error == SslError::None { 1 } else { -1 },
        error,
        dur,
        bytes: 0,
    })
}

fn io(call: CallId, dir: Dir, got: u32, would_block: bool) -> EventKind {
    EventKind::Io(Io {
        call: Some(call),
        dir,
        want: 100,
        got,
        would_block,
        os_error: None,
    })
}

/// A handshake that waits once for the server, then a write that stalls with WANT_WRITE.
fn stalled_writer() -> Vec<Event> {
    vec![
        ev(0, EventKind::Phase(Phase::Connect)),
        ev(10, EventKind::Phase(Phase::Handshake)),
        ev(20, io(1, Dir::Write, 300, false)),
        ev(25, io(1, Dir::Read, 0, true)),
        ev(20, call(1, Op::DoHandshake, SslError::WantRead, 10)),
        ev(
            30,
            EventKind::Wait(Wait {
                interest: Interest::Read,
                dur: 100,
                woke: Woke::Readable,
            }),
        ),
        ev(135, io(2, Dir::Read, 100, false)),
        ev(130, call(2, Op::DoHandshake, SslError::None, 20)),
        ev(150, EventKind::Tls(Box::default())),
        ev(160, EventKind::Phase(Phase::Workload)),
        ev(200, io(3, Dir::Write, 0, true)),
        ev(200, call(3, Op::Write, SslError::WantWrite, 5)),
        ev(
            210,
            EventKind::Sock(Sock {
                outq: 5000,
                sndbuf: 5000,
                ..Default::default()
            }),
        ),
    ]
}

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
    assert_eq!(store.conn(1).unwrap().call_attempt, vec![1, 2, 3, 4]);
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
        .filter(|m| m.class == CallClass::WantWrite as u8)
        .count();
    assert_eq!(ww, 1);
    // Zoomed in, every call is its own mark.
    let marks = aggregate(&c.calls, 1000, 1100, 500);
    assert_eq!(marks.len(), 11);
    assert!(marks.iter().all(|m| m.count == 1));
}

#[test]
fn min_max_pyramid_answers_ranges() {
    let mut mm = MinMax::default();
    let values: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % 1013).collect();
    for &v in &values {
        mm.push(v);
    }
    for (a, b) in [(0, 1000), (3, 4), (17, 600), (999, 1000), (5, 5)] {
        let expect = values[a..b]
            .iter()
            .fold(None, |acc: Option<(u32, u32)>, &v| {
                Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
            });
        assert_eq!(mm.range(a, b), expect, "{a}..{b}");
    }
}

#[test]
fn envelope_keeps_spikes() {
    let mut s = Series::default();
    for i in 0..100_000u64 {
        s.push(i, if i == 50_000 { 999 } else { 1 });
    }
    let pts = s.envelope(0, 100_000, 200);
    assert!(pts.len() <= 404, "{}", pts.len());
    assert!(pts.iter().any(|p| p.1 == 999));
    assert_eq!(s.at(50_000), Some(999));
}

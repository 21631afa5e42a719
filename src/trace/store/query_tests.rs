//! Unit tests of the queries views ask: hit testing, the verdict's stall, the call worth explaining,
//! the wait after a call, visible ranges.

use super::fixtures::*;
use super::*;
use crate::trace::event::*;
use crate::trace::verdict::Severity;

fn conn(events: &[Event]) -> Store {
    let mut s = Store::new();
    s.push_batch(events);
    s
}

fn first(s: &Store) -> &ConnTrace {
    let Some(c) = s.conns.first() else {
        panic!("no connection");
    };
    c
}

#[test]
fn hits_find_what_is_in_each_lane() {
    let s = conn(&stalled_writer());
    let c = first(&s);
    assert_eq!(c.hit(Lane::Calls, 25, 1), Some(Hit::Call(0)));
    // Just outside a call, within the tolerance: the nearest call still wins.
    assert_eq!(c.hit(Lane::Calls, 208, 5), Some(Hit::Call(2)));
    // Between two attempts of the handshake: the band of the run.
    assert_eq!(c.hit(Lane::Calls, 80, 1), Some(Hit::RetryRun(0)));
    assert_eq!(c.hit(Lane::Calls, 180, 1), None);
    assert_eq!(c.hit(Lane::Io, 24, 2), Some(Hit::Io(1)));
    assert_eq!(c.hit(Lane::Io, 60, 2), None);
    assert_eq!(c.hit(Lane::Waits, 80, 0), Some(Hit::Wait(0)));
    assert_eq!(c.hit(Lane::Handshake, 80, 0), None);
    assert_eq!(Hit::Call(0).call(), Some(0));
    assert_eq!(Hit::RetryRun(0).call(), None);
}

#[test]
fn hits_say_what_they_are() {
    let s = conn(&stalled_writer());
    let c = first(&s);
    let second = Hit::Call(1).describe(c);
    assert!(second.contains("SSL_do_handshake"), "{second}");
    assert!(
        second.ends_with(
            "attempt 2 of 2 attempts of one SSL_do_handshake (retried after WANT_*), over 130 ns"
        ),
        "{second}"
    );
    let band = Hit::RetryRun(0).describe(c);
    assert!(
        band.starts_with("2 attempts of one SSL_do_handshake"),
        "{band}"
    );
    assert!(Hit::Io(1).describe(c).ends_with("(inside call #1)"));
    assert_eq!(
        Hit::Wait(0).describe(c),
        "waited 100 ns for the socket to be ready for read; woke: readable"
    );
}

#[test]
fn handshake_lane_prefers_a_message_then_the_state() {
    let state = |text| EventKind::State(State::new(Some(1), StateText::of_static(text), 0, 1));
    let hello = EventKind::Msg(Msg::new(Some(1), MsgDir::Out, 22, 1, 0, 0, 310));
    let s = conn(&[
        ev(10, state("before SSL initialization")),
        ev(30, hello),
        ev(50, state("SSLv3/TLS write client hello")),
    ]);
    let c = first(&s);
    assert_eq!(c.hit(Lane::Handshake, 31, 2), Some(Hit::Msg(0)));
    assert_eq!(c.hit(Lane::Handshake, 60, 2), Some(Hit::State(1)));
    assert_eq!(c.hit(Lane::Handshake, 5, 1), None);
    assert_eq!(
        Hit::Msg(0).describe(c),
        "TLS message out handshake ClientHello (310 B)"
    );
    assert_eq!(
        Hit::State(1).describe(c),
        "handshake state: SSLv3/TLS write client hello"
    );
    assert_eq!(c.states_around(40, 45), (0, 2));
    assert_eq!(c.msgs_within(0, 29), (0, 0));
    assert_eq!(c.msgs_within(0, 30), (0, 1));
}

#[test]
fn a_wait_going_on_becomes_a_stall_after_a_second() {
    let s = conn(&stalled_writer());
    let c = first(&s);
    // The WANT_WRITE returned at 205; the only finished wait is 100 ns long.
    assert!(!c.is_stalled(300));
    assert_eq!(c.verdict(300).severity(), Severity::Ok);
    let v = c.verdict(205 + STALL_NANOS);
    assert_eq!(v.severity(), Severity::Stall, "{v:?}");
    assert!(v.summary.contains("1.00 s"), "{}", v.summary);
    assert_eq!(
        c.stalled_since(205 + STALL_NANOS),
        Some((205, SslError::WantWrite))
    );
}

#[test]
fn a_long_wait_that_ended_in_progress_is_not_a_stall() {
    let s = conn(&[
        ev(0, call(1, Op::Write, SslError::WantWrite, 10)),
        ev(10, wait(Interest::Write, 2 * STALL_NANOS)),
        ev(2 * STALL_NANOS + 10, call(2, Op::Write, SslError::None, 10)),
    ]);
    let c = first(&s);
    assert!(!c.is_stalled(3 * STALL_NANOS));
    assert_ne!(c.verdict(3 * STALL_NANOS).severity(), Severity::Stall);
}

#[test]
fn the_interesting_call_is_a_want_write_then_a_read_that_wrote_then_the_last() {
    let s = conn(&stalled_writer());
    assert_eq!(first(&s).interesting_call(), Some(2));
    let s = conn(&[
        ev(0, call(1, Op::DoHandshake, SslError::None, 10)),
        ev(20, io(2, Dir::Read, 50, false)),
        ev(20, call(2, Op::Read, SslError::None, 10)),
        ev(40, io(3, Dir::Write, 300, false)),
        ev(40, call(3, Op::Read, SslError::WantRead, 10)),
        ev(60, call(4, Op::Read, SslError::None, 10)),
    ]);
    assert_eq!(first(&s).interesting_call(), Some(2));
    let s = conn(&[
        ev(0, call(1, Op::DoHandshake, SslError::None, 10)),
        ev(20, call(2, Op::Read, SslError::None, 10)),
    ]);
    assert_eq!(first(&s).interesting_call(), Some(1));
    let s = conn(&[ev(0, EventKind::Phase(Phase::Connect))]);
    assert_eq!(first(&s).interesting_call(), None);
}

#[test]
fn the_wait_after_a_call_is_the_one_before_the_next_call() {
    let s = conn(&stalled_writer());
    let c = first(&s);
    assert_eq!(c.wait_after(0), Some(0));
    assert_eq!(c.wait_after(1), None);
    assert_eq!(c.wait_after(2), None);
    assert_eq!(c.wait_after(9), None);
}

#[test]
fn a_trace_ends_now_until_it_closes() {
    let mut s = conn(&stalled_writer());
    assert_eq!(first(&s).end_at(1_000), 1_000);
    assert_eq!(first(&s).end_at(1), 210);
    s.push(&ev(
        500,
        EventKind::Close(Close {
            reason: CloseReason::Timeout,
            notify_sent: false,
            notify_received: false,
            workload_done: false,
        }),
    ));
    assert_eq!(first(&s).end_at(9_999), 500);
}

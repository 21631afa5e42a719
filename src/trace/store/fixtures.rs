//! Hand-built event sequences shaped like the engine's, for the store's tests.

use crate::trace::event::*;

pub(crate) fn ev(t: Nanos, kind: EventKind) -> Event {
    Event { t, conn: 1, kind }
}

pub(crate) fn call(id: CallId, op: Op, error: SslError, dur: Nanos) -> EventKind {
    EventKind::Call(Call::new(
        id,
        op,
        if error == SslError::None { 1 } else { -1 },
        error,
        dur,
    ))
}

/// An `SSL_read` that moved `bytes` of application data (none when it did not succeed).
pub(crate) fn read(id: CallId, error: SslError, dur: Nanos, bytes: u32) -> EventKind {
    let ret = match error {
        SslError::None => bytes as i32,
        _ => -1,
    };
    EventKind::Call(Call::new(id, Op::Read, ret, error, dur))
}

pub(crate) fn io(call: CallId, dir: Dir, got: u32, would_block: bool) -> EventKind {
    EventKind::Io(Io::new(Some(call), dir, 100, got, would_block, None))
}

pub(crate) fn wait(interest: Interest, dur: Nanos) -> EventKind {
    EventKind::Wait(Wait {
        interest,
        dur,
        woke: Woke::Readable,
    })
}

/// A handshake that waits once for the server, then a write that stalls with WANT_WRITE.
pub(crate) fn stalled_writer() -> Vec<Event> {
    vec![
        ev(0, EventKind::Phase(Phase::Connect)),
        ev(10, EventKind::Phase(Phase::Handshake)),
        ev(20, io(1, Dir::Write, 300, false)),
        ev(25, io(1, Dir::Read, 0, true)),
        ev(20, call(1, Op::DoHandshake, SslError::WantRead, 10)),
        ev(30, wait(Interest::Read, 100)),
        ev(135, io(2, Dir::Read, 100, false)),
        ev(130, call(2, Op::DoHandshake, SslError::None, 20)),
        ev(150, EventKind::Tls(Box::default())),
        ev(160, EventKind::Phase(Phase::Workload)),
        ev(200, io(3, Dir::Write, 0, true)),
        ev(200, call(3, Op::Write, SslError::WantWrite, 5)),
        ev(
            210,
            EventKind::Sock(Box::new(Sock {
                outq: 5000,
                sndbuf: 5000,
                ..Default::default()
            })),
        ),
    ]
}

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

/// `n` writes, a third of them WANT_WRITE or WANT_READ and followed by a wait, each with its
/// socket write and a `sock` sample (levels that vary, TCP_INFO every fourth): a busy trace
/// with every lane and level filled.
pub(crate) fn writes_with_levels(n: u32) -> Vec<Event> {
    let mut events = Vec::new();
    let mut t = 0;
    for id in 1..=n {
        let error = [SslError::None, SslError::WantWrite, SslError::WantRead][id as usize % 7 % 3];
        events.push(ev(t + 5, io(id, Dir::Write, id % 3 * 100, error.is_want())));
        events.push(ev(t, call(id, Op::Write, error, 40 + u64::from(id % 5))));
        t += 50;
        if error.is_want() {
            events.push(ev(t, wait(Interest::Write, 30 + u64::from(id % 11))));
            t += 45;
        }
        let sock = Sock {
            outq: (id * 7919) % 10_000,
            inq: id % 13,
            ssl_pending: id % 2,
            sndbuf: 10_000,
            rcvbuf: 5_000,
            notsent: 0,
            tcp: (id % 4 == 0).then_some(TcpInfo {
                rtt_us: id % 50,
                snd_cwnd: 10,
                snd_wnd: id % 9 * 1000,
            }),
        };
        events.push(ev(t, EventKind::Sock(Box::new(sock))));
    }
    events
}

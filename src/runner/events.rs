//! The trace events `tlsscope run` makes, built in this one place (so a change to the event
//! payloads is one edit here).

use crate::trace::{
    Call, CallId, Close, CloseReason, ConnId, Dir, Endpoints, Event, EventKind, Interest, Io,
    Nanos, Op, Phase, Program, Sock, SslError, TcpInfo, TlsInfo, Wait, Woke,
};

pub(crate) fn at(t: Nanos, conn: ConnId, kind: EventKind) -> Event {
    Event { t, conn, kind }
}

/// A call as the trace shows it: `ret` as the classic function returns it (for `SSL_read_ex` /
/// `SSL_write_ex`, which return 1 and pass the count out, the count).
pub(crate) fn call(
    id: CallId,
    op: Op,
    ret: i64,
    error: SslError,
    dur: Nanos,
    bytes: u64,
) -> EventKind {
    let ret = match op {
        Op::ReadEx | Op::WriteEx if ret == 1 => i64::try_from(bytes).unwrap_or(i64::MAX),
        Op::ReadEx | Op::WriteEx if error == SslError::ZeroReturn => 0,
        Op::ReadEx | Op::WriteEx => -1,
        _ => ret,
    };
    let ret = i32::try_from(ret).unwrap_or(if ret < 0 { i32::MIN } else { i32::MAX });
    EventKind::Call(Call::new(id, op, ret, error, dur))
}

pub(crate) fn io(call: Option<CallId>, dir: Dir, want: u64, got: i64, errno: i32) -> EventKind {
    let would_block = got < 0 && (errno == libc::EAGAIN || errno == libc::EWOULDBLOCK);
    EventKind::Io(Io::new(
        call,
        dir,
        u32::try_from(want).unwrap_or(u32::MAX),
        u32::try_from(got.max(0)).unwrap_or(u32::MAX),
        would_block,
        (got < 0 && !would_block).then_some(errno),
    ))
}

pub(crate) fn wait(interest: Interest, dur: Nanos, woke: Woke) -> EventKind {
    EventKind::Wait(Wait {
        interest,
        dur,
        woke,
    })
}

pub(crate) fn program(exe: String, pid: u32, tid: u32, ssl: u64) -> EventKind {
    EventKind::Program(Box::new(Program { exe, pid, tid, ssl }))
}

/// A `Sock` record's buffer levels (see `wire::Kind::Sock`), TCP_INFO from its tail.
pub(crate) fn sock(rec: &super::wire::Rec, tail: &[u8]) -> EventKind {
    let word = |i: usize| {
        tail.get(i * 4..i * 4 + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let tcp = match (word(0), word(1), word(2)) {
        (Some(rtt_us), Some(snd_cwnd), Some(snd_wnd)) => Some(TcpInfo {
            rtt_us,
            snd_cwnd,
            snd_wnd,
        }),
        _ => None,
    };
    let low = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    EventKind::Sock(Box::new(Sock {
        inq: low(rec.a),
        outq: low(rec.b),
        notsent: low(rec.c),
        sndbuf: (rec.dur >> 32) as u32,
        rcvbuf: rec.dur as u32,
        ssl_pending: u32::try_from(rec.ret).unwrap_or(0),
        tcp,
    }))
}

pub(crate) fn phase(p: Phase) -> EventKind {
    EventKind::Phase(p)
}

pub(crate) fn connected(local: std::net::SocketAddr, peer: std::net::SocketAddr) -> EventKind {
    EventKind::Connected(Box::new(Endpoints { local, peer }))
}

pub(crate) fn tls(
    version: String,
    cipher: String,
    sni: Option<String>,
    verify: String,
    resumed: bool,
) -> EventKind {
    EventKind::Tls(Box::new(TlsInfo {
        version,
        cipher,
        sni,
        verify,
        resumed,
        ..TlsInfo::default()
    }))
}

pub(crate) fn close(reason: CloseReason, notify_sent: bool, notify_received: bool) -> EventKind {
    EventKind::Close(Close {
        reason,
        notify_sent,
        notify_received,
        workload_done: true,
    })
}

pub(crate) fn dropped(count: u64) -> EventKind {
    EventKind::Dropped { count }
}

pub(crate) fn error(message: &str) -> EventKind {
    EventKind::Error(message.into())
}

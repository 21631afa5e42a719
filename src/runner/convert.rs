//! From the interposer's records to trace events: one connection per SSL object of a process
//! (an address reused after `SSL_free` is a new connection), call ids per connection, the socket
//! I/O of a call nested under it, readiness waits on its socket, its addresses (from the socket
//! it was set to, or for a memory BIO, as curl has, the socket its calls read and wrote), how it
//! ended; and what the program did, for the misuse rules.

use super::events as ev;
use super::wire::{self, Kind, Rec};
use crate::trace::misuse::{Misuse, Obs};
use crate::trace::{
    CallId, CloseReason, ConnId, Dir, Event, EventKind, Interest, Msg, MsgDir, Nanos, Op, Phase,
    SslError, State, StateText, Woke,
};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A record inside a call in progress, and for a state its text.
type Nested = (Rec, Option<StateText>);

/// What the printer gets.
pub(crate) enum Out {
    Event(Event),
    /// A connection ended: the error that ended it (if one did), its `close` event and what
    /// the misuse rules found.
    Ended(Option<Event>, Event, Box<Misuse>),
}

struct Conn {
    id: ConnId,
    next_call: CallId,
    connected: bool,
    phase: Option<Phase>,
    notify_sent: bool,
    notify_received: bool,
    last_error: SslError,
    reset: bool,
    handshake_done: bool,
    tls_sent: bool,
    /// The first fatal error: OpenSSL's reason, or the failed call.
    error: Option<String>,
    misuse: Misuse,
}

/// A process that ran with the interposer.
pub(crate) struct Proc {
    pub(crate) exe: String,
    /// Records it could not send (cumulative, as its last record said).
    pub(crate) lost: u32,
    /// Of those, the ones a `dropped` event has counted.
    reported: u32,
    last_conn: Option<ConnId>,
}

pub(crate) struct Converter {
    /// CLOCK_MONOTONIC at the start: event time 0.
    t0: u64,
    conns: HashMap<(u32, u64), Conn>,
    next_conn: ConnId,
    /// Socket I/O, states and messages of the call in progress on each thread, until the
    /// call's record comes (a state's text beside it).
    nested: HashMap<(u32, u32), Vec<Nested>>,
    pub(crate) procs: BTreeMap<u32, Proc>,
    /// OpenSSL calls seen.
    pub(crate) calls: u64,
}

fn op_of(code: u8) -> Option<Op> {
    use wire::op::*;
    Some(match code {
        SSL_READ => Op::Read,
        SSL_READ_EX => Op::ReadEx,
        SSL_PEEK => Op::Peek,
        SSL_WRITE => Op::Write,
        SSL_WRITE_EX => Op::WriteEx,
        SSL_DO_HANDSHAKE => Op::DoHandshake,
        SSL_CONNECT => Op::Connect,
        SSL_ACCEPT => Op::Accept,
        SSL_SHUTDOWN => Op::Shutdown,
        _ => return None,
    })
}

/// A raw `sockaddr` (as getsockname wrote it) as an address, for IPv4 and IPv6.
fn sockaddr(raw: &[u8]) -> Option<SocketAddr> {
    let family = u16::from_ne_bytes([*raw.first()?, *raw.get(1)?]);
    let port = u16::from_be_bytes([*raw.get(2)?, *raw.get(3)?]);
    match i32::from(family) {
        libc::AF_INET => {
            let a: [u8; 4] = raw.get(4..8)?.try_into().ok()?;
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(a)), port))
        }
        libc::AF_INET6 => {
            let a: [u8; 16] = raw.get(8..24)?.try_into().ok()?;
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(a)), port))
        }
        _ => None,
    }
}

fn interest_of(bits: u64) -> Option<Interest> {
    match (bits & wire::wait::READ != 0, bits & wire::wait::WRITE != 0) {
        (true, true) => Some(Interest::ReadWrite),
        (true, false) => Some(Interest::Read),
        (false, true) => Some(Interest::Write),
        (false, false) => None,
    }
}

fn woke_of(rec: &Rec, interest: Interest) -> Woke {
    let ready = rec.b;
    if ready & wire::wait::WRITE != 0 && interest != Interest::Read {
        Woke::Writable
    } else if ready & wire::wait::READ != 0 {
        Woke::Readable
    } else if ready & wire::wait::HANGUP != 0 {
        Woke::Hangup
    } else if rec.ret == 0 {
        // The program's own timeout ran out.
        Woke::Elapsed
    } else {
        // Another descriptor (or a signal) ended the wait.
        Woke::Command
    }
}

fn text(part: Option<&&[u8]>) -> String {
    part.map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default()
}

impl Converter {
    pub(crate) fn new(t0: u64) -> Converter {
        Converter {
            t0,
            conns: HashMap::new(),
            next_conn: 1,
            nested: HashMap::new(),
            procs: BTreeMap::new(),
            calls: 0,
        }
    }

    /// Numbers connections from `first` on (the app keeps a program's connections apart from
    /// its own).
    pub(crate) fn first_id(mut self, first: ConnId) -> Converter {
        self.next_conn = first;
        self
    }

    fn t(&self, mono: u64) -> Nanos {
        mono.saturating_sub(self.t0)
    }

    /// The connection of `ssl` in process `rec.pid`, begun now if it is new.
    fn conn(&mut self, rec: &Rec, out: &mut Vec<Out>) -> ConnId {
        let key = (rec.pid, rec.ssl);
        if let Some(c) = self.conns.get(&key) {
            return c.id;
        }
        let id = self.next_conn;
        self.next_conn = self.next_conn.saturating_add(1);
        self.conns.insert(
            key,
            Conn {
                id,
                next_call: 1,
                connected: false,
                phase: None,
                notify_sent: false,
                notify_received: false,
                last_error: SslError::None,
                reset: false,
                error: None,
                handshake_done: false,
                tls_sent: false,
                misuse: Misuse::new(),
            },
        );
        let t = self.t(rec.t);
        let proc = self.procs.entry(rec.pid).or_insert_with(|| Proc {
            exe: String::new(),
            lost: 0,
            reported: 0,
            last_conn: None,
        });
        proc.last_conn = Some(id);
        let program = ev::program(proc.exe.clone(), rec.pid, rec.tid, rec.ssl);
        out.push(Out::Event(ev::at(t, id, program)));
        // The program connected on its own; the phase says it happened (before any I/O).
        out.push(Out::Event(ev::at(t, id, ev::phase(Phase::Connect))));
        id
    }

    /// Takes one record; what it means goes to `out`.
    pub(crate) fn feed(&mut self, rec: &Rec, tail: &[u8], out: &mut Vec<Out>) {
        let proc = self.procs.entry(rec.pid).or_insert_with(|| Proc {
            exe: String::new(),
            lost: 0,
            reported: 0,
            last_conn: None,
        });
        proc.lost = proc.lost.max(rec.lost);
        if proc.lost > proc.reported {
            // Counted on a connection still open: this record's, else the process's latest
            // (after its close, only the exit report counts them).
            let live = |id: ConnId| self.conns.values().any(|c| c.id == id);
            let at = self
                .conns
                .get(&(rec.pid, rec.ssl))
                .map(|c| c.id)
                .or(proc.last_conn.filter(|&id| live(id)));
            if let Some(conn) = at {
                let count = u64::from(proc.lost - proc.reported);
                proc.reported = proc.lost;
                let t = rec.t.saturating_sub(self.t0);
                out.push(Out::Event(ev::at(t, conn, ev::dropped(count))));
            }
        }
        let parts = wire::parts(tail);
        match rec.kind {
            Kind::Hello => proc.exe = text(parts.first()),
            Kind::Io | Kind::Msg => self
                .nested
                .entry((rec.pid, rec.tid))
                .or_default()
                .push((*rec, None)),
            Kind::State => {
                let text = String::from_utf8_lossy(parts.first().copied().unwrap_or_default());
                self.nested
                    .entry((rec.pid, rec.tid))
                    .or_default()
                    .push((*rec, Some(StateText::intern(&text))));
            }
            Kind::Call => self.call(rec, tail, out),
            Kind::Wait => self.wait(rec, out),
            Kind::Peer => {
                let id = self.conn(rec, out);
                let (Some(local), Some(peer)) = (
                    parts.first().and_then(|p| sockaddr(p)),
                    parts.get(1).and_then(|p| sockaddr(p)),
                ) else {
                    return;
                };
                if let Some(c) = self.conns.get_mut(&(rec.pid, rec.ssl)) {
                    if !c.connected {
                        c.connected = true;
                        out.push(Out::Event(ev::at(
                            self.t(rec.t),
                            id,
                            ev::connected(local, peer),
                        )));
                    }
                }
            }
            Kind::Tls => {
                let id = self.conn(rec, out);
                match self.conns.get_mut(&(rec.pid, rec.ssl)) {
                    Some(c) if !c.tls_sent => c.tls_sent = true,
                    _ => return,
                }
                let sni = Some(text(parts.get(2))).filter(|s| !s.is_empty());
                // A handshake that completed with a failed verification: the program did not
                // enforce it (as curl -k, or a server without client certificates).
                let verify = if rec.b == 0 { "ok" } else { "skipped" };
                let kind = ev::tls(
                    text(parts.first()),
                    text(parts.get(1)),
                    sni,
                    verify.into(),
                    rec.a == 1,
                );
                out.push(Out::Event(ev::at(self.t(rec.t), id, kind)));
            }
            Kind::Free => {
                let t = self.t(rec.t);
                if let Some(mut c) = self.conns.remove(&(rec.pid, rec.ssl)) {
                    c.misuse.feed(Obs::Free { t });
                    out.push(close_of(c, t, CloseReason::Freed));
                }
            }
            Kind::Sock => {
                if let Some(c) = self.conns.get(&(rec.pid, rec.ssl)) {
                    out.push(Out::Event(ev::at(self.t(rec.t), c.id, ev::sock(rec, tail))));
                }
            }
            Kind::New | Kind::SetFd | Kind::GetError | Kind::Pending | Kind::Bye => {}
        }
    }

    fn call(&mut self, rec: &Rec, tail: &[u8], out: &mut Vec<Out>) {
        let Some(op) = op_of(rec.op) else {
            return;
        };
        self.calls += 1;
        let conn = self.conn(rec, out);
        let t = self.t(rec.t);
        let nested = self.nested.remove(&(rec.pid, rec.tid)).unwrap_or_default();
        let t0 = self.t0;
        let Some(c) = self.conns.get_mut(&(rec.pid, rec.ssl)) else {
            return;
        };
        // Until the handshake is complete every call drives it (s_client's first call is a
        // zero-length SSL_write).
        let phase = match op.classic() {
            Op::Shutdown => Phase::Shutdown,
            _ if !c.handshake_done => Phase::Handshake,
            Op::DoHandshake => Phase::Handshake,
            _ => Phase::Workload,
        };
        c.handshake_done |= rec.flags & wire::INIT_FINISHED != 0;
        if c.phase != Some(phase) && !(c.phase == Some(Phase::Shutdown)) {
            c.phase = Some(phase);
            out.push(Out::Event(ev::at(t, conn, ev::phase(phase))));
        }
        let id = c.next_call;
        c.next_call += 1;
        for (io, text) in nested.iter().filter(|(io, _)| io.ssl == rec.ssl) {
            if io.kind != Kind::Io {
                let kind = nested_kind(io, *text, id);
                out.push(Out::Event(ev::at(io.t.saturating_sub(t0), conn, kind)));
                continue;
            }
            let dir = if io.op == 0 { Dir::Read } else { Dir::Write };
            if io.ret < 0 && io.err == libc::ECONNRESET {
                c.reset = true;
            }
            let kind = ev::io(Some(id), dir, io.a, io.ret, io.err);
            out.push(Out::Event(ev::at(io.t.saturating_sub(t0), conn, kind)));
        }
        let error = SslError::from_code(rec.err);
        let parts = wire::parts(tail);
        let pending = parts
            .first()
            .and_then(|p| <[u8; 4]>::try_from(*p).ok())
            .map_or(0, u32::from_le_bytes);
        out.push(Out::Event(ev::at(
            t,
            conn,
            ev::call(id, op, rec.ret, error, rec.dur, rec.c),
        )));
        c.misuse.feed(Obs::Call {
            id,
            t,
            op,
            error,
            bytes: rec.c,
            len: rec.a,
            buf: rec.b,
            pending,
        });
        if op == Op::Shutdown && rec.ret >= 0 {
            c.notify_sent = true;
            c.notify_received |= rec.ret == 1;
        }
        if error == SslError::ZeroReturn {
            c.notify_received = true;
        }
        if matches!(error, SslError::Ssl | SslError::Syscall)
            && !(op.classic() == Op::Write && rec.a == 0)
        {
            let reason = text(parts.get(1));
            c.error.get_or_insert_with(|| match reason.is_empty() {
                true => format!("{} failed: SSL_ERROR_{}", op.name(), error.name()),
                false => format!("{} failed: {reason}", op.name()),
            });
        }
        c.last_error = error;
    }

    fn wait(&mut self, rec: &Rec, out: &mut Vec<Out>) {
        let t = self.t(rec.t);
        let Some(c) = self.conns.get_mut(&(rec.pid, rec.ssl)) else {
            return; // a socket whose SSL object is gone
        };
        let Some(interest) = interest_of(rec.a) else {
            return;
        };
        out.push(Out::Event(ev::at(
            t,
            c.id,
            ev::wait(interest, rec.dur, woke_of(rec, interest)),
        )));
        c.misuse.feed(Obs::Wait { t, interest });
    }

    /// After the program ended: the records lost, and the connections it never freed.
    pub(crate) fn finish(&mut self, now: u64, out: &mut Vec<Out>) {
        let t = self.t(now);
        for p in self.procs.values_mut() {
            let live = |id: ConnId| self.conns.values().any(|c| c.id == id);
            if let Some(conn) = p.last_conn.filter(|&id| live(id) && p.lost > p.reported) {
                let count = u64::from(p.lost - p.reported);
                p.reported = p.lost;
                out.push(Out::Event(ev::at(t, conn, ev::dropped(count))));
            }
        }
        let mut open: Vec<Conn> = self.conns.drain().map(|(_, c)| c).collect();
        open.sort_by_key(|c| c.id);
        for c in open {
            out.push(close_of(c, t, CloseReason::Exited));
        }
    }

    /// Records lost in all processes.
    pub(crate) fn lost(&self) -> u64 {
        self.procs.values().map(|p| u64::from(p.lost)).sum()
    }
}

/// A state or message record inside call `id` as its trace event.
fn nested_kind(rec: &Rec, text: Option<StateText>, id: CallId) -> EventKind {
    if rec.kind == Kind::State {
        let text = text.unwrap_or_else(|| StateText::of_static("unknown state"));
        return EventKind::State(State::new(Some(id), text, rec.a as u32, rec.ret as i32));
    }
    let [b0, b1, _, _, b4, ..] = rec.b.to_le_bytes();
    let content = rec.a as u8;
    let (level, msg_type) = match content {
        21 => (b0, b1),
        22 => (0, b0),
        _ => (0, 0),
    };
    // KeyUpdate: type(1) length(3) request_update(1).
    let request_update = if content == 22 && msg_type == 24 {
        b4
    } else {
        0
    };
    let dir = if rec.op != 0 { MsgDir::Out } else { MsgDir::In };
    let len = u32::try_from(rec.c).unwrap_or(u32::MAX);
    EventKind::Msg(Msg::new(
        Some(id),
        dir,
        content,
        msg_type,
        level,
        request_update,
        len,
    ))
}

/// How a connection ended, from what its calls returned; `ended`: how the program ended it when its calls say nothing else (freed, or exited).
fn close_of(c: Conn, t: Nanos, ended: CloseReason) -> Out {
    let reason = if c.reset {
        CloseReason::Reset
    } else if c.notify_sent || c.notify_received {
        CloseReason::Clean
    } else {
        match c.last_error {
            SslError::Syscall => CloseReason::Eof,
            SslError::Ssl => CloseReason::Failed,
            _ => ended,
        }
    };
    let close = ev::at(t, c.id, ev::close(reason, c.notify_sent, c.notify_received));
    let error = c.error.map(|e| ev::at(t, c.id, ev::error(&e)));
    Out::Ended(error, close, Box::new(c.misuse))
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;

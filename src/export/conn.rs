//! One connection's events turned into packets: the TCP flow ([`super::tcp::Flow`]) opened on
//! `connected`, data from `wire` events, acknowledgements after calls, the ends on EOF, reset
//! and `close`; each packet commented with the trace's connection, call and time, so a packet
//! can be found from a call and back.
//!
//! Consecutive reads (or writes) inside one call with no would-block between them go out as one
//! segment: OpenSSL reads a record header and then its body, and the peer sent them together.

use super::tcp::{Flow, Packet, MAX_SEGMENT};
use crate::trace::{format, CallId, CloseReason, Dir, Event, EventKind, Nanos, Phase, Wire};
use crate::trace::{ConnId, CAPTURE_LIMIT};

/// What the writer does after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum After {
    /// Packets (if any) go out, or are held while the handshake runs.
    Continue,
    /// The handshake is done: write the secrets, then the held packets.
    HandshakeDone,
    /// The connection ended: write everything and forget it.
    Closed,
}

/// Socket operations of one direction and call not yet written.
struct Pending {
    t: Nanos,
    call: Option<CallId>,
    dir: Dir,
    ops: u32,
    data: Vec<u8>,
}

#[derive(Default)]
pub(super) struct ConnCapture {
    pub epoch_unix_ns: Option<u64>,
    connect_t: Option<Nanos>,
    flow: Option<Flow>,
    pending: Option<Pending>,
    /// Key log lines not yet written in a secrets block.
    pub secrets: Vec<Box<str>>,
    /// Packets held until the handshake is done, so that every secret it derives goes in the
    /// file before them (bounded by the capture limit).
    pub held: Vec<Packet>,
    /// The handshake is done: packets go out as they come.
    pub released: bool,
    /// The capture limit cut this connection's bytes short.
    pub cut: bool,
    /// The next packet says so.
    note_cut: bool,
}

impl ConnCapture {
    /// Adds the packets `event` makes to `out`.
    pub(super) fn feed(&mut self, event: &Event, out: &mut Vec<Packet>) -> After {
        let before = out.len();
        let after = self.packets(event, out);
        if self.note_cut && out.len() > before {
            self.note_cut = false;
            let text = format!(
                "tlsscope: capture limit of {} reached on this connection; later bytes were not \
                 captured (their sequence numbers are skipped)",
                format::bytes(CAPTURE_LIMIT)
            );
            comment(out.last_mut(), text);
        }
        after
    }

    fn packets(&mut self, event: &Event, out: &mut Vec<Packet>) -> After {
        let (id, t) = (event.conn, event.t);
        if !self.continues_pending(&event.kind) {
            self.flush(id, out);
        }
        match &event.kind {
            EventKind::Setup(setup) => {
                *self = ConnCapture {
                    epoch_unix_ns: setup.epoch_unix_ns,
                    ..ConnCapture::default()
                }
            }
            EventKind::Phase(Phase::Connect) => self.connect_t = Some(t),
            EventKind::Connected(ends) => {
                let syn_t = self.connect_t.unwrap_or(t);
                let (flow, packets) = Flow::open(id, ends.local, ends.peer, syn_t, t);
                let first = out.len();
                out.extend(packets);
                comment(
                    out.get_mut(first),
                    format!(
                        "tlsscope [{id}] connect began at {}, connected at {}",
                        format::clock(syn_t),
                        format::clock(t)
                    ),
                );
                self.flow = Some(flow);
            }
            EventKind::Wire(wire) => self.wire(id, t, wire, out),
            EventKind::Io(io) => {
                if let Some(flow) = self.flow.as_mut() {
                    if io.is_eof() {
                        flow.peer_fin(t, out);
                    } else if io.os_error() == Some(libc::ECONNRESET) {
                        flow.peer_reset(t, out);
                    }
                }
            }
            EventKind::Call(_) | EventKind::Wait(_) => {
                if let Some(flow) = self.flow.as_mut() {
                    flow.ack_pending(t, out);
                }
            }
            EventKind::Secret(line) => self.secrets.push(Box::from(&**line)),
            EventKind::Tls(_) => return After::HandshakeDone,
            EventKind::Close(close) => {
                if let Some(flow) = self.flow.as_mut() {
                    flow.ack_pending(t, out);
                    if close.reason != CloseReason::Reset {
                        flow.close(t, out);
                    }
                }
                return After::Closed;
            }
            _ => {}
        }
        After::Continue
    }

    /// Writes what is pending (the end of a run of reads or writes).
    pub(super) fn flush(&mut self, id: ConnId, out: &mut Vec<Packet>) {
        let (Some(p), Some(flow)) = (self.pending.take(), self.flow.as_mut()) else {
            return;
        };
        let first = out.len();
        flow.data(p.t, p.dir, &p.data, out);
        let call = match p.call {
            Some(call) => format!("in call #{call}"),
            None => "by tlsscope itself".to_string(),
        };
        let what = match p.ops {
            1 => format!("socket {}", p.dir.name()),
            n => format!("{n} socket {}s", p.dir.name()),
        };
        let text = format!(
            "tlsscope [{id}] {what} of {} B {call} at {}",
            p.data.len(),
            format::clock(p.t)
        );
        comment(out.get_mut(first), text);
    }

    /// An event that does not end the pending run: the next read or write of it (its `io`
    /// event, then its `wire`), or what the callbacks said in between.
    fn continues_pending(&self, kind: &EventKind) -> bool {
        let Some(p) = &self.pending else {
            return true;
        };
        match kind {
            EventKind::State(_) | EventKind::Msg(_) | EventKind::Secret(_) => true,
            EventKind::Io(io) => io.got > 0 && io.dir == p.dir && io.call() == p.call,
            EventKind::Wire(w) => w.dir == p.dir && w.call == p.call,
            _ => false,
        }
    }

    fn wire(&mut self, id: ConnId, t: Nanos, wire: &Wire, out: &mut Vec<Packet>) {
        if self.flow.is_none() {
            return;
        }
        if self
            .pending
            .as_ref()
            .is_some_and(|p| p.data.len() + wire.data.len() > MAX_SEGMENT)
        {
            self.flush(id, out);
        }
        let p = self.pending.get_or_insert_with(|| Pending {
            t,
            call: wire.call,
            dir: wire.dir,
            ops: 0,
            data: Vec::new(),
        });
        p.ops += 1;
        p.data.extend_from_slice(&wire.data);
        if !wire.is_cut() {
            return;
        }
        self.flush(id, out);
        if let Some(flow) = self.flow.as_mut() {
            if !self.cut {
                // The receiver acknowledges what was captured, and that packet says why
                // nothing follows.
                self.cut = true;
                self.note_cut = true;
                flow.ack_pending(t, out);
            }
            flow.skip(wire.dir, u64::from(wire.moved) - wire.data.len() as u64);
        }
    }
}

/// Adds `text` to a packet's comment.
fn comment(packet: Option<&mut Packet>, text: String) {
    if let Some(p) = packet {
        p.comment = Some(match p.comment.take() {
            Some(first) => format!("{first}; {text}"),
            None => text,
        });
    }
}

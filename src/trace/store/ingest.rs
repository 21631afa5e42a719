//! Ingest: how each event lands in a connection's columns. Times are clamped so every column
//! stays sorted even when the engine reports a call's start after its nested events.

use super::classes::{CallClass, IoClass, WaitClass};
use super::conn::ConnTrace;
use crate::trace::event::*;

impl ConnTrace {
    pub(crate) fn push(&mut self, e: &Event) {
        let index = self.events.len() as u32;
        self.first_t = self.first_t.min(e.t);
        match &e.kind {
            EventKind::Phase(p) => self.phase = Some(*p),
            EventKind::Call(c) => self.push_call(e.t, c, index),
            EventKind::Io(io) => {
                let t = e.t.max(self.io.start.last().copied().unwrap_or(0));
                self.io.push(t, t, IoClass::of(io));
                self.io_event.push(index);
            }
            EventKind::Wait(w) => self.push_wait(e.t, w),
            EventKind::State(s) => {
                let t = e.t.max(self.states.last().map_or(0, |s| s.0));
                self.states.push((t, *s));
            }
            EventKind::Msg(m) => {
                let t = e.t.max(self.msgs.last().map_or(0, |m| m.0));
                self.msgs.push((t, *m));
            }
            EventKind::Sock(s) => self.push_sock(e.t, s),
            EventKind::Tls(info) => self.tls = Some((**info).clone()),
            EventKind::Chain(info) => self.chain = Some((**info).clone()),
            EventKind::Connected(ep) => self.endpoints = Some(**ep),
            EventKind::Close(c) => self.close = Some(*c),
            EventKind::Error(msg) => self.error = Some(msg.to_string()),
            EventKind::Wire(w) => {
                // Kept only in `events`, for the capture export (bounded per connection).
                self.wire_bytes += w.data.len() as u64;
                self.wire_cut |= w.is_cut();
            }
            EventKind::Dropped { .. }
            | EventKind::Paused(_)
            | EventKind::Secret(_)
            | EventKind::Program(_)
            | EventKind::Plain(_)
            | EventKind::Setup(_)
            | EventKind::Http(_)
            | EventKind::Verdict(_)
            | EventKind::Timing(_) => {}
        }
        self.facts.feed(e);
        self.last_t = self.last_t.max(e.t);
        self.events.push(e.clone());
        if matches!(e.kind, EventKind::Close(_)) {
            self.shrink();
        }
    }

    fn push_call(&mut self, t: Nanos, c: &Call, index: u32) {
        let last = self.calls.len().checked_sub(1).and_then(|i| self.call(i));
        let attempt = match last {
            Some(prev) if prev.op == c.op && prev.error.is_want() => self.last_attempt + 1,
            _ => 1,
        };
        self.last_attempt = attempt;
        let start = t.max(self.calls.end.last().copied().unwrap_or(0));
        let end = start + c.dur();
        self.calls.push(start, end, CallClass::of(c.error));
        self.call_event.push(index);
        // Kept as spans while recording so the timeline can query the visible runs.
        let i = self.call_event.len() - 1;
        if attempt == 2 {
            let first_start = self.calls.start[i - 1];
            self.retries.push(first_start, end, ());
            self.retry_first
                .push(u32::try_from(i - 1).unwrap_or(u32::MAX));
            self.retry_attempts.push(2);
        } else if attempt > 2 {
            self.retries.extend_last(end);
            if let Some(n) = self.retry_attempts.last_mut() {
                *n = attempt;
            }
        }
        self.last_t = self.last_t.max(end);
    }

    fn push_wait(&mut self, t: Nanos, w: &Wait) {
        let start = t.max(self.waits.end.last().copied().unwrap_or(0));
        self.waits
            .push(start, start + w.dur, WaitClass::of(w.interest));
        self.wait_woke.push(w.woke);
        let i = self.waits.len() - 1;
        let longer = |j: usize| w.dur > self.waits.duration(j);
        if self.longest_wait.is_none_or(longer) {
            self.longest_wait = Some(i);
        }
        self.last_t = self.last_t.max(start + w.dur);
    }

    fn push_sock(&mut self, t: Nanos, s: &Sock) {
        let t = t.max(self.inq.t.last().copied().unwrap_or(0));
        self.inq.push(t, s.inq);
        self.outq.push(t, s.outq);
        self.pending.push(t, s.ssl_pending);
        self.sndbuf = Some(s.sndbuf);
        self.rcvbuf = Some(s.rcvbuf);
        if let Some(tcp) = s.tcp {
            // The kernel reports 0 until it has measured a round trip: unknown, not 0.
            if tcp.rtt_us > 0 {
                self.rtt_us.push(t, tcp.rtt_us);
            }
            self.snd_wnd.push(t, tcp.snd_wnd);
        }
    }
}

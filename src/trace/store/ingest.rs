//! Ingest: how each event lands in a connection's columns. Each column holds indices into the
//! events and reads its times from them, so a column's times are made sorted on the way in: an
//! event that would go back in time (a call reported to start before the previous one ended, an
//! odd file) is kept with its time moved to the column's last, and the verdict sees it as sent.

use super::classes::{CallClass, IoClass, WaitClass};
use super::conn::ConnTrace;
use super::stored::Stored;
use super::timed::{span_end, span_start, Timed};
use crate::trace::event::*;

impl ConnTrace {
    /// Adds `e`, moved in: a boxed payload (`sock`, `tls`, …) is kept, not copied.
    pub(crate) fn push(&mut self, e: Event) {
        let index = self.events.len() as u32;
        self.first_t = self.first_t.min(e.t);
        let mut kept_t = e.t;
        match &e.kind {
            EventKind::Phase(p) => self.phase = Some(*p),
            EventKind::Call(c) => kept_t = self.push_call(e.t, c, index),
            EventKind::Io(io) => {
                let last = self.io_spans.event.last();
                kept_t = e.t.max(last.map_or(0, |i| span_start(&self.events, i)));
                self.io_spans.push(index, IoClass::of(io), kept_t);
            }
            EventKind::Wait(w) => kept_t = self.push_wait(e.t, w, index),
            EventKind::State(s) => {
                let t = e.t.max(self.states.last().map_or(0, |s| s.0));
                self.states.push((t, *s));
            }
            EventKind::Msg(m) => {
                let t = e.t.max(self.msgs.last().map_or(0, |m| m.0));
                self.msgs.push((t, *m));
            }
            EventKind::Sock(s) => kept_t = self.push_sock(e.t, s, index),
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
        self.facts.feed(&e);
        self.last_t = self.last_t.max(e.t);
        let closed = matches!(e.kind, EventKind::Close(_));
        self.events.push(Stored {
            t: kept_t,
            kind: e.kind,
        });
        if closed {
            self.shrink();
        }
    }

    /// Adds call `index` to the calls and retry runs; returns its start as kept.
    fn push_call(&mut self, t: Nanos, c: &Call, index: u32) -> Nanos {
        let calls = self.call_spans.len();
        let last = calls.checked_sub(1).and_then(|i| self.call(i));
        let attempt = match last {
            Some(prev) if prev.op == c.op && prev.error.is_want() => self.last_attempt + 1,
            _ => 1,
        };
        self.last_attempt = attempt;
        let last_end = self.call_spans.event.last();
        let start = t.max(last_end.map_or(0, |i| span_end(&self.events, i)));
        self.call_spans.push(index, CallClass::of(c.error), start);
        // Runs are kept while recording so the timeline can query the visible ones.
        if attempt == 2 {
            let first_start = self.calls().start(calls - 1);
            self.retry_heads.push(self.retry_first.len(), first_start);
            self.retry_first
                .push(u32::try_from(calls - 1).unwrap_or(u32::MAX));
            self.retry_attempts.push(2);
        } else if attempt > 2 {
            if let Some(n) = self.retry_attempts.last_mut() {
                *n = attempt;
            }
        }
        self.last_t = self.last_t.max(start + c.dur());
        start
    }

    /// Adds wait `index`; returns its start as kept.
    fn push_wait(&mut self, t: Nanos, w: &Wait, index: u32) -> Nanos {
        let last_end = self.wait_spans.event.last();
        let start = t.max(last_end.map_or(0, |i| span_end(&self.events, i)));
        self.wait_spans
            .push(index, WaitClass::of(w.interest), start);
        let i = self.wait_spans.len() - 1;
        let longer = |j: usize| self.wait(j).is_none_or(|l| w.dur > l.dur);
        if self.longest_wait.is_none_or(longer) {
            self.longest_wait = Some(i);
        }
        self.last_t = self.last_t.max(start + w.dur);
        start
    }

    /// Adds the levels of sample `index`; returns its time as kept.
    fn push_sock(&mut self, t: Nanos, s: &Sock, index: u32) -> Nanos {
        let last = self.inq.event.last();
        let t = t.max(last.map_or(0, |i| span_start(&self.events, i)));
        self.inq.push(index, s.inq, t);
        self.outq.push(index, s.outq, t);
        self.pending.push(index, s.ssl_pending, t);
        self.sndbuf = Some(s.sndbuf);
        self.rcvbuf = Some(s.rcvbuf);
        if let Some(tcp) = s.tcp {
            // The kernel reports 0 until it has measured a round trip: unknown, not 0.
            if tcp.rtt_us > 0 {
                self.rtt_us.push(index, tcp.rtt_us, t);
            }
            self.snd_wnd.push(index, tcp.snd_wnd, t);
        }
        t
    }
}

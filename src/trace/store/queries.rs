//! Queries of one connection that views and tests ask: which call is where, what happened
//! inside a call, buffer levels at an instant, and which call is most worth explaining.

use super::classes::CallClass;
use super::conn::ConnTrace;
use super::stored::Stored;
use super::timed::{first, Timed};
use crate::trace::event::*;

impl ConnTrace {
    /// The call at time `t`, if one was running then.
    pub fn call_at(&self, t: Nanos) -> Option<usize> {
        self.calls().at(t)
    }

    /// The run of retries call `i` belongs to, if it was retried or is a retry.
    pub fn retry_run(&self, i: usize) -> Option<usize> {
        let (start, _) = self.calls().get(i)?;
        let r = self.retries().started_by(start).checked_sub(1)?;
        let first = self.retry_first[r] as usize;
        (first..first + self.retry_attempts[r] as usize)
            .contains(&i)
            .then_some(r)
    }

    /// The call with OpenSSL-call id `id`.
    pub fn call_index(&self, id: CallId) -> Option<usize> {
        // Ids grow by one per call, so the index is usually id - 1; search otherwise.
        let guess = (id as usize).checked_sub(1)?;
        if self.call(guess).is_some_and(|c| c.id == id) {
            return Some(guess);
        }
        (0..self.call_spans.len()).find(|&i| self.call(i).is_some_and(|c| c.id == id))
    }

    /// The socket operations, states and messages inside call `i` (in time order).
    pub fn nested(&self, i: usize) -> Vec<&Stored> {
        let (Some(id), Some(last)) = (self.call(i).map(|c| c.id), self.call_event(i)) else {
            return Vec::new();
        };
        // A call's nested events arrive just before the call itself, after the previous call.
        let first = i
            .checked_sub(1)
            .and_then(|p| self.call_event(p))
            .map_or(0, |p| p as usize + 1);
        let last = last as usize;
        self.events[first.min(last)..last]
            .iter()
            .filter(|e| e.call_id() == Some(id))
            .collect()
    }

    /// The readiness wait that followed call `i` (before the next call), if any.
    pub fn wait_after(&self, i: usize) -> Option<usize> {
        let (calls, waits) = (self.calls(), self.waits());
        let (_, end) = calls.get(i)?;
        let w = first(waits.len(), |w| waits.start(w) >= end);
        let (ws, _) = waits.get(w)?;
        calls
            .get(i + 1)
            .is_none_or(|(next, _)| ws <= next)
            .then_some(w)
    }

    /// Kernel and OpenSSL buffer levels at instant `t`.
    pub fn levels_at(&self, t: Nanos) -> Option<(u32, u32, u32)> {
        let ev = &self.events;
        Some((
            self.inq.at(ev, t)?,
            self.outq.at(ev, t)?,
            self.pending.at(ev, t)?,
        ))
    }

    /// The buffer levels sampled right after `t` (the engine samples after each call), or the
    /// last ones before it; with the sample's time.
    pub fn levels_after(&self, t: Nanos) -> Option<(Nanos, (u32, u32, u32))> {
        let i = self.inq.before(&self.events, t, true);
        let i = if i < self.inq.len() {
            i
        } else {
            i.checked_sub(1)?
        };
        let at = self.inq.time(&self.events, i);
        Some((at, (self.inq.v[i], self.outq.v[i], self.pending.v[i])))
    }

    /// Index range of the handshake states whose span (to the next state) overlaps `t0..=t1`,
    /// with one more on each side so the spans reach the edges.
    pub fn states_around(&self, t0: Nanos, t1: Nanos) -> (usize, usize) {
        let a = self.states.partition_point(|s| s.0 < t0).saturating_sub(1);
        let b = (self.states.partition_point(|s| s.0 <= t1) + 1).min(self.states.len());
        (a, b.max(a))
    }

    /// Index range of the TLS messages within `t0..=t1`.
    pub fn msgs_within(&self, t0: Nanos, t1: Nanos) -> (usize, usize) {
        let a = self.msgs.partition_point(|m| m.0 < t0);
        let b = self.msgs.partition_point(|m| m.0 <= t1);
        (a, b.max(a))
    }

    /// Where the trace ends at `now`: its last event once closed, else now.
    pub fn end_at(&self, now: Nanos) -> Nanos {
        if self.close.is_some() {
            self.last_t
        } else {
            now.max(self.last_t)
        }
    }

    /// The call most worth explaining in a finished trace: the first WANT_WRITE, else the first
    /// read that wrote (a handshake inside SSL_read), else the last call.
    pub fn interesting_call(&self) -> Option<usize> {
        if let Some(i) =
            (0..self.call_spans.len()).find(|&i| self.call_spans.class(i) == CallClass::WantWrite)
        {
            return Some(i);
        }
        let wrote = |e: &&Stored| matches!(&e.kind, EventKind::Io(io) if io.dir == Dir::Write && io.got > 0);
        let read_that_wrote = (0..self.call_spans.len()).find(|&i| {
            self.call(i).is_some_and(|c| c.op == Op::Read) && self.nested(i).iter().any(wrote)
        });
        read_that_wrote.or(self.call_spans.len().checked_sub(1))
    }
}

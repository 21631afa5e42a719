//! Everything recorded about one connection, as sorted columns per kind of event.

use super::classes::{CallClass, IoClass, WaitClass};
use super::series::Series;
use super::spans::Spans;
use crate::trace::event::*;
use crate::trace::verdict::Facts;

/// Everything recorded about one connection.
#[derive(Debug, Default)]
pub struct ConnTrace {
    pub id: ConnId,
    /// All events in arrival order (the events table shows these).
    pub events: Vec<Event>,
    /// Calls as spans; the rest of a call (id, operation, result, bytes) is read from its event
    /// ([`ConnTrace::call`]) rather than kept twice.
    pub calls: Spans<CallClass>,
    /// Index of the call's event in `events`.
    pub call_event: Vec<u32>,
    /// The attempt number of the last call (see [`ConnTrace::attempt`]).
    pub(super) last_attempt: u32,
    /// Runs of retries: each span goes from the first to the last attempt of one operation that
    /// was called again after WANT_* (two attempts or more).
    pub retries: Spans<()>,
    /// Per run: index of its first call, and how many attempts it has so far.
    pub retry_first: Vec<u32>,
    pub retry_attempts: Vec<u32>,
    /// Readiness waits.
    pub waits: Spans<WaitClass>,
    pub wait_woke: Vec<Woke>,
    /// The longest readiness wait so far (index into `waits`).
    pub longest_wait: Option<usize>,
    /// Socket operations (points in time).
    pub io: Spans<IoClass>,
    pub io_event: Vec<u32>,
    /// Handshake states: span from one transition to the next.
    pub states: Vec<(Nanos, State)>,
    pub msgs: Vec<(Nanos, Msg)>,
    pub inq: Series,
    pub outq: Series,
    pub pending: Series,
    pub sndbuf: Option<u32>,
    pub rcvbuf: Option<u32>,
    pub rtt_us: Series,
    pub snd_wnd: Series,
    pub phase: Option<Phase>,
    pub tls: Option<TlsInfo>,
    /// The chain of a handshake that failed after the server's certificates arrived.
    pub chain: Option<crate::trace::chain::ChainInfo>,
    pub endpoints: Option<Endpoints>,
    pub close: Option<Close>,
    pub error: Option<String>,
    pub first_t: Nanos,
    pub last_t: Nanos,
    /// Raw socket bytes held in `events` for the capture export, and whether the capture
    /// limit ([`crate::trace::CAPTURE_LIMIT`]) cut them short.
    pub wire_bytes: u64,
    pub wire_cut: bool,
    /// The verdict's bounded summary of this connection, fed with every event.
    pub facts: Facts,
}

impl ConnTrace {
    pub(crate) fn new(id: ConnId) -> ConnTrace {
        ConnTrace {
            id,
            first_t: Nanos::MAX,
            facts: Facts::new(id),
            io: Spans::points(),
            ..Default::default()
        }
    }

    /// Call `i`'s own event: its id, operation, return value, error, duration and bytes.
    pub fn call(&self, i: usize) -> Option<&Call> {
        let e = self.events.get(*self.call_event.get(i)? as usize)?;
        match &e.kind {
            EventKind::Call(c) => Some(c),
            _ => None,
        }
    }

    /// How many calls in a row, up to call `i`, were the same operation retried after WANT_*
    /// (1 for a call that was not a retry).
    pub fn attempt(&self, i: usize) -> u32 {
        self.retry_run(i).map_or(1, |r| {
            let first = self.retry_first[r] as usize;
            u32::try_from(i - first + 1).unwrap_or(u32::MAX)
        })
    }

    /// Bytes this store holds for the connection (the events and each index on them; the
    /// vectors' lengths, not their spare room).
    pub fn memory(&self) -> usize {
        self.memory_parts().iter().map(|p| p.1).sum()
    }

    /// [`ConnTrace::memory`] by part, for the benchmark's account of what an event costs.
    pub fn memory_parts(&self) -> [(&'static str, usize); 6] {
        use std::mem::size_of;
        let series = |s: &Series| s.t.len() * (size_of::<Nanos>() + size_of::<u32>() + 1);
        let spans = |n: usize, per: f64| (n as f64 * per) as usize;
        [
            (
                "events",
                self.events.len() * size_of::<Event>() + self.wire_bytes as usize,
            ),
            (
                "calls",
                spans(self.calls.len(), self.calls.bytes_per_span())
                    + self.call_event.len() * 4
                    + self.retries.len() * (16 + 8),
            ),
            (
                "io",
                spans(self.io.len(), self.io.bytes_per_span()) + self.io_event.len() * 4,
            ),
            (
                "waits",
                spans(self.waits.len(), self.waits.bytes_per_span()) + self.wait_woke.len(),
            ),
            (
                "levels",
                [
                    &self.inq,
                    &self.outq,
                    &self.pending,
                    &self.rtt_us,
                    &self.snd_wnd,
                ]
                .into_iter()
                .map(series)
                .sum(),
            ),
            (
                "states, msgs",
                self.states.len() * size_of::<(Nanos, State)>()
                    + self.msgs.len() * size_of::<(Nanos, Msg)>(),
            ),
        ]
    }

    /// Gives back the room the vectors grew into while the connection was recorded (once it
    /// closed, or a file finished loading): up to half of each vector otherwise.
    pub(crate) fn shrink(&mut self) {
        self.events.shrink_to_fit();
        self.calls.shrink();
        self.call_event.shrink_to_fit();
        self.retries.shrink();
        self.retry_first.shrink_to_fit();
        self.retry_attempts.shrink_to_fit();
        self.waits.shrink();
        self.wait_woke.shrink_to_fit();
        self.io.shrink();
        self.io_event.shrink_to_fit();
        self.states.shrink_to_fit();
        self.msgs.shrink_to_fit();
        for s in [
            &mut self.inq,
            &mut self.outq,
            &mut self.pending,
            &mut self.rtt_us,
            &mut self.snd_wnd,
        ] {
            s.shrink();
        }
    }
}

//! Everything recorded about one connection: its events, and per kind of event a sorted column
//! of indices into them (the times are read from the events, not copied).

use super::classes::{CallClass, IoClass, WaitClass};
use super::heads::Heads;
use super::runs::RunView;
use super::series::Series;
use super::spans::{SpanView, Spans};
use super::stored::Stored;
use crate::trace::event::*;
use crate::trace::verdict::Facts;

/// Everything recorded about one connection.
#[derive(Debug, Default)]
pub struct ConnTrace {
    pub id: ConnId,
    /// All events in arrival order (the events table shows these).
    pub events: Vec<Stored>,
    /// Calls as spans (their times are their events'); the rest of a call (id, operation,
    /// result, bytes) is read from its event ([`ConnTrace::call`]) rather than kept twice.
    pub call_spans: Spans<CallClass>,
    /// The attempt number of the last call (see [`ConnTrace::attempt`]).
    pub(super) last_attempt: u32,
    /// Runs of retries (see [`ConnTrace::retries`]): per run, the index of its first call and
    /// how many attempts it has so far (two or more).
    pub retry_first: Vec<u32>,
    pub retry_attempts: Vec<u32>,
    /// Every 64th run's start, for finding where a pixel bucket of runs ends.
    pub(super) retry_heads: Heads,
    /// Readiness waits.
    pub wait_spans: Spans<WaitClass>,
    /// The longest readiness wait so far (index into the waits).
    pub longest_wait: Option<usize>,
    /// Socket operations (points in time).
    pub io_spans: Spans<IoClass>,
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
            ..Default::default()
        }
    }

    /// The calls as spans, with their times.
    pub fn calls(&self) -> SpanView<'_, CallClass> {
        self.call_spans.view(&self.events)
    }

    /// The socket operations as points in time.
    pub fn io(&self) -> SpanView<'_, IoClass> {
        self.io_spans.view(&self.events)
    }

    /// The readiness waits as spans.
    pub fn waits(&self) -> SpanView<'_, WaitClass> {
        self.wait_spans.view(&self.events)
    }

    /// The runs of retries: from the first attempt of one operation called again after WANT_*
    /// to its last attempt.
    pub fn retries(&self) -> RunView<'_> {
        RunView {
            calls: self.calls(),
            first: &self.retry_first,
            attempts: &self.retry_attempts,
            heads: &self.retry_heads,
        }
    }

    /// Index in `events` of call `i`'s event.
    pub fn call_event(&self, i: usize) -> Option<u32> {
        self.call_spans.event.get(i)
    }

    /// Call `i`'s own event: its id, operation, return value, error, duration and bytes.
    pub fn call(&self, i: usize) -> Option<&Call> {
        let e = self.events.get(self.call_event(i)? as usize)?;
        match &e.kind {
            EventKind::Call(c) => Some(c),
            _ => None,
        }
    }

    /// Wait `i`'s own event: what it waited for, how long, and what woke it.
    pub fn wait(&self, i: usize) -> Option<&Wait> {
        let e = self.events.get(self.wait_spans.event.get(i)? as usize)?;
        match &e.kind {
            EventKind::Wait(w) => Some(w),
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
        let series = Series::bytes;
        [
            (
                "events",
                self.events.len() * size_of::<Stored>() + self.wire_bytes as usize,
            ),
            (
                "calls",
                self.call_spans.bytes() + self.retry_first.len() * 8 + self.retry_heads.bytes(),
            ),
            ("io", self.io_spans.bytes()),
            ("waits", self.wait_spans.bytes()),
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
        self.call_spans.shrink();
        self.retry_first.shrink_to_fit();
        self.retry_attempts.shrink_to_fit();
        self.retry_heads.shrink();
        self.wait_spans.shrink();
        self.io_spans.shrink();
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

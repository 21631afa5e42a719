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
    /// Calls and their other columns.
    pub calls: Spans<CallClass>,
    pub call_id: Vec<CallId>,
    pub call_op: Vec<Op>,
    pub call_ret: Vec<i32>,
    pub call_error: Vec<SslError>,
    pub call_bytes: Vec<u32>,
    /// Index of the call's event in `events`.
    pub call_event: Vec<u32>,
    /// How many calls in a row, up to this one, were the same operation retried after WANT_*.
    pub call_attempt: Vec<u32>,
    /// Runs of retries: each span goes from the first to the last attempt of one operation that
    /// was called again after WANT_* (two attempts or more).
    pub retries: Spans<()>,
    /// Per run: index of its first call, and how many attempts it has so far.
    pub retry_first: Vec<usize>,
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
            ..Default::default()
        }
    }

    /// Bytes this store holds for the connection, roughly.
    pub fn memory(&self) -> usize {
        use std::mem::size_of;
        self.events.capacity() * size_of::<Event>()
            + self.calls.len() * (size_of::<Nanos>() * 2 + 1 + 5 * 4 + 32)
            + self.io.len() * (size_of::<Nanos>() * 2 + 2 + 6 * 4 + 4)
            + self.waits.len() * 40
            + self.inq.t.len() * 3 * 24
            + self.states.len() * size_of::<(Nanos, State)>()
            + self.msgs.len() * size_of::<(Nanos, Msg)>()
            + self.wire_bytes as usize
    }
}

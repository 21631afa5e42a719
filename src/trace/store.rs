//! Per-connection columnar store of a trace, fed batch by batch, with the queries the views need:
//! derived status, nested details of a call, and visible-range queries aggregated per pixel bucket.
//!
//! Every column is sorted by time (calls, waits, socket operations of one connection happen one
//! after the other), so a query binary-searches its range, and per-class prefix counts and a
//! min/max pyramid answer "what happened in this bucket" without walking the events in it: the
//! cost of a frame depends on its width in pixels, not on how many events were recorded.

use super::event::*;
use std::collections::HashMap;

/// Result classes of a call, in the order the timeline colours them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallClass {
    Done,
    WantRead,
    WantWrite,
    Closed,
    Failed,
}

impl CallClass {
    pub const ALL: [CallClass; 5] = [
        CallClass::Done,
        CallClass::WantRead,
        CallClass::WantWrite,
        CallClass::Closed,
        CallClass::Failed,
    ];

    pub fn of(error: SslError) -> CallClass {
        match error {
            SslError::None => CallClass::Done,
            SslError::WantRead => CallClass::WantRead,
            SslError::WantWrite => CallClass::WantWrite,
            SslError::ZeroReturn => CallClass::Closed,
            _ => CallClass::Failed,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CallClass::Done => "done",
            CallClass::WantRead => "WANT_READ",
            CallClass::WantWrite => "WANT_WRITE",
            CallClass::Closed => "closed",
            CallClass::Failed => "error",
        }
    }
}

/// Sorted spans (start, end) with a small class per span and prefix counts per class, so the
/// classes present in any index range are known in O(1).
#[derive(Debug, Default, Clone)]
pub struct Spans {
    pub start: Vec<Nanos>,
    pub end: Vec<Nanos>,
    pub class: Vec<u8>,
    /// prefix[c][i] = spans of class c among the first i.
    prefix: Vec<Vec<u32>>,
}

impl Spans {
    fn with_classes(n: usize) -> Spans {
        Spans {
            prefix: vec![vec![0]; n],
            ..Default::default()
        }
    }

    fn push(&mut self, start: Nanos, end: Nanos, class: u8) {
        self.start.push(start);
        self.end.push(end);
        self.class.push(class);
        for (c, p) in self.prefix.iter_mut().enumerate() {
            let last = p.last().copied().unwrap_or(0);
            p.push(last + u32::from(c == class as usize));
        }
    }

    pub fn len(&self) -> usize {
        self.start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// How many spans of `class` lie in the index range `a..b`.
    pub fn count(&self, class: u8, a: usize, b: usize) -> u32 {
        self.prefix.get(class as usize).map_or(0, |p| p[b] - p[a])
    }

    /// Index range of the spans that overlap `t0..=t1`.
    pub fn overlapping(&self, t0: Nanos, t1: Nanos) -> (usize, usize) {
        let a = self.end.partition_point(|&e| e < t0);
        let b = self.start.partition_point(|&s| s <= t1);
        (a, b.max(a))
    }

    /// Moves the end of the last span later (a span still growing, like a run of retries).
    fn extend_last(&mut self, end: Nanos) {
        if let Some(last) = self.end.last_mut() {
            *last = (*last).max(end);
        }
    }

    /// The span containing `t`, if any.
    pub fn at(&self, t: Nanos) -> Option<usize> {
        let i = self.start.partition_point(|&s| s <= t).checked_sub(1)?;
        (self.end[i] >= t).then_some(i)
    }
}

/// One mark in a lane after aggregation: a single span, or several merged into one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark {
    pub start: Nanos,
    pub end: Nanos,
    /// Index of the first span in the mark.
    pub first: usize,
    /// Number of spans merged into this mark.
    pub count: usize,
    /// The most notable class in the mark (highest class number present).
    pub class: u8,
}

/// Merges the spans overlapping `t0..=t1` so that at most about `buckets` marks come out.
pub fn aggregate(spans: &Spans, t0: Nanos, t1: Nanos, buckets: usize) -> Vec<Mark> {
    let (a, b) = spans.overlapping(t0, t1);
    let classes = spans.prefix.len() as u8;
    let worst = |a: usize, b: usize| {
        (0..classes)
            .rev()
            .find(|&c| spans.count(c, a, b) > 0)
            .unwrap_or(0)
    };
    let buckets = buckets.max(1);
    if b - a <= buckets * 2 {
        return (a..b)
            .map(|i| Mark {
                start: spans.start[i],
                end: spans.end[i],
                first: i,
                count: 1,
                class: spans.class[i],
            })
            .collect();
    }
    let width = ((t1 - t0) / buckets as u64).max(1);
    let mut marks = Vec::with_capacity(buckets + 2);
    let mut i = a;
    while i < b {
        // Everything starting before the end of the bucket that holds span i joins its mark.
        let bucket_end = t0 + (spans.start[i].saturating_sub(t0) / width + 1) * width;
        let j = (i + spans.start[i..b].partition_point(|&s| s < bucket_end)).max(i + 1);
        marks.push(Mark {
            start: spans.start[i],
            end: spans.end[j - 1].max(spans.start[i]),
            first: i,
            count: j - i,
            class: worst(i, j),
        });
        i = j;
    }
    marks
}

/// Range minimum / maximum over an append-only series, answered in O(log n) from a pyramid of
/// pairwise min/max levels.
#[derive(Debug, Default, Clone)]
pub struct MinMax {
    levels: Vec<Vec<(u32, u32)>>,
}

impl MinMax {
    fn push(&mut self, v: u32) {
        let mut item = (v, v);
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let l = &mut self.levels[level];
            l.push(item);
            if l.len() % 2 == 1 {
                break;
            }
            let (x, y) = (l[l.len() - 2], l[l.len() - 1]);
            item = (x.0.min(y.0), x.1.max(y.1));
            level += 1;
        }
    }

    /// Min and max of the values at indices `a..b` (None when empty).
    pub fn range(&self, mut a: usize, mut b: usize) -> Option<(u32, u32)> {
        let mut out: Option<(u32, u32)> = None;
        let mut merge = |v: (u32, u32)| {
            out = Some(out.map_or(v, |o| (o.0.min(v.0), o.1.max(v.1))));
        };
        let mut level = 0;
        while a < b {
            let Some(l) = self.levels.get(level) else {
                break;
            };
            if a % 2 == 1 {
                merge(l[a]);
                a += 1;
            }
            if b % 2 == 1 && a < b {
                b -= 1;
                merge(l[b]);
            }
            a /= 2;
            b /= 2;
            level += 1;
        }
        out
    }
}

/// One buffer-level series, sorted by time.
#[derive(Debug, Default, Clone)]
pub struct Series {
    pub t: Vec<Nanos>,
    pub v: Vec<u32>,
    minmax: MinMax,
}

impl Series {
    fn push(&mut self, t: Nanos, v: u32) {
        self.t.push(t);
        self.v.push(v);
        self.minmax.push(v);
    }

    /// Points to draw for `t0..=t1`: every sample when few, else per bucket its min and max
    /// (the envelope keeps spikes visible at any zoom). Includes one sample on each side so the
    /// line reaches the edges.
    pub fn envelope(&self, t0: Nanos, t1: Nanos, buckets: usize) -> Vec<(Nanos, u32)> {
        let a = self.t.partition_point(|&t| t < t0).saturating_sub(1);
        let b = (self.t.partition_point(|&t| t <= t1) + 1).min(self.t.len());
        let buckets = buckets.max(1);
        if b <= a {
            return Vec::new();
        }
        if b - a <= buckets * 2 {
            return (a..b).map(|i| (self.t[i], self.v[i])).collect();
        }
        let width = ((t1 - t0) / buckets as u64).max(1);
        let mut out = Vec::with_capacity(buckets * 2 + 2);
        let mut i = a;
        while i < b {
            let bucket_end = t0 + (self.t[i].saturating_sub(t0) / width + 1) * width;
            let j = (i + self.t[i..b].partition_point(|&t| t < bucket_end)).max(i + 1);
            if let Some((lo, hi)) = self.minmax.range(i, j) {
                let mid = self.t[i] + (self.t[j - 1] - self.t[i]) / 2;
                out.push((self.t[i], lo));
                out.push((mid.max(self.t[i]), hi));
            }
            i = j;
        }
        out
    }

    /// The last value at or before `t`.
    pub fn at(&self, t: Nanos) -> Option<u32> {
        let i = self.t.partition_point(|&x| x <= t).checked_sub(1)?;
        Some(self.v[i])
    }
}

/// What a connection is doing now, derived from its events.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Connecting,
    Handshaking,
    Open,
    /// The last call asked to wait; `since` is when it returned.
    Waiting {
        op: Op,
        error: SslError,
        since: Nanos,
    },
    Closed(CloseReason),
    Failed(String),
}

impl Status {
    pub fn is_live(&self) -> bool {
        !matches!(self, Status::Closed(_) | Status::Failed(_))
    }
}

/// A connection is called stalled when it has been waiting this long.
pub const STALL_NANOS: Nanos = 1_000_000_000;

/// Everything recorded about one connection.
#[derive(Debug, Default)]
pub struct ConnTrace {
    pub id: ConnId,
    /// All events in arrival order (the events table shows these).
    pub events: Vec<Event>,
    /// Calls (class = [`CallClass`] as u8) and their other columns.
    pub calls: Spans,
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
    /// was called again after WANT_* (two attempts or more; one class).
    pub retries: Spans,
    /// Per run: index of its first call, and how many attempts it has so far.
    pub retry_first: Vec<usize>,
    pub retry_attempts: Vec<u32>,
    /// Readiness waits (class = 0 read, 1 write, 2 both).
    pub waits: Spans,
    pub wait_woke: Vec<Woke>,
    /// The longest readiness wait so far (index into `waits`).
    pub longest_wait: Option<usize>,
    /// Socket operations (points in time; class = 2 × severity (0 done, 1 would block,
    /// 2 error or EOF) + 1 for writes, so the worst in a bucket has the highest class).
    pub io: Spans,
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
    pub endpoints: Option<Endpoints>,
    pub close: Option<Close>,
    pub error: Option<String>,
    pub first_t: Nanos,
    pub last_t: Nanos,
}

impl ConnTrace {
    fn new(id: ConnId) -> ConnTrace {
        ConnTrace {
            id,
            calls: Spans::with_classes(CallClass::ALL.len()),
            retries: Spans::with_classes(1),
            waits: Spans::with_classes(3),
            io: Spans::with_classes(6),
            first_t: Nanos::MAX,
            ..Default::default()
        }
    }

    fn push(&mut self, e: &Event) {
        let index = self.events.len() as u32;
        self.first_t = self.first_t.min(e.t);
        match &e.kind {
            EventKind::Phase(p) => self.phase = Some(*p),
            EventKind::Call(c) => {
                let attempt = match (self.call_op.last(), self.call_error.last()) {
                    (Some(&op), Some(err)) if op == c.op && err.is_want() => {
                        self.call_attempt.last().copied().unwrap_or(1) + 1
                    }
                    _ => 1,
                };
                let start = e.t.max(self.calls.end.last().copied().unwrap_or(0));
                self.calls
                    .push(start, start + c.dur, CallClass::of(c.error) as u8);
                self.call_id.push(c.id);
                self.call_op.push(c.op);
                self.call_ret.push(c.ret);
                self.call_error.push(c.error);
                self.call_bytes.push(c.bytes);
                self.call_event.push(index);
                self.call_attempt.push(attempt);
                // Kept as spans while recording so the timeline can query the visible runs.
                let i = self.call_attempt.len() - 1;
                if attempt == 2 {
                    let first_start = self.calls.start[i - 1];
                    self.retries.push(first_start, start + c.dur, 0);
                    self.retry_first.push(i - 1);
                    self.retry_attempts.push(2);
                } else if attempt > 2 {
                    self.retries.extend_last(start + c.dur);
                    if let Some(n) = self.retry_attempts.last_mut() {
                        *n = attempt;
                    }
                }
                self.last_t = self.last_t.max(start + c.dur);
            }
            EventKind::Io(io) => {
                let severity = if io.would_block {
                    1
                } else if io.os_error.is_some() || io.is_eof() {
                    2
                } else {
                    0
                };
                let class = severity * 2 + u8::from(io.dir == Dir::Write);
                let t = e.t.max(self.io.start.last().copied().unwrap_or(0));
                self.io.push(t, t, class);
                self.io_event.push(index);
            }
            EventKind::Wait(w) => {
                let class = match w.interest {
                    Interest::Read => 0,
                    Interest::Write => 1,
                    Interest::ReadWrite => 2,
                };
                let start = e.t.max(self.waits.end.last().copied().unwrap_or(0));
                self.waits.push(start, start + w.dur, class);
                self.wait_woke.push(w.woke);
                let i = self.waits.len() - 1;
                let longer = |j: usize| w.dur > self.waits.end[j] - self.waits.start[j];
                if self.longest_wait.is_none_or(longer) {
                    self.longest_wait = Some(i);
                }
                self.last_t = self.last_t.max(start + w.dur);
            }
            EventKind::State(s) => {
                let t = e.t.max(self.states.last().map_or(0, |s| s.0));
                self.states.push((t, *s));
            }
            EventKind::Msg(m) => {
                let t = e.t.max(self.msgs.last().map_or(0, |m| m.0));
                self.msgs.push((t, *m));
            }
            EventKind::Sock(s) => {
                let t = e.t.max(self.inq.t.last().copied().unwrap_or(0));
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
            EventKind::Tls(info) => self.tls = Some((**info).clone()),
            EventKind::Connected(ep) => self.endpoints = Some(**ep),
            EventKind::Close(c) => self.close = Some(*c),
            EventKind::Error(msg) => self.error = Some(msg.to_string()),
            EventKind::Dropped { .. }
            | EventKind::Setup(_)
            | EventKind::Http(_)
            | EventKind::Verdict(_) => {}
        }
        self.last_t = self.last_t.max(e.t);
        self.events.push(e.clone());
    }

    pub fn status(&self) -> Status {
        if let Some(close) = self.close {
            return match (close.reason, &self.error) {
                (CloseReason::Failed, Some(msg)) => Status::Failed(msg.clone()),
                (CloseReason::Failed, None) => Status::Failed("failed".into()),
                (reason, _) => Status::Closed(reason),
            };
        }
        if let Some(last) = self.calls.len().checked_sub(1) {
            let error = self.call_error[last];
            if error.is_want() {
                return Status::Waiting {
                    op: self.call_op[last],
                    error,
                    since: self.calls.end[last],
                };
            }
        }
        match self.phase {
            None | Some(Phase::Resolve) | Some(Phase::Connect) => Status::Connecting,
            Some(Phase::Handshake) if self.tls.is_none() => Status::Handshaking,
            _ => Status::Open,
        }
    }

    /// True when the connection has been waiting for readiness for a long time at `now`.
    pub fn is_stalled(&self, now: Nanos) -> bool {
        matches!(self.status(), Status::Waiting { since, .. } if now.saturating_sub(since) >= STALL_NANOS)
    }

    /// The call at time `t`, if one was running then.
    pub fn call_at(&self, t: Nanos) -> Option<usize> {
        self.calls.at(t)
    }

    /// The run of retries call `i` belongs to, if it was retried or is a retry.
    pub fn retry_run(&self, i: usize) -> Option<usize> {
        let start = *self.calls.start.get(i)?;
        let r = self
            .retries
            .start
            .partition_point(|&s| s <= start)
            .checked_sub(1)?;
        let first = self.retry_first[r];
        (first..first + self.retry_attempts[r] as usize)
            .contains(&i)
            .then_some(r)
    }

    /// The call with OpenSSL-call id `id`.
    pub fn call_index(&self, id: CallId) -> Option<usize> {
        // Ids grow by one per call, so the index is usually id - 1; search otherwise.
        let guess = (id as usize).checked_sub(1)?;
        if self.call_id.get(guess) == Some(&id) {
            return Some(guess);
        }
        self.call_id.iter().position(|&x| x == id)
    }

    /// The socket operations, states and messages inside call `i` (in time order).
    pub fn nested(&self, i: usize) -> Vec<&Event> {
        let (Some(&id), Some(&last)) = (self.call_id.get(i), self.call_event.get(i)) else {
            return Vec::new();
        };
        // A call's nested events arrive just before the call itself, after the previous call.
        let first = i
            .checked_sub(1)
            .map_or(0, |p| self.call_event[p] as usize + 1);
        let last = last as usize;
        self.events[first.min(last)..last]
            .iter()
            .filter(|e| e.call_id() == Some(id))
            .collect()
    }

    /// Kernel and OpenSSL buffer levels at instant `t`.
    pub fn levels_at(&self, t: Nanos) -> Option<(u32, u32, u32)> {
        Some((self.inq.at(t)?, self.outq.at(t)?, self.pending.at(t)?))
    }

    /// The buffer levels sampled right after `t` (the engine samples after each call), or the
    /// last ones before it; with the sample's time.
    pub fn levels_after(&self, t: Nanos) -> Option<(Nanos, (u32, u32, u32))> {
        let i = self.inq.t.partition_point(|&x| x < t);
        let i = if i < self.inq.t.len() {
            i
        } else {
            i.checked_sub(1)?
        };
        let at = self.inq.t[i];
        Some((at, (self.inq.v[i], self.outq.v[i], self.pending.v[i])))
    }

    /// Bytes this store holds for the connection, roughly.
    pub fn memory(&self) -> usize {
        use std::mem::size_of;
        self.events.capacity() * size_of::<Event>()
            + self.calls.len() * (size_of::<Nanos>() * 2 + 1 + 5 * 4 + 32)
            + self.io.len() * (size_of::<Nanos>() * 2 + 1 + 3 * 4 + 4)
            + self.waits.len() * 40
            + self.inq.t.len() * 3 * 24
            + self.states.len() * size_of::<(Nanos, State)>()
            + self.msgs.len() * size_of::<(Nanos, Msg)>()
    }
}

/// All connections of a session.
#[derive(Debug, Default)]
pub struct Store {
    pub conns: Vec<ConnTrace>,
    index: HashMap<ConnId, usize>,
    pub total_events: u64,
    pub dropped: u64,
    pub last_t: Nanos,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds one batch of events from the engine.
    pub fn push_batch(&mut self, batch: &[Event]) {
        for e in batch {
            self.push(e);
        }
    }

    pub fn push(&mut self, e: &Event) {
        self.total_events += 1;
        self.last_t = self.last_t.max(e.t);
        if let EventKind::Dropped { count } = e.kind {
            self.dropped += count;
        }
        let i = *self.index.entry(e.conn).or_insert_with(|| {
            self.conns.push(ConnTrace::new(e.conn));
            self.conns.len() - 1
        });
        self.conns[i].push(e);
    }

    pub fn conn(&self, id: ConnId) -> Option<&ConnTrace> {
        self.index.get(&id).map(|&i| &self.conns[i])
    }

    pub fn memory(&self) -> usize {
        self.conns.iter().map(ConnTrace::memory).sum()
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

#[cfg(test)]
mod retry_tests {
    use super::*;

    fn call(t: Nanos, id: CallId, op: Op, error: SslError) -> Event {
        let ret = if error == SslError::None { 1 } else { -1 };
        let kind = EventKind::Call(Call {
            id,
            op,
            ret,
            error,
            dur: 10,
            bytes: 0,
        });
        Event { t, conn: 1, kind }
    }

    #[test]
    fn retries_of_one_operation_form_one_run() {
        let mut s = Store::new();
        s.push_batch(&[
            call(0, 1, Op::DoHandshake, SslError::WantRead),
            call(100, 2, Op::DoHandshake, SslError::None),
            call(200, 3, Op::Write, SslError::WantWrite),
            call(300, 4, Op::Write, SslError::WantWrite),
            call(400, 5, Op::Write, SslError::None),
            call(500, 6, Op::Read, SslError::None),
            call(600, 7, Op::Read, SslError::WantRead),
        ]);
        let Some(c) = s.conn(1) else {
            panic!("no connection");
        };
        assert_eq!(c.retries.start, vec![0, 200]);
        assert_eq!(c.retries.end, vec![110, 410]);
        assert_eq!(c.retry_first, vec![0, 2]);
        assert_eq!(c.retry_attempts, vec![2, 3]);
        let runs: Vec<_> = (0..7).map(|i| c.retry_run(i)).collect();
        let expected = [Some(0), Some(0), Some(1), Some(1), Some(1), None, None];
        assert_eq!(runs, expected);
        // A new attempt extends the open run only when it is the same operation again.
        s.push(&call(700, 8, Op::Read, SslError::None));
        let Some(c) = s.conn(1) else {
            panic!("no connection");
        };
        assert_eq!(c.retry_attempts, vec![2, 3, 2]);
        assert_eq!(c.retries.end[2], 710);
        assert_eq!(c.retry_run(6), Some(2));
    }
}

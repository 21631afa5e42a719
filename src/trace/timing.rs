//! The phase waterfall of one connection, as a browser's network panel draws it: when each step
//! began and how long it took (resolve, TCP connect, proxy, STARTTLS, TLS handshake with its
//! round trips, post-handshake actions, the request, the wait for the first byte, the transfer
//! to the last byte, the shutdown to the close), and the bytes moved. [`TimingFold`] folds a
//! connection's events one at a time into a fixed-size state (O(1) per event, nothing that
//! grows with the trace), the way `verdict::Facts` does; [`TimingFold::timing`] reads it out.

use super::event::*;

/// Handshake round trips kept with their times (all are counted).
pub const MAX_ROUND_TRIPS: usize = 16;

/// One step of a connection's life, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Name resolution (on a helper thread).
    Resolve,
    /// The non-blocking TCP connect, until the socket was connected (all addresses tried).
    Connect,
    /// The proxy's CONNECT dialogue (HTTP CONNECT or SOCKS5).
    Proxy,
    /// The plaintext STARTTLS dialogue.
    Starttls,
    /// The TLS handshake, until its `tls` event.
    Handshake,
    /// Post-handshake actions (key update, renegotiation).
    Actions,
    /// Writing the request (all application writes before the first byte of the answer).
    Request,
    /// From the request sent to the first byte of the answer (time to first byte).
    FirstByte,
    /// From the first to the last byte of application data received.
    LastByte,
    /// The TLS shutdown, until the connection closed.
    Close,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Resolve,
        Step::Connect,
        Step::Proxy,
        Step::Starttls,
        Step::Handshake,
        Step::Actions,
        Step::Request,
        Step::FirstByte,
        Step::LastByte,
        Step::Close,
    ];

    /// The name in JSONL (`timing` event's `steps[].step`).
    pub fn name(self) -> &'static str {
        match self {
            Step::Resolve => "resolve",
            Step::Connect => "connect",
            Step::Proxy => "proxy",
            Step::Starttls => "starttls",
            Step::Handshake => "handshake",
            Step::Actions => "actions",
            Step::Request => "request",
            Step::FirstByte => "first_byte",
            Step::LastByte => "last_byte",
            Step::Close => "close",
        }
    }

    /// What a person reads beside the bar.
    pub fn label(self) -> &'static str {
        match self {
            Step::Resolve => "resolve",
            Step::Connect => "TCP connect",
            Step::Proxy => "proxy",
            Step::Starttls => "STARTTLS",
            Step::Handshake => "TLS handshake",
            Step::Actions => "actions",
            Step::Request => "request sent",
            Step::FirstByte => "first byte",
            Step::LastByte => "last byte",
            Step::Close => "shutdown, close",
        }
    }

    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One step's bar: offsets in ns from the connection's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub step: Step,
    pub start: Nanos,
    pub dur: Nanos,
    /// The step reached its end (false: the connection ended, or is still, inside it; a
    /// `first_byte` step without a byte).
    pub done: bool,
}

impl Span {
    pub fn end(&self) -> Nanos {
        self.start.saturating_add(self.dur)
    }
}

/// One handshake round trip: our flight out until the first message of the answer, offsets from
/// the connection's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoundTrip {
    pub start: Nanos,
    pub dur: Nanos,
}

/// A connection's waterfall.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timing {
    /// When the connection began (its first event), on the engine's clock: what the app aligns
    /// connections by when it shows absolute time.
    pub start: Nanos,
    /// From `start` to the close (or to now, for a connection still open).
    pub total: Nanos,
    /// The steps reached, in [`Step::ALL`] order, at most one of each.
    pub steps: Vec<Span>,
    /// The first [`MAX_ROUND_TRIPS`] handshake round trips.
    pub round_trips: Vec<RoundTrip>,
    /// All handshake round trips (as the verdict counts them).
    pub round_trip_count: u32,
    /// Application bytes written and read (`SSL_write` / `SSL_read` results).
    pub app_out: u64,
    pub app_in: u64,
    /// Bytes written to and read from the socket (TLS records, plaintext dialogues).
    pub sock_out: u64,
    pub sock_in: u64,
    /// The connection had closed.
    pub closed: bool,
}

impl Timing {
    pub fn step(&self, step: Step) -> Option<&Span> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// The streaming state behind a [`Timing`]: instants, never lists that grow.
#[derive(Debug, Clone, Default)]
pub struct TimingFold {
    first_t: Option<Nanos>,
    last_t: Nanos,
    /// Each phase-like step's start and end (absolute), by [`Step::index`].
    begun: [Option<Nanos>; 10],
    ended: [Option<Nanos>; 10],
    /// The phase step under way (ended by the next phase or its own end event).
    open: Option<Step>,
    handshake_done: bool,
    awaiting_answer: Option<Nanos>,
    round_trips: [RoundTrip; MAX_ROUND_TRIPS],
    round_trip_count: u32,
    /// The workload began (its phase, or the first read or write after an action).
    workload: Option<Nanos>,
    request_end: Option<Nanos>,
    read_tried: bool,
    first_byte: Option<Nanos>,
    last_byte: Option<Nanos>,
    shutdown: Option<Nanos>,
    close: Option<Nanos>,
    app_out: u64,
    app_in: u64,
    sock_out: u64,
    sock_in: u64,
}

fn phase_step(p: Phase) -> Option<Step> {
    match p {
        Phase::Resolve => Some(Step::Resolve),
        Phase::Connect => Some(Step::Connect),
        Phase::Proxy => Some(Step::Proxy),
        Phase::Starttls => Some(Step::Starttls),
        Phase::Handshake => Some(Step::Handshake),
        Phase::Action => Some(Step::Actions),
        Phase::Workload | Phase::Shutdown => None,
    }
}

impl TimingFold {
    pub fn new() -> TimingFold {
        TimingFold::default()
    }

    /// Takes one event of the connection (in the order the engine wrote them).
    pub fn feed(&mut self, e: &Event) {
        self.feed_at(e.t, &e.kind);
    }

    /// [`TimingFold::feed`] with the event's time and kind (as the store keeps them).
    pub fn feed_at(&mut self, t: Nanos, kind: &EventKind) {
        self.first_t = Some(self.first_t.map_or(t, |f| f.min(t)));
        self.last_t = self.last_t.max(t);
        match kind {
            EventKind::Phase(p) => self.on_phase(t, *p),
            EventKind::Connected(_) => self.end_step(Step::Connect, t),
            EventKind::Tls(_) => {
                self.end_step(Step::Handshake, t);
                self.handshake_done = true;
                self.awaiting_answer = None;
            }
            EventKind::Msg(m) if m.content == 22 && !self.handshake_done => match m.dir {
                MsgDir::Out => {
                    self.awaiting_answer.get_or_insert(t);
                }
                MsgDir::In => {
                    if let Some(since) = self.awaiting_answer.take() {
                        let (start, dur) = (since.min(t), t.saturating_sub(since));
                        if let Some(slot) = self.round_trips.get_mut(self.round_trip_count as usize)
                        {
                            *slot = RoundTrip { start, dur };
                        }
                        self.round_trip_count = self.round_trip_count.saturating_add(1);
                    }
                }
            },
            EventKind::Io(io) => match io.dir {
                Dir::Read => self.sock_in = self.sock_in.saturating_add(u64::from(io.got)),
                Dir::Write => self.sock_out = self.sock_out.saturating_add(u64::from(io.got)),
            },
            EventKind::Call(c) => self.on_call(t, c),
            // A step the close cuts short stays not done: it runs to the close.
            EventKind::Close(_) => {
                self.close.get_or_insert(t);
                self.open = None;
            }
            EventKind::Wait(w) => self.last_t = self.last_t.max(t.saturating_add(w.dur)),
            _ => {}
        }
    }

    fn on_phase(&mut self, t: Nanos, p: Phase) {
        let step = phase_step(p);
        if let Some(open) = self.open {
            if Some(open) != step {
                self.end_step(open, t);
                self.open = None;
            }
        }
        match p {
            Phase::Workload => {
                self.workload.get_or_insert(t);
            }
            Phase::Shutdown => {
                self.shutdown.get_or_insert(t);
            }
            _ => {}
        }
        if let Some(step) = step {
            self.begun[step.index()].get_or_insert(t);
            // A step begun again (an action after the workload began) runs to its new end.
            self.ended[step.index()] = None;
            self.open = Some(step);
        }
    }

    fn end_step(&mut self, step: Step, t: Nanos) {
        if self.begun[step.index()].is_some() {
            self.ended[step.index()].get_or_insert(t);
        }
        if self.open == Some(step) {
            self.open = None;
        }
    }

    fn on_call(&mut self, t: Nanos, c: &Call) {
        let end = t.saturating_add(c.dur());
        self.last_t = self.last_t.max(end);
        let workload_op = matches!(c.op, Op::Read | Op::Peek | Op::Write);
        if workload_op && self.open == Some(Step::Actions) {
            // After an action the engine goes back to its reads and writes without a phase.
            self.end_step(Step::Actions, t);
            self.workload.get_or_insert(t);
        }
        if !workload_op || self.workload.is_none() {
            return;
        }
        match c.op {
            Op::Write => {
                self.app_out = self.app_out.saturating_add(u64::from(c.bytes()));
                if c.bytes() > 0 && self.first_byte.is_none() {
                    self.request_end = Some(self.request_end.map_or(end, |r| r.max(end)));
                }
            }
            _ => {
                self.read_tried = true;
                if c.bytes() > 0 {
                    self.app_in = self.app_in.saturating_add(u64::from(c.bytes()));
                    self.first_byte.get_or_insert(end);
                    self.last_byte = Some(end);
                }
            }
        }
    }

    /// When the connection began and how long it has lasted (to its close, or to `now`): the
    /// `start` and `total` of [`Self::timing`], without building the steps.
    pub fn extent(&self, now: Nanos) -> (Nanos, Nanos) {
        let start = self.first_t.unwrap_or(0);
        let end = self.close.unwrap_or(now.max(self.last_t)).max(start);
        (start, end - start)
    }

    /// The waterfall so far. A connection still open is measured to `now` (its steps under way
    /// end there, not done); a closed one to its close.
    pub fn timing(&self, now: Nanos) -> Timing {
        let (start, total) = self.extent(now);
        let end = start + total;
        let off = |t: Nanos| t.saturating_sub(start);
        let mut steps = Vec::with_capacity(Step::ALL.len());
        // A step from `from` to `to` (clamped into the connection), `done` when it got there.
        let mut push = |step: Step, from: Nanos, to: Nanos, done: bool| {
            let from = from.clamp(start, end);
            steps.push(Span {
                step,
                start: off(from),
                dur: to.clamp(from, end) - from,
                done,
            });
        };
        for step in &Step::ALL[..=Step::Actions.index()] {
            if let Some(from) = self.begun[step.index()] {
                let to = self.ended[step.index()];
                push(*step, from, to.unwrap_or(end), to.is_some());
            }
        }
        if let Some(workload) = self.workload {
            if let Some(request_end) = self.request_end {
                push(Step::Request, workload, request_end, true);
            }
            let asked = self.request_end.unwrap_or(workload);
            match self.first_byte {
                Some(first) if first >= asked => push(Step::FirstByte, asked, first, true),
                // The answer began before the request was all written (an echo): no wait.
                Some(_) => {}
                // We read and nothing came: the wait ran until we gave up (or runs now).
                None if self.read_tried => {
                    let gave_up = self.shutdown.or(self.close).unwrap_or(end);
                    push(Step::FirstByte, asked, gave_up, false);
                }
                None => {}
            }
            if let (Some(first), Some(last)) = (self.first_byte, self.last_byte) {
                push(Step::LastByte, first, last, true);
            }
        }
        if let Some(shutdown) = self.shutdown {
            push(
                Step::Close,
                shutdown,
                self.close.unwrap_or(end),
                self.close.is_some(),
            );
        }
        let kept = (self.round_trip_count as usize).min(MAX_ROUND_TRIPS);
        Timing {
            start,
            total,
            steps,
            round_trips: self.round_trips[..kept]
                .iter()
                .map(|r| RoundTrip {
                    start: off(r.start),
                    dur: r.dur,
                })
                .collect(),
            round_trip_count: self.round_trip_count,
            app_out: self.app_out,
            app_in: self.app_in,
            sock_out: self.sock_out,
            sock_in: self.sock_in,
            closed: self.close.is_some(),
        }
    }
}

/// The waterfall of one connection's events (a convenience over [`TimingFold`]).
pub fn of_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Timing {
    of_kinds(events.into_iter().map(|e| (e.t, &e.kind)))
}

/// [`of_events`] over each event's time and kind (as the store keeps them).
pub fn of_kinds<'a>(events: impl IntoIterator<Item = (Nanos, &'a EventKind)>) -> Timing {
    let mut fold = TimingFold::new();
    for (t, kind) in events {
        fold.feed_at(t, kind);
    }
    fold.timing(fold.last_t)
}

#[cfg(test)]
#[path = "timing_tests.rs"]
mod tests;

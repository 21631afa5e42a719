//! A bounded, streaming summary of one connection's events: counters, the last and first of
//! what matters, the current wait. Fed one event at a time (live or at the end of a trace), it
//! keeps no list that grows with the trace, so a verdict costs the same after 10 or 10^7 events.

use crate::trace::escape::escape;
use crate::trace::event::*;

mod msg;

/// A message and where it was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub t: Nanos,
    pub call: Option<CallId>,
}

/// An alert, in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub desc: u8,
    pub fatal: bool,
    pub at: Seen,
    /// The handshake had completed when it came.
    pub after_handshake: bool,
    /// The call it came in (the op), if any.
    pub op: Option<Op>,
}

/// What the socket did inside the call being recorded (io events precede their call's event).
#[derive(Debug, Clone, Copy, Default)]
struct CallIo {
    call: CallId,
    would_block: bool,
    read: u64,
    wrote: u64,
}

/// Everything the rules look at, for one connection.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub conn: ConnId,
    /// A saved verdict on the traced program's own use of OpenSSL (`tlsscope run`): the events
    /// cannot show it again (it rests on what the interposer saw), so it is kept as it was.
    pub program_verdict: Option<Box<crate::trace::verdict::Verdict>>,
    pub setup: Option<Box<Setup>>,
    pub first_t: Option<Nanos>,
    pub last_t: Nanos,
    pub phase: Option<Phase>,
    /// When each phase (in `Phase::ALL` order) first began.
    pub phase_start: [Option<Nanos>; Phase::ALL.len()],
    pub peer: Option<std::net::SocketAddr>,
    /// When TCP was established.
    pub connected_at: Option<Nanos>,

    // ----- handshake -----
    pub hello_out: Option<Seen>,
    /// Our second ClientHello, after the server's HelloRetryRequest (TLS 1.3).
    pub hello_retry: Option<Seen>,
    /// The first message from the server (anything in after our ClientHello).
    pub first_in: Option<Seen>,
    pub server_hello: Option<Seen>,
    pub handshake_done: Option<Nanos>,
    pub version: Option<String>,
    pub alpn: Option<String>,
    pub verify: Option<String>,
    /// Handshake round trips: our flight out → the first message in after it.
    pub round_trips: u32,
    pub longest_round_trip: Nanos,
    awaiting_answer_since: Option<Nanos>,
    /// CertificateRequest in during the handshake, and in after it (post-handshake auth).
    pub cert_request: Option<Seen>,
    pub post_handshake_cert_request: Option<Seen>,
    /// CertificateRequest in during a renegotiation (TLS 1.2).
    pub reneg_cert_request: Option<Seen>,
    /// Our Certificate message answering a request: `Some(true)` when it was empty.
    pub cert_sent_empty: Option<bool>,
    pub alert_in: Option<Alert>,
    pub alert_out: Option<Alert>,
    /// The alert OpenSSL 3 sends by itself after an EOF without close_notify (decode_error):
    /// its reaction to the truncation, not our side refusing the peer.
    pub alert_after_eof: Option<Alert>,
    /// The peer's close_notify, when it came.
    pub notify_in: Option<Seen>,

    // ----- after the handshake -----
    pub hello_requests: u32,
    pub first_hello_request: Option<Seen>,
    /// Our ClientHello written after the first handshake (renegotiation), and the call.
    pub reneg_hello_out: Option<Seen>,
    pub reneg_hello_op: Option<Op>,
    pub key_update_in: Option<(Seen, bool)>,
    pub key_update_out: Option<(Seen, bool, Option<Op>)>,
    pub tickets_in: u32,
    /// SSL_read calls that returned WANT_READ without a would-block: nothing to wait for.
    pub want_read_without_block: u32,
    pub first_want_read_without_block: Option<CallId>,

    // ----- calls -----
    pub calls: u32,
    pub want_read: u32,
    pub want_write: u32,
    pub in_openssl: Nanos,
    pub last_call: Option<(Nanos, Call)>,
    /// The first call that returned WANT_* after the last call that made progress: the one a
    /// stall started with.
    pub stall_call: Option<(Nanos, Call)>,
    pub reads_that_wrote: u32,
    pub first_read_that_wrote: Option<(CallId, u64)>,
    pub writes_that_read: u32,
    pub first_write_that_read: Option<(CallId, u64)>,
    current_io: CallIo,
    /// SSL_read calls after the last SSL_write that made progress.
    pub reads_since_write_progress: u32,

    // ----- application data -----
    pub app_in: u64,
    /// SSL_read calls that returned application data.
    pub reads_with_data: u32,
    /// Bytes OpenSSL wrote to the socket (records, handshake included).
    pub sock_out: u64,
    /// Bytes OpenSSL read from the socket (records, handshake included), and the first read
    /// that got any: a peer can answer with bytes that never make a whole message.
    pub sock_in: u64,
    pub first_bytes_in: Option<Seen>,
    pub app_out: u64,
    pub first_app_in: Option<Nanos>,
    pub last_app_in: Option<Nanos>,
    pub last_app_out: Option<Nanos>,
    /// Application bytes read since our last write made progress (the answer to it).
    pub app_in_since_write: u64,
    /// Application bytes written since the last write-blocked episode began, and when it began.
    pub write_block_since: Option<Nanos>,
    pub write_block_bytes: u64,

    // ----- waits -----
    pub wait_read: Nanos,
    pub wait_write: Nanos,
    pub wait_handshake: Nanos,
    pub idle: Nanos,
    /// Of `idle`, the part spent reading for the answer (`--read-for`), not in the shutdown grace.
    pub idle_reading: Nanos,
    pub waits: u32,
    pub last_wait: Option<(Nanos, Wait)>,
    pub longest_wait: Option<(Nanos, Wait)>,

    // ----- buffer levels -----
    pub last_sock: Option<(Nanos, Sock)>,
    pub max_inq: u32,
    pub max_outq: u32,
    /// Samples with the peer's window at 0 since the last write progress, and the first one.
    pub zero_window_samples: u32,
    pub zero_window_since: Option<Nanos>,
    /// The largest receive-queue fill while we were blocked writing.
    pub max_inq_while_write_blocked: u32,
    /// The send queue at the first sample after our last write that made progress: what the
    /// peer had yet to take when we stopped writing (compared with the last sample, whether it
    /// was still taking it).
    pub outq_after_writes: Option<(Nanos, u32)>,
    /// Since then, the peer's window closed (0) and opened again: its application read.
    pub window_closed_after_writes: bool,
    pub window_reopened_after_writes: bool,
    /// The largest receive-queue fill since our last SSL_read: data the peer sent that we had
    /// not read (a reset discards it, so the last sample may show 0).
    pub max_unread: u32,
    pub rtt_us: u32,

    // ----- HTTP -----
    pub http_head: Option<(Nanos, HttpResponse)>,
    pub http_complete: Option<(Nanos, HttpResponse)>,
    /// Bytes received before the final response began (interim 1xx responses): not part of
    /// the response its framing counts.
    pub before_response: u64,

    // ----- the end -----
    pub eof: Option<Seen>,
    pub os_error: Option<(Seen, i32, Dir)>,
    pub close: Option<(Nanos, Close)>,
    pub error: Option<String>,
    /// The first thing wrong with the server's chain, named ([`crate::trace::chain`]); escaped.
    pub chain_problem: Option<String>,
    /// The stapled OCSP response (`--status`), as the `tls` event described it; escaped.
    pub ocsp: Option<(Nanos, String, String)>,
    pub dropped: u64,
    /// Time the engine spent paused for a slow consumer, and how many pauses (not the peer's
    /// doing: waits exclude it).
    pub paused: Nanos,
    pub pauses: u32,
    /// Bytes the server sent after its STARTTLS (or proxy) go-ahead, before our ClientHello:
    /// when, and their text (escaped, for the verdict).
    pub injected: Option<(Nanos, String)>,
    /// The last plaintext line the server or proxy sent (escaped).
    pub plain_in: Option<String>,
}

fn phase_index(p: Phase) -> usize {
    Phase::ALL.iter().position(|x| *x == p).unwrap_or(0)
}

impl Facts {
    pub fn new(conn: ConnId) -> Facts {
        Facts {
            conn,
            ..Facts::default()
        }
    }

    /// Takes one event of this connection (others are ignored).
    pub fn feed(&mut self, e: &Event) {
        if e.conn != self.conn {
            return;
        }
        self.first_t = Some(self.first_t.map_or(e.t, |f| f.min(e.t)));
        self.last_t = self.last_t.max(e.t);
        match &e.kind {
            EventKind::Setup(s) => self.setup = Some(s.clone()),
            EventKind::Phase(p) => {
                self.phase = Some(*p);
                let slot = &mut self.phase_start[phase_index(*p)];
                slot.get_or_insert(e.t);
            }
            EventKind::Connected(ends) => {
                self.peer = Some(ends.peer);
                self.connected_at = Some(e.t);
            }
            EventKind::Call(c) => self.on_call(e.t, c),
            EventKind::Io(io) => self.on_io(e.t, io),
            EventKind::Wait(w) => self.on_wait(e.t, w),
            EventKind::State(_) => {}
            EventKind::Msg(m) => self.on_msg(e.t, m),
            EventKind::Sock(s) => self.on_sock(e.t, s),
            EventKind::Tls(info) => {
                self.handshake_done.get_or_insert(e.t);
                // Kept escaped: the verdict quotes them, and the peer chose the ALPN.
                self.version = Some(escape(&info.version).into_owned());
                self.alpn = info.alpn.as_deref().map(|a| escape(a).into_owned());
                self.verify = Some(escape(&info.verify).into_owned());
                if let Some(o) = &info.ocsp {
                    let status = escape(&o.status).into_owned();
                    self.ocsp = Some((e.t, status, escape(&o.describe()).into_owned()));
                }
                self.awaiting_answer_since = None;
            }
            EventKind::Http(h) => {
                if self.http_head.is_none() {
                    // The read that completed the head is already counted in app_in.
                    self.before_response = self.app_in.saturating_sub(h.received);
                }
                if h.complete {
                    self.http_complete = Some((e.t, **h));
                }
                if self.http_head.is_none() || !h.complete {
                    self.http_head = Some((e.t, **h));
                }
            }
            EventKind::Close(c) => {
                self.close = Some((e.t, *c));
                self.last_t = self.last_t.max(e.t);
            }
            // The message may quote the peer (a certificate's name): escaped for the verdict.
            EventKind::Error(m) => self.error = Some(escape(m).into_owned()),
            EventKind::Dropped { count } => self.dropped += count,
            EventKind::Paused(p) => {
                self.paused = self.paused.saturating_add(p.dur);
                self.pauses += 1;
            }
            EventKind::Plain(p) => match p.dir {
                PlainDir::Injected => {
                    self.injected
                        .get_or_insert_with(|| (e.t, escape(&p.text).into_owned()));
                }
                PlainDir::Received => self.plain_in = Some(escape(&p.text).into_owned()),
                PlainDir::Sent => {}
            },
            EventKind::Chain(info) => {
                self.chain_problem = crate::trace::chain::findings(info)
                    .first()
                    .map(|f| escape(&f.text).into_owned());
            }
            EventKind::Verdict(v) if v.class.is_program_misuse() => {
                self.program_verdict = Some(v.clone());
            }
            EventKind::Verdict(_)
            | EventKind::Wire(_)
            | EventKind::Secret(_)
            | EventKind::Program(_)
            | EventKind::Timing(_) => {}
        }
    }

    fn on_io(&mut self, t: Nanos, io: &Io) {
        if let Some(call) = io.call() {
            if self.current_io.call != call {
                self.current_io = CallIo {
                    call,
                    ..CallIo::default()
                };
            }
            self.current_io.would_block |= io.would_block();
            match io.dir {
                Dir::Read => self.current_io.read += u64::from(io.got),
                Dir::Write => self.current_io.wrote += u64::from(io.got),
            }
        }
        let at = Seen { t, call: io.call() };
        match io.dir {
            Dir::Write => self.sock_out += u64::from(io.got),
            Dir::Read if io.got > 0 => {
                self.sock_in += u64::from(io.got);
                self.first_bytes_in.get_or_insert(at);
            }
            Dir::Read => {}
        }
        if io.is_eof() {
            self.eof.get_or_insert(at);
        }
        if let Some(errno) = io.os_error() {
            self.os_error.get_or_insert((at, errno, io.dir));
        }
    }

    fn on_call(&mut self, t: Nanos, c: &Call) {
        self.calls += 1;
        self.in_openssl = self.in_openssl.saturating_add(c.dur());
        let io = if self.current_io.call == c.id {
            std::mem::take(&mut self.current_io)
        } else {
            CallIo::default()
        };
        match c.error {
            SslError::WantRead => self.want_read += 1,
            SslError::WantWrite => self.want_write += 1,
            _ => {}
        }
        if io.read > 0 {
            // Whatever call read from the socket (SSL_shutdown reading session tickets, a
            // handshake call) took what was waiting: it is no longer unread.
            self.max_unread = 0;
        }
        // Messages arrive before the call they happened in: name their call's operation now.
        let alerts = [
            &mut self.alert_in,
            &mut self.alert_out,
            &mut self.alert_after_eof,
        ];
        for alert in alerts.into_iter().flatten() {
            if alert.at.call == Some(c.id) && alert.op.is_none() {
                alert.op = Some(c.op);
            }
        }
        if let Some((at, _, op)) = &mut self.key_update_out {
            if at.call == Some(c.id) {
                *op = Some(c.op);
            }
        }
        if self.reneg_hello_out.is_some_and(|at| at.call == Some(c.id)) {
            self.reneg_hello_op.get_or_insert(c.op);
        }
        let end = t + c.dur();
        match c.op.classic() {
            Op::Read | Op::Peek => {
                self.reads_since_write_progress += 1;
                self.max_unread = 0;
                if io.wrote > 0 {
                    self.reads_that_wrote += 1;
                    self.first_read_that_wrote.get_or_insert((c.id, io.wrote));
                }
                if c.error == SslError::WantRead && !io.would_block {
                    self.want_read_without_block += 1;
                    self.first_want_read_without_block.get_or_insert(c.id);
                }
                if c.bytes() > 0 {
                    self.reads_with_data += 1;
                    self.app_in += u64::from(c.bytes());
                    self.app_in_since_write += u64::from(c.bytes());
                    self.first_app_in.get_or_insert(end);
                    self.last_app_in = Some(end);
                }
            }
            Op::Write => {
                if io.read > 0 {
                    self.writes_that_read += 1;
                    self.first_write_that_read.get_or_insert((c.id, io.read));
                }
                if c.bytes() > 0 {
                    self.app_out += u64::from(c.bytes());
                    self.last_app_out = Some(end);
                    self.app_in_since_write = 0;
                    self.reads_since_write_progress = 0;
                    self.zero_window_samples = 0;
                    self.zero_window_since = None;
                    if self.write_block_since.is_some() {
                        self.write_block_bytes += u64::from(c.bytes());
                    }
                }
                if c.error == SslError::WantWrite {
                    self.write_block_since.get_or_insert(t);
                }
            }
            _ => {}
        }
        let progressed = c.bytes() > 0 || c.error == SslError::None;
        if progressed {
            self.stall_call = None;
        } else if c.error.is_want() && self.stall_call.is_none() {
            self.stall_call = Some((t, *c));
        }
        self.last_call = Some((t, *c));
        self.last_t = self.last_t.max(end);
    }

    fn on_wait(&mut self, t: Nanos, w: &Wait) {
        self.waits += 1;
        if w.woke == Woke::Elapsed {
            self.idle = self.idle.saturating_add(w.dur);
            if self.phase != Some(Phase::Shutdown) {
                self.idle_reading = self.idle_reading.saturating_add(w.dur);
            }
        } else if self.handshake_done.is_none() {
            self.wait_handshake = self.wait_handshake.saturating_add(w.dur);
        } else if w.interest == Interest::Write {
            self.wait_write = self.wait_write.saturating_add(w.dur);
        } else {
            self.wait_read = self.wait_read.saturating_add(w.dur);
        }
        if w.woke != Woke::Elapsed && self.longest_wait.is_none_or(|(_, l)| w.dur > l.dur) {
            self.longest_wait = Some((t, *w));
        }
        self.last_wait = Some((t, *w));
        self.last_t = self.last_t.max(t + w.dur);
    }

    fn on_sock(&mut self, t: Nanos, s: &Sock) {
        self.max_inq = self.max_inq.max(s.inq);
        self.max_unread = self.max_unread.max(s.inq);
        self.max_outq = self.max_outq.max(s.outq);
        if let Some(tcp) = s.tcp {
            if tcp.rtt_us > 0 {
                self.rtt_us = tcp.rtt_us;
            }
            if tcp.snd_wnd == 0 && s.outq > 0 {
                self.zero_window_samples += 1;
                self.zero_window_since.get_or_insert(t);
            }
        }
        if self.write_blocked() {
            self.max_inq_while_write_blocked = self.max_inq_while_write_blocked.max(s.inq);
        }
        if let Some(w) = self.last_app_out.filter(|w| t >= *w) {
            if self.outq_after_writes.is_none_or(|(at, _)| at < w) {
                self.outq_after_writes = Some((t, s.outq));
                self.window_closed_after_writes = false;
                self.window_reopened_after_writes = false;
            }
            match s.tcp.map(|tcp| tcp.snd_wnd) {
                Some(0) => self.window_closed_after_writes = true,
                Some(_) if self.window_closed_after_writes => {
                    self.window_reopened_after_writes = true;
                }
                _ => {}
            }
        }
        self.last_sock = Some((t, *s));
    }
}

#[path = "facts_queries.rs"]
mod queries;

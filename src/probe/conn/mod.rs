//! One traced connection: a state machine that goes through resolve, connect, handshake,
//! actions, workload and shutdown, making each OpenSSL call as a recorded [`Call`] and deriving
//! the readiness it waits for from what OpenSSL wants (the pattern of rustls' tlsclient-mio).

mod calls;
mod plain;
mod steps;

use super::errors;
use super::errors::CallError;
use super::http::{self, HttpTracker};
use super::record;
use super::sockstat;
use super::spec::ConnectSpec;
use super::tls::Tls;
use super::tls_setup::{self, VerifyCapture};
use crate::ffi;
use crate::trace::escape::escape;
use crate::trace::*;
use mio::net::TcpStream;
use mio::{Registry, Token};
use openssl::ssl::{ErrorCode, ShutdownResult};
use std::net::SocketAddr;
use std::time::Duration;

/// Bytes handed to one SSL_write: four TLS records' worth of plaintext, so a bulk upload shows
/// both the record split (several socket writes in one call) and a manageable number of calls.
const WRITE_CHUNK: usize = 64 * 1024;
/// Bytes asked of one SSL_read: one maximal TLS record.
const READ_CHUNK: usize = 16 * 1024;
/// How long to wait for the peer's close_notify after sending ours.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Calls one connection may make in a row before letting the others run.
const CALLS_PER_TURN: u32 = 64;
/// WANT_* results without a would-block in a row before waiting anyway (a safety net; OpenSSL
/// returns these only while it processes non-application records).
const MAX_IMMEDIATE_RETRIES: u32 = 1000;

/// Post-handshake actions, from the spec or from a live command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    KeyUpdate,
    Renegotiate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Resolving,
    Connecting,
    /// The plaintext stages before TLS (a proxy's CONNECT, STARTTLS).
    Plain,
    Handshaking,
    /// Calling the action's function (`scheduled` false) or driving it with SSL_do_handshake.
    Acting {
        action: Action,
        scheduled: bool,
    },
    Writing,
    Reading,
    ShuttingDown {
        sent: bool,
    },
    Closed,
}

/// What a step asks the driver to do next.
enum Next {
    /// Call again at once (progress was made, or OpenSSL asked without a would-block).
    Continue,
    Wait(Interest),
    Close(CloseReason, Option<String>),
    /// The TCP connect failed; try the next address if there is one.
    ConnectFailed(std::io::Error),
}

/// What the driver did with its turn.
pub(super) enum Turn {
    /// Waiting for readiness or a deadline.
    Parked,
    /// Used up its turn while still making progress: drive again soon.
    Yielded,
    Closed,
}

pub(super) struct Conn {
    pub id: ConnId,
    spec: ConnectSpec,
    detail: bool,
    step: Step,
    addrs: Vec<SocketAddr>,
    socket: Option<TcpStream>,
    tls: Option<Tls>,
    verify: VerifyCapture,
    next_call: CallId,
    /// Whole-connection deadline.
    deadline: Option<Nanos>,
    /// Deadline of the current phase (connect, read-for, shutdown grace).
    phase_deadline: Option<Nanos>,
    waiting: Option<(Nanos, Interest)>,
    /// Time the engine was paused for a slow consumer during the current wait (not the peer's).
    wait_paused: Nanos,
    /// When to sample the buffer levels next during the current wait, and how many were taken.
    next_sample: Option<Nanos>,
    wait_samples: u32,
    immediate_retries: u32,
    /// Workload bytes still to write: the request text, then `upload_left` bulk bytes.
    request: Vec<u8>,
    request_pos: usize,
    upload_left: u64,
    /// An SSL_write returned WANT_*: it must be retried with the same arguments before anything else.
    write_in_flight: bool,
    read_phase: ReadPhase,
    /// Bytes to send when the read phase's time is up (taken once).
    then_send: Option<Vec<u8>>,
    /// The read phase's time ran out while an action was under way.
    read_time_is_up: bool,
    actions: Vec<Action>,
    /// Step to return to when an action is done.
    resume: Option<Step>,
    hello_since_tls: bool,
    workload_done: bool,
    notify_sent: bool,
    notify_received: bool,
    /// The peer's FIN had arrived when we began to send our close_notify.
    fin_before_notify: bool,
    sampler: sockstat::Sampler,
    /// The address being connected to.
    current_addr: Option<SocketAddr>,
    /// The HTTP response being read, when the workload is an HTTP request.
    http: Option<HttpTracker>,
    /// The plaintext stages still to go before TLS (`None` once TLS began, or without any).
    pretls: Option<Box<plain::PreTls>>,
    /// The connection to start when this one has closed (`--reconnect`), offering its session.
    follow_up: Option<Box<ConnectSpec>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadPhase {
    None,
    UntilClose,
    For(Duration),
}

impl Conn {
    pub(super) fn new(id: ConnId, spec: ConnectSpec, detail: bool) -> Conn {
        let now = record::now();
        let deadline = spec.timeout.map(|t| now + t.as_nanos() as Nanos);
        let workload = &spec.workload;
        let mut request = Vec::new();
        if let Some(path) = &workload.http_get {
            request.extend_from_slice(
                format!(
                    "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tlsscope/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                    spec.sni_name().unwrap_or(&spec.target.host),
                    env!("CARGO_PKG_VERSION")
                )
                .as_bytes(),
            );
        }
        if let Some(text) = &workload.send {
            request.extend_from_slice(text);
        }
        let read_phase = match workload.read_for {
            Some(d) if d.is_zero() => ReadPhase::None,
            Some(d) => ReadPhase::For(d),
            None if workload.http_get.is_some() => ReadPhase::UntilClose,
            None => ReadPhase::None,
        };
        let mut actions = Vec::new();
        if spec.key_update {
            actions.push(Action::KeyUpdate);
        }
        if spec.renegotiate {
            actions.push(Action::Renegotiate);
        }
        let upload_left = workload.upload.unwrap_or(0);
        let http = http::is_request(&request).then(HttpTracker::new);
        let then_send = workload.then_send.clone();
        let pretls = plain::PreTls::from_spec(&spec);
        let setup = tls_setup::setup(&spec);
        record::push(id, EventKind::Setup(Box::new(setup)));
        record::push(id, EventKind::Phase(Phase::Resolve));
        Conn {
            id,
            spec,
            detail,
            step: Step::Resolving,
            addrs: Vec::new(),
            socket: None,
            tls: None,
            verify: VerifyCapture::default(),
            next_call: 1,
            deadline,
            phase_deadline: None,
            waiting: None,
            wait_paused: 0,
            next_sample: None,
            wait_samples: 0,
            immediate_retries: 0,
            request,
            request_pos: 0,
            upload_left,
            write_in_flight: false,
            read_phase,
            then_send,
            read_time_is_up: false,
            actions,
            resume: None,
            hello_since_tls: false,
            workload_done: false,
            notify_sent: false,
            notify_received: false,
            fin_before_notify: false,
            current_addr: None,
            sampler: sockstat::Sampler::default(),
            http,
            pretls,
            follow_up: None,
        }
    }

    /// The connection due after this closed one (`--reconnect`), taken once.
    pub(super) fn take_follow_up(&mut self) -> Option<Box<ConnectSpec>> {
        self.follow_up.take()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.step == Step::Closed
    }

    /// The earliest deadline, for the poll timeout.
    pub(super) fn next_deadline(&self) -> Option<Nanos> {
        match (self.deadline, self.phase_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the engine must call `on_sample_due` (a buffer-level sample during a wait).
    pub(super) fn next_sample(&self) -> Option<Nanos> {
        self.next_sample
    }

    fn token(&self) -> Token {
        Token(self.id as usize)
    }

    // ----- events from the engine -----

    /// The resolver thread's answer.
    pub(super) fn on_resolved(
        &mut self,
        result: Result<Vec<SocketAddr>, String>,
        reg: &Registry,
    ) -> Turn {
        if self.step != Step::Resolving {
            return Turn::Parked;
        }
        match result {
            Ok(addrs) if !addrs.is_empty() => {
                self.addrs = addrs;
                self.addrs.reverse(); // popped from the back, in resolver order
                self.connect_next(reg)
            }
            Ok(_) => self.close(
                CloseReason::Failed,
                Some(format!("{} resolved to no address", self.spec.target.host)),
                reg,
            ),
            Err(reason) => self.close(CloseReason::Failed, Some(reason), reg),
        }
    }

    /// Readiness reported by poll for this connection's socket.
    pub(super) fn on_ready(
        &mut self,
        readable: bool,
        writable: bool,
        hangup: bool,
        reg: &Registry,
    ) -> Turn {
        let Some((since, interest)) = self.waiting else {
            return Turn::Parked; // a stale or spurious event
        };
        let woke = match interest {
            Interest::Read if readable => Woke::Readable,
            Interest::Write if writable => Woke::Writable,
            Interest::ReadWrite if readable => Woke::Readable,
            Interest::ReadWrite if writable => Woke::Writable,
            _ if hangup => Woke::Hangup,
            _ => return Turn::Parked,
        };
        self.end_wait(since, interest, woke);
        self.drive(reg)
    }

    /// Called when `now` passed one of the deadlines.
    pub(super) fn on_deadline(&mut self, now: Nanos, reg: &Registry) -> Turn {
        // Said before the wait ends, so the reason can tell what it was waiting for.
        let doing = self.doing();
        let failed = self.deadline.is_some_and(|d| now >= d);
        if let Some((since, interest)) = self.waiting {
            // --timeout and the connect timeout mean failure; --read-for and the shutdown grace
            // are times we chose to spend, so the wait simply elapsed.
            let woke = if failed || self.step == Step::Connecting {
                Woke::Timeout
            } else {
                Woke::Elapsed
            };
            self.end_wait(since, interest, woke);
        }
        if failed {
            let secs = self
                .spec
                .timeout
                .map(|t| t.as_secs_f64())
                .unwrap_or_default();
            let reason = format!("timed out after {secs} s (--timeout) {doing}");
            return self.close(CloseReason::Timeout, Some(reason), reg);
        }
        self.phase_deadline = None;
        match self.step {
            Step::Connecting => {
                let secs = self.spec.connect_timeout.as_secs_f64();
                let reason = format!("TCP connect to {} timed out after {secs} s", self.dialed());
                self.close(CloseReason::Timeout, Some(reason), reg)
            }
            Step::Reading => {
                let next = self.read_time_up();
                self.follow(next, reg)
            }
            Step::Acting { .. } if self.resume == Some(Step::Reading) => {
                // --read-for ran out during an action: finish the action, then end the reading.
                self.read_time_is_up = true;
                self.drive(reg)
            }
            Step::ShuttingDown { .. } => self.close(CloseReason::Clean, None, reg),
            _ => self.drive(reg),
        }
    }

    /// --read-for's time is up: send the second message and read again, or close politely.
    fn read_time_up(&mut self) -> Next {
        self.read_time_is_up = false;
        if let Some(bytes) = self.then_send.take() {
            self.request = bytes;
            self.request_pos = 0;
            self.step = Step::Writing;
            return Next::Continue;
        }
        self.workload_done = true;
        self.begin_shutdown()
    }

    /// Carries out what a step outside `drive` decided.
    fn follow(&mut self, next: Next, reg: &Registry) -> Turn {
        match next {
            Next::Continue => self.drive(reg),
            Next::Wait(interest) => self.start_wait(interest, reg),
            Next::Close(reason, message) => self.close(reason, message, reg),
            Next::ConnectFailed(e) => self.connect_failed(e, reg),
        }
    }

    /// A command from the user for this connection.
    pub(super) fn on_action(&mut self, action: Action, reg: &Registry) -> Turn {
        if self.is_closed() {
            return Turn::Closed;
        }
        self.actions.push(action);
        // Only a read that waits for data with no handshake under way may be interrupted; an
        // SSL_read that is still writing a handshake flight must be retried first (the action
        // then starts from `read`).
        let idle_read = self.step == Step::Reading && !self.handshake_under_way();
        if let (Some((since, Interest::Read)), true) = (self.waiting, idle_read) {
            self.end_wait(since, Interest::Read, Woke::Command);
            return self.drive(reg);
        }
        Turn::Parked
    }

    pub(super) fn on_stop(&mut self, reg: &Registry) -> Turn {
        if let Some((since, interest)) = self.waiting {
            self.end_wait(since, interest, Woke::Command);
        }
        self.close(CloseReason::Stopped, None, reg)
    }

    // ----- driving -----

    /// Makes as much progress as possible, then parks on a wait, yields, or closes.
    pub(super) fn drive(&mut self, reg: &Registry) -> Turn {
        for _ in 0..CALLS_PER_TURN {
            let next = match self.step {
                Step::Resolving => return Turn::Parked,
                Step::Closed => return Turn::Closed,
                Step::Connecting => self.finish_connect(),
                Step::Plain => self.plain(),
                Step::Handshaking => self.handshake(),
                Step::Acting { action, scheduled } => self.act(action, scheduled),
                Step::Writing => self.write(),
                Step::Reading => self.read(),
                Step::ShuttingDown { sent } => self.shutdown(sent),
            };
            match next {
                Next::Continue => continue,
                Next::Wait(interest) => return self.start_wait(interest, reg),
                Next::Close(reason, message) => return self.close(reason, message, reg),
                Next::ConnectFailed(e) => return self.connect_failed(e, reg),
            }
        }
        Turn::Yielded
    }

    /// A (re)handshake or post-handshake flight is in progress inside OpenSSL.
    fn handshake_under_way(&self) -> bool {
        self.tls
            .as_ref()
            .is_some_and(|t| !t.ssl().is_init_finished())
    }

    /// What the connection was doing, for timeout messages.
    fn doing(&self) -> String {
        let waiting = match self.waiting {
            Some((_, i)) => format!(
                " waiting for the socket to become {}",
                if i == Interest::Write {
                    "writable"
                } else {
                    "readable"
                }
            ),
            None => String::new(),
        };
        let step = match self.step {
            Step::Resolving => "while resolving the host name",
            Step::Connecting => "while connecting",
            Step::Plain if self.pretls.as_ref().and_then(|p| p.phase()) == Some(Phase::Proxy) => {
                "while the proxy was connecting us"
            }
            Step::Plain => "during STARTTLS",
            Step::Handshaking => "during the TLS handshake",
            Step::Acting { .. } => "during a post-handshake action",
            Step::Writing => "while writing (SSL_write)",
            Step::Reading => "while reading (SSL_read)",
            Step::ShuttingDown { .. } => "during shutdown",
            Step::Closed => "after close",
        };
        format!("{step}{waiting}")
    }

    fn close(&mut self, reason: CloseReason, message: Option<String>, reg: &Registry) -> Turn {
        if self.step == Step::Closed {
            return Turn::Closed;
        }
        self.waiting = None;
        self.next_sample = None;
        self.phase_deadline = None;
        self.deadline = None;
        if let Some(message) = message {
            record::push(self.id, EventKind::Error(message.into()));
        }
        if let Some(tls) = self.tls.as_mut() {
            let _ = reg.deregister(tls.socket_mut());
        }
        // Read now: TLS 1.3 tickets arrive after the handshake. A connection the user stopped
        // starts no follow-up: stopping means stop.
        self.follow_up = if reason == CloseReason::Stopped {
            None
        } else {
            crate::probe::session::closing(self.id, self.tls.as_ref().map(|t| t.ssl()), &self.spec)
                .map(Box::new)
        };
        if let Some(sock) = self.socket.as_mut() {
            let _ = reg.deregister(sock);
        }
        self.tls = None;
        self.socket = None;
        self.step = Step::Closed;
        record::push(
            self.id,
            EventKind::Close(Close {
                reason,
                notify_sent: self.notify_sent,
                notify_received: self.notify_received,
                workload_done: self.workload_done,
            }),
        );
        Turn::Closed
    }
}

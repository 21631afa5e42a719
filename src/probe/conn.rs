//! One traced connection: a state machine that goes through resolve, connect, handshake,
//! actions, workload and shutdown, making each OpenSSL call as a recorded [`Call`] and deriving
//! the readiness it waits for from what OpenSSL wants (the pattern of rustls' tlsclient-mio).

use super::errors;
use super::ffi;
use super::record;
use super::sockstat;
use super::spec::ConnectSpec;
use super::tap::Tap;
use super::tls_setup::{self, VerifyCapture};
use crate::trace::*;
use mio::net::TcpStream;
use mio::{Registry, Token};
use openssl::ssl::{self, ErrorCode, ShutdownResult, SslStream};
use std::net::SocketAddr;
use std::time::Duration;

type Tls = SslStream<Tap<TcpStream>>;

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
pub enum Turn {
    /// Waiting for readiness or a deadline.
    Parked,
    /// Used up its turn while still making progress: drive again soon.
    Yielded,
    Closed,
}

pub struct Conn {
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
    immediate_retries: u32,
    /// Workload bytes still to write: the request text, then `upload_left` bulk bytes.
    request: Vec<u8>,
    request_pos: usize,
    upload_left: u64,
    /// An SSL_write returned WANT_*: it must be retried with the same arguments before anything else.
    write_in_flight: bool,
    read_phase: ReadPhase,
    actions: Vec<Action>,
    /// Step to return to when an action is done.
    resume: Option<Step>,
    hello_since_tls: bool,
    workload_done: bool,
    notify_sent: bool,
    notify_received: bool,
    /// Application bytes read and written.
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// The address being connected to.
    current_addr: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadPhase {
    None,
    UntilClose,
    For(Duration),
}

impl Conn {
    pub fn new(id: ConnId, spec: ConnectSpec, detail: bool) -> Conn {
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
            immediate_retries: 0,
            request,
            request_pos: 0,
            upload_left,
            write_in_flight: false,
            read_phase,
            actions,
            resume: None,
            hello_since_tls: false,
            workload_done: false,
            notify_sent: false,
            notify_received: false,
            bytes_read: 0,
            bytes_written: 0,
            current_addr: None,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.step == Step::Closed
    }

    /// The earliest deadline, for the poll timeout.
    pub fn next_deadline(&self) -> Option<Nanos> {
        match (self.deadline, self.phase_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn token(&self) -> Token {
        Token(self.id as usize)
    }

    // ----- events from the engine -----

    /// The resolver thread's answer.
    pub fn on_resolved(&mut self, result: Result<Vec<SocketAddr>, String>, reg: &Registry) -> Turn {
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
    pub fn on_ready(
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
    pub fn on_deadline(&mut self, now: Nanos, reg: &Registry) -> Turn {
        if let Some((since, interest)) = self.waiting {
            self.end_wait(since, interest, Woke::Timeout);
        }
        if self.deadline.is_some_and(|d| now >= d) {
            let secs = self
                .spec
                .timeout
                .map(|t| t.as_secs_f64())
                .unwrap_or_default();
            let reason = format!("timed out after {secs} s (--timeout) {}", self.doing());
            return self.close(CloseReason::Timeout, Some(reason), reg);
        }
        self.phase_deadline = None;
        match self.step {
            Step::Connecting => {
                let secs = self.spec.connect_timeout.as_secs_f64();
                let reason = format!(
                    "TCP connect to {} timed out after {secs} s",
                    self.spec.target
                );
                self.close(CloseReason::Timeout, Some(reason), reg)
            }
            Step::Reading => {
                // --read-for elapsed: the workload is done, close politely.
                self.workload_done = true;
                self.step = Step::ShuttingDown { sent: false };
                record::push(self.id, EventKind::Phase(Phase::Shutdown));
                self.drive(reg)
            }
            Step::ShuttingDown { .. } => self.close(CloseReason::Clean, None, reg),
            _ => self.drive(reg),
        }
    }

    /// A command from the user for this connection.
    pub fn on_action(&mut self, action: Action, reg: &Registry) -> Turn {
        if self.is_closed() {
            return Turn::Closed;
        }
        self.actions.push(action);
        if let (Some((since, interest)), Step::Reading) = (self.waiting, self.step) {
            // Reading is the only wait an action may interrupt: no call is mid-retry there.
            self.end_wait(since, interest, Woke::Command);
            return self.drive(reg);
        }
        Turn::Parked
    }

    pub fn on_stop(&mut self, reg: &Registry) -> Turn {
        if let Some((since, interest)) = self.waiting {
            self.end_wait(since, interest, Woke::Command);
        }
        self.close(CloseReason::Stopped, None, reg)
    }

    // ----- driving -----

    /// Makes as much progress as possible, then parks on a wait, yields, or closes.
    pub fn drive(&mut self, reg: &Registry) -> Turn {
        for _ in 0..CALLS_PER_TURN {
            let next = match self.step {
                Step::Resolving => return Turn::Parked,
                Step::Closed => return Turn::Closed,
                Step::Connecting => self.finish_connect(),
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

    fn connect_next(&mut self, reg: &Registry) -> Turn {
        let Some(addr) = self.addrs.pop() else {
            return self.close(
                CloseReason::Failed,
                Some(format!("could not connect to {}", self.spec.target)),
                reg,
            );
        };
        record::push(self.id, EventKind::Phase(Phase::Connect));
        self.current_addr = Some(addr);
        match sockstat::connect_nonblocking(addr, self.spec.sndbuf, self.spec.rcvbuf) {
            Ok(mut stream) => {
                if let Err(e) = reg.register(&mut stream, self.token(), mio::Interest::WRITABLE) {
                    return self.close(
                        CloseReason::Failed,
                        Some(format!("cannot watch socket: {e}")),
                        reg,
                    );
                }
                self.socket = Some(stream);
                self.step = Step::Connecting;
                self.phase_deadline =
                    Some(record::now() + self.spec.connect_timeout.as_nanos() as Nanos);
                self.waiting = Some((record::now(), Interest::Write));
                Turn::Parked
            }
            Err(e) => self.connect_failed(e, reg),
        }
    }

    fn connect_failed(&mut self, e: std::io::Error, reg: &Registry) -> Turn {
        let addr = self.current_addr.map(|a| a.to_string()).unwrap_or_default();
        if let Some(mut sock) = self.socket.take() {
            let _ = reg.deregister(&mut sock);
        }
        if !self.addrs.is_empty() {
            record::push(
                self.id,
                EventKind::Error(
                    format!(
                        "connect to {addr} failed: {}; trying the next address",
                        errors::io_reason(&e)
                    )
                    .into(),
                ),
            );
            return self.connect_next(reg);
        }
        let reason = format!(
            "TCP connect to {} ({addr}) failed: {}",
            self.spec.target,
            errors::io_reason(&e)
        );
        self.close(CloseReason::Failed, Some(reason), reg)
    }

    fn finish_connect(&mut self) -> Next {
        let Some(sock) = self.socket.as_ref() else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        match sock.take_error() {
            Ok(Some(e)) | Err(e) => return Next::ConnectFailed(e),
            Ok(None) => {}
        }
        let (local, peer) = match (sock.local_addr(), sock.peer_addr()) {
            (Ok(l), Ok(p)) => (l, p),
            (_, Err(e)) if e.kind() == std::io::ErrorKind::NotConnected => {
                return Next::Wait(Interest::Write)
            }
            (Err(e), _) | (_, Err(e)) => return Next::ConnectFailed(e),
        };
        self.phase_deadline = None;
        record::push(
            self.id,
            EventKind::Connected(Box::new(Endpoints { local, peer })),
        );
        let (ssl, verify) = match tls_setup::client(&self.spec, self.detail) {
            Ok(v) => v,
            Err(reason) => return Next::Close(CloseReason::Failed, Some(reason)),
        };
        self.verify = verify;
        let Some(sock) = self.socket.take() else {
            return Next::Close(CloseReason::Failed, Some("internal: no socket".into()));
        };
        match SslStream::new(ssl, Tap::new(sock)) {
            Ok(tls) => self.tls = Some(tls),
            Err(e) => return Next::Close(CloseReason::Failed, Some(format!("OpenSSL: {e}"))),
        }
        self.sample_sock();
        record::push(self.id, EventKind::Phase(Phase::Handshake));
        self.step = Step::Handshaking;
        Next::Continue
    }

    fn handshake(&mut self) -> Next {
        match self.call(Op::DoHandshake, |tls| tls.do_handshake().map(|()| (1, 0))) {
            Ok(_) => {
                if !self.detail {
                    self.emit_tls();
                }
                self.after_handshake()
            }
            Err(e) => self.on_error(e, "handshake"),
        }
    }

    /// Next step once the handshake or an action completed.
    fn after_handshake(&mut self) -> Next {
        if let Some(step) = self.resume.take() {
            self.step = step;
            return Next::Continue;
        }
        if !self.actions.is_empty() {
            self.resume = Some(Step::Writing);
            return self.begin_action();
        }
        record::push(self.id, EventKind::Phase(Phase::Workload));
        self.step = Step::Writing;
        Next::Continue
    }

    fn begin_action(&mut self) -> Next {
        let action = self.actions.remove(0);
        record::push(self.id, EventKind::Phase(Phase::Action));
        self.step = Step::Acting {
            action,
            scheduled: false,
        };
        Next::Continue
    }

    fn act(&mut self, action: Action, scheduled: bool) -> Next {
        if !scheduled {
            let (op, name) = match action {
                Action::KeyUpdate => (Op::KeyUpdate, "KeyUpdate"),
                Action::Renegotiate => (Op::Renegotiate, "renegotiation"),
            };
            let ok = self.raw_call(op, |tls| match action {
                Action::KeyUpdate => ffi::key_update(tls.ssl(), true),
                Action::Renegotiate => ffi::renegotiate(tls.ssl()),
            });
            if !ok {
                let version = self
                    .tls
                    .as_ref()
                    .map(|t| t.ssl().version_str())
                    .unwrap_or("?");
                let needs = if action == Action::KeyUpdate {
                    "TLS 1.3"
                } else {
                    "TLS 1.2 and a peer that allows it"
                };
                let detail = errors::error_queue();
                return Next::Close(
                    CloseReason::Failed,
                    Some(format!("{name} refused by OpenSSL: it needs {needs}, this connection is {version}{detail}")),
                );
            }
            self.step = Step::Acting {
                action,
                scheduled: true,
            };
            return Next::Continue;
        }
        match self.call(Op::DoHandshake, |tls| tls.do_handshake().map(|()| (1, 0))) {
            Ok(_) => self.after_handshake(),
            Err(e) => self.on_error(e, "handshake"),
        }
    }

    /// The bytes the next SSL_write hands over (the same after a WANT_*, as OpenSSL requires).
    fn next_chunk_len(&self) -> (bool, usize) {
        if self.request_pos < self.request.len() {
            (
                true,
                (self.request.len() - self.request_pos).min(WRITE_CHUNK),
            )
        } else {
            (false, self.upload_left.min(WRITE_CHUNK as u64) as usize)
        }
    }

    fn write(&mut self) -> Next {
        if !self.write_in_flight && !self.actions.is_empty() {
            self.resume = Some(Step::Writing);
            return self.begin_action();
        }
        let (from_request, len) = self.next_chunk_len();
        if len == 0 {
            return self.begin_read_phase();
        }
        static ZEROS: [u8; WRITE_CHUNK] = [0; WRITE_CHUNK];
        let request = std::mem::take(&mut self.request);
        let data = if from_request {
            &request[self.request_pos..self.request_pos + len]
        } else {
            &ZEROS[..len]
        };
        let result = self.call(Op::Write, |tls| {
            tls.ssl_write(data).map(|n| (n as i32, n as u32))
        });
        self.request = request;
        match result {
            Ok((n, _)) => {
                self.write_in_flight = false;
                let n = n as usize;
                self.bytes_written += n as u64;
                if from_request {
                    self.request_pos += n;
                } else {
                    self.upload_left -= n as u64;
                }
                Next::Continue
            }
            Err(e) => {
                self.write_in_flight = true;
                self.on_error(e, "write")
            }
        }
    }

    fn begin_read_phase(&mut self) -> Next {
        match self.read_phase {
            ReadPhase::None => {
                self.workload_done = true;
                self.begin_shutdown()
            }
            ReadPhase::UntilClose => {
                self.step = Step::Reading;
                Next::Continue
            }
            ReadPhase::For(d) => {
                self.phase_deadline = Some(record::now() + d.as_nanos() as Nanos);
                self.step = Step::Reading;
                Next::Continue
            }
        }
    }

    fn begin_shutdown(&mut self) -> Next {
        self.phase_deadline = None;
        record::push(self.id, EventKind::Phase(Phase::Shutdown));
        self.step = Step::ShuttingDown { sent: false };
        Next::Continue
    }

    fn read(&mut self) -> Next {
        if !self.actions.is_empty() {
            self.resume = Some(Step::Reading);
            return self.begin_action();
        }
        let mut buf = [0u8; READ_CHUNK];
        match self.call(Op::Read, |tls| {
            tls.ssl_read(&mut buf).map(|n| (n as i32, n as u32))
        }) {
            Ok((n, _)) => {
                self.bytes_read += n as u64;
                Next::Continue
            }
            Err(e) => self.on_error(e, "read"),
        }
    }

    fn shutdown(&mut self, sent: bool) -> Next {
        let result = self.call(Op::Shutdown, |tls| {
            tls.shutdown().map(|r| match r {
                ShutdownResult::Sent => (0, 0),
                ShutdownResult::Received => (1, 0),
            })
        });
        match result {
            Ok((0, _)) => {
                self.notify_sent = true;
                if !sent {
                    self.step = Step::ShuttingDown { sent: true };
                    let grace = record::now() + SHUTDOWN_GRACE.as_nanos() as Nanos;
                    self.phase_deadline = Some(grace);
                }
                Next::Continue
            }
            Ok(_) => {
                self.notify_sent = true;
                self.notify_received = true;
                Next::Close(CloseReason::Clean, None)
            }
            Err(e) if is_want(e.code()) => self.on_want(e.code()),
            Err(e) if self.notify_sent => {
                // Our close_notify is out; the peer closing TCP without answering is common.
                let _ = e;
                Next::Close(CloseReason::Clean, None)
            }
            Err(e) => self.on_error(e, "shutdown"),
        }
    }

    // ----- results -----

    fn on_want(&mut self, code: ErrorCode) -> Next {
        let Some(tap) = self.tls.as_ref().map(|t| t.get_ref()) else {
            return Next::Close(CloseReason::Failed, Some("internal: no TLS stream".into()));
        };
        let interest = if code == ErrorCode::WANT_WRITE {
            Interest::Write
        } else {
            Interest::Read
        };
        let blocked = match interest {
            Interest::Write => tap.write_blocked,
            _ => tap.read_blocked,
        };
        if blocked || self.immediate_retries >= MAX_IMMEDIATE_RETRIES {
            Next::Wait(interest)
        } else {
            // WANT_* without a would-block (e.g. SSL_read processed only a ticket with
            // AUTO_RETRY off): the socket may hold more, and an edge-triggered poll would not
            // report it again, so call again at once.
            self.immediate_retries += 1;
            Next::Continue
        }
    }

    /// Classifies a failed call: retry, clean end, or failure with a reason.
    fn on_error(&mut self, e: ssl::Error, during: &str) -> Next {
        let code = e.code();
        if is_want(code) {
            return self.on_want(code);
        }
        let tap = self.tls.as_ref().map(|t| t.get_ref());
        let eof = tap.is_some_and(|t| t.eof);
        let os_error = tap.and_then(|t| t.os_error);
        if code == ErrorCode::ZERO_RETURN {
            self.notify_received = true;
            if self.step == Step::Reading {
                self.workload_done = true;
            }
            return self.begin_shutdown();
        }
        if os_error == Some(libc::ECONNRESET) {
            return Next::Close(
                CloseReason::Reset,
                Some(format!(
                    "connection reset by peer during {during} (ECONNRESET)"
                )),
            );
        }
        if errors::is_unexpected_eof(&e, eof) {
            if self.step == Step::Reading && self.read_phase == ReadPhase::UntilClose {
                self.workload_done = true;
            }
            let detail = if during == "handshake" {
                let bytes = self
                    .tls
                    .as_ref()
                    .map(|t| t.get_ref().bytes_read)
                    .unwrap_or(0);
                if bytes == 0 {
                    " before sending anything (is it a TLS server?)".to_string()
                } else {
                    format!(" after sending {bytes} bytes")
                }
            } else {
                String::new()
            };
            return Next::Close(
                CloseReason::Eof,
                Some(format!("peer closed the TCP connection without close_notify (unexpected EOF) during {during}{detail}")),
            );
        }
        let reason = if during == "handshake" {
            let verify = self.verify.lock().ok().and_then(|v| v.clone());
            let first = self
                .tls
                .as_mut()
                .map(|t| t.get_mut().read_more_first_bytes().to_vec())
                .unwrap_or_default();
            errors::handshake_reason(&e, verify.as_ref(), &first)
        } else {
            format!("{} failed: {}", during, errors::ssl_reason(&e))
        };
        Next::Close(CloseReason::Failed, Some(reason))
    }

    // ----- recording -----

    /// Makes one OpenSSL call through rust-openssl and records it. `f` returns (ret, bytes).
    fn call(
        &mut self,
        op: Op,
        f: impl FnOnce(&mut Tls) -> Result<(i32, u32), ssl::Error>,
    ) -> Result<(i32, u32), ssl::Error> {
        let id = self.next_call;
        self.next_call += 1;
        let Some(tls) = self.tls.as_mut() else {
            return Err(errors::internal());
        };
        tls.get_mut().clear_blocked();
        record::set_current(self.id, Some(id));
        let t0 = record::now();
        let result = f(tls);
        let dur = record::now().saturating_sub(t0);
        record::set_current(self.id, None);
        let (ret, error, bytes) = match &result {
            Ok((ret, bytes)) => (*ret, SslError::None, *bytes),
            Err(e) => (
                errors::classic_ret(e),
                SslError::from_code(e.code().as_raw()),
                0,
            ),
        };
        if !error.is_want() {
            self.immediate_retries = 0;
        }
        record::push_at(
            t0,
            self.id,
            EventKind::Call(Call {
                id,
                op,
                ret,
                error,
                dur,
                bytes,
            }),
        );
        self.after_call();
        result
    }

    /// Makes one call rust-openssl does not wrap (returns 1 on success) and records it.
    fn raw_call(&mut self, op: Op, f: impl FnOnce(&mut Tls) -> i32) -> bool {
        let id = self.next_call;
        self.next_call += 1;
        let Some(tls) = self.tls.as_mut() else {
            return false;
        };
        record::set_current(self.id, Some(id));
        let t0 = record::now();
        let ret = f(tls);
        let dur = record::now().saturating_sub(t0);
        record::set_current(self.id, None);
        let error = if ret == 1 {
            SslError::None
        } else {
            SslError::from_code(ffi::get_error(tls.ssl(), ret))
        };
        record::push_at(
            t0,
            self.id,
            EventKind::Call(Call {
                id,
                op,
                ret,
                error,
                dur,
                bytes: 0,
            }),
        );
        self.after_call();
        ret == 1
    }

    fn after_call(&mut self) {
        let flags = record::take_flags();
        self.hello_since_tls |= flags.hello_sent;
        if flags.handshake_done && self.hello_since_tls {
            self.hello_since_tls = false;
            self.emit_tls();
        }
        self.sample_sock();
    }

    fn emit_tls(&mut self) {
        if let Some(tls) = self.tls.as_ref() {
            let info = tls_setup::tls_info(tls.ssl(), &self.spec);
            record::push(self.id, EventKind::Tls(Box::new(info)));
        }
    }

    fn sample_sock(&self) {
        if !self.detail {
            return;
        }
        if let Some(tls) = self.tls.as_ref() {
            let sock = sockstat::sample(&tls.get_ref().inner, tls.ssl().pending());
            record::push(self.id, EventKind::Sock(sock));
        }
    }

    fn start_wait(&mut self, interest: Interest, reg: &Registry) -> Turn {
        let mio_interest = match interest {
            Interest::Read => mio::Interest::READABLE,
            Interest::Write => mio::Interest::WRITABLE,
            Interest::ReadWrite => mio::Interest::READABLE | mio::Interest::WRITABLE,
        };
        let token = self.token();
        // Re-registering re-arms the edge-triggered poll: if the socket is already ready for
        // `interest`, poll reports it at once.
        let result = match (self.tls.as_mut(), self.socket.as_mut()) {
            (Some(tls), _) => reg.reregister(&mut tls.get_mut().inner, token, mio_interest),
            (None, Some(sock)) => reg.reregister(sock, token, mio_interest),
            (None, None) => Ok(()),
        };
        if let Err(e) = result {
            return self.close(
                CloseReason::Failed,
                Some(format!("cannot watch socket: {e}")),
                reg,
            );
        }
        self.immediate_retries = 0;
        self.waiting = Some((record::now(), interest));
        Turn::Parked
    }

    fn end_wait(&mut self, since: Nanos, interest: Interest, woke: Woke) {
        self.waiting = None;
        let dur = record::now().saturating_sub(since);
        record::push_at(
            since,
            self.id,
            EventKind::Wait(Wait {
                interest,
                dur,
                woke,
            }),
        );
        self.sample_sock();
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
        self.phase_deadline = None;
        self.deadline = None;
        if let Some(message) = message {
            record::push(self.id, EventKind::Error(message.into()));
        }
        if let Some(tls) = self.tls.as_mut() {
            let _ = reg.deregister(&mut tls.get_mut().inner);
        }
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

fn is_want(code: ErrorCode) -> bool {
    code == ErrorCode::WANT_READ || code == ErrorCode::WANT_WRITE
}

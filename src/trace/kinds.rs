//! The small values inside events: phases, OpenSSL functions and their results, directions,
//! what ended a wait, buffer levels, why a connection closed. Plain integers and enums, so the
//! hot events stay small (see [`super::event`]).

use super::event::{CallId, CallRef, Dur32, Nanos, StateText};

/// The phases a connection goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Resolve,
    Connect,
    /// The proxy's CONNECT (HTTP or SOCKS5), before any STARTTLS or TLS.
    Proxy,
    /// The plaintext STARTTLS dialogue, before the TLS handshake.
    Starttls,
    Handshake,
    Action,
    Workload,
    Shutdown,
}

impl Phase {
    pub const ALL: [Phase; 8] = [
        Phase::Resolve,
        Phase::Connect,
        Phase::Proxy,
        Phase::Starttls,
        Phase::Handshake,
        Phase::Action,
        Phase::Workload,
        Phase::Shutdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Resolve => "resolve",
            Phase::Connect => "connect",
            Phase::Proxy => "proxy",
            Phase::Starttls => "starttls",
            Phase::Handshake => "handshake",
            Phase::Action => "action",
            Phase::Workload => "workload",
            Phase::Shutdown => "shutdown",
        }
    }
}

/// The OpenSSL functions tlsscope calls and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    DoHandshake,
    Read,
    Write,
    Peek,
    Shutdown,
    KeyUpdate,
    Renegotiate,
    /// The calls only `tlsscope run` sees (a program's own, by their OpenSSL names).
    ReadEx,
    WriteEx,
    Connect,
    Accept,
}

impl Op {
    pub const ALL: [Op; 11] = [
        Op::DoHandshake,
        Op::Read,
        Op::Write,
        Op::Peek,
        Op::Shutdown,
        Op::KeyUpdate,
        Op::Renegotiate,
        Op::ReadEx,
        Op::WriteEx,
        Op::Connect,
        Op::Accept,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::DoHandshake => "SSL_do_handshake",
            Op::Read => "SSL_read",
            Op::Write => "SSL_write",
            Op::Peek => "SSL_peek",
            Op::Shutdown => "SSL_shutdown",
            Op::KeyUpdate => "SSL_key_update",
            Op::Renegotiate => "SSL_renegotiate",
            Op::ReadEx => "SSL_read_ex",
            Op::WriteEx => "SSL_write_ex",
            Op::Connect => "SSL_connect",
            Op::Accept => "SSL_accept",
        }
    }

    /// The classic call this one behaves like (`SSL_read_ex` reads like `SSL_read`,
    /// `SSL_connect` handshakes like `SSL_do_handshake`), for rules written on those.
    pub fn classic(self) -> Op {
        match self {
            Op::ReadEx => Op::Read,
            Op::WriteEx => Op::Write,
            Op::Connect | Op::Accept => Op::DoHandshake,
            other => other,
        }
    }

    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// What `SSL_get_error` said about a call's return value (without the `SSL_ERROR_` prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslError {
    None,
    WantRead,
    WantWrite,
    WantX509Lookup,
    WantConnect,
    WantAccept,
    WantAsync,
    WantAsyncJob,
    WantClientHello,
    ZeroReturn,
    Syscall,
    Ssl,
    /// A code this version does not name (kept if it fits a byte, else 255).
    Other(u8),
}

impl SslError {
    /// Maps the numeric `SSL_ERROR_*` code.
    pub fn from_code(code: i32) -> SslError {
        match code {
            0 => SslError::None,
            1 => SslError::Ssl,
            2 => SslError::WantRead,
            3 => SslError::WantWrite,
            4 => SslError::WantX509Lookup,
            5 => SslError::Syscall,
            6 => SslError::ZeroReturn,
            7 => SslError::WantConnect,
            8 => SslError::WantAccept,
            9 => SslError::WantAsync,
            10 => SslError::WantAsyncJob,
            11 => SslError::WantClientHello,
            other => SslError::Other(u8::try_from(other).unwrap_or(u8::MAX)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SslError::None => "NONE",
            SslError::WantRead => "WANT_READ",
            SslError::WantWrite => "WANT_WRITE",
            SslError::WantX509Lookup => "WANT_X509_LOOKUP",
            SslError::WantConnect => "WANT_CONNECT",
            SslError::WantAccept => "WANT_ACCEPT",
            SslError::WantAsync => "WANT_ASYNC",
            SslError::WantAsyncJob => "WANT_ASYNC_JOB",
            SslError::WantClientHello => "WANT_CLIENT_HELLO_CB",
            SslError::ZeroReturn => "ZERO_RETURN",
            SslError::Syscall => "SYSCALL",
            SslError::Ssl => "SSL",
            SslError::Other(_) => "OTHER",
        }
    }

    pub fn from_name(name: &str) -> Option<SslError> {
        (0..=11).map(SslError::from_code).find(|e| e.name() == name)
    }

    /// True for the retriable results: the caller must wait and call the same function again.
    pub fn is_want(self) -> bool {
        matches!(self, SslError::WantRead | SslError::WantWrite)
    }
}

/// One OpenSSL call. Packed (15 bytes) so that a stored [`super::Event`] stays at 32 bytes: read
/// fields by value (`{ call.id }` in a format string), never by reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Call {
    pub id: CallId,
    pub op: Op,
    pub ret: i32,
    pub error: SslError,
    dur: Dur32,
}

impl Call {
    pub fn new(id: CallId, op: Op, ret: i32, error: SslError, dur: Nanos) -> Call {
        Call {
            id,
            op,
            ret,
            error,
            dur: Dur32::from_nanos(dur),
        }
    }

    /// How long the call took (exact below a second, see [`Dur32`]).
    pub fn dur(&self) -> Nanos {
        let dur = self.dur;
        dur.nanos()
    }

    /// Application bytes moved by this call (read or written): its positive return value for
    /// the calls that move data, 0 for handshake, shutdown and failed calls.
    pub fn bytes(&self) -> u32 {
        let moves_data = matches!(self.op.classic(), Op::Read | Op::Write | Op::Peek);
        if moves_data && self.ret > 0 {
            self.ret as u32
        } else {
            0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Read,
    Write,
}

impl Dir {
    pub const ALL: [Dir; 2] = [Dir::Read, Dir::Write];

    pub fn name(self) -> &'static str {
        match self {
            Dir::Read => "read",
            Dir::Write => "write",
        }
    }
}

/// One socket read or write. Packed (15 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Io {
    call: CallRef,
    pub dir: Dir,
    /// Bytes asked for.
    pub want: u32,
    /// Bytes actually read or written (0 with `would_block` or an OS error; 0 on a read is EOF).
    pub got: u32,
    /// 0: done; [`WOULD_BLOCK`]: would block; else the `errno` of a failed operation.
    err: u16,
}

/// [`Io`]'s `err` for an operation that would have blocked (no errno is this large).
const WOULD_BLOCK: u16 = u16::MAX;

impl Io {
    /// A socket operation: `would_block` when it could not proceed, `os_error` the `errno` of
    /// one that failed otherwise (kept if it fits 16 bits, as every Linux errno does).
    pub fn new(
        call: Option<CallId>,
        dir: Dir,
        want: u32,
        got: u32,
        would_block: bool,
        os_error: Option<i32>,
    ) -> Io {
        let err = match (would_block, os_error) {
            (true, _) => WOULD_BLOCK,
            (false, None) => 0,
            (false, Some(errno)) => u16::try_from(errno)
                .ok()
                .filter(|&e| e != 0 && e != WOULD_BLOCK)
                .unwrap_or(WOULD_BLOCK - 1),
        };
        Io {
            call: CallRef::new(call),
            dir,
            want,
            got,
            err,
        }
    }

    /// The call this socket operation happened inside, if any.
    pub fn call(&self) -> Option<CallId> {
        let call = self.call;
        call.get()
    }

    pub fn would_block(&self) -> bool {
        self.err == WOULD_BLOCK
    }

    /// `errno` of a failed operation other than would-block.
    pub fn os_error(&self) -> Option<i32> {
        (self.err != 0 && self.err != WOULD_BLOCK).then_some(i32::from(self.err))
    }

    /// A read that returned 0 bytes without error: the peer closed its side of TCP.
    pub fn is_eof(&self) -> bool {
        self.dir == Dir::Read && self.got == 0 && self.err == 0 && self.want > 0
    }
}

/// Which readiness a wait was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
    ReadWrite,
}

impl Interest {
    pub const ALL: [Interest; 3] = [Interest::Read, Interest::Write, Interest::ReadWrite];

    pub fn name(self) -> &'static str {
        match self {
            Interest::Read => "read",
            Interest::Write => "write",
            Interest::ReadWrite => "read_write",
        }
    }
}

/// What ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    Readable,
    Writable,
    /// A deadline the user set for failure passed (`--timeout`, the connect timeout).
    Timeout,
    /// A time we chose to spend ran out (`--read-for`, the shutdown grace): not a stall.
    Elapsed,
    Command,
    Hangup,
}

impl Woke {
    pub const ALL: [Woke; 6] = [
        Woke::Readable,
        Woke::Writable,
        Woke::Timeout,
        Woke::Elapsed,
        Woke::Command,
        Woke::Hangup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Woke::Readable => "readable",
            Woke::Writable => "writable",
            Woke::Timeout => "timeout",
            Woke::Elapsed => "elapsed",
            Woke::Command => "command",
            Woke::Hangup => "hangup",
        }
    }
}

/// Time spent waiting for readiness. Packed (10 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Wait {
    pub interest: Interest,
    pub dur: Nanos,
    pub woke: Woke,
}

/// A handshake state transition. Packed (14 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct State {
    call: CallRef,
    /// `SSL_state_string_long` at the time of the callback.
    text: StateText,
    /// The info callback's `where` bit set (`SSL_CB_*`), see [`crate::trace::names::where_flags`].
    pub where_: u32,
    /// The info callback's `ret` argument (alert level and description for alert callbacks).
    pub ret: i32,
}

impl State {
    pub fn new(call: Option<CallId>, text: StateText, where_: u32, ret: i32) -> State {
        State {
            call: CallRef::new(call),
            text,
            where_,
            ret,
        }
    }

    pub fn call(&self) -> Option<CallId> {
        let call = self.call;
        call.get()
    }

    /// `SSL_state_string_long` at the time of the callback.
    pub fn text(&self) -> &'static str {
        let text = self.text;
        text.as_str()
    }
}

/// Direction of a TLS message relative to tlsscope (the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgDir {
    In,
    Out,
}

impl MsgDir {
    pub const ALL: [MsgDir; 2] = [MsgDir::In, MsgDir::Out];

    pub fn name(self) -> &'static str {
        match self {
            MsgDir::In => "in",
            MsgDir::Out => "out",
        }
    }
}

/// A TLS protocol message. Packed (13 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Msg {
    call: CallRef,
    pub dir: MsgDir,
    /// TLS record content type (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data).
    pub content: u8,
    /// Handshake message type, or alert description; 0 where the content type has none.
    pub msg_type: u8,
    /// Alert level (1 warning, 2 fatal) for alerts, else 0.
    pub level: u8,
    /// For a KeyUpdate: its request_update byte (1: update_requested, the peer must answer with
    /// its own KeyUpdate). 0 otherwise.
    pub request_update: u8,
    pub len: u32,
}

impl Msg {
    /// A message of `len` bytes; `level` and `request_update` are 0 where they do not apply.
    pub fn new(
        call: Option<CallId>,
        dir: MsgDir,
        content: u8,
        msg_type: u8,
        level: u8,
        request_update: u8,
        len: u32,
    ) -> Msg {
        Msg {
            call: CallRef::new(call),
            dir,
            content,
            msg_type,
            level,
            request_update,
            len,
        }
    }

    pub fn call(&self) -> Option<CallId> {
        let call = self.call;
        call.get()
    }

    /// A handshake message of this type (`names::handshake_name` numbering).
    pub fn is_handshake(&self, msg_type: u8) -> bool {
        self.content == 22 && self.msg_type == msg_type
    }

    /// A fatal alert, in or out.
    pub fn is_fatal_alert(&self) -> bool {
        self.content == 21 && self.level == 2
    }

    /// An empty Certificate message (the answer to a CertificateRequest when we have no
    /// certificate): 4-byte header + 3-byte list length in TLS 1.2, + 1-byte context in TLS 1.3.
    pub fn is_empty_certificate(&self) -> bool {
        self.is_handshake(11) && self.len <= 8
    }
}

/// Buffer levels of one connection at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sock {
    /// Bytes in the kernel receive queue not yet read (FIONREAD).
    pub inq: u32,
    /// Bytes in the kernel send queue not yet acknowledged by the peer (TIOCOUTQ).
    pub outq: u32,
    /// Of those, bytes not yet sent at all (SIOCOUTQNSD).
    pub notsent: u32,
    pub sndbuf: u32,
    pub rcvbuf: u32,
    /// Decrypted bytes buffered inside OpenSSL (`SSL_pending`).
    pub ssl_pending: u32,
    /// TCP_INFO, where the OS has it.
    pub tcp: Option<TcpInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpInfo {
    /// Smoothed round-trip time, microseconds.
    pub rtt_us: u32,
    /// Congestion window, segments.
    pub snd_cwnd: u32,
    /// Peer's advertised receive window, bytes (0: the peer's window is closed).
    pub snd_wnd: u32,
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// TLS shut down cleanly (close_notify sent; `notify_received` says whether the peer's came).
    Clean,
    /// The peer closed TCP without close_notify.
    Eof,
    /// The peer reset the connection.
    Reset,
    /// A deadline passed.
    Timeout,
    /// Stopped by the user.
    Stopped,
    /// Resolve, connect, TLS or verification failed; the preceding `Error` event says why.
    Failed,
    /// The traced program (`tlsscope run`) freed the SSL object without a TLS shutdown: no
    /// close_notify was sent or received.
    Freed,
    /// The traced program (`tlsscope run`) exited (or was killed) with the connection open.
    Exited,
}

impl CloseReason {
    pub const ALL: [CloseReason; 8] = [
        CloseReason::Clean,
        CloseReason::Eof,
        CloseReason::Reset,
        CloseReason::Timeout,
        CloseReason::Stopped,
        CloseReason::Failed,
        CloseReason::Freed,
        CloseReason::Exited,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CloseReason::Clean => "clean",
            CloseReason::Eof => "eof",
            CloseReason::Reset => "reset",
            CloseReason::Timeout => "timeout",
            CloseReason::Stopped => "stopped",
            CloseReason::Failed => "failed",
            CloseReason::Freed => "freed",
            CloseReason::Exited => "exited",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    pub reason: CloseReason,
    pub notify_sent: bool,
    pub notify_received: bool,
    /// True when the workload finished before the end (what the exit status reports).
    pub workload_done: bool,
}

/// A pause of the recording for a slow consumer (see [`super::EventKind::Paused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    pub dur: Nanos,
}

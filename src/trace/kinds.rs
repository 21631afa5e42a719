//! The small values inside events: phases, OpenSSL functions and their results, buffer levels,
//! why a connection closed. The packed hot payloads are in [`super::hot`].

use super::event::Nanos;

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

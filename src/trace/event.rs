//! The event model: small, fixed-size values, one per thing that happened on a connection.
//!
//! Events are created on the engine's I/O thread for every OpenSSL call and every socket read or
//! write, so the hot variants hold only integers, enums and `&'static str`. The few values with
//! heap data (negotiated parameters, error messages) are boxed and happen once per connection or
//! handshake.

pub use super::compact::{CallRef, Dur32, StateText, ThinStr};
pub use super::hot::*;
pub use super::kinds::*;
pub use super::payloads::*;
pub use super::plain::*;

/// Nanoseconds since the engine started, on one monotonic clock for all connections.
pub type Nanos = u64;

/// Connection number, unique within one engine.
pub type ConnId = u32;

/// Id of an OpenSSL call, unique within one connection (1, 2, 3, ...).
pub type CallId = u32;

/// One recorded event: when, on which connection, what.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub t: Nanos,
    pub conn: ConnId,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A connection phase began (resolve, connect, handshake, ...).
    Phase(Phase),
    /// One OpenSSL I/O call. `t` is when it started; it is emitted when it returned, after the
    /// io/state/msg events that happened inside it.
    Call(Call),
    /// One socket read or write, made by OpenSSL's BIO inside a call (or by tlsscope itself).
    Io(Io),
    /// Time spent waiting for socket readiness between calls. `t` is when the wait began.
    Wait(Wait),
    /// A handshake state machine transition (OpenSSL's info callback).
    State(State),
    /// A TLS protocol message seen by OpenSSL's message callback.
    Msg(Msg),
    /// Kernel and OpenSSL buffer levels at one instant.
    /// (Boxed: the levels and TCP_INFO take 40 bytes; the store keeps them as series.)
    Sock(Box<Sock>),
    /// Negotiated parameters after a (re)handshake completed.
    Tls(Box<TlsInfo>),
    /// TCP connection established: our address and the peer's (boxed: once per connection).
    Connected(Box<Endpoints>),
    /// The process, thread and SSL object a traced program's connection belongs to (`tlsscope
    /// run`; boxed: once per connection, its first event).
    Program(Box<Program>),
    /// The connection ended; always the last event of a connection.
    Close(Close),
    /// Something went wrong; a human-readable, one-line reason. Followed by a `Close`.
    Error(ThinStr),
    /// Our side of the negotiation and what we plan to do, once per connection before resolving
    /// (boxed: once per connection).
    Setup(Box<Setup>),
    /// An HTTP response head was parsed from what SSL_read returned, or the response (as its head
    /// framed it) became complete. Emitted once for the head and once when complete.
    Http(Box<HttpResponse>),
    /// The verdict on the connection (see [`crate::trace::verdict`]); written just before `Close`.
    Verdict(Box<crate::trace::verdict::Verdict>),
    /// Events the recorder could not keep. Never emitted by the current engine (its channel is
    /// unbounded), but part of the vocabulary so a consumer can show a non-zero count.
    Dropped { count: u64 },
    /// The engine stopped driving every connection for `dur` ns because the consumer of its
    /// events (the output, the app) fell behind; `t` is when the pause began. Nothing was lost:
    /// sockets were simply not read or written, so TCP pushed back on the peer. Waits exclude
    /// the pause and deadlines move by it, so a pause is never taken for a peer's stall.
    Paused(Paused),
    /// Bytes of one socket read or write, right after its `io` event (capture only).
    Wire(Box<Wire>),
    /// One NSS key log line (`CLIENT_RANDOM ...`), as OpenSSL derived it (key log only).
    Secret(ThinStr),
    /// One line or message of the plaintext exchange before TLS (STARTTLS, a proxy).
    Plain(Box<Plain>),
    /// The server's certificate chain and why verification failed, when the handshake failed
    /// after the certificates arrived (a successful one has them in its `Tls` event).
    Chain(Box<super::chain::ChainInfo>),
    /// The connection's phase waterfall (see [`crate::trace::timing`]); written just before the
    /// verdict, before `Close`.
    Timing(Box<super::timing::Timing>),
}

impl Event {
    /// The call this event happened inside, for events that can have one.
    pub fn call_id(&self) -> Option<CallId> {
        self.kind.call_id()
    }

    /// The name of this event's kind as used in JSONL (`call`, `io`, ...).
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }
}

impl EventKind {
    /// The call this event happened inside, for events that can have one.
    pub fn call_id(&self) -> Option<CallId> {
        match self {
            EventKind::Io(io) => io.call(),
            EventKind::State(s) => s.call(),
            EventKind::Msg(m) => m.call(),
            EventKind::Call(c) => Some(c.id),
            _ => None,
        }
    }

    /// The name of this kind as used in JSONL (`call`, `io`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Phase(_) => "phase",
            EventKind::Call(_) => "call",
            EventKind::Io(_) => "io",
            EventKind::Wait(_) => "wait",
            EventKind::State(_) => "state",
            EventKind::Msg(_) => "msg",
            EventKind::Sock(_) => "sock",
            EventKind::Tls(_) => "tls",
            EventKind::Connected(_) => "connected",
            EventKind::Program(_) => "program",
            EventKind::Close(_) => "close",
            EventKind::Error(_) => "error",
            EventKind::Setup(_) => "setup",
            EventKind::Http(_) => "http",
            EventKind::Verdict(_) => "verdict",
            EventKind::Dropped { .. } => "dropped",
            EventKind::Paused(_) => "paused",
            EventKind::Wire(_) => "wire",
            EventKind::Secret(_) => "secret",
            EventKind::Plain(_) => "plain",
            EventKind::Chain(_) => "chain",
            EventKind::Timing(_) => "timing",
        }
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;

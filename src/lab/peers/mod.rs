//! The lab's peers: what one connection does. A scenario's definition (`super::scenario`) names
//! its [`Serve`]: a TLS server ([`Tls`] context settings plus the function that runs after the
//! handshake), a plain-socket peer, or a delaying proxy in front of another scenario.
//!
//! - `context`: builds the TLS context from [`Tls`].
//! - `peer`: one connection's stop flag, deadlines, socket setup, handshake and raw reads.
//! - `session`: TLS reads, writes and graceful close, shared by every peer.
//! - `http`: peers that answer a request: `ok`, `trickle`, `abrupt-close`, `reset`.
//! - `keep_alive`: HTTP peers of the second wave: `keep-alive`, `early-reject`, `truncated`, …
//! - `stalls`: peers that hold back: `silent`, `handshake-stall`, `slow-reader`, `echo-deadlock`.
//! - `post_handshake`: `late-tickets`, `key-update`, `renegotiate`, `reneg-backpressure`,
//!   `post-handshake-auth`.
//! - `intermittent`: `intermittent` (like `ok`, except that every 50th connection is not answered).
//! - `failures`: `not-tls` (plain text); the other refusals live in their TLS context.
//! - `proxy`: the delaying TCP proxy of `latency`.

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::SslContext;

use super::scenario::Scenario;
use super::server::Shared;

mod context;
pub(in crate::lab) mod failures;
pub(in crate::lab) mod http;
pub(in crate::lab) mod intermittent;
pub(in crate::lab) mod keep_alive;
mod peer;
pub(in crate::lab) mod post_handshake;
mod proxy;
mod session;
pub(in crate::lab) mod stalls;

pub(super) use context::build_context;
use peer::read_client_hello;
pub(in crate::lab) use peer::{Peer, Step, Stream};

/// How long the stalling scenarios hold a connection open at most.
pub const HOLD: Duration = Duration::from_secs(60);

/// The receive buffer the back-pressure scenarios set on their side (Linux doubles it).
pub const SMALL_RCVBUF: usize = 4096;

/// How long the back-pressure scenarios stop reading.
pub const STALL: Duration = Duration::from_millis(1500);

/// Pause after each byte in `trickle`.
pub const TRICKLE_PAUSE: Duration = Duration::from_millis(10);

/// What a TLS peer does once its handshake is done.
pub(in crate::lab) type TlsPeer = fn(&Peer, &mut Stream) -> Step<()>;

/// What a plain-socket peer does once it has read the ClientHello.
pub(in crate::lab) type PlainPeer = fn(&Peer, &mut TcpStream) -> Step<()>;

/// How a scenario's server serves a connection.
pub(in crate::lab) enum Serve {
    /// A TLS server with these settings; `run` after the handshake.
    Tls(Tls, TlsPeer),
    /// No TLS: reads the ClientHello with plain socket reads, then `run`.
    Plain(PlainPeer),
    /// A TCP proxy that delays each direction by `delay`, in front of `behind`'s server.
    Proxy { delay: Duration, behind: Scenario },
}

/// Protocol versions a TLS peer accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::lab) enum Versions {
    /// TLS 1.2 and 1.3.
    Both,
    /// TLS 1.2 at most.
    UpTo12,
    /// TLS 1.3 only.
    Only13,
}

/// The certificate a TLS peer presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::lab) enum ServerCert {
    Lab,
    Expired,
    WrongHost,
    SelfSigned,
    Untrusted,
}

/// Whether a TLS peer asks for a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::lab) enum ClientAuth {
    None,
    /// In the handshake, signed by the lab CA, or the handshake fails.
    Required,
    /// TLS 1.3 post-handshake authentication only (the peer asks later).
    PostHandshake,
}

/// What a TLS peer checks in the ClientHello before answering it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::lab) enum HelloCheck {
    None,
    /// Refuses every ClientHello with a fatal handshake_failure.
    RefuseAll,
    /// Refuses a missing or other server name with a fatal unrecognized_name.
    RequireSni(&'static str),
}

/// A TLS peer's context and socket settings.
#[derive(Clone, Copy, Debug)]
pub(in crate::lab) struct Tls {
    pub(in crate::lab) versions: Versions,
    pub(in crate::lab) cert: ServerCert,
    /// Send OpenSSL's default session tickets (two) after a TLS 1.3 handshake; otherwise none.
    pub(in crate::lab) tickets: bool,
    pub(in crate::lab) client_auth: ClientAuth,
    pub(in crate::lab) hello_check: HelloCheck,
    /// ALPN protocols accepted (wire format); with no overlap, a fatal no_application_protocol.
    pub(in crate::lab) alpn: Option<&'static [u8]>,
    /// TLS 1.2 cipher list (OpenSSL syntax).
    pub(in crate::lab) ciphers: Option<&'static str>,
    /// SO_RCVBUF of the listening socket (inherited by accepted sockets: a small window from the
    /// SYN on).
    pub(in crate::lab) rcvbuf: Option<usize>,
    /// SO_SNDBUF of each accepted socket.
    pub(in crate::lab) sndbuf: Option<usize>,
}

impl Tls {
    /// TLS 1.2 and 1.3, the lab's server certificate, no tickets, no checks.
    pub(in crate::lab) const PLAIN: Tls = Tls {
        versions: Versions::Both,
        cert: ServerCert::Lab,
        tickets: false,
        client_auth: ClientAuth::None,
        hello_check: HelloCheck::None,
        alpn: None,
        ciphers: None,
        rcvbuf: None,
        sndbuf: None,
    };
}

/// A [`Serve`] made ready to serve connections: contexts built, the proxy's backend started.
pub(in crate::lab) enum Ready {
    Tls {
        ctx: SslContext,
        run: TlsPeer,
        sndbuf: Option<usize>,
    },
    Plain(PlainPeer),
    Proxy {
        backend: SocketAddr,
        delay: Duration,
    },
}

/// Serves connection number `n` (on its own thread) and notes how it ended.
pub(super) fn run(name: &'static str, n: u64, shared: Arc<Shared>, tcp: TcpStream, ready: &Ready) {
    let peer = Peer::new(name, n, shared);
    let result = serve(&peer, tcp, ready);
    match result {
        Ok(()) => peer.note("done".to_string()),
        Err(e) => peer.note(format!("ended: {e}")),
    }
}

fn serve(peer: &Peer, tcp: TcpStream, ready: &Ready) -> Step<()> {
    match ready {
        Ready::Tls { ctx, run, sndbuf } => {
            if let Some(size) = sndbuf {
                socket2::SockRef::from(&tcp)
                    .set_send_buffer_size(*size)
                    .map_err(|e| format!("SO_SNDBUF: {e}"))?;
            }
            let wire = peer.tcp(tcp)?;
            let mut s = peer.accept(ctx, wire)?;
            run(peer, &mut s)
        }
        Ready::Plain(run) => {
            let mut tcp = peer.tcp(tcp)?.tcp;
            let hello = read_client_hello(peer, &mut tcp)?;
            peer.note(format!("read {} bytes (ClientHello)", hello.len()));
            run(peer, &mut tcp)
        }
        Ready::Proxy { backend, delay } => proxy::serve(peer, tcp, *backend, *delay),
    }
}

//! The lab's peers: what one connection does for each [`Scenario`], dispatched from here.
//!
//! - `context`: the TLS context (and listening socket setting) each scenario needs.
//! - `peer`: one connection's stop flag, deadlines, socket setup, handshake and raw reads.
//! - `session`: TLS reads, writes and graceful close, shared by every peer.
//! - `http`: peers that answer a request: `ok`, `trickle`, `abrupt-close`, `reset`.
//! - `stalls`: peers that hold back: `silent`, `handshake-stall`, `slow-reader`.
//! - `post_handshake`: `late-tickets`, `key-update`, `renegotiate`, `reneg-backpressure`,
//!   `post-handshake-auth`.
//! - `failures`: peers that fail on purpose: `not-tls` here; `alert`, `client-cert` and
//!   `bad-cert-*` fail (or not) in their TLS context, then answer like `ok`.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::SslContext;

use super::scenario::Scenario;
use super::server::Shared;

mod context;
mod failures;
mod http;
mod peer;
mod post_handshake;
mod session;
mod stalls;

pub(super) use context::{build_context, server_rcvbuf};
use peer::{read_client_hello, Peer, Step, Stream};

/// How long the stalling scenarios hold a connection open at most.
pub const HOLD: Duration = Duration::from_secs(60);

/// The receive buffer the back-pressure scenarios set on their side (Linux doubles it).
pub const SMALL_RCVBUF: usize = 4096;

/// How long the back-pressure scenarios stop reading.
pub const STALL: Duration = Duration::from_millis(1500);

/// Pause after each byte in `trickle`.
pub const TRICKLE_PAUSE: Duration = Duration::from_millis(10);

/// Serves connection number `n` (on its own thread) and notes how it ended.
pub(super) fn run(
    scenario: Scenario,
    n: u64,
    shared: Arc<Shared>,
    tcp: TcpStream,
    ctx: Option<&SslContext>,
) {
    let peer = Peer::new(n, shared);
    let result = serve(scenario, &peer, tcp, ctx);
    match result {
        Ok(()) => peer.note("done".to_string()),
        Err(e) => peer.note(format!("ended: {e}")),
    }
}

fn serve(scenario: Scenario, peer: &Peer, tcp: TcpStream, ctx: Option<&SslContext>) -> Step<()> {
    let wire = peer.tcp(tcp)?;
    let ctx = match ctx {
        Some(ctx) => ctx,
        None => return serve_plain(scenario, peer, wire.tcp),
    };
    let mut s = peer.accept(ctx, wire)?;
    serve_tls(scenario, peer, &mut s)
}

fn serve_tls(scenario: Scenario, peer: &Peer, s: &mut Stream) -> Step<()> {
    match scenario {
        Scenario::Ok
        | Scenario::ClientCert
        | Scenario::BadCertExpired
        | Scenario::BadCertWrongHost
        | Scenario::BadCertSelfSigned
        | Scenario::BadCertUntrusted => http::hello(scenario, peer, s),
        Scenario::Silent => stalls::silent(peer, s),
        Scenario::SlowReader => stalls::slow_reader(peer),
        Scenario::Trickle => http::trickle(peer, s),
        Scenario::LateTickets => post_handshake::late_tickets(peer, s),
        Scenario::KeyUpdate => post_handshake::key_update(peer, s),
        Scenario::Renegotiate | Scenario::RenegBackpressure => {
            post_handshake::renegotiate(scenario, peer, s)
        }
        Scenario::PostHandshakeAuth => post_handshake::post_handshake_auth(peer, s),
        Scenario::AbruptClose => http::abrupt_close(peer, s),
        Scenario::Reset => http::reset(peer, s),
        Scenario::Alert | Scenario::NotTls | Scenario::HandshakeStall => {
            // Alert fails in accept(); the other two have no TLS context.
            Err("unexpected handshake success".to_string())
        }
    }
}

/// The scenarios without a TLS context read the ClientHello with plain socket reads.
fn serve_plain(scenario: Scenario, peer: &Peer, mut tcp: TcpStream) -> Step<()> {
    let hello = read_client_hello(peer, &mut tcp)?;
    peer.note(format!("read {} bytes (ClientHello)", hello.len()));
    match scenario {
        Scenario::HandshakeStall => stalls::handshake_stall(peer, &mut tcp),
        _ => failures::not_tls(peer, &mut tcp),
    }
}

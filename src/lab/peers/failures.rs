//! Peers that fail on purpose. Only `not-tls` needs code of its own: it answers the ClientHello
//! in plain text. `alert` refuses every ClientHello, and `client-cert` and `bad-cert-*` fail
//! verification (or pass it, then answer like `ok`), all in their TLS context (`context`).

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use super::http::http_response;
use super::peer::{drain_raw, Peer, Step};

/// After the ClientHello has been read.
pub(in crate::lab) fn not_tls(peer: &Peer, tcp: &mut TcpStream) -> Step<()> {
    let text = http_response(
        "400 Bad Request",
        "This is a plain-text server (tlsscope lab not-tls), not TLS.\n",
        true,
    );
    tcp.write_all(&text).map_err(|e| format!("write: {e}"))?;
    let _ = tcp.shutdown(Shutdown::Write);
    peer.note("answered in plain text".to_string());
    drain_raw(peer, tcp, Duration::from_secs(5))
}

//! Peers that hold back on purpose: `silent` (handshake done, then nothing), `slow-reader`
//! (never reads, so the client's writes back up) and `handshake-stall` (reads the ClientHello,
//! never answers it).

use std::net::TcpStream;

use super::peer::{drain_raw, Peer, Step, Stream};
use super::HOLD;

pub(in crate::lab) fn silent(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.note("holding the connection without sending".to_string());
    peer.drain(s, HOLD)
}

pub(in crate::lab) fn slow_reader(peer: &Peer, _s: &mut Stream) -> Step<()> {
    peer.note("not reading".to_string());
    peer.sleep(HOLD);
    Ok(())
}

/// After the ClientHello has been read.
pub(in crate::lab) fn handshake_stall(peer: &Peer, tcp: &mut TcpStream) -> Step<()> {
    peer.note("never answering".to_string());
    drain_raw(peer, tcp, HOLD)
}

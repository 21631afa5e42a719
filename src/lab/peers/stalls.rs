//! Peers that hold back on purpose: `silent` (handshake done, then nothing), `slow-reader`
//! (never reads, so the client's writes back up) and `handshake-stall` (reads the ClientHello,
//! never answers it), `echo-deadlock` (echoes, and stops reading while its echo cannot be sent).

use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::peer::{drain_raw, Peer, Step, Stream};
use super::session::Got;
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

/// Echoes what it reads, synchronously: while a write back blocks, it does not read. A client
/// that uploads without reading fills our send queue, then its own receive queue; we stop
/// reading, and its writes block too.
pub(in crate::lab) fn echo_deadlock(peer: &Peer, s: &mut Stream) -> Step<()> {
    let deadline = Instant::now() + HOLD;
    let mut buf = [0u8; 16 * 1024];
    let mut echoed = 0u64;
    loop {
        match peer.read_some(s, &mut buf)? {
            Got::Data(n) => {
                let data = buf.get(..n).unwrap_or_default();
                if let Err(e) = peer.write_all(s, data) {
                    return Err(format!("after echoing {echoed} bytes: {e}"));
                }
                echoed += n as u64;
            }
            Got::Closed => {
                peer.note(format!("client closed after {echoed} bytes echoed"));
                let _ = peer.retry("SSL_shutdown", Duration::from_secs(2), || s.shutdown());
                return Ok(());
            }
            Got::Nothing => peer.check(deadline, "the client to close")?,
        }
    }
}

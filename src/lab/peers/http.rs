//! Peers that answer one request: `ok` (and `client-cert`, `bad-cert-*` once their handshake is
//! through), `trickle` (one byte per TCP segment), `abrupt-close` (FIN without close_notify) and
//! `reset` (RST in the middle of a response).

use std::net::Shutdown;
use std::time::Duration;

use socket2::SockRef;

use super::peer::{drain_raw, Peer, Step, Stream};
use super::TRICKLE_PAUSE;

/// A plain HTTP/1.1 response that closes the connection.
pub(super) fn http_response(status: &str, body: &str, content_length: bool) -> Vec<u8> {
    let mut out =
        format!("HTTP/1.1 {status}\r\nServer: tlsscope-lab\r\nContent-Type: text/plain\r\n");
    if content_length {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// Answers the request with a greeting naming the scenario, then closes with close_notify.
pub(in crate::lab) fn hello(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let body = format!("hello from the tlsscope lab ({})\n", peer.name);
    peer.write_all(s, &http_response("200 OK", &body, true))?;
    peer.close_tls(s)
}

pub(in crate::lab) fn trickle(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let response = http_response("200 OK", "one byte at a time\n", true);
    s.get_mut().trickle = Some(TRICKLE_PAUSE);
    let written = peer.write_all(s, &response);
    s.get_mut().trickle = None;
    written?;
    peer.close_tls(s)
}

pub(in crate::lab) fn abrupt_close(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let body = "the end is near (no close_notify follows)\n";
    peer.write_all(s, &http_response("200 OK", body, false))?;
    let tcp = &mut s.get_mut().tcp;
    let _ = tcp.shutdown(Shutdown::Write);
    peer.note("closed TCP without close_notify".to_string());
    drain_raw(peer, tcp, Duration::from_secs(5))
}

pub(in crate::lab) fn reset(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let head = "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n";
    peer.write_all(s, head.as_bytes())?;
    peer.write_all(s, &[b'x'; 16 * 1024])?;
    peer.sleep(Duration::from_millis(200));
    let tcp = &s.get_ref().tcp;
    SockRef::from(tcp)
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| format!("SO_LINGER: {e}"))?;
    peer.note("reset the connection (SO_LINGER 0, close)".to_string());
    Ok(()) // dropping the stream closes the socket: RST
}

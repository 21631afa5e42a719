//! HTTP peers whose response is complete, or cut short, while the connection is not closed
//! politely: `keep-alive` and `keep-alive-chunked` (a complete response, then the connection
//! held open despite `Connection: close`), `no-response` (the request read, never answered),
//! `early-reject` (a 413 before the upload is read, then a TCP reset) and `truncated` (fewer
//! body bytes than Content-Length, then a FIN without close_notify).

use std::net::Shutdown;
use std::time::Duration;

use socket2::SockRef;

use super::http::http_response;
use super::peer::{drain_raw, Peer, Step, Stream};
use super::HOLD;

/// Body size `truncated` announces, and how much of it it sends.
const TRUNCATED_ANNOUNCED: usize = 4096;
const TRUNCATED_SENT: usize = 1000;

/// How long `early-reject` lets its 413 sit in the client's receive queue before the reset.
const REJECT_PAUSE: Duration = Duration::from_millis(300);

fn kept_open(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.note("response complete; keeping the connection open".to_string());
    peer.drain(s, HOLD)
}

pub(in crate::lab) fn keep_alive(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let body = "complete: Content-Length says so, but the connection stays open\n";
    let response = format!(
        "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
        body.len()
    );
    peer.write_all(s, response.as_bytes())?;
    kept_open(peer, s)
}

pub(in crate::lab) fn keep_alive_chunked(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let head = "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
    let mut response = head.to_string();
    for part in [
        "complete: the chunk of size 0\n",
        "ends it, the connection stays open\n",
    ] {
        response.push_str(&format!("{:x}\r\n{part}\r\n", part.len()));
    }
    response.push_str("0\r\n\r\n");
    peer.write_all(s, response.as_bytes())?;
    kept_open(peer, s)
}

pub(in crate::lab) fn no_response(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    peer.note("request read; never answering".to_string());
    peer.drain(s, HOLD)
}

pub(in crate::lab) fn early_reject(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    // An error page as web servers send one (Apache's, about 600 B in all): more than the
    // TLS 1.3 session tickets alone could be, so the unread answer is told from them.
    let body = concat!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n",
        "<html><head>\n<title>413 Request Entity Too Large</title>\n</head><body>\n",
        "<h1>Request Entity Too Large</h1>\n",
        "The requested resource does not allow request data with POST requests, or the amount ",
        "of data provided in the request exceeds the capacity limit.\n",
        "<p>The upload was refused before it was read: send less, or ask first ",
        "(Expect: 100-continue).</p>\n",
        "<hr>\n<address>tlsscope lab early-reject</address>\n</body></html>\n",
    );
    peer.write_all(s, &http_response("413 Payload Too Large", body, true))?;
    peer.note(format!(
        "answered 413; not reading, resetting in {REJECT_PAUSE:?}"
    ));
    peer.sleep(REJECT_PAUSE);
    SockRef::from(&s.get_ref().tcp)
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| format!("SO_LINGER: {e}"))?;
    peer.note("reset the connection (SO_LINGER 0, close)".to_string());
    Ok(()) // dropping the stream closes the socket: RST
}

pub(in crate::lab) fn truncated(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let head = format!(
        "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: application/octet-stream\r\nContent-Length: {TRUNCATED_ANNOUNCED}\r\nConnection: close\r\n\r\n"
    );
    peer.write_all(s, head.as_bytes())?;
    peer.write_all(s, &[b'x'; TRUNCATED_SENT])?;
    peer.sleep(Duration::from_millis(100));
    let tcp = &mut s.get_mut().tcp;
    let _ = tcp.shutdown(Shutdown::Write);
    peer.note(format!(
        "sent {TRUNCATED_SENT} of {TRUNCATED_ANNOUNCED} body bytes; closed TCP without close_notify"
    ));
    drain_raw(peer, tcp, Duration::from_secs(5))
}

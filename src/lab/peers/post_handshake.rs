//! Peers that act after the handshake: `late-tickets` (NewSessionTickets after the request),
//! `key-update`, `renegotiate` and `reneg-backpressure` (a HelloRequest, the latter while not
//! reading), and `post-handshake-auth` (a CertificateRequest in TLS 1.3).

use std::time::{Duration, Instant};

use super::http::http_response;
use super::peer::{Peer, Step, Stream, PATIENCE};
use super::session::{finished, Got};
use super::{HOLD, STALL};
use crate::ffi;

pub(in crate::lab) fn late_tickets(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    peer.sleep(Duration::from_millis(300));
    let scheduled = (0..2).all(|_| ffi::new_session_ticket(s.ssl()));
    if !scheduled {
        return Err("SSL_new_session_ticket refused".to_string());
    }
    peer.retry("sending tickets", PATIENCE, || s.do_handshake())?;
    peer.note("sent 2 NewSessionTickets".to_string());
    peer.sleep(Duration::from_millis(300));
    let response = http_response("200 OK", "tickets came first\n", true);
    peer.write_all(s, &response)?;
    peer.close_tls(s)
}

/// Sends a KeyUpdate that asks for the client's, then echoes.
pub(in crate::lab) fn key_update(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    if ffi::key_update(s.ssl(), true) != 1 {
        return Err("SSL_key_update refused".to_string());
    }
    peer.retry("sending KeyUpdate", PATIENCE, || s.do_handshake())?;
    peer.note("sent KeyUpdate(update_requested)".to_string());
    peer.write_all(
        s,
        b"key updated; send another line to see your KeyUpdate go out\n",
    )?;
    echo(peer, s)
}

/// A HelloRequest in the middle of the response.
pub(in crate::lab) fn renegotiate(peer: &Peer, s: &mut Stream) -> Step<()> {
    renegotiate_with(false, peer, s)
}

/// A HelloRequest while not reading, before any response.
pub(in crate::lab) fn reneg_backpressure(peer: &Peer, s: &mut Stream) -> Step<()> {
    renegotiate_with(true, peer, s)
}

fn renegotiate_with(stall: bool, peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    let body_before = "before renegotiation\n";
    let body_after = "after renegotiation\n";
    let head = format!(
        "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body_before.len() + body_after.len()
    );
    let first = if !stall {
        format!("{head}{body_before}")
    } else {
        // Nothing before the HelloRequest: no write of ours may be pending anywhere.
        String::new()
    };
    if !first.is_empty() {
        peer.write_all(s, first.as_bytes())?;
    }
    let before = finished(s);
    if ffi::renegotiate(s.ssl()) != 1 {
        return Err("SSL_renegotiate refused".to_string());
    }
    peer.retry("sending HelloRequest", PATIENCE, || s.do_handshake())?;
    peer.note("sent HelloRequest".to_string());
    if stall {
        peer.note(format!("not reading for {STALL:?}"));
        if !peer.sleep(STALL) {
            return Err("server stopped".to_string());
        }
    }
    peer.finish_renegotiation(s, &before)?;
    let rest = if first.is_empty() {
        format!("{head}{body_before}{body_after}")
    } else {
        body_after.to_string()
    };
    peer.write_all(s, rest.as_bytes())?;
    peer.close_tls(s)
}

pub(in crate::lab) fn post_handshake_auth(peer: &Peer, s: &mut Stream) -> Step<()> {
    peer.read_request(s)?;
    if !ffi::verify_client_post_handshake(s.ssl()) {
        let body = "this scenario needs a client that offers post-handshake authentication\n";
        peer.write_all(s, &http_response("403 Forbidden", body, true))?;
        return peer.close_tls(s);
    }
    peer.retry("sending CertificateRequest", PATIENCE, || s.do_handshake())?;
    peer.note(format!(
        "sent CertificateRequest; not reading for {STALL:?}"
    ));
    if !peer.sleep(STALL) {
        return Err("server stopped".to_string());
    }
    let deadline = Instant::now() + PATIENCE;
    let mut buf = [0u8; 4096];
    while s.ssl().peer_certificate().is_none() {
        match peer.read_some(s, &mut buf)? {
            Got::Closed => return Err("client closed instead of authenticating".into()),
            Got::Data(_) | Got::Nothing => {}
        }
        peer.check(deadline, "the client's certificate")?;
    }
    let subject = s
        .ssl()
        .peer_certificate()
        .and_then(|c| {
            c.subject_name()
                .entries()
                .last()
                .and_then(|e| e.data().to_string().ok())
        })
        .unwrap_or_default();
    let chain_len = s.ssl().peer_cert_chain().map(|c| c.len()).unwrap_or(0);
    peer.note(format!(
        "client authenticated: {subject} ({chain_len} certificates)"
    ));
    let body = format!("hello, {subject}\n");
    peer.write_all(s, &http_response("200 OK", &body, true))?;
    peer.close_tls(s)
}

/// Echoes each chunk the client sends until it closes (bounded).
fn echo(peer: &Peer, s: &mut Stream) -> Step<()> {
    let deadline = Instant::now() + HOLD;
    let mut buf = [0u8; 4096];
    loop {
        match peer.read_some(s, &mut buf)? {
            Got::Data(n) => {
                let data = buf.get(..n).unwrap_or_default().to_vec();
                peer.write_all(s, &data)?;
            }
            Got::Closed => {
                peer.note("client sent close_notify".to_string());
                let _ = peer.retry("SSL_shutdown", Duration::from_secs(2), || s.shutdown());
                return Ok(());
            }
            Got::Nothing => peer.check(deadline, "the client to close")?,
        }
    }
}

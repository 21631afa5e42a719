//! The notes on what happened after the handshake: a renegotiation (the server's or ours), a
//! TLS 1.3 post-handshake certificate request, a KeyUpdate (the peer's or ours), session tickets
//! that made SSL_read return WANT_READ with nothing to wait for.

use super::stalls::retry_without_block;
use super::Draft;
use crate::trace::event::Op;
use crate::trace::names::alert_name;
use crate::trace::verdict::facts::{Facts, Seen};
use crate::trace::verdict::types::Class;

/// Where our renegotiation ClientHello went out: the message callback names the call that
/// finished writing it; a large one starts going out in an earlier SSL_read.
fn reneg_hello_calls(f: &Facts) -> String {
    let op = f.reneg_hello_op.map_or("call", Op::name);
    match (
        f.first_read_that_wrote,
        f.reneg_hello_out.and_then(|s| s.call),
    ) {
        (Some((first, _)), Some(last)) if first < last => {
            format!("inside SSL_read, written from #{first} to {op} #{last}")
        }
        (_, Some(last)) => format!("inside {op} #{last}"),
        _ => "in a later call".into(),
    }
}

pub(super) fn note(f: &Facts) -> Option<Draft> {
    if let Some(req) = f.first_hello_request {
        let mut d = Draft::new(
            Class::Renegotiation,
            format!(
                "The server renegotiated (TLS 1.2): a HelloRequest arrived in SSL_read #{}, and our ClientHello went out {}.",
                req.call.unwrap_or(0),
                reneg_hello_calls(f)
            ),
        )
        .fact("HelloRequest in", req.call, Some(req.t))
        .focus(req.call);
        if f.want_write > 0 {
            d = d.fact(format!("{} call(s) returned WANT_WRITE while the ClientHello went out: SSL_read had to wait for the socket to become writable", f.want_write), None, None);
        }
        return Some(
            d.user("Nothing to fix unless the wait hurts; a server can be told not to renegotiate.")
                .code("SSL_read may write (and return WANT_WRITE) during a renegotiation: wait for writable and call SSL_read again."),
        );
    }
    if let Some(hello) = f.reneg_hello_out {
        return Some(ours_renegotiated(f, hello));
    }
    if let Some(req) = f.post_handshake_cert_request {
        return Some(
            Draft::new(Class::PostHandshakeAuth, format!("The server asked for a client certificate after the handshake (TLS 1.3 post-handshake authentication); {} answered it.", f.first_read_that_wrote.map_or("SSL_read".into(), |(c, _)| format!("SSL_read #{c}"))))
                .fact("CertificateRequest in after the handshake", req.call, Some(req.t))
                .focus(req.call)
                .user("Nothing to fix.")
                .code("SSL_read answers a post-handshake CertificateRequest by writing: it can return WANT_WRITE."),
        );
    }
    if let Some(d) = our_key_update(f) {
        return Some(d);
    }
    if let Some((at, requested)) = f.key_update_in {
        let reply = match f.key_update_out {
            Some((out, _, op)) => format!("our KeyUpdate went out in {} #{}", op.map_or("a call", Op::name), out.call.unwrap_or(0)),
            None if requested => "no SSL_write followed, so our reply was never sent (OpenSSL 3 defers it to the next write)".into(),
            None => "no reply was needed".into(),
        };
        return Some(
            Draft::new(Class::KeyUpdate, format!("The peer updated its keys (TLS 1.3 KeyUpdate, {}); {reply}.", if requested { "update_requested" } else { "update_not_requested" }))
                .fact("KeyUpdate in", at.call, Some(at.t))
                .focus(at.call)
                .user("Nothing to fix.")
                .code("OpenSSL sends the requested KeyUpdate reply with the next SSL_write, never inside SSL_read."),
        );
    }
    if retry_without_block(f) {
        return Some(
            Draft::new(Class::TicketWantRead, format!("With AUTO_RETRY off, {} SSL_read call(s) returned WANT_READ after processing a non-application record ({} session ticket(s)) with nothing to wait for.", f.want_read_without_block, f.tickets_in))
                .focus(f.first_want_read_without_block)
                .fact("WANT_READ without a would-block read inside the call", f.first_want_read_without_block, None)
                .user("Nothing to fix in tlsscope; --no-auto-retry shows this on purpose.")
                .code("A WANT_READ with no would-block means: call SSL_read again at once; waiting for readable can hang forever."),
        );
    }
    None
}

/// We renegotiated (`--renegotiate`, or a program's `SSL_renegotiate`): no HelloRequest came,
/// our ClientHello went out after the handshake.
fn ours_renegotiated(f: &Facts, hello: Seen) -> Draft {
    let asked = if f.reneg_cert_request.is_some() {
        " The server asked for a client certificate again in the new handshake."
    } else {
        ""
    };
    Draft::new(
        Class::Renegotiation,
        format!(
            "We renegotiated (TLS 1.2): our ClientHello went out {} after the handshake.{asked}",
            reneg_hello_calls(f)
        ),
    )
    .fact("ClientHello out after the handshake", hello.call, Some(hello.t))
    .focus(hello.call)
    .user("Nothing to fix: the renegotiation was ours.")
    .code("After SSL_renegotiate, SSL_do_handshake (or the next SSL_read / SSL_write) runs the new handshake; each can return WANT_READ or WANT_WRITE.")
}

/// We sent a KeyUpdate asking the peer to update its keys too (`--key-update`), and its own
/// KeyUpdate (update_not_requested) came back as the answer.
fn our_key_update(f: &Facts) -> Option<Draft> {
    let (out, requested, op) = f.key_update_out?;
    if !requested || f.key_update_in.is_some_and(|(at, _)| at.t < out.t) {
        return None;
    }
    let answer = match f.key_update_in {
        Some((at, _)) => format!(
            "the peer answered with its own KeyUpdate in {}",
            at.call
                .map_or("a later call".into(), |c| format!("call #{c}"))
        ),
        None => "no KeyUpdate came back from the peer before the end".into(),
    };
    Some(
        Draft::new(
            Class::KeyUpdate,
            format!(
                "We updated our keys and asked the peer to update its own (TLS 1.3 KeyUpdate, update_requested, in {} #{}); {answer}.",
                op.map_or("a call", Op::name),
                out.call.unwrap_or(0)
            ),
        )
        .fact("KeyUpdate out", out.call, Some(out.t))
        .focus(out.call)
        .user("Nothing to fix.")
        .code("SSL_key_update only queues the KeyUpdate: it goes out with the next SSL_do_handshake or SSL_write."),
    )
}

/// TLS 1.2's warning alert `no_renegotiation`.
const NO_RENEGOTIATION: u8 = 100;

/// The server answered our renegotiation ClientHello with `no_renegotiation` (OpenSSL 3 servers
/// refuse a client's renegotiation by default), and our OpenSSL failed the connection.
pub(super) fn renegotiation_refused(f: &Facts) -> Option<Draft> {
    let hello = f.reneg_hello_out?;
    let alert = f
        .alert_in
        .filter(|a| a.desc == NO_RENEGOTIATION && a.at.t >= hello.t)?;
    let call = match (alert.op, alert.at.call) {
        (Some(op), Some(id)) => format!("{} #{id}", op.name()),
        _ => "a later call".into(),
    };
    let ours = f
        .alert_out
        .filter(|a| a.fatal)
        .map(|a| {
            format!(
                ", and our OpenSSL ended the connection with {}",
                alert_name(a.desc)
            )
        })
        .unwrap_or_default();
    let mut d = Draft::new(
        Class::RenegotiationRefused,
        format!("The server refused our renegotiation: it answered our ClientHello with the alert no_renegotiation in {call}{ours}."),
    )
    .fact("ClientHello out after the handshake", hello.call, Some(hello.t))
    .fact("alert no_renegotiation in", alert.at.call, Some(alert.at.t))
    .focus(alert.at.call);
    if let Some(error) = &f.error {
        d = d.fact(
            error.clone(),
            f.last_call.map(|(_, c)| c.id),
            f.close.map(|(t, _)| t),
        );
    }
    Some(
        d.user("Most servers refuse a client's renegotiation (it costs them a handshake for free); reconnect instead, or use TLS 1.3 (--key-update for new keys).")
            .code("A refused SSL_renegotiate fails the connection with SSL_ERROR_SSL: close it and open a new one; servers allow it only with SSL_OP_ALLOW_CLIENT_RENEGOTIATION (s_server -client_renegotiation)."),
    )
}

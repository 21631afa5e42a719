//! A connection the peer reset after the handshake: an early rejection (it answered while we
//! were still sending), a reset mid-transfer, or the harmless reset that answers our
//! close_notify once everything asked for had come.

use super::stalls::framing;
use super::{closed_by, delivery, Draft};
use crate::trace::event::{CloseReason, Phase};
use crate::trace::format;
use crate::trace::names::errno_name;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

// errno values are the same on every Linux architecture tlsscope runs on.
const ECONNRESET: i32 = 104;
const EPIPE: i32 = 32;

/// An errno that says the peer reset the connection (EPIPE: our write after its reset).
pub(super) fn is_reset_errno(errno: i32) -> bool {
    errno == ECONNRESET || errno == EPIPE
}

/// The verdict on a connection the peer reset after the handshake.
pub(super) fn verdict(f: &Facts) -> Draft {
    if let Some(d) = answering_close_notify(f) {
        return d;
    }
    let at = f.os_error.map(|(s, _, _)| s);
    let errno = f
        .os_error
        .map_or_else(|| "ECONNRESET".to_string(), |(_, e, _)| errno_name(e));
    let unread = f.max_unread;
    let answer = f.http_head.map(|(_, h)| h.status);
    // TLS 1.3 servers send session tickets right after the handshake (two records of about
    // 255 B from OpenSSL-based servers); a client that never read has them in its queue, and
    // they are not an answer. More than that is the peer talking back.
    let only_tickets = f.version.as_deref() == Some("TLSv1.3")
        && f.tickets_in == 0
        && unread <= 560
        && answer.is_none();
    if (unread > 0 && !only_tickets) || (answer.is_some_and(|s| s >= 400) && f.app_out > 0) {
        // Ticket sizes vary with the server (about 390 B each from `openssl s_server`): a
        // little more than two of the lab's may still be tickets alone. Unread, the bytes
        // cannot be told apart, so the verdict says so instead of claiming an answer.
        let maybe_tickets = f.version.as_deref() == Some("TLSv1.3")
            && f.tickets_in == 0
            && unread <= 2048
            && answer.is_none();
        let what = match answer {
            Some(status) => format!("its answer (HTTP {status})"),
            None if maybe_tickets => format!("{} it had sent (an early answer, or only the TLS 1.3 session tickets every server sends after the handshake: unread, they cannot be told apart)", format::bytes(u64::from(unread))),
            None => format!("{} it had sent", format::bytes(u64::from(unread))),
        };
        return Draft::new(
            Class::EarlyRejection,
            if maybe_tickets {
                format!("The peer reset the connection while we were still sending: we never read {what}, and the reset ({errno}) is what our write saw.")
            } else {
                format!("The peer answered while we were still sending, then reset the connection: we never read {what}, and the reset ({errno}) is what our write saw.")
            },
        )
        .fact(format!("{} were waiting unread in our receive queue (we had not called SSL_read since they came)", format::bytes(u64::from(unread))), None, f.last_sock.map(|(t, _)| t))
        .fact(format!("{} sent before the reset", format::bytes(f.app_out)), None, f.last_app_out)
        .fact(format!("the socket reported {errno}"), at.and_then(|s| s.call), at.map(|s| s.t))
        .focus(at.and_then(|s| s.call))
        .user("Read the server's answer: it rejected the request early (e.g. 413 Payload Too Large, 401); the bytes are in the answer, not in the reset.")
        .code("Read while you write: SSL_read would still have returned the answer that arrived before the reset; call it when the socket is readable, even mid-upload.");
    }
    let mut d = Draft::new(
        Class::Reset,
        if unread > 0 && f.app_in == 0 {
            // Bytes the peer sent lay unread: we cannot say it sent nothing.
            format!("The peer reset the connection ({errno}) after {} sent; we had read nothing of what it sent.", format::bytes(f.app_out))
        } else if f.app_in == 0 && f.app_out == 0 {
            format!("The peer reset the connection ({errno}) right after the handshake, before any data either way.")
        } else if f.app_in == 0 {
            let stuck = f.last_sock.map_or(0, |(_, s)| s.outq);
            let stuck = if stuck > 1024 {
                format!(" ({} of it still in our send queue, never delivered)", format::bytes(u64::from(stuck)))
            } else {
                String::new()
            };
            format!("The peer reset the connection ({errno}) before any answer: {} written{stuck}, nothing received.", format::bytes(f.app_out))
        } else {
            format!("The peer reset the connection ({errno}) mid-transfer, after {} received and {} sent.", format::bytes(f.app_in), format::bytes(f.app_out))
        },
    )
    .fact(format!("the socket reported {errno}"), at.and_then(|s| s.call), at.map(|s| s.t))
    .fact(delivery(f).1, None, f.last_sock.map(|(t, _)| t))
    .focus(at.and_then(|s| s.call))
    .user("The server, a proxy or a firewall aborted the connection: check their logs around this time.")
    .code("A reset makes SSL_read/SSL_write fail with SSL_ERROR_SYSCALL (errno ECONNRESET / EPIPE).");
    if unread > 0 {
        d = d.fact(format!("{} lay unread in our receive queue when the reset came: TLS 1.3 session tickets (most servers send two after the handshake), or a short early answer (an HTTP 413, say): unread, they look the same; a client that reads while it writes would see which", format::bytes(u64::from(unread))), None, f.last_sock.map(|(t, _)| t));
    }
    d
}

/// The peer's kernel reset the connection when our close_notify reached a socket its
/// application had already closed (or closed with unread data): common with servers and load
/// balancers that close without a TLS shutdown. Harmless when we were the one closing, by our
/// own choice (the HTTP response complete, or the read phase over) and nothing asked for was
/// cut: the same as a close_notify left unanswered.
fn answering_close_notify(f: &Facts) -> Option<Draft> {
    let (close_t, close) = f.close?;
    let (seen, errno, _) = f.os_error?;
    let shutdown = f.phase_began(Phase::Shutdown)?;
    let ours_first = close.notify_sent && closed_by(f) == Some(CloseReason::Clean);
    let cut_response = f.http_head.is_some() && f.http_complete.is_none();
    // What was still in our send queue when the reset came is lost with it.
    let undelivered = f
        .last_sock
        .is_some_and(|(_, s)| s.outq > super::undelivered::UNDELIVERED_MIN);
    if !ours_first || seen.t < shutdown || cut_response || undelivered || !is_reset_errno(errno) {
        return None;
    }
    let before = match f.http_complete {
        Some((_, h)) => format!(
            "the HTTP response was complete (status {}, {})",
            h.status,
            framing(&h)
        ),
        None => format!(
            "{} received and {} sent before it",
            format::bytes(f.app_in),
            format::bytes(f.app_out)
        ),
    };
    Some(
        Draft::new(
            Class::CloseNotifyUnanswered,
            format!("The peer answered our close_notify with a TCP reset ({}) instead of its own close_notify: harmless and common, {before}.", errno_name(errno)),
        )
        .fact(format!("SSL_shutdown sent our close_notify at {}", format::duration(shutdown)), None, Some(shutdown))
        .fact(format!("the socket reported {} after it", errno_name(errno)), seen.call, Some(seen.t))
        .fact(format!("the connection ended at {}", format::duration(close_t)), None, Some(close_t))
        .focus(seen.call)
        .user("Nothing to fix: the server closed its socket without a TLS shutdown; our close_notify found it closed.")
        .code("After SSL_shutdown has sent close_notify, a reset (SSL_ERROR_SYSCALL, ECONNRESET) only means the peer did not wait for it: close the socket."),
    )
}

//! A connection that closed cleanly on our side while what we wrote still sat in our send queue:
//! every `SSL_write` returned (the kernel took the bytes, its send buffer being large enough for
//! all of them), but the peer never took them, so "sent" was never "delivered".

use super::Draft;
use crate::trace::event::CloseReason;
use crate::trace::format;
use crate::trace::verdict::facts::Facts;
use crate::trace::verdict::types::Class;

/// More than our close_notify record (and a stray ack) still unacknowledged at the end.
pub(super) const UNDELIVERED_MIN: u32 = 1024;

pub(super) fn judge(f: &Facts) -> Option<Draft> {
    f.handshake_done?;
    let (close_t, close) = f.close?;
    if close.reason != CloseReason::Clean || close.notify_received || f.app_out == 0 {
        return None;
    }
    let (at, sock) = f.last_sock?;
    if sock.outq <= UNDELIVERED_MIN || at < f.last_app_out.unwrap_or(0) {
        return None;
    }
    let window = match sock.tcp {
        Some(tcp) if tcp.snd_wnd == 0 => "the peer's receive window was 0".to_string(),
        Some(tcp) => format!(
            "the peer's receive window was {}",
            format::bytes(u64::from(tcp.snd_wnd))
        ),
        None => "the peer's window was not sampled".to_string(),
    };
    let queued = format::bytes(u64::from(sock.outq));
    // The queue shrank after our last write and the peer's window opened again after closing
    // (its application read, not only its kernel's buffer filling): it was taking it, slowly.
    let drained = f
        .outq_after_writes
        .filter(|(t0, q0)| *t0 < at && *q0 > sock.outq && f.window_reopened_after_writes)
        .map(|(t0, q0)| (u64::from(q0 - sock.outq), at - t0));
    // The shutdown grace did not run out (SSL_shutdown failed at once, on an answer of the
    // peer that arrived after our close_notify, say) and the peer's window was still open: its
    // kernel was taking our data when we closed, so neither "not reading" nor a reading rate
    // measured over that moment holds. Our close came first.
    // Likewise when the peer's answer cut our shutdown short whatever its window said at that
    // instant: it was busy answering, and a window at 0 for a moment is a reader behind, not
    // one that stopped (a peer that reads more slowly than we write shows one at any time).
    let grace_ran_out = f.idle > f.idle_reading;
    let window_open = sock.tcp.is_some_and(|tcp| tcp.snd_wnd > 0);
    if !grace_ran_out && (window_open || answered_after_our_notify(f)) {
        return Some(closed_while_sending(f, at, &queued, &window, window_open));
    }
    let draft = match drained {
        Some((bytes, span)) => Draft::new(
            Class::SlowReader,
            format!(
                "The peer reads slowly: every SSL_write returned, but when we closed {queued} of the {} we wrote were still in our send queue, not yet delivered; it took {} in the last {} ({}).",
                format::bytes(f.app_out),
                format::bytes(bytes),
                format::duration(span),
                format::rate(bytes, span)
            ),
        ),
        None => Draft::new(
            Class::PeerNotReading,
            format!(
                "The peer did not take what we sent: every SSL_write returned, but {queued} of the {} we wrote were still in our send queue, unacknowledged, when we closed, not delivered; {window}.",
                format::bytes(f.app_out)
            ),
        ),
    };
    Some(
        draft
        .fact(
            format!(
                "our send queue held {} ({} of it never sent) of {} (SO_SNDBUF); {window}",
                format::bytes(u64::from(sock.outq)),
                format::bytes(u64::from(sock.notsent)),
                format::bytes(u64::from(sock.sndbuf))
            ),
            None,
            Some(at),
        )
        .fact(
            format!("{} written, the last SSL_write returned at {}", format::bytes(f.app_out), format::duration(f.last_app_out.unwrap_or(0))),
            None,
            f.last_app_out,
        )
        .fact("the peer did not answer our close_notify", None, Some(close_t))
        .user("The peer stopped reading (or reads far slower than we write): check the server; --read-for S waits for its answer before closing (the kernel goes on sending a closed socket's queue only while the peer takes it).")
        .code("SSL_write returning means the kernel took the bytes, not that the peer got them: wait for the peer's answer or its close_notify before treating an upload as delivered."),
    )
}

/// We closed while the peer was still taking what we wrote: the delivery is not confirmed, but
/// the peer is not to blame.
fn closed_while_sending(
    f: &Facts,
    at: crate::trace::event::Nanos,
    queued: &str,
    window: &str,
    window_open: bool,
) -> Draft {
    let last_write = f.last_app_out.unwrap_or(0);
    let peer = if window_open {
        format!("{window}, open: the peer was still taking our data, so nothing shows it stopped reading, but the delivery of the rest is not confirmed")
    } else {
        format!("{window} at that instant, but its answer had just ended our shutdown, so nothing shows it stopped reading (it may read more slowly than we wrote); whether it took the rest is not confirmed")
    };
    let mut d = Draft::new(
        Class::ClosedWhileSending,
        format!(
            "We closed {} after our last SSL_write returned, with {queued} of the {} we wrote still in our send queue; {peer}.",
            format::duration(at.saturating_sub(last_write)),
            format::bytes(f.app_out)
        ),
    )
    .fact(format!("{queued} still in our send queue, {window}"), None, Some(at))
    .fact(format!("{} written, the last SSL_write returned at {}", format::bytes(f.app_out), format::duration(last_write)), None, f.last_app_out);
    if answered_after_our_notify(f) {
        d = d.fact(
            "the peer sent data after our close_notify went out (an answer we did not read), so SSL_shutdown failed and we closed without waiting for the queue to drain",
            None,
            f.close.map(|(t, _)| t),
        );
    }
    d.user("Give the upload time to arrive and read the peer's answer: --read-for S reads after the writes, before closing.")
        .code("SSL_write returning means the kernel took the bytes, not that the peer got them: read the peer's answer (or wait for its close_notify) before closing; data arriving at a closed socket makes the kernel reset the connection, dropping what is still queued.")
}

/// OpenSSL 3 fails SSL_shutdown when the peer's data arrives after our close_notify: the peer
/// was answering when we closed.
fn answered_after_our_notify(f: &Facts) -> bool {
    f.error
        .as_deref()
        .is_some_and(|e| e.contains("application data after close notify"))
}

#[cfg(test)]
mod tests {
    use super::super::trace_builder::{text, Trace};
    use crate::trace::event::*;
    use crate::trace::verdict::Class;

    /// An upload whose writes all returned, then our close_notify, the shutdown grace and a
    /// clean close without the peer's close_notify; `outq` left in our send queue at the end.
    fn upload_then_close(outq: u32) -> crate::trace::verdict::Verdict {
        let mut tr = Trace::new();
        tr.handshake().call(Op::Write, SslError::None, 65536).call(
            Op::Write,
            SslError::None,
            65536,
        );
        tr.push(EventKind::Phase(Phase::Shutdown));
        tr.call(Op::Shutdown, SslError::None, 0)
            .sock(0, outq, if outq > 0 { 0 } else { 65536 })
            .wait(Interest::Read, 2000, Woke::Elapsed);
        tr.close_unanswered()
    }

    #[test]
    fn what_never_left_our_send_queue_was_not_delivered() {
        let v = upload_then_close(120_000);
        assert_eq!(v.class, Class::PeerNotReading, "{}", text(&v));
        assert!(v.summary.contains("not delivered"), "{}", v.summary);
        // Delivered (acknowledged) and only the close_notify unanswered: healthy.
        assert_eq!(upload_then_close(0).class, Class::Healthy);
        assert_eq!(upload_then_close(24).class, Class::Healthy);
    }

    #[test]
    fn a_queue_left_with_the_peers_window_open_is_our_close_not_its_reading() {
        let mut tr = Trace::new();
        tr.handshake().call(Op::Write, SslError::None, 65536);
        tr.push(EventKind::Phase(Phase::Shutdown));
        tr.call(Op::Shutdown, SslError::None, 0)
            .sock(0, 120_000, 75_776);
        let v = tr.close_unanswered();
        assert_eq!(v.class, Class::ClosedWhileSending, "{}", text(&v));
        assert!(v.summary.contains("still taking our data"), "{}", v.summary);
        // A queue seen shrinking within that moment is no reading rate either.
        let mut tr = Trace::new();
        tr.handshake()
            .call(Op::Write, SslError::None, 65536)
            .sock(0, 300_000, 0);
        tr.push(EventKind::Phase(Phase::Shutdown));
        tr.call(Op::Shutdown, SslError::None, 0)
            .sock(0, 120_000, 65536);
        let v = tr.close_unanswered();
        assert_eq!(v.class, Class::ClosedWhileSending, "{}", text(&v));
    }

    #[test]
    fn a_queue_the_peer_was_still_draining_is_a_slow_reader() {
        let mut tr = Trace::new();
        tr.handshake()
            .call(Op::Write, SslError::None, 65536)
            .sock(0, 300_000, 0);
        tr.push(EventKind::Phase(Phase::Shutdown));
        tr.call(Op::Shutdown, SslError::None, 0)
            .wait(Interest::Read, 1000, Woke::Readable)
            .sock(0, 250_000, 65536)
            .wait(Interest::Read, 1000, Woke::Elapsed)
            .sock(0, 200_000, 0);
        let v = tr.close_unanswered();
        assert_eq!(v.class, Class::SlowReader, "{}", text(&v));
        assert!(v.summary.contains("not yet delivered"), "{}", v.summary);
    }
}

//! How a connection past its handshake ended, on hand-built traces: a hang-up with no answer,
//! OpenSSL's own alert failing after the peer's EOF, a reset before any data.

use super::trace_builder::{text, Trace};
use crate::trace::event::*;
use crate::trace::verdict::Class;

/// Handshake, our request out, then the peer's EOF, and OpenSSL's alert failing with `errno`.
fn request_then_eof(errno: Option<i32>) -> crate::trace::verdict::Verdict {
    let mut tr = Trace::new();
    // The request wants an answer (--http-get).
    if let EventKind::Setup(setup) = &mut tr.events[0].kind {
        setup.http_get = Some("/".into());
    }
    tr.handshake()
        .call(Op::Write, SslError::None, 95)
        .io(Dir::Read, 0, false);
    if let Some(e) = errno {
        tr.io_error(e);
    }
    tr.call(Op::Read, SslError::Ssl, 0);
    tr.close(CloseReason::Eof, Some("unexpected eof while reading"))
}

#[test]
fn an_eof_before_any_answer_is_a_hang_up_not_a_truncation() {
    let v = request_then_eof(None);
    assert_eq!(v.class, Class::ClosedWithoutAnswer, "{}", text(&v));
    assert!(v.summary.contains("95 B request"), "{}", v.summary);
}

#[test]
fn our_alert_failing_after_the_peers_eof_is_not_a_reset() {
    let v = request_then_eof(Some(32));
    assert_eq!(v.class, Class::ClosedWithoutAnswer, "{}", text(&v));
}

#[test]
fn a_reset_before_any_data_says_so() {
    let mut tr = Trace::new();
    tr.handshake()
        .io_error(104)
        .call(Op::Write, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Reset, Some("connection reset by peer"));
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
    assert!(v.summary.contains("before any data"), "{}", v.summary);
}

#[test]
fn a_connect_reset_is_not_called_refused() {
    let mut tr = Trace::new();
    // A connect that failed: no handshake phase.
    tr.events
        .retain(|e| !matches!(e.kind, EventKind::Phase(Phase::Handshake)));
    let v = tr.close(
        CloseReason::Failed,
        Some("TCP connect to h:1 failed: connection reset by peer (ECONNRESET)"),
    );
    assert_eq!(v.class, Class::ConnectFailed, "{}", text(&v));
    let advice = v.next_user.concat();
    assert!(advice.contains("accepted the TCP connection"), "{advice}");
    assert!(!advice.contains("nothing listens"), "{advice}");
}

#[test]
fn a_response_without_a_body_by_its_status_is_not_read_until_close() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 95)
        .call(Op::Read, SslError::None, 27);
    tr.push(EventKind::Http(Box::new(HttpResponse {
        status: 204,
        head_bytes: 27,
        content_length: None,
        chunked: false,
        close: false,
        received: 27,
        complete: true,
    })));
    tr.io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::ResponseCompleteKeptOpen, "{}", text(&v));
    assert!(v.summary.contains("no body by its status"), "{}", v.summary);
    assert!(!v.summary.contains("body until close"), "{}", v.summary);
}

#[test]
fn an_answer_to_a_get_that_is_not_http_is_said_in_a_healthy_verdict() {
    let mut tr = Trace::new();
    if let EventKind::Setup(setup) = &mut tr.events[0].kind {
        setup.http_get = Some("/".into());
    }
    tr.handshake()
        .call(Op::Write, SslError::None, 95)
        .call(Op::Read, SslError::None, 23);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Healthy, "{}", text(&v));
    assert!(
        text(&v).contains("did not parse as an HTTP response"),
        "{}",
        text(&v)
    );
}

#[test]
fn bytes_our_shutdown_read_are_not_an_unread_answer() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 65536)
        .sock(784, 500_000, 65535);
    tr.push(EventKind::Phase(Phase::Shutdown));
    // SSL_shutdown reads the session tickets that were waiting, then the peer resets.
    tr.io(Dir::Read, 784, false)
        .io(Dir::Read, 0, true)
        .call(Op::Shutdown, SslError::WantRead, 0)
        .sock(0, 500_000, 0)
        .wait(Interest::Read, 100, Woke::Readable)
        .io_error(104)
        .call(Op::Shutdown, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Reset, Some("connection reset by peer"));
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
    assert!(v.summary.contains("never delivered"), "{}", v.summary);
}

/// A response arriving in pieces, then the deadline `wait_ms` into a wait for the next piece.
fn cut_by_the_deadline(wait_ms: u64) -> crate::trace::verdict::Verdict {
    let mut tr = Trace::new();
    tr.handshake().call(Op::Write, SslError::None, 95);
    for _ in 0..3 {
        tr.io(Dir::Read, 0, true)
            .call(Op::Read, SslError::WantRead, 0)
            .wait(Interest::Read, 400, Woke::Readable)
            .call(Op::Read, SslError::None, 10);
    }
    tr.io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, wait_ms, Woke::Timeout);
    tr.close(
        CloseReason::Timeout,
        Some("timed out after 1.5 s (--timeout)"),
    )
}

#[test]
fn a_deadline_that_cuts_a_moving_stream_is_not_a_stall_nor_healthy() {
    let v = cut_by_the_deadline(300);
    assert_eq!(v.class, Class::InProgress, "{}", text(&v));
    assert!(v.summary.contains("still flowing"), "{}", v.summary);
    // Nothing for longer than a stall: the peer did stop.
    let v = cut_by_the_deadline(3000);
    assert_eq!(v.class, Class::PeerSilent, "{}", text(&v));
}

#[test]
fn a_peer_that_stopped_reading_after_answering_is_said_to_have_sent_something() {
    let blocked_writer = |unread: u32| {
        let mut tr = Trace::new();
        tr.handshake()
            .call(Op::Write, SslError::None, 65536)
            .sock(unread, 130_000, 0)
            .io(Dir::Write, 0, true)
            .call(Op::Write, SslError::WantWrite, 0)
            .wait(Interest::Write, 3000, Woke::Timeout);
        tr.close(CloseReason::Timeout, Some("timed out"))
    };
    let v = blocked_writer(615);
    assert_eq!(v.class, Class::PeerNotReading, "{}", text(&v));
    assert!(
        v.summary.contains("615 B we have not read"),
        "{}",
        v.summary
    );
    // Two session tickets alone are not worth a word.
    let v = blocked_writer(510);
    assert!(!v.summary.contains("we have not read"), "{}", v.summary);
}

#[test]
fn a_hang_up_right_after_the_handshake_does_not_speak_of_cut_data() {
    let mut tr = Trace::new();
    tr.handshake()
        .io(Dir::Read, 0, false)
        .call(Op::Read, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Eof, Some("unexpected eof while reading"));
    assert!(
        v.summary.contains("before any data either way"),
        "{}",
        v.summary
    );
    assert!(!v.summary.contains("cut short"), "{}", v.summary);
}

#[test]
fn a_reset_with_a_few_unread_bytes_does_not_claim_nothing_came() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 65536)
        .sock(205, 2_000_000, 0)
        .io_error(104)
        .call(Op::Write, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Reset, Some("connection reset by peer"));
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
    assert!(!v.summary.contains("before any answer"), "{}", v.summary);
    assert!(text(&v).contains("205 B lay unread"), "{}", text(&v));
}

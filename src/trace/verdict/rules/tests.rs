//! The rules on hand-built traces: one test per class boundary that real traffic showed is easy
//! to get wrong (the end-to-end tests run real peers; these pin the decisions).

use super::trace_builder::{text, Trace, MS};
use crate::trace::event::*;
use crate::trace::verdict::{Class, Severity, Verdict};

#[test]
fn a_clean_exchange_is_healthy() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3, Woke::Readable)
        .call(Op::Read, SslError::None, 200);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Healthy, "{}", text(&v));
    assert_eq!(v.severity(), Severity::Ok);
    assert_eq!(v.breakdown.handshake_round_trips, 1);
}

#[test]
fn our_own_read_for_is_not_a_stall_but_an_unanswered_request_is_named() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 5000, Woke::Elapsed);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::NoResponse, "{}", text(&v));
    assert_eq!(v.breakdown.idle, 5000 * MS);
    assert_eq!(v.breakdown.wait_read, 0, "our own wait is idle time");
}

#[test]
fn idle_when_we_asked_for_nothing() {
    let mut tr = Trace::new();
    tr.handshake()
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::Idle, "{}", text(&v));
}

#[test]
fn a_request_acknowledged_and_never_answered() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::NoResponse, "{}", text(&v));
    assert!(v.summary.contains("delivered"), "{}", v.summary);
    assert_eq!(v.focus, Some(4), "the SSL_read that started the wait");
}

#[test]
fn a_complete_response_on_a_kept_open_connection_is_not_a_stall() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .http(200, Some(20), 120)
        .call(Op::Read, SslError::None, 120)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::ResponseCompleteKeptOpen, "{}", text(&v));
    assert_ne!(v.severity(), Severity::Stall);
}

#[test]
fn a_peer_that_stops_mid_stream_is_silent() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .call(Op::Read, SslError::None, 500)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 4000, Woke::Timeout);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::PeerSilent, "{}", text(&v));
}

#[test]
fn blocked_writing_with_a_full_receive_queue_is_a_deadlock() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 16384)
        .io(Dir::Write, 0, true)
        .call(Op::Write, SslError::WantWrite, 0)
        .sock(120_000, 60_000, 0)
        .wait(Interest::Write, 3000, Woke::Timeout)
        .sock(121_000, 60_000, 0);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::WriteDeadlock, "{}", text(&v));
    assert!(
        v.next_code.iter().any(|n| n.contains("SSL_read")),
        "{:?}",
        v.next_code
    );
}

#[test]
fn blocked_writing_with_an_empty_receive_queue_is_a_peer_not_reading() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 16384)
        .io(Dir::Write, 0, true)
        .call(Op::Write, SslError::WantWrite, 0)
        .sock(0, 60_000, 0)
        .wait(Interest::Write, 3000, Woke::Timeout)
        .sock(0, 60_000, 0);
    let v = tr.close(CloseReason::Timeout, Some("timed out"));
    assert_eq!(v.class, Class::PeerNotReading, "{}", text(&v));
    assert!(
        text(&v).contains("window was 0 in 2 samples"),
        "{}",
        text(&v)
    );
}

#[test]
fn writes_that_keep_progressing_are_a_slow_reader() {
    let mut tr = Trace::new();
    tr.handshake();
    for _ in 0..6 {
        tr.io(Dir::Write, 0, true)
            .call(Op::Write, SslError::WantWrite, 0)
            .wait(Interest::Write, 400, Woke::Writable)
            .call(Op::Write, SslError::None, 4096);
    }
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::SlowReader, "{}", text(&v));
    assert_eq!(v.severity(), Severity::Slow);
}

#[test]
fn live_waits_become_a_stall_only_after_a_while() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0);
    assert_eq!(tr.live(300).class, Class::InProgress);
    let v = tr.live(2500);
    assert_eq!(v.class, Class::NoResponse, "{}", text(&v));
    assert!(v.summary.contains("2.50 s"), "{}", v.summary);
}

#[test]
fn a_slow_but_answered_wait_is_slow_not_stalled() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 2400, Woke::Readable)
        .call(Op::Read, SslError::None, 300);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Slow, "{}", text(&v));
}

#[test]
fn a_reset_with_unread_data_is_an_early_rejection() {
    let reset_with_unread = |unread: u32| {
        let mut tr = Trace::new();
        tr.handshake()
            .call(Op::Write, SslError::None, 16384)
            .sock(unread, 30_000, 65535)
            .sock(0, 30_000, 65535)
            .io_error(104)
            .call(Op::Write, SslError::Syscall, 0);
        tr.close(CloseReason::Reset, Some("connection reset by peer"))
    };
    let v = reset_with_unread(2000);
    assert_eq!(v.class, Class::EarlyRejection, "{}", text(&v));
    assert!(text(&v).contains("1.95 KiB"), "{}", text(&v));
    // What TLS 1.3 session tickets alone fill the queue with is not an answer.
    let v = reset_with_unread(510);
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
}

#[test]
fn a_reset_with_nothing_unread_is_a_reset() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .sock(0, 0, 65535)
        .io_error(104)
        .call(Op::Read, SslError::Syscall, 0);
    let v = tr.close(CloseReason::Reset, Some("connection reset by peer"));
    assert_eq!(v.class, Class::Reset, "{}", text(&v));
}

#[test]
fn eof_before_content_length_is_truncation_and_after_it_is_harmless() {
    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .http(200, Some(1000), 400)
        .call(Op::Read, SslError::None, 400)
        .io(Dir::Read, 0, false)
        .call(Op::Read, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Eof, Some("unexpected eof"));
    assert_eq!(v.class, Class::Truncated, "{}", text(&v));
    assert!(
        text(&v).contains("1.07 KiB"),
        "expected bytes: {}",
        text(&v)
    );

    let mut tr = Trace::new();
    tr.handshake()
        .call(Op::Write, SslError::None, 80)
        .http(200, Some(20), 120)
        .call(Op::Read, SslError::None, 120)
        .io(Dir::Read, 0, false)
        .call(Op::Read, SslError::Ssl, 0);
    let v = tr.close(CloseReason::Eof, Some("unexpected eof"));
    assert_eq!(v.class, Class::NoCloseNotify, "{}", text(&v));
}

#[test]
fn a_close_notify_left_unanswered_is_a_note() {
    let mut tr = Trace::new();
    tr.handshake().call(Op::Write, SslError::None, 80);
    tr.push(EventKind::Phase(Phase::Shutdown));
    tr.io(Dir::Read, 0, true)
        .call(Op::Shutdown, SslError::WantRead, 0)
        .wait(Interest::Read, 2000, Woke::Elapsed);
    let v = tr.close_unanswered();
    assert_eq!(v.class, Class::Healthy, "{}", text(&v));
    assert!(
        text(&v).contains("did not answer our close_notify"),
        "{}",
        text(&v)
    );
}

#[test]
fn a_stapled_revoked_response_fails_a_clean_exchange_and_good_does_not() {
    for (status, class) in [("revoked", Class::CertRevoked), ("good", Class::Healthy)] {
        let mut tr = Trace::new();
        tr.handshake();
        tr.push(EventKind::Tls(Box::new(TlsInfo {
            version: "TLSv1.3".into(),
            verify: "ok".into(),
            ocsp: Some(crate::trace::chain::Ocsp {
                status: status.into(),
                ..Default::default()
            }),
            ..TlsInfo::default()
        })));
        tr.call(Op::Write, SslError::None, 80)
            .call(Op::Read, SslError::None, 200);
        let v = tr.close(CloseReason::Clean, None);
        assert_eq!(v.class, class, "{}", text(&v));
        if status == "revoked" {
            assert!(text(&v).contains("stapled OCSP: revoked"), "{}", text(&v));
        }
    }
}

#[test]
fn a_name_that_does_not_resolve_says_whose_name_it_is() {
    let judge_error = |error: &str| {
        let mut events = Trace::new().events;
        events.retain(|e| !matches!(e.kind, EventKind::Phase(Phase::Connect | Phase::Handshake)));
        let mut tr = Trace {
            t: 10,
            next_call: 1,
            events,
        };
        tr.close(CloseReason::Failed, Some(error))
    };
    let host = judge_error("cannot resolve host \"example.test\": not known");
    assert_eq!(host.class, Class::ResolveFailed, "{}", text(&host));
    assert!(
        host.summary.starts_with("The host name "),
        "{}",
        text(&host)
    );
    let proxy = judge_error("cannot resolve proxy \"proxy.test\": not known");
    assert_eq!(proxy.class, Class::ResolveFailed, "{}", text(&proxy));
    assert!(
        proxy.summary.starts_with("The proxy's host name "),
        "{}",
        text(&proxy)
    );
    assert!(
        proxy.next_user.iter().any(|s| s.contains("--proxy")),
        "{:?}",
        proxy.next_user
    );
}

#[test]
fn a_saved_verdict_on_a_traced_programs_misuse_is_kept_and_others_are_judged_again() {
    let saved = |class: Class| {
        let mut tr = Trace::new();
        tr.handshake().call(Op::Write, SslError::WantWrite, 0);
        tr.push(EventKind::Verdict(Box::new(Verdict {
            class,
            summary: "what the live run said".into(),
            evidence: Vec::new(),
            next_user: Vec::new(),
            next_code: Vec::new(),
            breakdown: crate::trace::verdict::Breakdown::default(),
            focus: None,
        })));
        tr.close(CloseReason::Stopped, None)
    };
    let kept = saved(Class::WaitedWrongDirection);
    assert_eq!(kept.class, Class::WaitedWrongDirection, "{}", text(&kept));
    assert_eq!(kept.summary, "what the live run said");
    // An ordinary class is today's rules' business, not the file's.
    let judged = saved(Class::Healthy);
    assert_ne!(
        judged.summary,
        "what the live run said",
        "{}",
        text(&judged)
    );
}

/// Our renegotiation ClientHello after the handshake, then `then` on the trace.
fn our_renegotiation(then: impl FnOnce(&mut Trace)) -> Verdict {
    let mut tr = Trace::new();
    tr.handshake().msg(MsgDir::Out, 22, 1, 216);
    then(&mut tr);
    tr.call(Op::DoHandshake, SslError::Ssl, 0);
    tr.close(
        CloseReason::Failed,
        Some("renegotiation failed: no renegotiation"),
    )
}

#[test]
fn a_refused_renegotiation_of_ours_is_named_not_a_rejected_record() {
    let v = our_renegotiation(|tr| {
        let call = Some(tr.next_call);
        // The warning (level 1) no_renegotiation, then OpenSSL's own fatal handshake_failure.
        tr.push(EventKind::Msg(Msg::new(call, MsgDir::In, 21, 100, 1, 0, 2)));
        tr.msg(MsgDir::Out, 21, 40, 2);
    });
    assert_eq!(v.class, Class::RenegotiationRefused, "{}", text(&v));
    assert!(v.summary.contains("handshake_failure"), "{}", v.summary);
}

#[test]
fn a_certificate_request_in_our_renegotiation_is_not_post_handshake_auth() {
    let mut tr = Trace::new();
    tr.handshake()
        .msg(MsgDir::Out, 22, 1, 216)
        .msg(MsgDir::In, 22, 2, 65)
        .msg(MsgDir::In, 22, 13, 52)
        .call(Op::DoHandshake, SslError::None, 0);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Renegotiation, "{}", text(&v));
    assert!(v.summary.starts_with("We renegotiated"), "{}", v.summary);
}

/// A handshake whose server flight took `flight_ms`, then a request and an answer that came in
/// twelve pieces, `piece_ms` apart.
fn slow_handshake_then_trickle(flight_ms: u64, piece_ms: u64) -> Verdict {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Write, 305, false)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0)
        .sock(0, 0, 65535)
        .wait(Interest::Read, flight_ms, Woke::Readable)
        .msg(MsgDir::In, 22, 2, 90)
        .msg(MsgDir::In, 22, 20, 36)
        .msg(MsgDir::Out, 22, 20, 36)
        .call(Op::DoHandshake, SslError::None, 0)
        .tls_done()
        .call(Op::Write, SslError::None, 80);
    for _ in 0..12 {
        tr.io(Dir::Read, 0, true)
            .call(Op::Read, SslError::WantRead, 0)
            .wait(Interest::Read, piece_ms, Woke::Readable)
            .call(Op::Read, SslError::None, 400);
    }
    tr.close(CloseReason::Clean, None)
}

/// Regression: with a slow handshake and an answer that trickled for longer, the verdict was
/// about the handshake alone; it names where more of the time went, and the other as evidence.
#[test]
fn slow_twice_names_where_more_of_the_time_went() {
    let v = slow_handshake_then_trickle(300, 200);
    assert_eq!(v.class, Class::Slow, "{}", text(&v));
    assert!(v.summary.contains("sends its data slowly"), "{}", text(&v));
    assert!(
        text(&v).contains("the handshake was slow too"),
        "{}",
        text(&v)
    );
    let v = slow_handshake_then_trickle(3000, 100);
    assert_eq!(v.class, Class::Slow, "{}", text(&v));
    assert!(v.summary.contains("handshake round trips"), "{}", text(&v));
    assert!(
        text(&v).contains("the data came slowly too"),
        "{}",
        text(&v)
    );
}

/// Regression: a server whose handshake flight came in pieces (its first message at once, the
/// rest over 600 ms) was "healthy": round trips, measured to the first message, looked short.
#[test]
fn a_handshake_flight_in_pieces_is_slow() {
    let mut tr = Trace::new();
    tr.msg(MsgDir::Out, 22, 1, 300)
        .io(Dir::Write, 305, false)
        .io(Dir::Read, 0, true)
        .call(Op::DoHandshake, SslError::WantRead, 0)
        .sock(0, 0, 65535)
        .wait(Interest::Read, 2, Woke::Readable)
        .msg(MsgDir::In, 22, 2, 90);
    for _ in 0..3 {
        tr.io(Dir::Read, 0, true)
            .call(Op::DoHandshake, SslError::WantRead, 0)
            .wait(Interest::Read, 200, Woke::Readable);
    }
    tr.msg(MsgDir::In, 22, 20, 36)
        .msg(MsgDir::Out, 22, 20, 36)
        .call(Op::DoHandshake, SslError::None, 0)
        .tls_done()
        .call(Op::Write, SslError::None, 80)
        .io(Dir::Read, 0, true)
        .call(Op::Read, SslError::WantRead, 0)
        .wait(Interest::Read, 3, Woke::Readable)
        .call(Op::Read, SslError::None, 200);
    let v = tr.close(CloseReason::Clean, None);
    assert_eq!(v.class, Class::Slow, "{}", text(&v));
    assert!(
        v.summary.contains("handshake messages came slowly"),
        "{}",
        text(&v)
    );
}

/// Regression: data arriving after our close_notify (an echo we did not wait for) made
/// SSL_shutdown fail, and the verdict said the peer "did not answer our close_notify".
#[test]
fn data_after_our_close_notify_is_named_as_such() {
    let mut tr = Trace::new();
    tr.handshake().call(Op::Write, SslError::None, 6);
    tr.push(EventKind::Error(
        "after our close_notify, SSL_shutdown failed: application data after close notify".into(),
    ));
    let v = tr.close_unanswered();
    assert_eq!(v.class, Class::Healthy, "{}", text(&v));
    assert!(text(&v).contains("we never read"), "{}", text(&v));
    assert!(!text(&v).contains("did not answer"), "{}", text(&v));
}

//! The first wave of scenarios (`ok` … `bad-cert-*`), each traced by the engine with its own
//! client defaults, shows its documented signature in the recorded events.

use super::*;

#[test]
fn ok_is_clean_both_ways() {
    let events = trace(Scenario::Ok);
    assert_clean(&events);
    assert_eq!(
        calls_of(&events, Op::DoHandshake).last().map(|c| c.error),
        Some(SslError::None)
    );
    assert!(read_bytes(&events) > 50, "{}", dump(&events));
    assert_eq!(
        calls_of(&events, Op::Read).last().map(|c| c.error),
        Some(SslError::ZeroReturn),
        "the server's close_notify ends the reads"
    );
    assert_eq!(tls_infos(&events)[0].verify, "ok");
}

#[test]
fn silent_waits_for_read_until_timeout_with_an_empty_queue() {
    let events = trace(Scenario::Silent);
    assert_eq!(read_bytes(&events), 0, "{}", dump(&events));
    let reads = calls_of(&events, Op::Read);
    assert!(!reads.is_empty());
    assert!(
        reads.iter().all(|c| c.error == SslError::WantRead),
        "{}",
        dump(&events)
    );
    assert!(ios_in(&events, reads[0].id)
        .iter()
        .any(|io| io.dir == Dir::Read && io.would_block()));
    assert!(
        waits(&events)
            .iter()
            // --read-for's own time (elapsed) or --timeout ends it, never data.
            .any(
                |w| w.interest == Interest::Read && matches!(w.woke, Woke::Timeout | Woke::Elapsed)
            ),
        "{}",
        dump(&events)
    );
    assert_ne!(close(&events).reason, CloseReason::Failed);
}

#[test]
fn handshake_stall_sends_the_client_hello_and_waits_forever() {
    let events = trace(Scenario::HandshakeStall);
    let hs = calls_of(&events, Op::DoHandshake);
    assert!(!hs.is_empty());
    assert!(
        hs.iter().all(|c| c.error == SslError::WantRead),
        "{}",
        dump(&events)
    );
    assert!(has_out(&events, hs[0].id, HANDSHAKE, CLIENT_HELLO));
    assert!(ios_in(&events, hs[0].id)
        .iter()
        .any(|io| io.dir == Dir::Write && io.got > 0));
    assert!(!has_msg(
        &msgs(&events),
        MsgDir::In,
        HANDSHAKE,
        SERVER_HELLO
    ));
    assert!(calls_of(&events, Op::Read).is_empty());
    assert_eq!(
        close(&events).reason,
        CloseReason::Timeout,
        "{}",
        dump(&events)
    );
}

#[test]
fn slow_reader_fills_the_send_queue_and_ssl_write_wants_write() {
    let events = trace(Scenario::SlowReader);
    let blocked: Vec<Call> = calls_of(&events, Op::Write)
        .into_iter()
        .filter(|c| c.error == SslError::WantWrite)
        .collect();
    assert!(!blocked.is_empty(), "{}", dump(&events));
    assert!(ios_in(&events, blocked[0].id)
        .iter()
        .any(|io| io.dir == Dir::Write && io.would_block()));
    assert!(waits(&events)
        .iter()
        .any(|w| w.interest == Interest::Write && w.woke == Woke::Timeout));
    let levels = socks(&events);
    assert!(
        levels
            .iter()
            .any(|s| s.outq > 0 && s.outq + 4096 >= s.sndbuf / 2),
        "the send queue fills up: {levels:?}"
    );
    assert!(
        levels
            .iter()
            .any(|s| s.tcp.map(|t| t.snd_wnd == 0).unwrap_or(false)),
        "the peer's window closes: {levels:?}"
    );
    assert_eq!(close(&events).reason, CloseReason::Timeout);
}

#[test]
fn trickle_makes_ssl_read_want_read_on_partial_records() {
    let events = trace(Scenario::Trickle);
    assert_clean(&events);
    let partial = calls_of(&events, Op::Read)
        .into_iter()
        .filter(|c| c.error == SslError::WantRead)
        .filter(|c| {
            let ios = ios_in(&events, c.id);
            ios.iter().any(|io| io.dir == Dir::Read && io.got > 0)
                && ios.iter().any(|io| io.dir == Dir::Read && io.would_block())
        })
        .count();
    assert!(
        partial >= 10,
        "only {partial} partial-record reads\n{}",
        dump(&events)
    );
}

#[test]
fn late_tickets_make_ssl_read_return_want_read_without_auto_retry() {
    let events = trace(Scenario::LateTickets);
    assert_clean(&events);
    assert_eq!(tls_infos(&events)[0].version, "TLSv1.3");
    let ticket_reads: Vec<Call> = calls_of(&events, Op::Read)
        .into_iter()
        .filter(|c| has_in(&events, c.id, HANDSHAKE, NEW_SESSION_TICKET))
        .collect();
    assert!(!ticket_reads.is_empty(), "{}", dump(&events));
    assert!(
        ticket_reads.iter().any(|c| {
            c.error == SslError::WantRead
                && c.bytes() == 0
                && !ios_in(&events, c.id).iter().any(|io| io.would_block())
        }),
        "SSL_read returned WANT_READ after only a ticket, the socket not empty\n{}",
        dump(&events)
    );
    assert!(read_bytes(&events) > 50);
}

#[test]
fn late_tickets_are_absorbed_with_auto_retry() {
    let events = trace_with(Scenario::LateTickets, |spec| spec.auto_retry = true);
    assert_clean(&events);
    assert!(has_msg(
        &msgs(&events),
        MsgDir::In,
        HANDSHAKE,
        NEW_SESSION_TICKET
    ));
    // With AUTO_RETRY, SSL_read only returns WANT_READ when the socket is empty.
    assert!(
        calls_of(&events, Op::Read)
            .iter()
            .filter(|c| c.error == SslError::WantRead)
            .all(|c| ios_in(&events, c.id).iter().any(|io| io.would_block())),
        "{}",
        dump(&events)
    );
}

#[test]
fn key_update_is_read_and_our_reply_goes_out_with_the_next_write() {
    let events = trace(Scenario::KeyUpdate);
    assert_eq!(tls_infos(&events)[0].version, "TLSv1.3");
    let reads: Vec<Call> = calls_of(&events, Op::Read)
        .into_iter()
        .filter(|c| has_in(&events, c.id, HANDSHAKE, KEY_UPDATE))
        .collect();
    assert_eq!(reads.len(), 1, "{}", dump(&events));
    for read in calls_of(&events, Op::Read) {
        assert!(
            !has_out(&events, read.id, HANDSHAKE, KEY_UPDATE),
            "OpenSSL 3.0 defers our KeyUpdate to the next SSL_write"
        );
    }
    let replying_write = calls_of(&events, Op::Write)
        .into_iter()
        .find(|c| has_out(&events, c.id, HANDSHAKE, KEY_UPDATE));
    let replying_write = replying_write.expect("our KeyUpdate goes out inside an SSL_write");
    assert!(
        replying_write.id > reads[0].id,
        "after the read that received theirs"
    );
    assert!(
        read_bytes(&events) > 0,
        "the reply after the KeyUpdate arrives"
    );
    assert_eq!(
        close(&events).reason,
        CloseReason::Clean,
        "{}",
        dump(&events)
    );
}

#[test]
fn renegotiate_makes_ssl_read_write_a_client_hello() {
    let events = trace(Scenario::Renegotiate);
    assert_clean(&events);
    let reneg: Vec<Call> = calls_of(&events, Op::Read)
        .into_iter()
        .filter(|c| has_in(&events, c.id, HANDSHAKE, HELLO_REQUEST))
        .collect();
    assert_eq!(reneg.len(), 1, "{}", dump(&events));
    assert!(has_out(&events, reneg[0].id, HANDSHAKE, CLIENT_HELLO));
    assert!(ios_in(&events, reneg[0].id)
        .iter()
        .any(|io| io.dir == Dir::Write && io.got > 0));
    let tls = tls_infos(&events);
    assert_eq!(tls.len(), 2, "{}", dump(&events));
    assert!(tls.iter().all(|t| t.version == "TLSv1.2"));
}

#[test]
fn reneg_backpressure_makes_ssl_read_want_write() {
    let events = trace(Scenario::RenegBackpressure);
    assert_clean(&events);
    let reads = calls_of(&events, Op::Read);
    let first = reads
        .iter()
        .find(|c| has_in(&events, c.id, HANDSHAKE, HELLO_REQUEST))
        .copied()
        .unwrap_or_else(|| panic!("no HelloRequest\n{}", dump(&events)));
    assert_eq!(first.error, SslError::WantWrite, "{}", dump(&events));
    assert!(ios_in(&events, first.id)
        .iter()
        .any(|io| io.dir == Dir::Write && io.would_block()));
    assert!(waits(&events).iter().any(|w| w.interest == Interest::Write));
    assert!(
        reads
            .iter()
            .any(|c| c.id > first.id && has_out(&events, c.id, HANDSHAKE, CLIENT_HELLO)),
        "the ClientHello completes in a later SSL_read"
    );
    assert_eq!(tls_infos(&events).len(), 2, "{}", dump(&events));
}

#[test]
fn abrupt_close_is_an_eof_without_close_notify() {
    let events = trace(Scenario::AbruptClose);
    let c = close(&events);
    assert_eq!(c.reason, CloseReason::Eof, "{}", dump(&events));
    assert!(!c.notify_received);
    assert!(read_bytes(&events) > 50);
    let last = calls_of(&events, Op::Read).last().copied().unwrap();
    assert!(matches!(last.error, SslError::Syscall | SslError::Ssl));
    assert!(ios_in(&events, last.id).iter().any(|io| io.is_eof()));
}

#[test]
fn reset_is_econnreset_in_ssl_read() {
    let events = trace(Scenario::Reset);
    let c = close(&events);
    assert_eq!(c.reason, CloseReason::Reset, "{}", dump(&events));
    assert!(
        read_bytes(&events) > 1000,
        "part of the response came first"
    );
    let last = calls_of(&events, Op::Read).last().copied().unwrap();
    assert_eq!(last.error, SslError::Syscall);
    assert!(ios_in(&events, last.id)
        .iter()
        .any(|io| io.os_error() == Some(libc::ECONNRESET)));
}

#[test]
fn alert_fails_the_handshake_with_handshake_failure() {
    let events = trace(Scenario::Alert);
    assert_eq!(close(&events).reason, CloseReason::Failed);
    let last = calls_of(&events, Op::DoHandshake).last().copied().unwrap();
    assert_eq!(last.error, SslError::Ssl);
    assert!(has_in(&events, last.id, ALERT, 40), "{}", dump(&events));
    assert!(fatal_alert(&events, MsgDir::In, 40));
}

#[test]
fn not_tls_fails_on_plain_text() {
    let events = trace(Scenario::NotTls);
    assert_eq!(close(&events).reason, CloseReason::Failed);
    let last = calls_of(&events, Op::DoHandshake).last().copied().unwrap();
    assert_eq!(last.error, SslError::Ssl);
    assert!(!has_msg(
        &msgs(&events),
        MsgDir::In,
        HANDSHAKE,
        SERVER_HELLO
    ));
    let message = error_message(&events).unwrap_or_default();
    assert!(message.contains("HTTP"), "{message}");
}

#[test]
fn client_cert_succeeds_with_the_lab_identity() {
    let events = trace(Scenario::ClientCert);
    assert_clean(&events);
    let all = msgs(&events);
    assert!(has_msg(&all, MsgDir::In, HANDSHAKE, CERTIFICATE_REQUEST));
    assert!(all.iter().any(|m| m.dir == MsgDir::Out
        && m.content == HANDSHAKE
        && m.msg_type == CERTIFICATE
        && m.len > 100));
}

#[test]
fn client_cert_fails_without_an_identity() {
    let events = trace_with(Scenario::ClientCert, |spec| spec.client_identity = None);
    assert_eq!(
        close(&events).reason,
        CloseReason::Failed,
        "{}",
        dump(&events)
    );
    // TLS 1.3: the handshake completes; the refusal arrives at the first SSL_read.
    assert!(fatal_alert(&events, MsgDir::In, 116), "{}", dump(&events));
}

#[test]
fn client_cert_fails_without_an_identity_in_tls12() {
    let events = trace_with(Scenario::ClientCert, |spec| {
        spec.client_identity = None;
        spec.tls_max = Some(tlsscope::probe::TlsVersion::Tls12);
    });
    assert_eq!(close(&events).reason, CloseReason::Failed);
    let last = calls_of(&events, Op::DoHandshake).last().copied().unwrap();
    assert_eq!(last.error, SslError::Ssl);
    assert!(fatal_alert(&events, MsgDir::In, 40), "{}", dump(&events));
}

#[test]
fn post_handshake_auth_writes_the_certificate_from_ssl_read() {
    let events = trace(Scenario::PostHandshakeAuth);
    assert_clean(&events);
    let reads = calls_of(&events, Op::Read);
    let request = reads
        .iter()
        .find(|c| has_in(&events, c.id, HANDSHAKE, CERTIFICATE_REQUEST))
        .copied()
        .unwrap_or_else(|| panic!("no CertificateRequest\n{}", dump(&events)));
    assert_eq!(request.error, SslError::WantWrite, "{}", dump(&events));
    assert!(ios_in(&events, request.id)
        .iter()
        .any(|io| io.dir == Dir::Write && io.would_block()));
    assert!(
        reads.iter().any(|c| msgs_in(&events, c.id)
            .iter()
            .any(|m| { m.dir == MsgDir::Out && m.msg_type == CERTIFICATE && m.len > 30_000 })),
        "the long chain goes out from inside SSL_read\n{}",
        dump(&events)
    );
    assert!(read_bytes(&events) > 50);
}

#[test]
fn bad_certificates_fail_verification_with_their_reason() {
    for (scenario, alert, reason) in [
        (Scenario::BadCertExpired, 45, "certificate has expired"),
        (Scenario::BadCertWrongHost, 42, "hostname mismatch"),
        (Scenario::BadCertSelfSigned, 48, "self-signed certificate"),
        (
            Scenario::BadCertUntrusted,
            48,
            "self-signed certificate in certificate chain",
        ),
    ] {
        let events = trace(scenario);
        assert_eq!(close(&events).reason, CloseReason::Failed, "{scenario}");
        assert!(
            fatal_alert(&events, MsgDir::Out, alert),
            "{scenario}\n{}",
            dump(&events)
        );
        let message = error_message(&events).unwrap_or_default();
        assert!(message.contains(reason), "{scenario}: {message}");

        let insecure = trace_with(scenario, |spec| spec.verify = false);
        assert_clean(&insecure);
    }
}

//! The engine against the system's `openssl s_server`: handshakes, HTTP, and the server-driven
//! post-handshake events (renegotiation, KeyUpdate, session tickets) that make SSL_read write.

mod common;

use common::*;
use std::time::Duration;
use tlsscope::probe::TlsVersion;
use tlsscope::trace::*;

#[test]
fn tls13_handshake_records_states_messages_and_parameters() {
    let server = SServer::start(&["-www", "-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.workload.http_get = Some("/".into());
    let events = run(spec);
    let c = close(&events);
    assert_eq!(c.reason, CloseReason::Clean, "{}", dump(&events));
    assert!(c.workload_done);

    let handshakes: Vec<_> = calls(&events)
        .into_iter()
        .filter(|c| c.op == Op::DoHandshake)
        .collect();
    // The first call writes the ClientHello. (Whether a call then waits for the ServerHello
    // depends on how fast the server answers, so it is not asserted here.)
    assert!(has_msg(
        &msgs_in(&events, handshakes[0].id),
        MsgDir::Out,
        HANDSHAKE,
        CLIENT_HELLO
    ));
    assert!(ios_in(&events, handshakes[0].id)
        .iter()
        .any(|io| io.dir == Dir::Write && io.got > 0));
    assert_eq!(handshakes.last().map(|c| c.error), Some(SslError::None));

    let all_msgs = msgs(&events);
    assert!(has_msg(&all_msgs, MsgDir::Out, HANDSHAKE, CLIENT_HELLO));
    assert!(has_msg(&all_msgs, MsgDir::In, HANDSHAKE, SERVER_HELLO));
    assert!(
        has_msg(&all_msgs, MsgDir::In, HANDSHAKE, 8),
        "EncryptedExtensions"
    );
    assert!(states(&events).contains(&"SSL negotiation finished successfully"));

    let tls = tls_infos(&events);
    assert_eq!(tls.len(), 1, "one handshake, one parameter event");
    assert_eq!(tls[0].version, "TLSv1.3");
    assert_eq!(tls[0].verify, "ok");
    assert_eq!(tls[0].sni.as_deref(), Some("localhost"));
    assert!(
        tls[0].chain[0].subject.contains("localhost"),
        "{:?}",
        tls[0].chain
    );
    assert_eq!(tls[0].chain[0].sha256.len(), 32 * 3 - 1);

    // The HTTP response arrived through SSL_read.
    let read_bytes: u32 = calls(&events)
        .iter()
        .filter(|c| c.op == Op::Read)
        .map(|c| c.bytes())
        .sum();
    assert!(read_bytes > 100, "s_server -www answers with a status page");
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Sock(s) if s.sndbuf > 0 && s.rcvbuf > 0)));
}

#[test]
fn tls12_handshake_and_close_notify_both_ways() {
    let server = SServer::start(&["-www", "-tls1_2"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.workload.http_get = Some("/".into());
    let events = run(spec);
    let tls = tls_infos(&events);
    assert_eq!(
        tls.first().map(|t| t.version.as_str()),
        Some("TLSv1.2"),
        "{}",
        dump(&events)
    );
    let all_msgs = msgs(&events);
    assert!(
        has_msg(&all_msgs, MsgDir::In, HANDSHAKE, 14),
        "ServerHelloDone is TLS 1.2 only"
    );
    assert!(
        has_msg(&all_msgs, MsgDir::Out, HANDSHAKE, 16),
        "ClientKeyExchange"
    );
    let c = close(&events);
    assert_eq!(c.reason, CloseReason::Clean);
    assert!(c.notify_sent);
}

#[test]
fn renegotiation_from_s_server_makes_ssl_read_write() {
    let mut server = SServer::start(&["-tls1_2"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.tls_max = Some(TlsVersion::Tls12);
    spec.workload.send = Some(b"hello\n".to_vec());
    spec.workload.read_for = Some(Duration::from_secs(3));
    let mut typed = false;
    let events = run_with(spec, |e| {
        if matches!(e.kind, EventKind::Tls(_)) && !typed {
            typed = true;
            server.type_repeatedly("r");
        }
    });
    // The HelloRequest arrives inside an SSL_read, and that same SSL_read writes the ClientHello.
    let reads: Vec<_> = calls(&events)
        .into_iter()
        .filter(|c| c.op == Op::Read)
        .collect();
    let writing_read = reads.iter().find(|c| {
        has_msg(
            &msgs_in(&events, c.id),
            MsgDir::Out,
            HANDSHAKE,
            CLIENT_HELLO,
        ) && ios_in(&events, c.id)
            .iter()
            .any(|io| io.dir == Dir::Write && io.got > 0)
    });
    assert!(
        writing_read.is_some(),
        "no SSL_read wrote a ClientHello:\n{}",
        dump(&events)
    );
    assert!(has_msg(
        &msgs(&events),
        MsgDir::In,
        HANDSHAKE,
        HELLO_REQUEST
    ));
    assert!(
        tls_infos(&events).len() >= 2,
        "parameters are reported again after the renegotiation"
    );
}

#[test]
fn key_update_from_s_server_is_seen_inside_a_read() {
    let mut server = SServer::start(&["-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.workload.send = Some(b"hello\n".to_vec());
    spec.workload.read_for = Some(Duration::from_secs(2));
    let mut typed = false;
    let events = run_with(spec, |e| {
        if matches!(e.kind, EventKind::Tls(_)) && !typed {
            typed = true;
            server.type_repeatedly("K");
        }
    });
    let read_with_key_update = calls(&events)
        .into_iter()
        .filter(|c| c.op == Op::Read)
        .find(|c| has_msg(&msgs_in(&events, c.id), MsgDir::In, HANDSHAKE, KEY_UPDATE));
    assert!(
        read_with_key_update.is_some(),
        "no KeyUpdate inside an SSL_read:\n{}",
        dump(&events)
    );
    assert_eq!(close(&events).reason, CloseReason::Clean);
}

#[test]
fn no_auto_retry_read_returns_want_read_after_a_ticket_without_blocking() {
    let server = SServer::start(&["-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.auto_retry = false;
    spec.workload.read_for = Some(Duration::from_millis(500));
    let events = run(spec);
    let ticket_read = calls(&events).into_iter().find(|c| {
        c.op == Op::Read
            && c.error == SslError::WantRead
            && has_msg(
                &msgs_in(&events, c.id),
                MsgDir::In,
                HANDSHAKE,
                NEW_SESSION_TICKET,
            )
            && ios_in(&events, c.id).iter().all(|io| !io.would_block())
    });
    assert!(
        ticket_read.is_some(),
        "expected SSL_read → WANT_READ after a ticket, no would-block:\n{}",
        dump(&events)
    );
}

#[test]
fn auto_retry_reads_through_tickets() {
    // The control for the test above: with AUTO_RETRY on, no SSL_read returns WANT_READ
    // without having hit a would-block read.
    let server = SServer::start(&["-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.workload.read_for = Some(Duration::from_millis(500));
    let events = run(spec);
    for c in calls(&events)
        .into_iter()
        .filter(|c| c.op == Op::Read && c.error == SslError::WantRead)
    {
        assert!(
            ios_in(&events, c.id).iter().any(|io| io.would_block()),
            "{}",
            dump(&events)
        );
    }
}

#[test]
fn client_key_update_and_renegotiate_actions() {
    let server = SServer::start(&["-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.key_update = true;
    let events = run(spec);
    assert!(
        calls(&events)
            .iter()
            .any(|c| c.op == Op::KeyUpdate && c.ret == 1),
        "{}",
        dump(&events)
    );
    assert!(has_msg(&msgs(&events), MsgDir::Out, HANDSHAKE, KEY_UPDATE));
    assert_eq!(close(&events).reason, CloseReason::Clean);

    // Renegotiation needs TLS 1.2 and a server that allows client-initiated renegotiation.
    let server = SServer::start(&["-tls1_2", "-client_renegotiation"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.tls_max = Some(TlsVersion::Tls12);
    spec.renegotiate = true;
    let events = run(spec);
    assert!(
        calls(&events)
            .iter()
            .any(|c| c.op == Op::Renegotiate && c.ret == 1),
        "{}",
        dump(&events)
    );
    assert_eq!(tls_infos(&events).len(), 2, "{}", dump(&events));
    assert_eq!(close(&events).reason, CloseReason::Clean);
}

#[test]
fn renegotiate_on_tls13_fails_with_a_reason() {
    let server = SServer::start(&["-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.renegotiate = true;
    let events = run(spec);
    assert_eq!(close(&events).reason, CloseReason::Failed);
    let msg = error_message(&events).unwrap_or_default();
    assert!(
        msg.contains("renegotiation") && msg.contains("TLSv1.3"),
        "{msg}"
    );
}

#[test]
fn handshake_failure_names_the_alert() {
    // The server only speaks TLS 1.3, the client only 1.2: protocol_version alert.
    let server = SServer::start(&["-tls1_3"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.tls_max = Some(TlsVersion::Tls12);
    let events = run(spec);
    assert_eq!(close(&events).reason, CloseReason::Failed);
    let msg = error_message(&events).unwrap_or_default();
    assert!(
        msg.starts_with("TLS handshake failed") && msg.contains("protocol version"),
        "{msg}"
    );
    assert!(msgs(&events)
        .iter()
        .any(|m| m.dir == MsgDir::In && m.content == 21 && m.msg_type == 70));
}

#[test]
fn untrusted_certificate_fails_verification_with_the_certificate_named() {
    let server = SServer::start(&["-www"]);
    let mut spec = tlsscope::probe::ConnectSpec::new(server.target());
    spec.timeout = Some(Duration::from_secs(20));
    // No --ca: the system store does not know the lab CA.
    let events = run(spec);
    let msg = error_message(&events).unwrap_or_default();
    assert!(msg.starts_with("certificate verification failed"), "{msg}");
    assert!(msg.contains("depth") && msg.contains("localhost"), "{msg}");
    assert_eq!(close(&events).reason, CloseReason::Failed);
}

#[test]
fn insecure_skips_verification() {
    let server = SServer::start(&["-www"]);
    let mut spec = tlsscope::probe::ConnectSpec::new(server.target());
    spec.timeout = Some(Duration::from_secs(20));
    spec.verify = false;
    spec.workload.http_get = Some("/".into());
    let events = run(spec);
    assert_eq!(
        close(&events).reason,
        CloseReason::Clean,
        "{}",
        dump(&events)
    );
    assert_eq!(tls_infos(&events)[0].verify, "skipped");
}

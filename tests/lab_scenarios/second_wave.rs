//! The second wave of scenarios (issue 8): the classes a verdict must name, each traced by the
//! engine with its own client defaults and checked for its signature in the recorded events.

use super::*;

const UNRECOGNIZED_NAME: u8 = 112;
const NO_APPLICATION_PROTOCOL: u8 = 120;
const PROTOCOL_VERSION: u8 = 70;
const HANDSHAKE_FAILURE: u8 = 40;
const CERTIFICATE_REQUIRED: u8 = 116;

/// The handshake fails in SSL_do_handshake on the server's fatal `alert`, after our ClientHello
/// and before any ServerHello.
fn assert_refused_hello(events: &[Event], alert: u8) {
    assert_eq!(
        close(events).reason,
        CloseReason::Failed,
        "{}",
        dump(events)
    );
    let hs = calls_of(events, Op::DoHandshake);
    assert!(has_out(events, hs[0].id, HANDSHAKE, CLIENT_HELLO));
    let last = hs.last().copied().unwrap();
    assert_eq!(last.error, SslError::Ssl, "{}", dump(events));
    assert!(has_in(events, last.id, ALERT, alert), "{}", dump(events));
    assert!(fatal_alert(events, MsgDir::In, alert));
    assert!(!has_msg(&msgs(events), MsgDir::In, HANDSHAKE, SERVER_HELLO));
    assert!(calls_of(events, Op::Read).is_empty());
}

#[test]
fn latency_handshake_takes_far_longer_than_the_tcp_rtt() {
    let events = trace(Scenario::Latency);
    assert_clean(&events);
    // The proxy holds each chunk 150 ms each way: the wait for the server's first flight lasts at
    // least one delayed round trip (a lower bound the proxy guarantees), while the kernel's rtt
    // is measured to the proxy on loopback.
    let hs = calls_of(&events, Op::DoHandshake);
    let first = hs[0];
    assert_eq!(first.error, SslError::WantRead);
    let mut in_handshake = false;
    let mut longest_handshake_wait = 0;
    for e in &events {
        match e.kind {
            EventKind::Call(c) if c.op == Op::DoHandshake => {
                in_handshake = c.error != SslError::None
            }
            EventKind::Wait(w) if in_handshake && w.interest == Interest::Read => {
                longest_handshake_wait = longest_handshake_wait.max(w.dur)
            }
            _ => {}
        }
    }
    let delayed_round_trip = 2 * 150_000_000 * 8 / 10;
    assert!(
        longest_handshake_wait >= delayed_round_trip,
        "longest handshake wait {longest_handshake_wait} ns\n{}",
        dump(&events)
    );
    let rtt_us = socks(&events)
        .iter()
        .filter_map(|s| s.tcp.map(|t| t.rtt_us))
        .filter(|&r| r > 0)
        .min()
        .expect("a TCP rtt sample");
    assert!(
        u64::from(rtt_us) * 1000 * 10 < longest_handshake_wait,
        "rtt {rtt_us} µs is not far below the handshake's round trip"
    );
}

#[test]
fn no_response_waits_for_an_answer_to_an_acknowledged_request() {
    let events = trace(Scenario::NoResponse);
    assert_eq!(
        close(&events).reason,
        CloseReason::Timeout,
        "{}",
        dump(&events)
    );
    assert_eq!(read_bytes(&events), 0);
    let writes = calls_of(&events, Op::Write);
    assert!(
        writes.iter().any(|c| c.bytes() > 50),
        "the request was written"
    );
    let reads = calls_of(&events, Op::Read);
    assert!(!reads.is_empty() && reads.iter().all(|c| c.error == SslError::WantRead));
    assert!(
        socks(&events)
            .last()
            .is_some_and(|s| s.outq == 0 && s.inq == 0),
        "the request was acknowledged, nothing came back\n{}",
        dump(&events)
    );
    assert!(waits(&events)
        .iter()
        .any(|w| w.interest == Interest::Read && w.woke == Woke::Timeout));
}

/// The whole response arrived, then only a timeout ended the reading.
fn assert_complete_then_held_open(events: &[Event]) {
    let c = close(events);
    assert_eq!(c.reason, CloseReason::Timeout, "{}", dump(events));
    assert!(!c.notify_received);
    let reads = calls_of(events, Op::Read);
    let data: Vec<&Call> = reads.iter().filter(|c| c.bytes() > 0).collect();
    assert!(!data.is_empty(), "{}", dump(events));
    let last_data = data.last().unwrap().id;
    assert!(
        reads
            .iter()
            .filter(|c| c.id > last_data)
            .all(|c| c.error == SslError::WantRead),
        "nothing but WANT_READ after the response\n{}",
        dump(events)
    );
    assert!(waits(events)
        .iter()
        .any(|w| w.interest == Interest::Read && w.woke == Woke::Timeout));
}

#[test]
fn keep_alive_sends_a_complete_response_and_holds_the_connection() {
    let events = trace(Scenario::KeepAlive);
    assert_complete_then_held_open(&events);
    // The head (~110 B) and the 65-byte body its Content-Length announces.
    assert!(read_bytes(&events) > 150, "{}", dump(&events));
}

#[test]
fn keep_alive_chunked_sends_the_last_chunk_and_holds_the_connection() {
    let events = trace(Scenario::KeepAliveChunked);
    assert_complete_then_held_open(&events);
    // The head (~120 B), two chunks and the chunk of size 0.
    assert!(read_bytes(&events) > 150, "{}", dump(&events));
}

#[test]
fn echo_deadlock_blocks_both_sides_writing() {
    let events = trace(Scenario::EchoDeadlock);
    assert_eq!(
        close(&events).reason,
        CloseReason::Timeout,
        "{}",
        dump(&events)
    );
    assert!(
        calls_of(&events, Op::Read).is_empty(),
        "the client never reads"
    );
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
            .any(|s| s.outq + 4096 >= s.sndbuf && s.inq * 3 >= s.rcvbuf && s.inq > 0),
        // Linux counts bookkeeping against SO_RCVBUF: a full receive queue holds ½-¾ of it.
        "our send queue and our receive queue full at once: {levels:?}"
    );
}

#[test]
fn early_reject_leaves_the_413_unread_when_the_reset_comes() {
    let events = trace(Scenario::EarlyReject);
    let c = close(&events);
    assert_eq!(c.reason, CloseReason::Reset, "{}", dump(&events));
    assert_eq!(
        read_bytes(&events),
        0,
        "the client never reads while uploading"
    );
    let writes = calls_of(&events, Op::Write);
    assert!(writes.iter().any(|c| c.error == SslError::WantWrite));
    let last = *writes.last().unwrap();
    assert!(
        ios_in(&events, last.id)
            .iter()
            .any(|io| matches!(io.os_error(), Some(libc::ECONNRESET) | Some(libc::EPIPE))),
        "{}",
        dump(&events)
    );
    // The 413 (one TLS record of ~200 bytes) sits in our receive queue, unread.
    let unread = socks(&events).iter().map(|s| s.inq).max().unwrap_or(0);
    assert!(unread > 100, "unread {unread}\n{}", dump(&events));
}

#[test]
fn truncated_ends_before_content_length_without_close_notify() {
    let events = trace(Scenario::Truncated);
    let c = close(&events);
    assert_eq!(c.reason, CloseReason::Eof, "{}", dump(&events));
    assert!(!c.notify_received);
    let n = read_bytes(&events) as usize;
    let head = "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n";
    assert_eq!(n, head.len() + 1000, "head and 1000 of 4096 body bytes");
    let last = calls_of(&events, Op::Read).last().copied().unwrap();
    assert!(matches!(last.error, SslError::Syscall | SslError::Ssl));
    assert!(ios_in(&events, last.id).iter().any(|io| io.is_eof()));
}

#[test]
fn sni_required_refuses_a_hello_without_server_name() {
    let events = trace(Scenario::SniRequired);
    assert_refused_hello(&events, UNRECOGNIZED_NAME);
    let with_name = trace_with(Scenario::SniRequired, |spec| {
        spec.sni = tlsscope::probe::Sni::Name("localhost".into())
    });
    assert_clean(&with_name);
}

#[test]
fn alpn_required_refuses_http11_with_no_application_protocol() {
    let events = trace(Scenario::AlpnRequired);
    assert_refused_hello(&events, NO_APPLICATION_PROTOCOL);
    let h2 = trace_with(Scenario::AlpnRequired, |spec| spec.alpn = vec!["h2".into()]);
    assert_clean(&h2);
    assert_eq!(tls_infos(&h2)[0].alpn.as_deref(), Some("h2"));
    let none = trace_with(Scenario::AlpnRequired, |spec| spec.alpn.clear());
    assert_clean(&none);
}

#[test]
fn version_capped_refuses_a_tls13_only_client() {
    let events = trace(Scenario::VersionCapped);
    assert_refused_hello(&events, PROTOCOL_VERSION);
}

#[test]
fn cipher_mismatch_fails_with_handshake_failure() {
    let events = trace(Scenario::CipherMismatch);
    assert_refused_hello(&events, HANDSHAKE_FAILURE);
}

#[test]
fn client_cert_required_surfaces_at_the_first_ssl_read_in_tls13() {
    let events = trace(Scenario::ClientCertRequired);
    assert_eq!(
        close(&events).reason,
        CloseReason::Failed,
        "{}",
        dump(&events)
    );
    assert_eq!(tls_infos(&events)[0].version, "TLSv1.3");
    let hs = calls_of(&events, Op::DoHandshake);
    assert_eq!(
        hs.last().map(|c| c.error),
        Some(SslError::None),
        "{}",
        dump(&events)
    );
    let all = msgs(&events);
    assert!(has_msg(&all, MsgDir::In, HANDSHAKE, CERTIFICATE_REQUEST));
    assert!(
        all.iter().any(|m| m.dir == MsgDir::Out
            && m.content == HANDSHAKE
            && m.msg_type == CERTIFICATE
            && m.len < 50),
        "an empty Certificate answers the request\n{}",
        dump(&events)
    );
    let reads = calls_of(&events, Op::Read);
    let failed = reads.iter().find(|c| c.error == SslError::Ssl).copied();
    let failed = failed.unwrap_or_else(|| panic!("no failed SSL_read\n{}", dump(&events)));
    assert!(has_in(&events, failed.id, ALERT, CERTIFICATE_REQUIRED));
    assert!(calls_of(&events, Op::Write)
        .iter()
        .all(|c| c.id < failed.id));
}

#[test]
fn client_cert_required_fails_the_handshake_in_tls12() {
    let events = trace(Scenario::ClientCertRequiredTls12);
    assert_eq!(
        close(&events).reason,
        CloseReason::Failed,
        "{}",
        dump(&events)
    );
    let last = calls_of(&events, Op::DoHandshake).last().copied().unwrap();
    assert_eq!(last.error, SslError::Ssl);
    assert!(
        has_in(&events, last.id, ALERT, HANDSHAKE_FAILURE),
        "{}",
        dump(&events)
    );
    assert!(has_msg(
        &msgs(&events),
        MsgDir::In,
        HANDSHAKE,
        CERTIFICATE_REQUEST
    ));
    assert!(calls_of(&events, Op::Read).is_empty());
}

/// `intermittent` answers like `ok` but leaves exactly every 50th accepted connection without an
/// answer: connections made one after another, the 50th waits for its timeout like
/// `no-response`, the 1st to 49th and the 51st are clean.
#[test]
fn intermittent_leaves_every_50th_connection_unanswered() {
    let pki = Pki::shared().expect("lab PKI");
    let server = LabServer::start(
        Scenario::Intermittent,
        "127.0.0.1:0".parse().unwrap(),
        pki.clone(),
    )
    .expect("start lab server");
    let every = tlsscope::lab::scenario::INTERMITTENT_EVERY;
    assert_eq!(every, 50, "README and `lab --list` say every 50th");
    for n in 1..=every + 1 {
        let mut spec = Scenario::Intermittent.client_spec(server.addr(), &pki);
        spec.timeout = Some(std::time::Duration::from_millis(1500));
        let events = run(spec);
        if n == every {
            assert_eq!(
                close(&events).reason,
                CloseReason::Timeout,
                "#{n}\n{}",
                dump(&events)
            );
            assert_eq!(read_bytes(&events), 0, "#{n}");
            assert!(
                calls_of(&events, Op::Write).iter().any(|c| c.bytes() > 50),
                "#{n}: the request was written"
            );
            assert!(waits(&events)
                .iter()
                .any(|w| w.interest == Interest::Read && w.woke == Woke::Timeout));
        } else {
            assert_clean(&events);
            assert!(read_bytes(&events) > 0, "#{n}\n{}", dump(&events));
        }
    }
    assert_eq!(server.accepted(), every + 1, "{:?}", server.notes());
}

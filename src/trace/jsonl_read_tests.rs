//! Tests of reading JSONL traces back: round trips, and bad lines refused with a reason.

use super::super::jsonl::to_line;
use super::*;

fn round_trip(kind: EventKind) {
    let event = Event {
        t: 1234,
        conn: 7,
        kind,
    };
    let back = from_line(&to_line(&event).expect("a trace event")).expect("parses");
    assert_eq!(back, event);
}

#[test]
fn every_kind_round_trips() {
    all_kinds(round_trip);
}

/// One event of every kind (several of some), each handed to `round_trip`; the binary trace's
/// tests take the same list.
pub(crate) fn all_kinds(mut round_trip: impl FnMut(EventKind)) {
    round_trip(EventKind::Phase(Phase::Workload));
    round_trip(EventKind::Call(Call::new(
        3,
        Op::Read,
        -1,
        SslError::WantWrite,
        99,
    )));
    round_trip(EventKind::Io(Io::new(
        Some(3),
        Dir::Write,
        10,
        0,
        true,
        None,
    )));
    round_trip(EventKind::Io(Io::new(
        None,
        Dir::Read,
        5,
        0,
        false,
        Some(104),
    )));
    round_trip(EventKind::Wait(Wait {
        interest: Interest::Write,
        dur: 5,
        woke: Woke::Timeout,
    }));
    round_trip(EventKind::State(State::new(
        Some(1),
        StateText::of_static("SSLv3/TLS write client hello"),
        0x1001,
        0,
    )));
    round_trip(EventKind::Msg(Msg::new(
        Some(2),
        MsgDir::In,
        22,
        24,
        0,
        1,
        5,
    )));
    round_trip(EventKind::Msg(Msg::new(None, MsgDir::Out, 21, 0, 1, 0, 2)));
    // A HelloRetryRequest and a ServerHello: the same type, told apart by the flag.
    round_trip(EventKind::Msg(Msg::new(
        Some(1),
        MsgDir::In,
        22,
        2,
        0,
        1,
        88,
    )));
    round_trip(EventKind::Msg(Msg::new(
        Some(1),
        MsgDir::In,
        22,
        2,
        0,
        0,
        90,
    )));
    round_trip(EventKind::Sock(Box::new(Sock {
        inq: 1,
        outq: 2,
        notsent: 3,
        sndbuf: 4,
        rcvbuf: 5,
        ssl_pending: 6,
        tcp: Some(TcpInfo {
            rtt_us: 7,
            snd_cwnd: 8,
            snd_wnd: 0,
        }),
    })));
    round_trip(EventKind::Tls(Box::new(TlsInfo {
        version: "TLSv1.3".into(),
        cipher: "TLS_AES_256_GCM_SHA384".into(),
        alpn: Some("h2".into()),
        sni: None,
        verify: "ok".into(),
        resumed: true,
        chain: vec![CertInfo {
            subject: "CN=a".into(),
            sha256: "AB".into(),
            ..CertInfo::default()
        }],
        ocsp: None,
        resumption: Some(super::super::resumption::Resumption {
            offered: super::super::resumption::Offered::SessionId,
            from: "connection 1".into(),
            resumed: false,
            why_not: Some("the server rejected it".into()),
        }),
    })));
    let full_cert = CertInfo {
        subject: "CN=leaf".into(),
        issuer: "CN=Inter".into(),
        sans: vec!["a.example".into(), "127.0.0.1".into()],
        sig_alg: "ecdsa-with-SHA256".into(),
        key_usage: vec!["digitalSignature".into(), "serverAuth".into()],
        ocsp_urls: vec!["http://ocsp.example".into()],
        ca_issuers: vec!["http://ca.example/i.der".into()],
        ..CertInfo::default()
    };
    round_trip(EventKind::Tls(Box::new(TlsInfo {
        version: "TLSv1.2".into(),
        chain: vec![full_cert.clone()],
        ocsp: Some(super::super::chain::Ocsp {
            status: "revoked".into(),
            produced_at: Some("Jan  1 00:00:00 2026 GMT".into()),
            revoked_at: Some("Jan  1 00:00:00 2025 GMT".into()),
            verified: Some("verified".into()),
            ..Default::default()
        }),
        ..TlsInfo::default()
    })));
    round_trip(EventKind::Chain(Box::new(super::super::chain::ChainInfo {
        host: Some("localhost".into()),
        failure: Some(super::super::chain::VerifyError {
            depth: 0,
            code: 20,
            reason: "unable to get local issuer certificate".into(),
            subject: "CN=leaf".into(),
            sha256: "AB".into(),
        }),
        certs: vec![full_cert],
    })));
    round_trip(EventKind::Connected(Box::new(Endpoints {
        local: "127.0.0.1:1".parse().expect("addr"),
        peer: "[::1]:443".parse().expect("addr"),
    })));
    round_trip(EventKind::Program(Box::new(Program {
        exe: "/usr/bin/curl".into(),
        pid: 4242,
        tid: 4243,
        ssl: 0x559e_d691_4b40,
    })));
    for reason in CloseReason::ALL {
        round_trip(EventKind::Close(Close {
            reason,
            notify_sent: true,
            notify_received: false,
            workload_done: true,
        }));
    }
    round_trip(EventKind::Error("peer closed".into()));
    for dir in PlainDir::ALL {
        round_trip(EventKind::Plain(Box::new(Plain::new(
            dir,
            "250-STARTTLS \u{1b}",
        ))));
    }
    round_trip(EventKind::Dropped { count: 3 });
    round_trip(EventKind::Paused(Paused { dur: 2_500_000 }));
    round_trip(EventKind::Setup(Box::new(Setup {
        target: "example.com:443".into(),
        sni: Some("example.com".into()),
        alpn: vec!["h2".into(), "http/1.1".into()],
        version_min: "TLSv1.2".into(),
        version_max: "TLSv1.3".into(),
        ciphers_tls12: 30,
        ciphers_tls13: 3,
        client_cert: true,
        verify: true,
        auto_retry: false,
        http_get: Some("/".into()),
        send_bytes: 0,
        upload_bytes: 1 << 20,
        read_for: Some(2_000_000_000),
        epoch_unix_ns: Some(1_760_000_000_123_456_789),
    })));
    round_trip(EventKind::Http(Box::new(HttpResponse {
        status: 413,
        head_bytes: 80,
        content_length: Some(20),
        chunked: false,
        close: true,
        received: 100,
        complete: true,
    })));
    round_trip(EventKind::Verdict(Box::new(
        crate::trace::verdict::Verdict {
            class: crate::trace::verdict::Class::WriteDeadlock,
            summary: "We wait to write; the peer waits to write to us.".into(),
            evidence: vec![crate::trace::verdict::Evidence {
                text: "receive queue 115 KiB of 128 KiB".into(),
                call: Some(9),
                t: Some(77),
            }],
            next_user: vec!["read while writing".into()],
            next_code: vec!["poll for both".into()],
            breakdown: crate::trace::verdict::Breakdown {
                wait_write: 5,
                total: 9,
                tcp_rtt_to_proxy: true,
                ..Default::default()
            },
            focus: Some(9),
        },
    )));
    round_trip(EventKind::Timing(Box::new(crate::trace::timing::Timing {
        start: 1_000,
        total: 90_000,
        steps: vec![
            crate::trace::timing::Span {
                step: crate::trace::timing::Step::Connect,
                start: 10,
                dur: 300,
                done: true,
            },
            crate::trace::timing::Span {
                step: crate::trace::timing::Step::FirstByte,
                start: 400,
                dur: 80_000,
                done: false,
            },
        ],
        round_trips: vec![crate::trace::timing::RoundTrip {
            start: 350,
            dur: 40,
        }],
        round_trip_count: 1,
        app_out: 95,
        app_in: 0,
        sock_out: 500,
        sock_in: 900,
        closed: true,
    })));
}

#[test]
fn bad_lines_say_which_and_why() {
    let err =
        from_text("\n{\"t\":1,\"conn\":1,\"kind\":\"phase\",\"phase\":\"resolve\"}\n{\"t\":1}\n")
            .unwrap_err();
    assert_eq!(err, "line 3: missing field `conn`");
    assert!(from_line("not json").unwrap_err().starts_with("not JSON"));
    assert_eq!(
        from_line(r#"{"t":1,"conn":1,"kind":"bogus"}"#).unwrap_err(),
        "unknown kind \"bogus\""
    );
    let err = from_line(
        r#"{"t":1,"conn":1,"kind":"call","id":1,"op":"SSL_nope","ret":1,"error":"NONE","dur":1,"bytes":0}"#,
    );
    assert_eq!(err.unwrap_err(), "unknown op \"SSL_nope\"");
    assert!(from_line(r#"{"t":-5,"conn":1,"kind":"phase","phase":"resolve"}"#).is_err());
}

/// Regression (found by tests/fuzz_trace.rs): a call ending past u64::MAX overflowed the
/// analysis; times and durations beyond MAX_NANOS are refused when read.
#[test]
fn times_and_durations_past_the_bound_are_refused() {
    let far = r#"{"t":18446744073709551615,"conn":1,"kind":"phase","phase":"resolve"}"#;
    assert!(from_line(far).unwrap_err().contains("field `t`"));
    let long = format!(
        r#"{{"t":1,"conn":1,"kind":"wait","for":"read","dur":{},"woke":"readable"}}"#,
        MAX_NANOS + 1
    );
    assert!(from_line(&long).unwrap_err().contains("field `dur`"));
    let at_bound = format!(
        r#"{{"t":{MAX_NANOS},"conn":1,"kind":"wait","for":"read","dur":{MAX_NANOS},"woke":"readable"}}"#
    );
    assert!(from_line(&at_bound).is_ok());
}

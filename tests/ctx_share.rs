//! Connections on one engine share a client context only when their context options are the
//! same: each gets the ALPN, cipher suites and trust store it asked for, whatever came before
//! it, and none is ever resumed from another's session. Against `openssl s_server`, which
//! issues session tickets and picks ALPN from what the client offers.

mod common;

use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tlsscope::lab::Pki;
use tlsscope::probe::{ConnectSpec, Engine, EngineOptions, Sni, TlsVersion};
use tlsscope::trace::*;

/// Runs `specs` one after another on one engine; every connection's events, by id.
fn run_in_turn(specs: &[ConnectSpec]) -> Vec<Vec<Event>> {
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let mut by_conn: HashMap<ConnId, Vec<Event>> = HashMap::new();
    let mut ids = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for spec in specs {
        let id = engine.connect(spec.clone());
        ids.push(id);
        let mut closed = false;
        while !closed {
            assert!(
                Instant::now() < deadline,
                "connections did not close in 60 s"
            );
            let Ok(batch) = engine.events().recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            for e in batch {
                closed |= e.conn == id && matches!(e.kind, EventKind::Close(_));
                by_conn.entry(e.conn).or_default().push(e);
            }
        }
    }
    ids.iter()
        .map(|id| by_conn.remove(id).unwrap_or_default())
        .collect()
}

fn spec(server: &SServer, alpn: &str, suite: &str) -> ConnectSpec {
    let mut spec = lab_trusting_spec(server.target());
    spec.sni = Sni::Name("localhost".into());
    spec.tls_min = Some(TlsVersion::Tls13);
    spec.alpn = vec![alpn.to_string()];
    spec.ciphersuites = Some(suite.to_string());
    spec
}

fn setup(events: &[Event]) -> Setup {
    picked(events, |k| match k {
        EventKind::Setup(s) => Some((**s).clone()),
        _ => None,
    })
    .remove(0)
}

#[test]
fn each_connection_gets_its_own_options_and_none_resumes() {
    let server = SServer::start(&["-alpn", "h2,http/1.1", "-tls1_3"]);
    let aes = "TLS_AES_128_GCM_SHA256";
    let chacha = "TLS_CHACHA20_POLY1305_SHA256";
    let other_pki = Pki::generate().expect("a second PKI");
    let mut distrusting = spec(&server, "h2", aes);
    distrusting.ca_pem = Some(other_pki.ca_pem());
    let mut both_suites = spec(&server, "h2", aes);
    both_suites.ciphersuites = Some(format!("{aes}:{chacha}"));
    let specs = [
        spec(&server, "h2", aes),
        spec(&server, "http/1.1", chacha),
        spec(&server, "h2", aes),
        distrusting,
        spec(&server, "h2", aes),
        both_suites,
        spec(&server, "http/1.1", chacha),
    ];
    let runs = run_in_turn(&specs);
    // What each connection asked for: (ALPN, cipher, verified, TLS 1.3 suites offered).
    let expected = [
        ("h2", aes, true, 1),
        ("http/1.1", chacha, true, 1),
        ("h2", aes, true, 1),
        ("h2", aes, false, 1),
        ("h2", aes, true, 1),
        ("h2", aes, true, 2),
        ("http/1.1", chacha, true, 1),
    ];
    for (i, (events, (alpn, cipher, verified, suites))) in runs.iter().zip(expected).enumerate() {
        assert_eq!(setup(events).ciphers_tls13, suites, "connection {i}");
        if !verified {
            // The other CA did not sign the server's chain: refused, whoever came before.
            assert!(
                tls_infos(events).is_empty(),
                "connection {i}: {}",
                dump(events)
            );
            let why = error_message(events).unwrap_or_default();
            assert!(why.contains("certificate"), "connection {i}: {why}");
            continue;
        }
        let infos = tls_infos(events);
        let tls = infos.first().unwrap_or_else(|| panic!("{}", dump(events)));
        assert_eq!(tls.alpn.as_deref(), Some(alpn), "connection {i}");
        assert_eq!(tls.cipher, cipher, "connection {i}");
        assert_eq!(tls.verify, "ok", "connection {i}");
        assert!(!tls.resumed, "connection {i} was resumed");
        assert_eq!(close(events).reason, CloseReason::Clean, "connection {i}");
    }
}

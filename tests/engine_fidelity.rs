//! What the verdict analysis needs from the engine: waits that ended by our own choice, our side
//! of the negotiation (`setup`), HTTP response framing, and buffer levels sampled during waits.

mod common;

use common::*;
use std::time::Duration;
use tlsscope::lab::{LabServer, Pki, Scenario};
use tlsscope::probe::{ConnectSpec, Sni, Target, TlsVersion};
use tlsscope::trace::*;

fn lab(scenario: Scenario) -> (LabServer, ConnectSpec) {
    let pki = Pki::shared().expect("lab PKI");
    let listen = "127.0.0.1:0".parse().expect("addr");
    let server = LabServer::start(scenario, listen, pki.clone()).expect("lab server");
    let spec = scenario.client_spec(server.addr(), &pki);
    (server, spec)
}

fn waits(events: &[Event]) -> Vec<(Nanos, Wait)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wait(w) => Some((e.t, w)),
            _ => None,
        })
        .collect()
}

fn setups(events: &[Event]) -> Vec<Setup> {
    picked(events, |k| match k {
        EventKind::Setup(s) => Some((**s).clone()),
        _ => None,
    })
}

#[test]
fn read_for_and_the_shutdown_grace_elapse_they_do_not_time_out() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_millis(300));
    spec.timeout = Some(Duration::from_secs(20));
    let events = run(spec);
    let waits = waits(&events);
    assert!(
        waits
            .iter()
            .any(|(_, w)| w.interest == Interest::Read && w.woke == Woke::Elapsed),
        "{}",
        dump(&events)
    );
    assert!(
        waits.iter().all(|(_, w)| w.woke != Woke::Timeout),
        "{}",
        dump(&events)
    );
    assert_eq!(
        close(&events).reason,
        CloseReason::Clean,
        "{}",
        dump(&events)
    );
}

#[test]
fn the_whole_connection_deadline_is_a_timeout() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_secs(20));
    spec.timeout = Some(Duration::from_secs(1));
    let events = run(spec);
    let waits = waits(&events);
    assert_eq!(
        waits.last().map(|(_, w)| w.woke),
        Some(Woke::Timeout),
        "{}",
        dump(&events)
    );
    assert!(waits.iter().all(|(_, w)| w.woke != Woke::Elapsed));
    assert_eq!(close(&events).reason, CloseReason::Timeout);
}

#[test]
fn setup_comes_first_and_says_what_the_client_hello_offers() {
    // Nothing listens on port 1: the setup is recorded even when the connection fails.
    let mut spec = ConnectSpec::new(Target::parse("127.0.0.1:1").expect("target"));
    spec.alpn = vec!["h2".into(), "http/1.1".into()];
    spec.workload.send = Some(b"ping\n".to_vec());
    spec.workload.read_for = Some(Duration::from_millis(1500));
    spec.auto_retry = false;
    let events = run(spec);
    assert!(
        matches!(events.first().map(|e| &e.kind), Some(EventKind::Setup(_))),
        "{}",
        dump(&events)
    );
    let setup = &setups(&events)[0];
    assert_eq!(setups(&events).len(), 1);
    assert_eq!(setup.target, "127.0.0.1:1");
    assert_eq!(setup.sni, None, "no SNI for an IP literal");
    assert_eq!(setup.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
    assert_eq!(setup.version_max, "TLSv1.3");
    assert!(setup.version_min.starts_with("TLSv1"), "{setup:?}");
    assert!(
        setup.ciphers_tls12 > 0 && setup.ciphers_tls13 > 0,
        "{setup:?}"
    );
    assert!(setup.verify && !setup.auto_retry && !setup.client_cert);
    assert_eq!(setup.send_bytes, 5);
    assert_eq!(setup.read_for, Some(1_500_000_000));
    assert_eq!(setup.http_get, None);
}

#[test]
fn setup_counts_the_ciphers_actually_offered() {
    let (_ok, mut spec) = lab(Scenario::Ok);
    spec.tls_min = Some(TlsVersion::Tls12);
    spec.tls_max = Some(TlsVersion::Tls12);
    spec.ciphers = Some("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384".into());
    spec.sni = Sni::Name("localhost".into());
    let events = run(spec);
    let setup = &setups(&events)[0];
    assert_eq!(
        (setup.ciphers_tls12, setup.ciphers_tls13),
        (2, 0),
        "{setup:?}"
    );
    assert_eq!(
        (setup.version_min.as_str(), setup.version_max.as_str()),
        ("TLSv1.2", "TLSv1.2")
    );
    assert_eq!(setup.sni.as_deref(), Some("localhost"));
    assert_eq!(setup.http_get.as_deref(), Some("/"));
    let first_call = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Call(_)));
    let setup_at = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Setup(_)));
    assert!(setup_at < first_call, "{}", dump(&events));
    assert_eq!(
        close(&events).reason,
        CloseReason::Clean,
        "{}",
        dump(&events)
    );
}

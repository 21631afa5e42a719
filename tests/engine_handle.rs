//! The engine's handle: several connections on one I/O thread, stopping one, and live
//! post-handshake actions, against the lab's peers.

mod common;

use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tlsscope::lab::{LabServer, Pki, Scenario};
use tlsscope::probe::{Action, ConnectSpec, Engine, EngineOptions};
use tlsscope::trace::*;

fn lab(scenario: Scenario) -> (LabServer, ConnectSpec) {
    let pki = Pki::shared().expect("lab PKI");
    let listen = "127.0.0.1:0".parse().expect("addr");
    let server = LabServer::start(scenario, listen, pki.clone()).expect("lab server");
    let spec = scenario.client_spec(server.addr(), &pki);
    (server, spec)
}

/// Collects events per connection until every one of `ids` closed (bounded by 30 s), calling
/// `react` on each event so a test can command the engine mid-flight.
fn collect(
    engine: &Engine,
    ids: &[ConnId],
    mut react: impl FnMut(&Event),
) -> HashMap<ConnId, Vec<Event>> {
    let mut by_conn: HashMap<ConnId, Vec<Event>> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(batch) = engine.events().recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        for e in batch {
            react(&e);
            by_conn.entry(e.conn).or_default().push(e);
        }
        let closed = |id: &ConnId| {
            by_conn
                .get(id)
                .is_some_and(|evs| evs.iter().any(|e| matches!(e.kind, EventKind::Close(_))))
        };
        if ids.iter().all(closed) {
            return by_conn;
        }
    }
    panic!("not every connection closed within 30 s");
}

/// Collects `id`'s events until it closed, calling `act` once, the first time SSL_read returns
/// `error`; also says whether that happened.
fn on_first_read(
    engine: &Engine,
    id: ConnId,
    error: SslError,
    act: impl FnOnce(&Engine),
) -> (HashMap<ConnId, Vec<Event>>, bool) {
    let mut act = Some(act);
    let events = collect(engine, &[id], |e| {
        if matches!(e.kind, EventKind::Call(c) if c.op == Op::Read && c.error == error) {
            if let Some(act) = act.take() {
                act(engine);
            }
        }
    });
    (events, act.is_none())
}

#[test]
fn one_engine_drives_several_connections_at_once() {
    let (_ok, ok_spec) = lab(Scenario::Ok);
    let (_reneg, reneg_spec) = lab(Scenario::Renegotiate);
    let (_silent, mut silent_spec) = lab(Scenario::Silent);
    silent_spec.workload.read_for = Some(Duration::from_millis(300));
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let ids = [
        engine.connect(ok_spec),
        engine.connect(reneg_spec),
        engine.connect(silent_spec),
    ];
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        3,
        "distinct ids"
    );
    let events = collect(&engine, &ids, |_| {});
    for id in ids {
        let evs = &events[&id];
        assert_eq!(
            close(evs).reason,
            CloseReason::Clean,
            "conn {id}:\n{}",
            dump(evs)
        );
        let call_ids: Vec<CallId> = calls(evs).iter().map(|c| c.id).collect();
        let mut sorted = call_ids.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (1..=call_ids.len() as CallId).collect::<Vec<_>>(),
            "call ids per connection"
        );
    }
    // Each connection's own signature, although they ran interleaved on one thread.
    let reneg = &events[&ids[1]];
    assert!(calls(reneg).iter().any(|c| c.op == Op::Read
        && has_msg(&msgs_in(reneg, c.id), MsgDir::Out, HANDSHAKE, CLIENT_HELLO)));
    let silent = &events[&ids[2]];
    assert!(calls(silent)
        .iter()
        .filter(|c| c.op == Op::Read)
        .all(|c| c.bytes() == 0));
}

#[test]
fn stop_ends_a_stalled_connection_with_the_wait_it_interrupted() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_secs(20));
    spec.timeout = Some(Duration::from_secs(25));
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    let (events, _) = on_first_read(&engine, id, SslError::WantRead, |e| e.stop(id));
    let evs = &events[&id];
    assert_eq!(close(evs).reason, CloseReason::Stopped, "{}", dump(evs));
    assert!(
        evs.iter().any(|e| matches!(e.kind, EventKind::Wait(w) if w.woke == Woke::Command && w.interest == Interest::Read)),
        "{}",
        dump(evs)
    );
}

#[test]
fn a_live_key_update_interrupts_the_read_wait_and_is_sent() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_secs(1));
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    let (events, _) = on_first_read(&engine, id, SslError::WantRead, |e| {
        e.action(id, Action::KeyUpdate)
    });
    let evs = &events[&id];
    assert!(
        calls(evs)
            .iter()
            .any(|c| c.op == Op::KeyUpdate && c.ret == 1),
        "{}",
        dump(evs)
    );
    assert!(
        has_msg(&msgs(evs), MsgDir::Out, HANDSHAKE, KEY_UPDATE),
        "{}",
        dump(evs)
    );
    assert!(evs
        .iter()
        .any(|e| matches!(e.kind, EventKind::Wait(w) if w.woke == Woke::Command)));
    assert_eq!(close(evs).reason, CloseReason::Clean, "{}", dump(evs));
}

#[test]
fn recording_off_keeps_only_connection_level_events() {
    let (_ok, spec) = lab(Scenario::Ok);
    let engine = Engine::start(EngineOptions {
        connection_events_only: true,
        ..Default::default()
    })
    .expect("engine");
    let id = engine.connect(spec);
    let events = collect(&engine, &[id], |_| {});
    let evs = &events[&id];
    assert_eq!(close(evs).reason, CloseReason::Clean);
    assert_eq!(tls_infos(evs).len(), 1);
    assert!(evs.iter().all(|e| !matches!(
        e.kind,
        EventKind::Call(_)
            | EventKind::Io(_)
            | EventKind::State(_)
            | EventKind::Msg(_)
            | EventKind::Sock(_)
            | EventKind::Wait(_)
    )));
}

/// Regression: an action asked for while SSL_read is still writing a handshake flight (it
/// returned WANT_WRITE) used to interrupt that retry and fail with "KeyUpdate refused".
#[test]
fn an_action_waits_for_a_read_that_is_still_writing_a_flight() {
    let (_server, spec) = lab(Scenario::PostHandshakeAuth);
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    let (events, asked) = on_first_read(&engine, id, SslError::WantWrite, |e| {
        e.action(id, Action::KeyUpdate)
    });
    let evs = &events[&id];
    assert!(
        asked,
        "the scenario makes SSL_read return WANT_WRITE:\n{}",
        dump(evs)
    );
    assert_eq!(close(evs).reason, CloseReason::Clean, "{}", dump(evs));
    let key_update = calls(evs)
        .into_iter()
        .find(|c| c.op == Op::KeyUpdate)
        .expect("the action ran");
    assert_eq!({ key_update.ret }, 1);
    assert!(
        has_msg(&msgs(evs), MsgDir::Out, HANDSHAKE, 11),
        "the Certificate flight went out first"
    );
}

/// Regression: a live renegotiation while the server keeps sending used SSL_do_handshake, which
/// aborts with unexpected_message when application data arrives; SSL_read now drives it.
#[test]
fn a_live_renegotiation_is_driven_by_ssl_read_while_data_flows() {
    let mut server = SServer::start(&["-tls1_2", "-client_renegotiation"]);
    let mut spec = lab_trusting_spec(server.target());
    spec.tls_max = Some(tlsscope::probe::TlsVersion::Tls12);
    spec.workload.send = Some(b"hello\n".to_vec());
    spec.workload.read_for = Some(Duration::from_secs(2));
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    let (mut asked, mut typed) = (false, false);
    let events = collect(&engine, &[id], |e| {
        if !typed && matches!(e.kind, EventKind::Tls(_)) {
            typed = true;
            // s_server sends each line typed on its stdin: data keeps arriving.
            server.type_repeatedly("some data from the server");
        }
        if !asked && matches!(e.kind, EventKind::Call(c) if c.op == Op::Read && c.bytes() > 0) {
            asked = true;
            engine.action(id, Action::Renegotiate);
        }
    });
    let evs = &events[&id];
    assert!(asked, "{}", dump(evs));
    assert_eq!(close(evs).reason, CloseReason::Clean, "{}", dump(evs));
    assert!(calls(evs)
        .iter()
        .any(|c| c.op == Op::Renegotiate && c.ret == 1));
    let reneg_hello = calls(evs).into_iter().any(|c| {
        c.op == Op::Read && has_msg(&msgs_in(evs, c.id), MsgDir::Out, HANDSHAKE, CLIENT_HELLO)
    });
    assert!(
        reneg_hello,
        "SSL_read wrote the renegotiation ClientHello:\n{}",
        dump(evs)
    );
    assert!(tls_infos(evs).len() >= 2, "{}", dump(evs));
}

#[test]
fn a_stopped_connection_starts_no_reconnect_follow_up() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_secs(20));
    spec.timeout = Some(Duration::from_secs(25));
    spec.session.reconnect = 2;
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    let (events, _) = on_first_read(&engine, id, SslError::WantRead, |e| e.stop(id));
    assert_eq!(close(&events[&id]).reason, CloseReason::Stopped);
    // Anything a follow-up recorded would arrive right after the close.
    let later = engine.events().recv_timeout(Duration::from_millis(500));
    let others: Vec<_> = later
        .into_iter()
        .flatten()
        .chain(events.into_values().flatten())
        .filter(|e| e.conn != id)
        .collect();
    assert!(others.is_empty(), "a follow-up started: {others:?}");
}

/// Regression (CI, stop 16): dropping the handle while nobody reads and the queue is full hung
/// for ever: the shutdown's own last events waited for room, and for a shutdown already taken.
#[test]
fn dropping_the_handle_with_a_full_queue_ends_the_io_thread() {
    let certs = cert_files();
    let peer = common::bounded::PyPeer::tls("firehose", &certs.cert, &certs.key);
    let mut spec =
        lab_trusting_spec(tlsscope::probe::Target::parse(&peer.target()).expect("target"));
    spec.workload.send = Some(b"go\n".to_vec());
    spec.workload.read_for = Some(Duration::from_secs(30));
    spec.timeout = None;
    let engine = Engine::start(EngineOptions::default()).expect("engine");
    let id = engine.connect(spec);
    // Read until data flows, then stop reading: the queue fills and the I/O thread pauses.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut reading = false;
    while !reading && Instant::now() < deadline {
        let Ok(batch) = engine.events().recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        reading = batch.iter().any(|e| {
            e.conn == id && matches!(e.kind, EventKind::Call(c) if c.op == Op::Read && c.ret > 0)
        });
    }
    assert!(reading, "the firehose never delivered data");
    std::thread::sleep(Duration::from_secs(2));
    // Make room for one batch and leave at once: the I/O thread hands one over, drives on, and
    // meets the shutdown with the queue full again.
    let _ = engine.events().recv_timeout(Duration::from_secs(1));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(engine);
        let _ = done_tx.send(());
    });
    assert!(
        done_rx.recv_timeout(Duration::from_secs(20)).is_ok(),
        "dropping the engine did not return: its I/O thread hung"
    );
}

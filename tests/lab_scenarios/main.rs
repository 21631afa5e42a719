//! Every lab scenario, traced by the engine with the scenario's own client defaults, shows its
//! documented signature in the recorded events (asserted on what happened, not on timing). The
//! helpers are here; the tests are by family in `classic` and `second_wave`.

mod classic;
#[path = "../common/mod.rs"]
mod common;
mod second_wave;

pub(crate) use common::*;
pub(crate) use tlsscope::lab::{LabServer, Pki, Scenario};
pub(crate) use tlsscope::probe::ConnectSpec;
pub(crate) use tlsscope::trace::*;

pub(crate) const ALERT: u8 = 21;
const CERTIFICATE: u8 = 11;
const CERTIFICATE_REQUEST: u8 = 13;

/// Starts `scenario`, lets `adjust` change the client defaults, traces one connection.
fn trace_with(scenario: Scenario, adjust: impl FnOnce(&mut ConnectSpec)) -> Vec<Event> {
    let pki = Pki::shared().expect("lab PKI");
    let server = LabServer::start(scenario, "127.0.0.1:0".parse().unwrap(), pki.clone())
        .expect("start lab server");
    let mut spec = scenario.client_spec(server.addr(), &pki);
    adjust(&mut spec);
    let events = run(spec);
    drop(server);
    events
}

fn trace(scenario: Scenario) -> Vec<Event> {
    trace_with(scenario, |_| {})
}

fn calls_of(events: &[Event], op: Op) -> Vec<Call> {
    calls(events).into_iter().filter(|c| c.op == op).collect()
}

fn waits(events: &[Event]) -> Vec<Wait> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wait(w) => Some(w),
            _ => None,
        })
        .collect()
}

fn socks(events: &[Event]) -> Vec<Sock> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Sock(s) => Some(**s),
            _ => None,
        })
        .collect()
}

fn has_in(events: &[Event], call: CallId, content: u8, msg_type: u8) -> bool {
    has_msg(&msgs_in(events, call), MsgDir::In, content, msg_type)
}

fn has_out(events: &[Event], call: CallId, content: u8, msg_type: u8) -> bool {
    has_msg(&msgs_in(events, call), MsgDir::Out, content, msg_type)
}

fn fatal_alert(events: &[Event], dir: MsgDir, description: u8) -> bool {
    msgs(events)
        .iter()
        .any(|m| m.dir == dir && m.content == ALERT && m.msg_type == description && m.level == 2)
}

fn read_bytes(events: &[Event]) -> u32 {
    calls_of(events, Op::Read).iter().map(|c| c.bytes()).sum()
}

fn assert_clean(events: &[Event]) {
    let c = close(events);
    assert_eq!(c.reason, CloseReason::Clean, "{}", dump(events));
    assert!(c.notify_sent && c.notify_received, "{}", dump(events));
    assert!(c.workload_done, "{}", dump(events));
}

#[test]
fn every_scenario_survives_a_client_that_gives_up_early() {
    let pki = Pki::shared().expect("lab PKI");
    for scenario in Scenario::ALL {
        let server = LabServer::start(scenario, "127.0.0.1:0".parse().unwrap(), pki.clone())
            .expect("start lab server");
        for timeout_ms in [300, 20_000] {
            let mut spec = scenario.client_spec(server.addr(), &pki);
            if timeout_ms < 1000 {
                spec.timeout = Some(std::time::Duration::from_millis(timeout_ms));
            }
            // `run` fails the test if the connection does not close within 30 s.
            let events = run(spec);
            assert!(matches!(
                events.last().map(|e| &e.kind),
                Some(EventKind::Close(_))
            ));
        }
        assert_eq!(server.accepted(), 2, "{scenario}: {:?}", server.notes());
    }
}

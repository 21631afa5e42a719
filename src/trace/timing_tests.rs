use super::*;
use crate::trace::store::fixtures::{call, ev, read};
use crate::trace::verdict::Facts;

fn phase(t: Nanos, p: Phase) -> Event {
    ev(t, EventKind::Phase(p))
}

fn msg(t: Nanos, dir: MsgDir, msg_type: u8) -> Event {
    ev(
        t,
        EventKind::Msg(Msg::new(Some(1), dir, 22, msg_type, 0, 0, 100)),
    )
}

fn connected(t: Nanos) -> Event {
    let addr: std::net::SocketAddr = "127.0.0.1:1".parse().expect("an address");
    ev(
        t,
        EventKind::Connected(Box::new(Endpoints {
            local: addr,
            peer: addr,
        })),
    )
}

fn close(t: Nanos, reason: CloseReason) -> Event {
    ev(
        t,
        EventKind::Close(Close {
            reason,
            notify_sent: reason == CloseReason::Clean,
            notify_received: reason == CloseReason::Clean,
            workload_done: reason == CloseReason::Clean,
        }),
    )
}

fn write(t: Nanos, id: CallId, dur: Nanos, bytes: u32) -> Event {
    let ret = i32::try_from(bytes).unwrap_or(i32::MAX);
    ev(
        t,
        EventKind::Call(Call::new(id, Op::Write, ret, SslError::None, dur)),
    )
}

fn io(t: Nanos, dir: Dir, got: u32) -> Event {
    ev(t, crate::trace::store::fixtures::io(1, dir, got, false))
}

/// A whole HTTP exchange, shaped as the engine writes it (a call after the events inside it).
fn http_exchange() -> Vec<Event> {
    vec![
        ev(100, EventKind::Setup(Box::default())),
        phase(110, Phase::Resolve),
        phase(200, Phase::Connect),
        connected(500),
        phase(600, Phase::Handshake),
        msg(620, MsgDir::Out, 1),
        io(630, Dir::Write, 315),
        ev(610, call(1, Op::DoHandshake, SslError::WantRead, 40)),
        io(900, Dir::Read, 1200),
        msg(910, MsgDir::In, 2),
        msg(920, MsgDir::In, 20),
        msg(950, MsgDir::Out, 20),
        io(960, Dir::Write, 80),
        ev(890, call(2, Op::DoHandshake, SslError::None, 80)),
        ev(980, EventKind::Tls(Box::default())),
        phase(1000, Phase::Workload),
        io(1010, Dir::Write, 117),
        write(1005, 3, 20, 95),
        ev(1030, read(4, SslError::WantRead, 10, 0)),
        ev(1400, read(5, SslError::None, 30, 100)),
        ev(1500, read(6, SslError::None, 50, 39)),
        ev(1600, read(7, SslError::ZeroReturn, 5, 0)),
        phase(1700, Phase::Shutdown),
        close(1800, CloseReason::Clean),
    ]
}

/// Each step as (step, start, duration, done), for comparing with a literal.
fn steps(t: &Timing) -> Vec<(Step, Nanos, Nanos, bool)> {
    t.steps
        .iter()
        .map(|s| (s.step, s.start, s.dur, s.done))
        .collect()
}

#[test]
fn an_http_exchange_has_every_step_in_order_from_the_connections_start() {
    let events = http_exchange();
    let t = of_events(&events);
    assert_eq!(t.start, 100, "the first event");
    assert_eq!(t.total, 1700);
    assert!(t.closed);
    let got = steps(&t);
    assert_eq!(
        got,
        [
            (Step::Resolve, 10, 90, true),
            (Step::Connect, 100, 300, true),
            (Step::Handshake, 500, 380, true),
            (Step::Request, 900, 25, true),
            (Step::FirstByte, 925, 405, true),
            (Step::LastByte, 1330, 120, true),
            (Step::Close, 1600, 100, true),
        ]
    );
    assert_eq!(
        t.round_trips,
        [RoundTrip {
            start: 520,
            dur: 290
        }]
    );
    assert_eq!(t.round_trip_count, 1);
    assert_eq!((t.app_out, t.app_in), (95, 139));
    assert_eq!((t.sock_out, t.sock_in), (315 + 80 + 117, 1200));
    // The verdict counts the same round trips.
    let mut facts = Facts::new(1);
    events.iter().for_each(|e| facts.feed(e));
    assert_eq!(facts.round_trips, t.round_trip_count);
    // Steps never overlap backwards: each starts at or after the previous one.
    assert!(t.steps.windows(2).all(|w| w[0].start <= w[1].start));
}

#[test]
fn a_failed_connect_has_only_the_steps_it_reached() {
    let t = of_events(&[
        ev(0, EventKind::Setup(Box::default())),
        phase(10, Phase::Resolve),
        phase(40, Phase::Connect),
        ev(900, EventKind::Error("TCP connect failed".into())),
        close(900, CloseReason::Failed),
    ]);
    let got = steps(&t);
    assert_eq!(
        got,
        [
            (Step::Resolve, 10, 30, true),
            (Step::Connect, 40, 860, false)
        ]
    );
    assert_eq!(t.round_trip_count, 0);
    assert!(crate::trace::timing_text::lines(&t)[1].ends_with("did not finish"));
}

#[test]
fn proxy_and_starttls_steps_sit_between_connect_and_handshake() {
    let t = of_events(&[
        phase(0, Phase::Resolve),
        phase(10, Phase::Connect),
        connected(20),
        phase(25, Phase::Proxy),
        phase(60, Phase::Starttls),
        phase(90, Phase::Handshake),
        close(95, CloseReason::Timeout),
    ]);
    let got = steps(&t);
    assert_eq!(
        got,
        [
            (Step::Resolve, 0, 10, true),
            (Step::Connect, 10, 10, true),
            (Step::Proxy, 25, 35, true),
            (Step::Starttls, 60, 30, true),
            (Step::Handshake, 90, 5, false),
        ]
    );
}

#[test]
fn a_request_never_answered_waits_until_the_close_and_says_so() {
    let mut events = http_exchange();
    events.truncate(18); // up to the request's write
    events.push(ev(1030, read(4, SslError::WantRead, 10, 0)));
    events.push(ev(
        1040,
        EventKind::Wait(Wait {
            interest: Interest::Read,
            dur: 5000,
            woke: Woke::Timeout,
        }),
    ));
    events.push(close(6040, CloseReason::Timeout));
    let t = of_events(&events);
    let wait = t.step(Step::FirstByte).expect("a wait for the first byte");
    assert_eq!((wait.start, wait.dur, wait.done), (925, 6040 - 1025, false));
    assert!(t.step(Step::LastByte).is_none());
    assert!(t.step(Step::Close).is_none(), "no shutdown");
    assert_eq!(t.total, 5940);
}

#[test]
fn a_connection_still_open_is_measured_to_now() {
    let mut fold = TimingFold::new();
    for e in &http_exchange()[..18] {
        fold.feed(e);
    }
    fold.feed(&ev(1030, read(4, SslError::WantRead, 10, 0)));
    let t = fold.timing(3000);
    assert!(!t.closed);
    assert_eq!(t.total, 2900);
    let wait = t.step(Step::FirstByte).expect("waiting");
    assert_eq!((wait.end(), wait.done), (2900, false));
    assert!(crate::trace::timing_text::summary(&t).contains("so far"));
    // A `now` before the last event does not shrink it.
    assert_eq!(fold.timing(0).total, 1030 + 10 - 100);
}

#[test]
fn an_action_before_the_workload_ends_at_the_first_read_or_write() {
    let t = of_events(&[
        phase(0, Phase::Handshake),
        ev(50, EventKind::Tls(Box::default())),
        phase(60, Phase::Action),
        ev(61, call(3, Op::KeyUpdate, SslError::None, 1)),
        ev(70, call(4, Op::DoHandshake, SslError::None, 5)),
        write(80, 5, 10, 20),
        phase(100, Phase::Shutdown),
        close(110, CloseReason::Clean),
    ]);
    let actions = t.step(Step::Actions).expect("actions");
    assert_eq!((actions.start, actions.dur, actions.done), (60, 20, true));
    let request = t.step(Step::Request).expect("the request");
    assert_eq!((request.start, request.dur), (80, 10));
    assert!(t.step(Step::FirstByte).is_none(), "nothing was read");
}

#[test]
fn round_trips_are_counted_all_and_kept_bounded() {
    let mut fold = TimingFold::new();
    fold.feed(&phase(0, Phase::Handshake));
    for i in 0..1000u64 {
        fold.feed(&msg(10 * i, MsgDir::Out, 1));
        fold.feed(&msg(10 * i + 5, MsgDir::In, 2));
    }
    let t = fold.timing(0);
    assert_eq!(t.round_trip_count, 1000);
    assert_eq!(t.round_trips.len(), MAX_ROUND_TRIPS);
    assert_eq!(t.round_trips[3], RoundTrip { start: 30, dur: 5 });
    let text = crate::trace::timing_text::lines(&t);
    assert!(text.last().is_some_and(|l| l.contains("984 more")));
}

#[test]
fn hostile_timing_lines_are_refused_with_a_reason_and_good_ones_read_back() {
    use crate::trace::jsonl_read::from_line;
    let line = |steps: &str| {
        format!(
            r#"{{"t":5,"conn":1,"kind":"timing","start":1,"total":10,"steps":{steps},"round_trips":[],"round_trip_count":0,"app_out":0,"app_in":0,"sock_out":0,"sock_in":0,"closed":true}}"#
        )
    };
    let ok = line(r#"[{"step":"connect","start":0,"dur":3,"done":true}]"#);
    assert!(matches!(
        from_line(&ok).map(|e| e.kind),
        Ok(EventKind::Timing(_))
    ));
    for (steps, why) in [
        (r#"[{"step":"teleport","start":0,"dur":3}]"#, "unknown step"),
        (
            r#"[{"step":"connect","start":0,"dur":3},{"step":"connect","start":0,"dur":3}]"#,
            "twice",
        ),
        (
            r#"[{"step":"connect","start":0,"dur":18446744073709551615}]"#,
            "field `dur`",
        ),
        (r#""many""#, "not a list"),
    ] {
        let err = from_line(&line(steps)).expect_err(steps);
        assert!(err.contains(why), "{steps}: {err}");
    }
    let many = vec![r#"{"start":0,"dur":1}"#; MAX_ROUND_TRIPS + 1].join(",");
    let text = line("[]").replace(r#""round_trips":[]"#, &format!(r#""round_trips":[{many}]"#));
    assert!(from_line(&text)
        .expect_err("too many")
        .contains("more than"));
}

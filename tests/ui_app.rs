//! UI tests of the desktop app with egui_kittest, on traces recorded from the real engine and
//! the lab before the harness starts (no live thread inside the harness).

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::time::Duration;
use tlsscope::options::{prepare, ConnectOptions};
use tlsscope::probe::{trace_one, EngineOptions};
use tlsscope::trace::store::Lane;
use tlsscope::trace::{Event, EventKind, Op, SslError};
use tlsscope::ui::app::Tab;
use tlsscope::ui::model::Request;
use tlsscope::ui::{timeline, App};

/// Traces `target` with the real engine and returns every event.
fn record(target: &str, options: ConnectOptions) -> Vec<Event> {
    let prepared = prepare(target, &options).expect("the lab scenario starts");
    let mut events = Vec::new();
    trace_one(
        prepared.spec,
        EngineOptions::default(),
        Duration::from_secs(20),
        |batch| events.extend_from_slice(batch),
    )
    .expect("the engine starts");
    events
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

fn app_with(target: &str, events: &[Event]) -> App {
    let mut app = App::offline();
    if let Some(e) = events.first() {
        app.model.labels.insert(e.conn, target.to_string());
    }
    app.feed(events);
    app
}

#[test]
fn connect_form_accepts_input_and_requests_a_connection() {
    let mut h = harness(App::offline());
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    assert!(h.state().model.requests.is_empty());
    assert!(h.query_by_label_contains("enter a target").is_some());

    let field = h.get_by_label("Target");
    field.focus();
    field.type_text("example.com");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    assert!(h.state().model.requests.is_empty());
    assert!(h.query_by_label_contains("expected HOST:PORT").is_some());

    h.get_by_label("Target").focus();
    h.get_by_label("Target").type_text(":443");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    let requests = &h.state().model.requests;
    assert_eq!(requests.len(), 1);
    assert!(matches!(&requests[0], Request::Connect { target, .. } if target == "example.com:443"));
    assert!(h.query_by_label_contains("Problem:").is_none());
}

#[test]
fn options_map_to_the_trace_options() {
    let mut h = harness(App::offline());
    h.run();
    h.get_by_label("Options").click();
    h.run();
    h.get_by_label("ALPN").focus();
    h.get_by_label("ALPN").type_text("h2,http/1.1");
    h.get_by_label("Target").focus();
    h.get_by_label("Target").type_text("lab:ok");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    match &h.state().model.requests[..] {
        [Request::Connect { target, options }] => {
            assert_eq!(target, "lab:ok");
            assert_eq!(options.alpn.as_deref(), Some("h2,http/1.1"));
        }
        other => panic!("expected one connect request, got {other:?}"),
    }
}

#[test]
fn selecting_a_call_shows_its_details() {
    let events = record("lab:renegotiate", ConnectOptions::default());
    let mut app = app_with("lab:renegotiate", &events);
    app.table.filter.op = Some(Op::Read);
    let mut h = harness(app);
    h.run();
    // A finished connection opens on the call its verdict names (the HelloRequest's SSL_read).
    let conn = h.state().model.current().expect("a connection").id;
    let focus = h
        .state()
        .model
        .store
        .conn(conn)
        .and_then(|c| c.verdict(0).focus)
        .expect("the verdict names a call");
    let selected = h.state().model.selection.expect("the cause is selected");
    let c = h.state().model.store.conn(conn).expect("the connection");
    assert_eq!(c.call_id[selected.call], focus);
    assert!(h
        .query_by_label_contains(&format!("SSL_read #{focus} returned"))
        .is_some());
    let first_read = h
        .state()
        .model
        .store
        .conn(conn)
        .and_then(|c| c.call_op.iter().position(|&op| op == Op::Read))
        .expect("the trace has an SSL_read");
    let id = h.state().model.store.conn(conn).unwrap().call_id[first_read];
    h.get_by_label_contains(&format!("SSL_read #{id} ")).click();
    h.run();
    assert_eq!(h.state().model.selection.map(|s| s.call), Some(first_read));
    assert!(h
        .query_by_label_contains(&format!("SSL_read #{id} returned"))
        .is_some());
    assert!(h.query_by_label_contains("Inside the call").is_some());
    // Escape clears the selection, and it stays clear.
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.state().model.selection.is_none());
    assert!(h.query_by_label_contains("Click a call").is_some());
}

#[test]
fn filters_keep_only_matching_rows() {
    let events = record("lab:ok", ConnectOptions::default());
    let calls = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Call(_)))
        .count();
    let want_read = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Call(c) if c.error == SslError::WantRead))
        .count();
    assert!(calls > want_read && want_read > 0);
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    assert!(h
        .query_by_label(&format!("{} rows", events.len()))
        .is_some());
    // Through the kind menu.
    h.get_by_label("kind").click();
    h.run();
    h.get_by_label("call").click();
    h.run();
    assert!(h.query_by_label(&format!("{calls} rows")).is_some());
    h.state_mut().table.filter.result = Some(SslError::WantRead);
    h.run();
    assert!(h.query_by_label(&format!("{want_read} rows")).is_some());
    assert!(h.query_by_label_contains("NONE").is_none());
}

#[test]
fn a_want_write_stall_is_shown_and_explained() {
    let options = ConnectOptions {
        timeout: Some("2".into()),
        ..Default::default()
    };
    let events = record("lab:slow-reader", options);
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Call(c) if c.error == SslError::WantWrite)));
    let mut h = harness(app_with("lab:slow-reader", &events));
    h.run();
    // The banner is the verdict: a stall, who waits for whom, and a way to the cause.
    // Once in the banner, once on the connection's card.
    assert_eq!(h.query_all_by_label("Stall: peer-not-reading").count(), 2);
    assert!(h
        .query_by_label_contains("to write and the peer does not read")
        .is_some());
    h.get_by_label("Evidence and what to do").click();
    h.run();
    assert!(h
        .query_by_label_contains("retry SSL_write with the same buffer")
        .is_some());
    h.state_mut().model.selection = None;
    h.get_by_label("Jump to cause").click();
    h.run();
    let selected = h.state().model.selection.expect("the jump selected a call");
    let c = h.state().model.current().expect("a connection");
    assert_eq!(c.call_op[selected.call], Op::Write);
    assert_eq!(c.call_error[selected.call], SslError::WantWrite);
    assert!(!h.state().model.follow, "the jump framed the call");
    // The connection list says how it ended, and keeps the stall in view.
    assert!(h.query_by_label_contains("closed (timeout)").is_some());
    // TCP_INFO samples are plotted: rtt and the peer's window, with their legend.
    assert!(h.query_by_label_contains("smoothed rtt").is_some());
    assert!(h
        .query_by_label_contains("snd_wnd (peer's window)")
        .is_some());
}

#[test]
fn summary_shows_certificate_validity_and_verification() {
    let options = ConnectOptions {
        insecure: true,
        ..Default::default()
    };
    let events = record("lab:bad-cert-expired", options);
    let mut app = app_with("lab:bad-cert-expired", &events);
    app.tab = Tab::Summary;
    let mut h = harness(app);
    h.run();
    assert!(h.query_by_label_contains("verification skipped").is_some());
    assert!(h.query_by_label("[expired]").is_some());

    let events = record("lab:bad-cert-expired", ConnectOptions::default());
    let mut app = app_with("lab:bad-cert-expired", &events);
    app.tab = Tab::Summary;
    let mut h = harness(app);
    h.run();
    assert!(h
        .query_by_label_contains("Certificate verification failed: certificate has expired")
        .is_some());

    let events = record("lab:ok", ConnectOptions::default());
    let mut app = app_with("lab:ok", &events);
    app.tab = Tab::Summary;
    let mut h = harness(app);
    h.run();
    assert!(h.query_by_label("Certificate verified: ok").is_some());
    assert!(h.query_by_label("[valid now]").is_some());
    assert!(h.query_by_label("[expired]").is_none());
}

#[test]
fn retries_of_one_operation_are_grouped_in_the_calls_lane() {
    let events = record("lab:ok", ConnectOptions::default());
    let app = app_with("lab:ok", &events);
    let c = app.model.current().expect("a connection");
    // The handshake is retried after WANT_READ: one run from its first to its last attempt.
    let r = (0..c.retries.len())
        .find(|&r| c.call_op[c.retry_first[r]] == Op::DoHandshake)
        .expect("a retried handshake");
    let first = c.retry_first[r];
    let n = c.retry_attempts[r] as usize;
    assert!(n >= 2);
    assert_eq!(c.retries.start[r], c.calls.start[first]);
    assert_eq!(c.retries.end[r], c.calls.end[first + n - 1]);
    // Hovering the second attempt names it and the run.
    let second = first + 1;
    let mid = (c.calls.start[second] + c.calls.end[second]) / 2;
    let hit = c
        .hit(Lane::Calls, mid, 1)
        .expect("the call is under the pointer");
    assert_eq!(hit.call(), Some(second));
    let text = hit.describe(c);
    assert!(
        text.contains(&format!(
            "attempt 2 of {n} attempts of one SSL_do_handshake"
        )),
        "{text}"
    );
    // Between two attempts (the wait), the band itself says what it is.
    let gap = (c.calls.end[first] + c.calls.start[second]) / 2;
    let hit = c
        .hit(Lane::Calls, gap, 1)
        .expect("the band is under the pointer");
    assert_eq!(hit.call(), None);
    let text = hit.describe(c);
    assert!(
        text.starts_with(&format!("{n} attempts of one SSL_do_handshake")),
        "{text}"
    );
}

#[test]
fn clicking_a_call_bar_in_the_timeline_shows_its_details() {
    let events = record("lab:renegotiate", ConnectOptions::default());
    let mut app = app_with("lab:renegotiate", &events);
    let c = app.model.current().expect("a connection");
    let conn = c.id;
    // The SSL_read that wrote the renegotiation ClientHello: the one a user would click.
    let i = (0..c.calls.len())
        .filter(|&i| c.call_op[i] == Op::Read)
        .max_by_key(|&i| c.nested(i).len())
        .expect("the trace has an SSL_read");
    let id = c.call_id[i];
    let (start, end) = (c.calls.start[i], c.calls.end[i]);
    // Show a range around the call so its bar is wide, and stop following the tail.
    let pad = (end - start) as f64 / 1e9;
    app.model.view = (start as f64 / 1e9 - pad, end as f64 / 1e9 + pad);
    app.model.follow = false;
    // Start with nothing selected (the verdict's call was selected when the trace was fed).
    app.model.selection = None;
    let mut h = harness(app);
    h.run();
    assert!(h.state().model.selection.is_none());
    let lanes = h.state().model.lanes.expect("the lanes were drawn");
    let mid = (start + end) as f64 / 2e9;
    let pos = lanes.position_from_point(&egui_plot::PlotPoint::new(mid, timeline::CALLS));
    assert!(lanes.frame().contains(pos), "the call is inside the plot");
    h.hover_at(pos);
    h.run();
    h.drag_at(pos);
    h.drop_at(pos);
    h.run();
    let selection = h
        .state()
        .model
        .selection
        .expect("the click selected a call");
    assert_eq!((selection.conn, selection.call), (conn, i));
    assert!(h
        .query_by_label_contains(&format!("SSL_read #{id} returned"))
        .is_some());
    assert!(h.query_by_label_contains("Inside the call").is_some());
}

// --- Time you can read, zoom and pan, keys and help (issue 9) ---

/// A wheel turn of `delta` points over the plots at `pos`.
fn wheel(h: &Harness<'static, App>, pos: egui::Pos2, delta: egui::Vec2) {
    h.hover_at(pos);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
}

#[test]
fn the_time_axis_counts_from_the_connections_start() {
    // The engine had been running for 584 s when the connection started.
    let mut events = record("lab:ok", ConnectOptions::default());
    events.iter_mut().for_each(|e| e.t += 584_000_000_000);
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    let labels = h.state().model.axis_labels.clone();
    assert!(labels.len() >= 3, "{labels:?}");
    assert!(
        labels
            .iter()
            .any(|l| ["0 s", "0 ms", "0 µs"].contains(&l.as_str())),
        "{labels:?}"
    );
    assert!(labels.iter().all(|l| !l.contains("584")), "{labels:?}");
    // Zoomed far in, the labels still differ from each other.
    h.state_mut().model.zoom(2000.0, None);
    h.run();
    let deep = h.state().model.axis_labels.clone();
    assert!(deep.len() >= 2, "{deep:?}");
    let mut unique = deep.clone();
    unique.dedup();
    assert_eq!(unique, deep);
}

#[test]
fn the_wheel_zooms_around_the_pointer_and_f_fits() {
    let events = record("lab:ok", ConnectOptions::default());
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    h.key_press(egui::Key::F);
    h.run();
    let fitted = h.state().model.view;
    assert_eq!(Some(fitted), h.state().model.fit_view());
    assert!(!h.state().model.follow);
    let lanes = h.state().model.lanes.expect("the lanes were drawn");
    let frame = lanes.frame();
    let pos = egui::pos2(frame.left() + frame.width() * 0.25, frame.center().y);
    let before = lanes.value_from_position(pos).x;
    // A wheel notch, in the small steps a trackpad sends (egui applies those at once).
    for _ in 0..8 {
        wheel(&h, pos, egui::vec2(0.0, 6.0));
        h.run();
    }
    let (a, b) = h.state().model.view;
    assert!(b - a < (fitted.1 - fitted.0) * 0.99, "the wheel zoomed in");
    // The time under the pointer stayed under it (to a pixel).
    let lanes = h.state().model.lanes.expect("the lanes were drawn");
    let after = lanes.value_from_position(pos).x;
    let pixel = (b - a) / f64::from(frame.width());
    assert!((after - before).abs() <= pixel, "{before} moved to {after}");
    assert!(h.query_by_label_contains("zoomed:").is_some());
    // Shift+wheel (a horizontal scroll) pans: later content comes in from the right.
    wheel(&h, pos, egui::vec2(-6.0, 0.0));
    h.run();
    let (c, d) = h.state().model.view;
    assert!(
        c > a && ((d - c) - (b - a)).abs() < 1e-9,
        "panned, same width"
    );
    // Home fits again, like F.
    h.key_press(egui::Key::Home);
    h.run();
    assert_eq!(Some(h.state().model.view), h.state().model.fit_view());
}

#[test]
fn the_help_overlay_opens_with_f1_and_lists_the_keys() {
    let events = record("lab:ok", ConnectOptions::default());
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    assert!(h.query_by_label("Keys and mouse").is_none());
    h.key_press(egui::Key::F1);
    h.run();
    assert!(h.query_by_label("Keys and mouse").is_some());
    for key in [
        "F or Home",
        "Space",
        "Esc",
        "wheel",
        "Shift+wheel",
        "double-click",
    ] {
        assert!(h.query_by_label(key).is_some(), "the help lists {key}");
    }
    // Esc closes the overlay first, and keeps the selection.
    let selected = h.state().model.selection;
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.query_by_label("Keys and mouse").is_none());
    assert_eq!(h.state().model.selection, selected);
}

#[test]
fn space_toggles_following_but_not_while_typing() {
    let events = record("lab:ok", ConnectOptions::default());
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    assert!(h.state().model.follow);
    h.key_press(egui::Key::Space);
    h.run();
    assert!(!h.state().model.follow);
    assert!(h.query_by_label_contains("paused").is_some());
    h.key_press(egui::Key::Space);
    h.run();
    assert!(h.state().model.follow);
    // After the Fit button, Space still means follow (it does not press the button again).
    h.get_by_label("Fit").click();
    h.run();
    h.key_press(egui::Key::Space);
    h.run();
    assert!(h.state().model.follow);
    // In the target field, Space and F are text, not commands.
    h.get_by_label("Target").focus();
    h.run();
    h.key_press(egui::Key::Space);
    h.key_press(egui::Key::F);
    h.run();
    assert!(h.state().model.follow);
}

#[test]
fn following_a_stall_keeps_its_start_in_view() {
    let options = ConnectOptions {
        timeout: Some("2".into()),
        ..Default::default()
    };
    let events = record("lab:slow-reader", options);
    // The trace up to the last call: the connection is still waiting, as when watched live.
    let last_call = events
        .iter()
        .rposition(|e| matches!(e.kind, EventKind::Call(_)))
        .expect("the trace has calls");
    let live = &events[..=last_call];
    let mut app = app_with("lab:slow-reader", live);
    let c = app.model.current().expect("a connection");
    let end = c.calls.end[c.calls.len() - 1];
    // Thirty seconds later, nothing has moved.
    app.model.now = end + 30_000_000_000;
    app.model.follow = true;
    let mut h = harness(app);
    h.run();
    let model = &h.state().model;
    let c = model.current().expect("a connection");
    assert!(
        c.stalled_since(model.now).is_some(),
        "the connection is stalled"
    );
    let focus = c
        .verdict(model.now)
        .focus
        .and_then(|id| c.call_index(id))
        .expect("the verdict names a call");
    let (v0, v1) = model.view;
    let stalled_call = c.calls.len() - 1;
    assert!(v0 <= c.calls.start[stalled_call] as f64 / 1e9);
    assert!(v0 <= c.calls.start[focus] as f64 / 1e9);
    assert!(v1 >= model.now as f64 / 1e9);
    assert!(h.query_by_label_contains("following live").is_some());
}

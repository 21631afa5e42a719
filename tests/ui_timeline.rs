//! UI tests of moving about the timeline (egui_kittest, on traces recorded from the real engine
//! and the lab): the time axis, wheel zoom around the pointer, F to fit, Space to follow, F1 help.

mod ui_common;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use tlsscope::options::ConnectOptions;
use tlsscope::trace::store::Timed;
use tlsscope::trace::EventKind;
use tlsscope::ui::App;
use ui_common::*;

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
    let end = c.calls().end(c.call_spans.len() - 1);
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
    let stalled_call = c.call_spans.len() - 1;
    assert!(v0 <= c.calls().start(stalled_call) as f64 / 1e9);
    assert!(v0 <= c.calls().start(focus) as f64 / 1e9);
    assert!(v1 >= model.now as f64 / 1e9);
    assert!(h.query_by_label_contains("following live").is_some());
}

/// Regression: with the help overlay open over the timeline, hovering the plots under it still
/// showed the timeline's tooltip on top of the help, and the wheel there zoomed the timeline.
#[test]
fn the_help_overlay_covers_the_timelines_hover_and_wheel() {
    let events = record("lab:ok", ConnectOptions::default());
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    h.key_press(egui::Key::F);
    h.run();
    let lanes = h.state().model.lanes.expect("the lanes were drawn");
    let frame = lanes.frame();
    // Every point along the middle of the plots; some is under a mark with a tooltip.
    let points: Vec<egui::Pos2> = (1..40)
        .map(|k| {
            egui::pos2(
                frame.left() + frame.width() * k as f32 / 40.0,
                frame.center().y,
            )
        })
        .collect();
    let tooltip_somewhere = |h: &mut Harness<'static, App>| {
        points.iter().any(|&p| {
            h.hover_at(p);
            h.run();
            h.query_by_label_contains("from the start").is_some()
        })
    };
    assert!(
        tooltip_somewhere(&mut h),
        "without the help, a mark has a tooltip"
    );
    h.key_press(egui::Key::F1);
    h.run();
    assert!(h.query_by_label("Keys and mouse").is_some());
    assert!(
        !tooltip_somewhere(&mut h),
        "the help covers the timeline's tooltips"
    );
    let view = h.state().model.view;
    for _ in 0..8 {
        wheel(&h, frame.center(), egui::vec2(0.0, 6.0));
        h.run();
    }
    assert_eq!(
        h.state().model.view,
        view,
        "the wheel over the help zooms nothing"
    );
}

//! What the app's UI tests share: traces recorded from the real engine before the harness starts
//! (no live thread inside the harness), an app fed with them, and the egui_kittest harness.

#![allow(dead_code, unreachable_pub)] // each UI test crate uses a different subset

use egui_kittest::Harness;
use std::time::Duration;
use tlsscope::options::{prepare, ConnectOptions, Prepared};
use tlsscope::probe::{trace_one, EngineOptions};
use tlsscope::trace::Event;
use tlsscope::ui::App;

/// Traces `target` with the real engine and returns every event.
pub fn record(target: &str, options: ConnectOptions) -> Vec<Event> {
    record_prepared(prepare(target, &options).expect("the target is prepared"))
}

/// `target` traced until it stalls: the connection's timeout is 1 s.
pub fn stalled(target: &str) -> Vec<Event> {
    let options = ConnectOptions {
        timeout: Some("1".into()),
        ..Default::default()
    };
    record(target, options)
}

/// `lab:slow-reader` stalled writing for 2 s.
pub fn slow_reader() -> Vec<Event> {
    let options = ConnectOptions {
        timeout: Some("2".into()),
        ..Default::default()
    };
    record("lab:slow-reader", options)
}

/// Traces an already prepared target (a test may change its spec first).
pub fn record_prepared(prepared: Prepared) -> Vec<Event> {
    let mut events = Vec::new();
    trace_one(
        prepared.spec,
        EngineOptions::default(),
        Duration::from_secs(20),
        |batch| events.extend_from_slice(batch),
    )
    .expect("the engine starts");
    // The lab's server (if any) served until here.
    drop(prepared.lab);
    events
}

/// The app at 1280×800.
pub fn harness(app: App) -> Harness<'static, App> {
    harness_sized(app, 1280.0, 800.0)
}

pub fn harness_sized(app: App, w: f32, h: f32) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(w, h))
        .build_ui_state(|ui, app: &mut App| app.show(ui), app)
}

/// An app with no engine, fed `events`, their connection labelled `target`.
pub fn app_with(target: &str, events: &[Event]) -> App {
    let mut app = App::offline();
    if let Some(e) = events.first() {
        app.model.labels.insert(e.conn, target.to_string());
    }
    app.feed(events);
    app
}

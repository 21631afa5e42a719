//! The app's Summary says what `--pcapng` keeps of a connection, and clearly when the capture
//! limit cut it short (egui_kittest, on a trace recorded from the real engine and the lab).

mod ui_common;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use tlsscope::options::{prepare, ConnectOptions};
use tlsscope::probe::Capture;
use tlsscope::trace::{Event, EventKind};
use tlsscope::ui::app::Tab;
use tlsscope::ui::App;
use ui_common::*;

/// `lab:ok` with raw bytes and secrets recorded, as the app does with `--pcapng`.
fn record_with_capture() -> Vec<Event> {
    let mut prepared = prepare("lab:ok", &ConnectOptions::default()).expect("the lab starts");
    prepared.spec.capture = Capture {
        wire: true,
        secrets: true,
    };
    record_prepared(prepared)
}

fn summary_of(events: &[Event]) -> Harness<'static, App> {
    let mut app = App::offline();
    app.feed(events);
    app.tab = Tab::Summary;
    let mut h = harness(app);
    h.run();
    h
}

#[test]
fn summary_shows_what_the_capture_keeps_and_when_the_limit_was_reached() {
    let events = record_with_capture();
    let wire: u64 = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Wire(w) => Some(w.data.len() as u64),
            _ => None,
        })
        .sum();
    assert!(wire > 1000, "the handshake and the exchange: {wire} bytes");
    assert!(events.iter().any(
        |e| matches!(&e.kind, EventKind::Secret(s) if s.starts_with("CLIENT_TRAFFIC_SECRET_0 "))
    ));

    let h = summary_of(&events);
    assert!(h.query_by_label("Capture").is_some());
    assert!(h
        .query_by_label_contains("of socket bytes kept for --pcapng")
        .is_some());
    assert!(h.query_by_label_contains("limit").is_none());
    drop(h);

    // The same trace as if the limit had been reached at its last read: that read kept nothing.
    let mut cut = events.clone();
    if let Some(EventKind::Wire(w)) = cut
        .iter_mut()
        .rev()
        .map(|e| &mut e.kind)
        .find(|k| matches!(k, EventKind::Wire(_)))
    {
        w.data = Box::new([]);
    }
    let h = summary_of(&cut);
    assert!(h
        .query_by_label_contains("the limit of 64.0 MiB per connection was reached")
        .is_some());
}

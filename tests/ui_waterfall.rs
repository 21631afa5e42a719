//! The Timings tab (every connection's phase waterfall) with egui_kittest, on traces recorded
//! from the real engine against the lab and a port nobody listens on, before the harness starts.

mod ui_common;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use tlsscope::options::ConnectOptions;
use tlsscope::trace::Event;
use tlsscope::ui::app::Tab;
use tlsscope::ui::App;
use ui_common::*;

/// Traces `target` with the real engine; connection ids moved up by `shift` so that several
/// recordings (each engine counts from 1) sit side by side in one app.
fn record_shifted(target: &str, options: ConnectOptions, shift: u32) -> Vec<Event> {
    let mut events = record(target, options);
    for e in &mut events {
        e.conn += shift;
    }
    events
}

/// The accessible names of the waterfall's rows.
fn rows(h: &Harness<'static, App>) -> Vec<String> {
    h.query_all_by_role(egui::accesskit::Role::Row)
        .filter_map(|n| n.accesskit_node().label())
        .filter(|l| l.starts_with("timing of"))
        .collect()
}

#[test]
fn the_timings_tab_shows_a_row_per_connection_with_its_steps() {
    let mut app = App::offline();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = format!("127.0.0.1:{port}");
    for (i, target) in ["lab:ok", "lab:latency", refused.as_str()]
        .iter()
        .enumerate()
    {
        let events = record_shifted(target, ConnectOptions::default(), 10 * i as u32);
        app.model.labels.insert(events[0].conn, target.to_string());
        app.feed(&events);
    }
    app.tab = Tab::Timings;
    let mut h = harness(app);
    h.run();
    let names = rows(&h);
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0].starts_with("timing of #1 lab:ok: total "),
        "{names:?}"
    );
    for lab in &names[..2] {
        for step in [
            "resolve",
            "TCP connect",
            "TLS handshake",
            "request sent",
            "first byte",
        ] {
            assert!(lab.contains(step), "{step} in {lab}");
        }
    }
    // The refused connect reached two steps, no handshake.
    assert!(names[2].contains("resolve") && names[2].contains("TCP connect"));
    assert!(!names[2].contains("TLS handshake"), "{}", names[2]);
    // Hovering the latency row where its handshake (~300 ms of ~650) is drawn tells its
    // numbers.
    let row = h
        .get_all_by_role(egui::accesskit::Role::Row)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains("lab:latency"))
        })
        .expect("the latency row")
        .rect();
    let names = (row.width() * 0.35).min(210.0);
    let x = row.left() + names + 0.3 * (row.width() - names - 8.0);
    h.hover_at(egui::pos2(x, row.center().y));
    h.run();
    assert!(
        h.query_by_label_contains("TLS handshake: from ").is_some(),
        "no hover text for the handshake"
    );
    // On the engine's clock, the same rows.
    h.get_by_label("absolute time").click();
    h.run();
    assert!(h.state().waterfall.absolute);
    assert_eq!(rows(&h).len(), 3);
    // A row clicked shows its connection in the other views.
    h.get_all_by_role(egui::accesskit::Role::Row)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains("lab:latency"))
        })
        .expect("the latency row")
        .click();
    h.run();
    assert_eq!(h.state().model.selected_conn, Some(11));
}

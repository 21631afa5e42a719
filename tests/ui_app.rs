//! UI tests of the desktop app with egui_kittest, on traces recorded from the real engine and
//! the lab before the harness starts (no live thread inside the harness).

mod ui_common;

use egui_kittest::kittest::Queryable;
use tlsscope::options::ConnectOptions;
use tlsscope::trace::store::{Lane, Timed};
use tlsscope::trace::{Event, EventKind, Op, SslError};
use tlsscope::ui::app::Tab;
use tlsscope::ui::timeline;
use ui_common::*;

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
    assert_eq!(c.call(selected.call).map(|k| k.id).unwrap_or(0), focus);
    assert!(h
        .query_by_label_contains(&format!("SSL_read #{focus} returned"))
        .is_some());
    let first_read = h
        .state()
        .model
        .store
        .conn(conn)
        .and_then(|c| {
            (0..c.call_spans.len()).position(|i| c.call(i).map(|k| k.op) == Some(Op::Read))
        })
        .expect("the trace has an SSL_read");
    let id = h
        .state()
        .model
        .store
        .conn(conn)
        .unwrap()
        .call(first_read)
        .map(|k| k.id)
        .unwrap_or(0);
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
    // In the banner, and (one line of it) on the card.
    assert_eq!(
        h.query_all_by_label_contains("to write and the peer does not read")
            .count(),
        2
    );
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
    assert_eq!(
        c.call(selected.call).map(|k| k.op).unwrap_or(Op::Peek),
        Op::Write
    );
    assert_eq!(
        c.call(selected.call)
            .map(|k| k.error)
            .unwrap_or(SslError::None),
        SslError::WantWrite
    );
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
    // The refused chain is shown, its failing link marked.
    assert!(h
        .query_by_label_contains("FAILS HERE, expired: certificate 0")
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
    // Behind the lab's delaying proxy the server's answer can never be there at once, so the
    // handshake is always retried (on lab:ok a loaded machine can let the answer arrive first).
    let events = record("lab:latency", ConnectOptions::default());
    let app = app_with("lab:latency", &events);
    let c = app.model.current().expect("a connection");
    // The handshake is retried after WANT_READ: one run from its first to its last attempt.
    let r = (0..c.retry_first.len())
        .find(|&r| c.call(c.retry_first[r] as usize).map(|k| k.op) == Some(Op::DoHandshake))
        .expect("a retried handshake");
    let first = c.retry_first[r] as usize;
    let n = c.retry_attempts[r] as usize;
    assert!(n >= 2);
    assert_eq!(c.retries().start(r), c.calls().start(first));
    assert_eq!(c.retries().end(r), c.calls().end(first + n - 1));
    // Hovering the second attempt names it and the run.
    let second = first + 1;
    let mid = (c.calls().start(second) + c.calls().end(second)) / 2;
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
    let gap = (c.calls().end(first) + c.calls().start(second)) / 2;
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
    let i = (0..c.call_spans.len())
        .filter(|&i| c.call(i).map_or(Op::Peek, |k| k.op) == Op::Read)
        .max_by_key(|&i| c.nested(i).len())
        .expect("the trace has an SSL_read");
    let id = c.call(i).map_or(0, |k| k.id);
    let (start, end) = (c.calls().start(i), c.calls().end(i));
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

// Issue 9, the plots: each buffer against its own size, the TCP plot's two scales, the key of
// every mark, and plot heights that hold at small window sizes.

#[test]
fn buffer_levels_are_shown_as_a_fraction_of_each_buffer() {
    let events = stalled("lab:echo-deadlock");
    let mut h = harness(app_with("lab:echo-deadlock", &events));
    h.run();
    let c = h.state().model.current().expect("a connection");
    let rcvbuf = u64::from(c.rcvbuf.expect("SO_RCVBUF was sampled"));
    let sndbuf = u64::from(c.sndbuf.expect("SO_SNDBUF was sampled"));
    // The write deadlock's evidence: the receive queue is near full of its own buffer.
    let inq = c.inq.v.iter().copied().max().unwrap_or(0);
    assert!(u64::from(inq) * 2 >= rcvbuf, "inq {inq} of {rcvbuf}");
    // The key says what the y axis is, and each queue names the buffer and size it fills.
    assert!(h.query_by_label("buffers, % full:").is_some());
    let bytes = tlsscope::trace::format::bytes;
    for text in [
        format!("receive queue of SO_RCVBUF {}", bytes(rcvbuf)),
        format!("send queue of SO_SNDBUF {}", bytes(sndbuf)),
        "SSL_pending of TLS record 16.0 KiB".to_string(),
    ] {
        assert!(h.query_by_label(&text).is_some(), "{text}");
    }
}

#[test]
fn the_tcp_plot_names_both_quantities_with_their_units() {
    let events = stalled("lab:slow-reader");
    let mut h = harness(app_with("lab:slow-reader", &events));
    h.run();
    assert!(h.query_by_label("TCP_INFO:").is_some());
    assert!(h
        .query_by_label("smoothed rtt (time, inner scale)")
        .is_some());
    assert!(h
        .query_by_label("snd_wnd (peer's window) (bytes, outer scale)")
        .is_some());
}

#[test]
fn the_key_lists_every_mark_including_the_handshake_states() {
    let events = record("lab:ok", ConnectOptions::default());
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    let state = "state (bars, from one transition to the next)";
    if h.query_by_label(state).is_none() {
        // Collapsed when the timeline is short: one click opens it.
        h.get_by_label("Key").click();
        h.run();
    }
    for text in [
        state,
        "message in",
        "message out",
        "WANT_WRITE",
        "would block (x)",
        "for writable",
        "retried operation (band)",
    ] {
        assert!(h.query_by_label(text).is_some(), "{text}");
    }
}

// ---- Layout, cards, one selection for table and timeline, compare, title, --window ----

/// Shifts a recording's connection ids so that two recordings (each engine counts from 1) can
/// be fed to one app side by side.
fn shifted(mut events: Vec<Event>, by: u32) -> Vec<Event> {
    for e in &mut events {
        e.conn += by;
    }
    events
}

#[test]
fn picking_a_table_row_selects_its_call_and_frames_it_on_the_timeline() {
    let events = record("lab:renegotiate", ConnectOptions::default());
    let mut app = app_with("lab:renegotiate", &events);
    app.table.filter.op = Some(Op::Read);
    app.model.selection = None;
    let c = app.model.current().expect("a connection");
    let conn = c.id;
    let i = (0..c.call_spans.len())
        .position(|i| c.call(i).map(|k| k.op) == Some(Op::Read))
        .expect("an SSL_read");
    let (id, start, end) = (
        c.call(i).map_or(0, |k| k.id),
        c.calls().start(i),
        c.calls().end(i),
    );
    let mut h = harness(app);
    h.run();
    let before = h.state().model.view;
    h.get_by_label_contains(&format!("SSL_read #{id} →"))
        .click();
    h.run();
    let m = &h.state().model;
    assert_eq!(m.selection.map(|s| (s.conn, s.call)), Some((conn, i)));
    assert!(!m.follow, "the pick stops following live");
    let (v0, v1) = m.view;
    assert!(
        v0 <= start as f64 / 1e9 && end as f64 / 1e9 <= v1,
        "the call is in view"
    );
    assert!(
        v1 - v0 < before.1 - before.0,
        "the view closed in on the call"
    );
    assert!(h
        .query_by_label_contains(&format!("SSL_read #{id} returned"))
        .is_some());
}

#[test]
fn a_call_selected_on_the_timeline_scrolls_the_table_to_its_row() {
    let events = record("lab:renegotiate", ConnectOptions::default());
    let app = app_with("lab:renegotiate", &events);
    let c = app.model.current().expect("a connection");
    let conn = c.id;
    let (first, last) = (0, c.call_spans.len() - 1);
    let (first_id, last_id) = (
        c.call(first).map_or(0, |k| k.id),
        c.call(last).map_or(0, |k| k.id),
    );
    let (first_op, last_op) = (
        c.call(first).map_or(Op::Peek, |k| k.op).name(),
        c.call(last).map_or(Op::Peek, |k| k.op).name(),
    );
    assert!(c.events.len() > 60, "more rows than one screen holds");
    let mut h = harness(app);
    h.run();
    // As a click on the timeline does.
    h.state_mut().model.select_call(conn, first);
    h.run();
    h.run();
    let first_row = format!("{first_op} #{first_id} →");
    let last_row = format!("{last_op} #{last_id} →");
    assert!(h.query_by_label_contains(&first_row).is_some());
    assert!(
        h.query_by_label_contains(&last_row).is_none(),
        "the table is virtualised: the last call's row is not laid out yet"
    );
    h.state_mut().model.select_call(conn, last);
    h.run();
    h.run();
    assert!(
        h.query_by_label_contains(&last_row).is_some(),
        "scrolled to"
    );
    let row = h.state().table.scrolled_to.expect("the table scrolled");
    let sel = h.state().model.selection.expect("a selection");
    assert_eq!(h.state().table.row_of(&h.state().model, sel), Some(row));
}

#[test]
fn closed_connections_can_be_removed_one_by_one_or_all_at_once() {
    let a = record("lab:ok", ConnectOptions::default());
    let b = shifted(record("lab:ok", ConnectOptions::default()), 100);
    let mut app = app_with("lab:ok", &a);
    app.model.labels.insert(b[0].conn, "lab:ok again".into());
    app.feed(&b);
    let mut h = harness(app);
    h.run();
    assert_eq!(h.state().model.store.conns.len(), 2);
    let removed_id = h.state().model.store.conns[1].id;
    // The newest card is on top: its × removes it.
    h.get_all_by_label("×")
        .next()
        .expect("a × per closed card")
        .click();
    h.run();
    let ids: Vec<u32> = h.state().model.store.conns.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![a[0].conn]);
    assert!(!h.state().model.labels.contains_key(&removed_id));
    assert!(h.query_by_label_contains("lab:ok again").is_none());
    h.get_by_label("Clear closed").click();
    h.run();
    assert!(h.state().model.store.conns.is_empty());
    assert!(h.query_by_label_contains("None yet").is_some());
    assert_eq!(h.state().window_title(), "tlsscope");
}

#[test]
fn the_compare_view_stacks_two_connections_under_their_verdicts() {
    let good = record("lab:ok", ConnectOptions::default());
    let bad = shifted(slow_reader(), 100);
    let mut app = app_with("lab:ok", &good);
    app.model
        .labels
        .insert(bad[0].conn, "lab:slow-reader".into());
    app.feed(&bad);
    let mut h = harness(app);
    h.run();
    assert!(h.query_by_label("Compare 2 connections").is_none());
    // One tick per card.
    for k in 0..2 {
        h.get_all_by_role(egui::accesskit::Role::CheckBox)
            .nth(k)
            .expect("a tick per card")
            .click();
        h.run();
    }
    assert_eq!(h.state().compare.conns.len(), 2);
    assert!(h.query_by_label("Compare 2 connections").is_some());
    // Each strip is titled with its connection and its verdict (the card says it once more).
    let good_title = format!("#{} lab:ok", good[0].conn);
    let bad_title = format!("#{} lab:slow-reader", bad[0].conn);
    assert_eq!(h.query_all_by_label(&good_title).count(), 2);
    assert_eq!(h.query_all_by_label(&bad_title).count(), 2);
    assert_eq!(h.query_all_by_label("OK: healthy").count(), 2);
    assert_eq!(h.query_all_by_label("Stall: peer-not-reading").count(), 2);
    // Each from its own 0 s: the fitted range starts at 0 for both, whatever their start.
    let (v0, v1) = h.state().compare.fit(&h.state().model);
    assert!(v0 <= 0.0 && v0 > -0.5 && v1 >= 2.0, "{v0}..{v1}");
    h.get_by_label("Done").click();
    h.run();
    assert!(h.state().compare.conns.is_empty());
    assert!(h.query_by_label("Compare 2 connections").is_none());
}

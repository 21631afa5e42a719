//! UI tests of replaying a recorded connection (egui_kittest, on a trace recorded from the real
//! engine and the lab): at 10× it goes live, stalls and ends with the verdict the live run had;
//! it pauses and seeks back.

mod ui_common;

use egui_kittest::kittest::Queryable;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tlsscope::options::ConnectOptions;
use tlsscope::trace::verdict::{Class, Severity};
use ui_common::*;

#[test]
fn a_replay_at_ten_times_goes_live_then_stalled_and_ends_with_the_same_verdict() {
    let events = slow_reader();
    let original = events[0].conn;
    let mut app = app_with("lab:slow-reader", &events);
    // The replay's wall clock is the test's.
    let wall = Arc::new(AtomicU64::new(0));
    let clock = wall.clone();
    app.share.clock = Arc::new(move || Duration::from_millis(clock.load(Ordering::SeqCst)));
    let mut h = harness(app);
    h.run();
    let (class, total, count) = {
        let m = &h.state().model;
        let c = m.store.conn(original).expect("the connection");
        let total = c.end_at(m.now_of(original)) - c.first_t;
        (c.verdict(m.now_of(original)).class, total, c.events.len())
    };
    assert_eq!(class.severity(), Severity::Stall);
    h.get_by_label("Replay").click();
    h.step();
    h.step();
    h.get_by_label("10×").click();
    h.step();
    let replay = h
        .state()
        .model
        .current()
        .map(|c| c.id)
        .expect("the replay is shown");
    assert_ne!(replay, original);
    assert!(h.state().model.title(replay).starts_with("replay of #"));
    let (mut live, mut stalled_live) = (false, false);
    for step in 0..2000 {
        wall.fetch_add(5, Ordering::SeqCst);
        h.step();
        let m = &h.state().model;
        let Some(c) = m.store.conn(replay) else {
            continue;
        };
        let v = c.verdict(m.now_of(replay));
        if c.close.is_none() {
            live |= v.class == Class::InProgress;
            stalled_live |= v.severity() == Severity::Stall;
            assert!(h.state().model.follow, "the views follow the replay");
        }
        let run = h.state().share.replay(replay).expect("the replay");
        if run.schedule.finished() {
            // 10× in 5 ms steps: as many steps as a tenth of the trace takes, give or take one.
            let expected = (total / 50_000_000) as usize;
            assert!(
                step + 1 >= expected && step <= expected + 1,
                "{step} vs {expected}"
            );
            break;
        }
    }
    assert!(live, "the replay was live, in progress, before it stalled");
    assert!(
        stalled_live,
        "the banner went to stalled while the replay was still going"
    );
    let m = &h.state().model;
    let c = m.store.conn(replay).expect("the replay");
    assert!(c.close.is_some(), "the replay reached the end");
    assert_eq!(c.events.len(), count);
    assert_eq!(c.verdict(m.now_of(replay)).class, class);
    assert!(h.query_by_label("Play again").is_some());
}

#[test]
fn a_replay_pauses_and_seeks_back() {
    let events = record("lab:ok", ConnectOptions::default());
    let mut app = app_with("lab:ok", &events);
    let wall = Arc::new(AtomicU64::new(0));
    let clock = wall.clone();
    app.share.clock = Arc::new(move || Duration::from_millis(clock.load(Ordering::SeqCst)));
    let mut h = harness(app);
    h.run();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Replay this connection").click();
    h.step();
    h.step();
    let replay = h.state().model.current().map(|c| c.id).expect("the replay");
    h.get_by_label("0.1×").click();
    h.step();
    for _ in 0..20 {
        wall.fetch_add(1, Ordering::SeqCst);
        h.step();
    }
    h.get_by_label("Pause").click();
    h.step();
    let run = h.state().share.replay(replay).expect("the replay");
    let (at, fed) = (run.schedule.position(), run.schedule.fed());
    assert!(at > 0 && fed > 0 && !run.schedule.finished());
    // 0.1× for about 20 ms of wall time: about 2 ms of the trace.
    assert!((1_000_000..=3_000_000).contains(&at), "{at}");
    wall.fetch_add(10_000, Ordering::SeqCst);
    h.step();
    assert_eq!(
        h.state()
            .share
            .replay(replay)
            .map(|r| r.schedule.position()),
        Some(at)
    );
    // Back to the start with the position slider: the replay's connection is rebuilt from
    // what is due at 0 (its first event).
    h.get_by_role(egui::accesskit::Role::Slider)
        .set_value_accesskit(0.0);
    h.step();
    h.step();
    let run = h.state().share.replay(replay).expect("the replay");
    assert_eq!(run.schedule.position(), 0);
    assert!(run.schedule.fed() < fed);
    let c = h
        .state()
        .model
        .store
        .conn(replay)
        .expect("the replay's connection");
    assert_eq!(c.events.len(), run.schedule.fed());
    assert!(c.call_spans.is_empty(), "no call has ended at 0");
    // Play goes on from there at the speed chosen.
    h.get_by_label("Play").click();
    h.step();
    wall.fetch_add(10, Ordering::SeqCst);
    h.step();
    let run = h.state().share.replay(replay).expect("the replay");
    assert_eq!(run.schedule.position(), 1_000_000, "10 ms at 0.1×");
}

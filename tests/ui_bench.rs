//! Headless frame-time benchmark of the whole window at 10^4, 10^5 and 10^6 recorded events.
//! Run: `cargo test --release --test ui_bench -- --ignored --nocapture`.

use egui_kittest::Harness;
use std::time::Instant;
use tlsscope::trace::{Call, Dir, Event, EventKind, Interest, Io, Op, Sock, SslError, Wait, Woke};
use tlsscope::ui::App;

/// A bulk upload shaped like the engine's trace: per SSL_write a socket write, the call, and
/// every few calls a WANT_WRITE, a wait for writability and a buffer sample.
fn synthetic(n: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(n);
    let mut t = 0u64;
    let mut id = 0u32;
    while events.len() < n {
        id += 1;
        let blocked = id.is_multiple_of(8);
        let push = |events: &mut Vec<Event>, t: u64, kind| events.push(Event { t, conn: 1, kind });
        push(
            &mut events,
            t + 100,
            EventKind::Io(Io {
                call: Some(id),
                dir: Dir::Write,
                want: 16_406,
                got: if blocked { 0 } else { 16_406 },
                would_block: blocked,
                os_error: None,
            }),
        );
        push(
            &mut events,
            t,
            EventKind::Call(Call {
                id,
                op: Op::Write,
                ret: if blocked { -1 } else { 16_384 },
                error: if blocked {
                    SslError::WantWrite
                } else {
                    SslError::None
                },
                dur: 800,
                bytes: if blocked { 0 } else { 16_384 },
            }),
        );
        t += 1_000;
        if blocked {
            push(
                &mut events,
                t,
                EventKind::Wait(Wait {
                    interest: Interest::Write,
                    dur: 2_000,
                    woke: Woke::Writable,
                }),
            );
            t += 2_000;
            push(
                &mut events,
                t,
                EventKind::Sock(Sock {
                    outq: (id * 977) % 200_000,
                    sndbuf: 262_144,
                    rcvbuf: 131_072,
                    ..Default::default()
                }),
            );
        }
    }
    events.truncate(n);
    events
}

#[test]
#[ignore]
fn frame_time_at_scale() {
    for n in [10_000, 100_000, 1_000_000] {
        let events = synthetic(n);
        let mut app = App::offline();
        let fed = Instant::now();
        app.feed(&events);
        let feed_ms = fed.elapsed().as_secs_f64() * 1e3;
        let mut h = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .build_ui_state(|ui, app: &mut App| app.show(ui), app);
        // The first frames build the events table's row list once.
        h.step();
        h.step();
        let frames: u32 = 30;
        let start = Instant::now();
        for i in 0..frames {
            // Pan a little each frame so every query runs again on a new range.
            let (a, b) = h.state().model.view;
            let shift = (b - a) * 0.001 * if i.is_multiple_of(2) { 1.0 } else { -1.0 };
            h.state_mut().model.follow = false;
            h.state_mut().model.view = (a + shift, b + shift);
            h.step();
        }
        let per_frame = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
        println!("{n:>9} events: {per_frame:7.2} ms per frame (whole trace visible), ingest {feed_ms:.0} ms");
    }
}

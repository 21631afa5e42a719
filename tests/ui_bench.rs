//! Headless frame-time benchmark of the whole window at 10^4, 10^5 and 10^6 recorded events
//! (and 10^7 with `TLSSCOPE_BENCH_MAX=10000000`), and the rate of loading a JSONL file into the
//! store (parse + push) with the store's memory per event.
//! Run: `cargo test --release --test ui_bench -- --ignored --nocapture --test-threads 1`.

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
            EventKind::Io(Io::new(
                Some(id),
                Dir::Write,
                16_406,
                if blocked { 0 } else { 16_406 },
                blocked,
                None,
            )),
        );
        push(
            &mut events,
            t,
            EventKind::Call(Call::new(
                id,
                Op::Write,
                if blocked { -1 } else { 16_384 },
                if blocked {
                    SslError::WantWrite
                } else {
                    SslError::None
                },
                800,
            )),
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
                EventKind::Sock(Box::new(Sock {
                    outq: (id * 977) % 200_000,
                    sndbuf: 262_144,
                    rcvbuf: 131_072,
                    ..Default::default()
                })),
            );
        }
    }
    events.truncate(n);
    events
}

#[test]
#[ignore]
fn frame_time_at_scale() {
    let most: usize = std::env::var("TLSSCOPE_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    for n in [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
        .into_iter()
        .filter(|&n| n <= most)
    {
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

/// Resident memory of this process, in bytes (Linux).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Loading a JSONL trace into the store as the app does (line by line, 64 Ki-event batches):
/// events per second, the store's own count of its memory, and the process's resident memory.
#[test]
#[ignore]
fn load_rate_and_memory() {
    use std::io::Write;
    use tlsscope::trace::jsonl_stream::EventReader;
    use tlsscope::trace::store::Store;
    let n: usize = std::env::var("TLSSCOPE_LOAD_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.jsonl");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
        for e in synthetic(n) {
            let line = tlsscope::trace::jsonl::to_line(&e).expect("a line");
            writeln!(out, "{line}").expect("write");
        }
        out.flush().expect("flush");
    }
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let before = rss();
    let start = Instant::now();
    let reader = EventReader::new(std::io::BufReader::new(
        std::fs::File::open(&path).expect("open"),
    ));
    let mut store = Store::default();
    let mut batch = Vec::with_capacity(65_536);
    let mut count = 0usize;
    for e in reader {
        batch.push(e.expect("a good line"));
        if batch.len() == 65_536 {
            store.push_batch(&batch);
            count += batch.len();
            batch.clear();
        }
    }
    store.push_batch(&batch);
    count += batch.len();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(count, n);
    let after = rss();
    println!(
        "{n} events, {} MB file: {:.2} M events/s loaded; store {:.0} B/event (its count), RSS +{:.0} B/event",
        size / 1_000_000,
        n as f64 / secs / 1e6,
        store.memory() as f64 / n as f64,
        after.saturating_sub(before) as f64 / n as f64,
    );
}

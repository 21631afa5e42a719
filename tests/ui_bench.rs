//! Headless frame-time benchmark of the whole window at 10^4, 10^5 and 10^6 recorded events
//! (10^7 and 10^8 with `TLSSCOPE_BENCH_MAX=100000000`, or one size with `TLSSCOPE_BENCH_ONLY`),
//! with the resident memory per event and what the store holds per event by part; and the rate
//! of loading a JSONL file into the store (parse + push), and a binary one (decode + push).
//! Run: `cargo test --release --test ui_bench -- --ignored --nocapture --test-threads 1`.

use egui_kittest::Harness;
use std::time::Instant;
use tlsscope::trace::{Call, Dir, Event, EventKind, Interest, Io, Op, Sock, SslError, Wait, Woke};
use tlsscope::ui::App;

/// A bulk upload shaped like the engine's trace: per SSL_write a socket write, the call, and
/// every few calls a WANT_WRITE, a wait for writability and a buffer sample. Generated as it is
/// consumed, so 10^8 events need no vector of them all.
struct Synthetic {
    t: u64,
    id: u32,
    queued: std::collections::VecDeque<Event>,
}

fn synthetic_events() -> Synthetic {
    Synthetic {
        t: 0,
        id: 0,
        queued: Default::default(),
    }
}

impl Iterator for Synthetic {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Some(e) = self.queued.pop_front() {
            return Some(e);
        }
        self.id += 1;
        let (t, id) = (self.t, self.id);
        let blocked = id.is_multiple_of(8);
        let mut push = |t: u64, kind| self.queued.push_back(Event { t, conn: 1, kind });
        push(
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
        let mut t = t + 1_000;
        if blocked {
            push(
                t,
                EventKind::Wait(Wait {
                    interest: Interest::Write,
                    dur: 2_000,
                    woke: Woke::Writable,
                }),
            );
            t += 2_000;
            push(
                t,
                EventKind::Sock(Box::new(Sock {
                    outq: (id * 977) % 200_000,
                    sndbuf: 262_144,
                    rcvbuf: 131_072,
                    ..Default::default()
                })),
            );
        }
        self.t = t;
        self.queued.pop_front()
    }
}

/// The sizes to run: 10^4 up to `TLSSCOPE_BENCH_MAX` (10^6 unless set), or only
/// `TLSSCOPE_BENCH_ONLY` (one size per process, so its peak memory is its own).
fn sizes() -> Vec<usize> {
    let var = |name| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    if let Some(n) = var("TLSSCOPE_BENCH_ONLY") {
        return vec![n];
    }
    let most = var("TLSSCOPE_BENCH_MAX").unwrap_or(1_000_000);
    [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]
        .into_iter()
        .filter(|&n| n <= most)
        .collect()
}

/// A line of /proc/self/status in bytes (Linux): `VmRSS` now, `VmHWM` the peak.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// CPU time this thread has run, in nanoseconds (Linux schedstat; 0 where there is none): on a
/// machine shared with other work the frames' CPU time is steadier than their wall time.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn rss() -> u64 {
    status_bytes("VmRSS:")
}

/// What the store holds per event, by part.
fn parts(store: &tlsscope::trace::store::Store, n: usize) -> String {
    let mut sums: Vec<(&str, usize)> = Vec::new();
    for c in &store.conns {
        for (name, bytes) in c.memory_parts() {
            match sums.iter_mut().find(|s| s.0 == name) {
                Some(s) => s.1 += bytes,
                None => sums.push((name, bytes)),
            }
        }
    }
    sums.iter()
        .map(|(name, bytes)| format!("{name} {:.1}", *bytes as f64 / n as f64))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
#[ignore]
fn frame_time_at_scale() {
    for n in sizes() {
        let before = rss();
        let mut app = App::offline();
        let mut events = synthetic_events();
        // The feeding timed alone, and with making the synthetic events (as measured before).
        let all = Instant::now();
        let mut fed = std::time::Duration::ZERO;
        let mut left = n;
        while left > 0 {
            let batch: Vec<Event> = events.by_ref().take(left.min(65_536)).collect();
            left -= batch.len();
            let start = Instant::now();
            app.feed_owned(batch);
            fed += start.elapsed();
        }
        let feed_ms = fed.as_secs_f64() * 1e3;
        let all_ms = all.elapsed().as_secs_f64() * 1e3;
        let held = rss().saturating_sub(before);
        let store = parts(&app.model.store, n);
        let mut h = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .build_ui_state(|ui, app: &mut App| app.show(ui), app);
        // The first frames build the events table's row list once.
        let first = Instant::now();
        h.step();
        h.step();
        let first_ms = first.elapsed().as_secs_f64() * 1e3;
        // With the window's own state (the events table's rows) on top of the store.
        let shown = rss().saturating_sub(before);
        // More with `TLSSCOPE_BENCH_FRAMES` (for a profile of the frames alone).
        let frames: u32 = std::env::var("TLSSCOPE_BENCH_FRAMES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        let start = Instant::now();
        let cpu = thread_cpu_ns();
        for i in 0..frames {
            // Pan a little each frame so every query runs again on a new range.
            let (a, b) = h.state().model.view;
            let shift = (b - a) * 0.001 * if i.is_multiple_of(2) { 1.0 } else { -1.0 };
            h.state_mut().model.follow = false;
            h.state_mut().model.view = (a + shift, b + shift);
            h.step();
        }
        let per_frame = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
        let cpu_frame = thread_cpu_ns().saturating_sub(cpu) as f64 / 1e6 / frames as f64;
        println!(
            "{n:>9} events: {per_frame:7.2} ms per frame ({cpu_frame:.2} ms CPU; whole trace visible; first two {first_ms:.0} ms), \
             ingest {feed_ms:.0} ms ({:.1} M/s; {:.1} M/s with making the events), RSS +{:.0} B/event, +{:.0} once shown (peak {} MB); \
             store B/event: {store}",
            n as f64 / feed_ms / 1e3,
            n as f64 / all_ms / 1e3,
            held as f64 / n as f64,
            shown as f64 / n as f64,
            status_bytes("VmHWM:") / 1_000_000,
        );
    }
}

/// Loading a JSONL trace into the store as the app does (blocks of lines parsed on two threads,
/// added to the store in file order on this one), and each stage alone: reading the file line
/// by line on one thread, parsing on two, adding parsed events to the store.
#[test]
#[ignore]
fn load_rate_and_memory() {
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use tlsscope::trace::jsonl_parallel::read_parallel;
    use tlsscope::trace::jsonl_stream::EventReader;
    use tlsscope::trace::store::Store;
    let n: usize = std::env::var("TLSSCOPE_LOAD_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    // TLSSCOPE_LOAD_FILE keeps the file (to open it in the app: `tlsscope --open FILE`).
    let path = std::env::var("TLSSCOPE_LOAD_FILE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("big.jsonl"));
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
        for e in synthetic_events().take(n) {
            let line = tlsscope::trace::jsonl::to_line(&e).expect("a line");
            writeln!(out, "{line}").expect("write");
        }
        out.flush().expect("flush");
    }
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let open = || std::fs::File::open(&path).expect("open");
    let rate = |start: Instant| n as f64 / start.elapsed().as_secs_f64() / 1e6;
    let no = AtomicBool::new(false);

    // Parse only, one thread, line by line.
    let start = Instant::now();
    let count = EventReader::new(std::io::BufReader::new(open())).count();
    let serial = rate(start);
    assert_eq!(count, n);

    // Parse only, two threads, in blocks.
    let start = Instant::now();
    let mut count = 0;
    let end = read_parallel(open(), 16 << 20, 2, &no, |b| {
        count += b.len();
        true
    });
    let parallel = rate(start);
    assert_eq!((count, end), (n, Some(Ok(()))));

    // Adding to the store only (events parsed beforehand, at most 10^7 of them in memory).
    let m = n.min(10_000_000);
    let batches: Vec<Vec<Event>> = {
        let mut events = synthetic_events().take(m).peekable();
        let mut out = Vec::new();
        while events.peek().is_some() {
            out.push(events.by_ref().take(10_000).collect());
        }
        out
    };
    let mut store = Store::default();
    let start = Instant::now();
    for b in batches {
        store.take_batch(b);
    }
    let ingest = m as f64 / start.elapsed().as_secs_f64() / 1e6;
    drop(store);

    // The whole load as the app does it.
    let before = rss();
    let mut store = Store::default();
    let start = Instant::now();
    let end = read_parallel(open(), 16 << 20, 2, &no, |b| {
        store.take_batch(b);
        true
    });
    let whole = rate(start);
    assert_eq!(end, Some(Ok(())));
    assert_eq!(store.total_events, n as u64);
    let after = rss();
    println!(
        "{n} events, {} MB file: loaded {whole:.2} M events/s (parse 1 thread {serial:.2} M/s, \
         2 threads {parallel:.2} M/s; store alone {ingest:.1} M/s); RSS +{:.0} B/event; store B/event: {}",
        size / 1_000_000,
        after.saturating_sub(before) as f64 / n as f64,
        parts(&store, n),
    );
}

/// CPU time of the whole process (all threads), nanoseconds: on a machine shared with other
/// work the wall-clock rate is noisy, the CPU spent per event is not.
fn cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Loading a binary trace (`.tlsscope`) into the store as the app does (blocks read on one
/// thread, decoded on two, added to the store in file order on this one), file on disk to
/// store, at 2·10^6 and 10^7 events (`TLSSCOPE_BINARY_LOAD_EVENTS=N,M` for others; `TLSSCOPE_BINARY_KEEP_DIR=DIR` keeps the files); and decoding
/// alone. Prints events/s and the file's bytes per event.
#[test]
#[ignore]
fn binary_load_rate() {
    use std::sync::atomic::AtomicBool;
    use tlsscope::trace::binary::{encode::Encoder, parallel::read_parallel};
    use tlsscope::trace::store::Store;
    let sizes: Vec<usize> = std::env::var("TLSSCOPE_BINARY_LOAD_EVENTS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2_000_000, 10_000_000]);
    let decoders: usize = std::env::var("TLSSCOPE_DECODERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let dir = tempfile::tempdir().expect("temp dir");
    // TLSSCOPE_BINARY_KEEP_DIR keeps the traces there, to open them in the app.
    let keep = std::env::var_os("TLSSCOPE_BINARY_KEEP_DIR").map(std::path::PathBuf::from);
    for n in sizes {
        let folder = keep.as_deref().unwrap_or(dir.path());
        let path = folder.join(format!("big-{n}.tlsscope"));
        let start = Instant::now();
        {
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
            let mut enc = Encoder::new();
            for e in synthetic_events().take(n) {
                enc.push(&e, &mut out).expect("write");
            }
            enc.finish(&mut out).expect("write");
            std::io::Write::flush(&mut out).expect("flush");
        }
        let write = n as f64 / start.elapsed().as_secs_f64() / 1e6;
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let open = || std::fs::File::open(&path).expect("open");
        let rate = |start: Instant| n as f64 / start.elapsed().as_secs_f64() / 1e6;
        let no = AtomicBool::new(false);

        // Decoding alone, two threads.
        let cpu = cpu_ns();
        let start = Instant::now();
        let mut count = 0;
        let end = read_parallel(open(), 2, &no, |b| {
            count += b.len();
            true
        });
        let decode = rate(start);
        let decode_cpu = (cpu_ns() - cpu) as f64 / n as f64;
        assert_eq!((count, end), (n, Some(Ok(()))));

        // Decoding alone, one thread; and adding decoded events to the store alone (up to
        // 10^7 events: all of them are held at once).
        let (mut decode1, mut ingest, mut ingest_cpu) = (f64::NAN, f64::NAN, f64::NAN);
        if n <= 10_000_000 {
            let start = Instant::now();
            let mut batches = Vec::new();
            let end = read_parallel(open(), 1, &no, |b| {
                batches.push(b);
                true
            });
            decode1 = rate(start);
            assert_eq!(end, Some(Ok(())));
            let mut store = Store::default();
            let cpu = cpu_ns();
            let start = Instant::now();
            for b in batches {
                store.take_batch(b);
            }
            ingest = rate(start);
            ingest_cpu = (cpu_ns() - cpu) as f64 / n as f64;
        }

        // The whole load: file on disk to the store, with the app's decoder threads.
        let before = rss();
        let mut store = Store::default();
        let cpu = cpu_ns();
        let start = Instant::now();
        let end = read_parallel(open(), decoders, &no, |b| {
            store.take_batch(b);
            true
        });
        let whole = rate(start);
        let whole_cpu = (cpu_ns() - cpu) as f64 / n as f64;
        assert_eq!(end, Some(Ok(())));
        assert_eq!(store.total_events, n as u64);
        let after = rss();
        println!(
            "binary: {n} events, {:.1} MB file ({:.2} B/event): loaded {whole:.2} M events/s \
             end to end with {decoders} decoder threads ({whole_cpu:.0} ns CPU/event); decode \
             alone on 2 threads {decode:.1} M/s ({decode_cpu:.0} ns CPU/event), 1 thread \
             {decode1:.1} M/s; store alone {ingest:.1} M/s ({ingest_cpu:.0} ns CPU/event); \
             written at {write:.1} M/s; RSS +{:.0} B/event; load average {}",
            size as f64 / 1e6,
            size as f64 / n as f64,
            after.saturating_sub(before) as f64 / n as f64,
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .split_whitespace()
                .next()
                .unwrap_or("?"),
        );
        drop(store);
        if keep.is_none() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

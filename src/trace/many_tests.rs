use super::*;
use crate::trace::verdict::{Breakdown, Verdict};

const MS: Nanos = 1_000_000;

fn ev(t: Nanos, conn: ConnId, kind: EventKind) -> Event {
    Event { t, conn, kind }
}

fn verdict(class: Class, handshake: Nanos, summary: &str) -> EventKind {
    EventKind::Verdict(Box::new(Verdict {
        class,
        summary: summary.into(),
        evidence: Vec::new(),
        next_user: Vec::new(),
        next_code: Vec::new(),
        breakdown: Breakdown {
            handshake,
            ..Breakdown::default()
        },
        focus: None,
    }))
}

fn tls() -> EventKind {
    EventKind::Tls(Box::new(TlsInfo {
        version: "TLSv1.3".into(),
        cipher: "TLS_AES_256_GCM_SHA384".into(),
        alpn: None,
        sni: None,
        verify: "ok".into(),
        resumed: false,
        chain: Vec::new(),
        ocsp: None,
        resumption: None,
    }))
}

fn read(id: CallId, bytes: u32, dur: Nanos) -> EventKind {
    EventKind::Call(Call::new(
        id,
        Op::Read,
        if bytes > 0 { bytes as i32 } else { -1 },
        if bytes > 0 {
            SslError::None
        } else {
            SslError::WantRead
        },
        dur,
    ))
}

fn close(reason: CloseReason) -> EventKind {
    EventKind::Close(Close {
        reason,
        notify_sent: reason == CloseReason::Clean,
        notify_received: reason == CloseReason::Clean,
        workload_done: reason == CloseReason::Clean,
    })
}

/// One connection's events from `start`: handshake done after `hs`, the first response byte
/// returned at `start + fb` (unless it stalled), closed at `start + end`.
fn conn_events(
    conn: ConnId,
    start: Nanos,
    hs: Nanos,
    fb: Nanos,
    end: Nanos,
    stalled: bool,
) -> Vec<Event> {
    let mut out = vec![
        ev(start, conn, EventKind::Phase(Phase::Resolve)),
        ev(start + hs, conn, tls()),
        ev(start + hs + 1, conn, read(3, 0, 10)),
    ];
    if stalled {
        out.push(ev(
            start + end,
            conn,
            verdict(
                Class::NoResponse,
                hs,
                "We wait for the answer to our request.",
            ),
        ));
        out.push(ev(start + end, conn, close(CloseReason::Timeout)));
    } else {
        // The call starts 1 ms before it returns with the first bytes.
        out.push(ev(start + fb - MS, conn, read(4, 139, MS)));
        out.push(ev(
            start + end,
            conn,
            verdict(Class::Healthy, hs, "Healthy."),
        ));
        out.push(ev(start + end, conn, close(CloseReason::Clean)));
    }
    out
}

#[test]
fn percentiles_are_nearest_rank_values_that_were_measured() {
    assert_eq!(Percentiles::of(Vec::new()), None);
    let one = Percentiles::of(vec![7]).unwrap();
    assert_eq!(
        (one.count, one.p50, one.p90, one.p99, one.max),
        (1, 7, 7, 7, 7)
    );
    let hundred = Percentiles::of((1..=100).rev().collect()).unwrap();
    assert_eq!(
        (hundred.p50, hundred.p90, hundred.p99, hundred.max),
        (50, 90, 99, 100)
    );
    let ten = Percentiles::of((1..=10).collect()).unwrap();
    assert_eq!((ten.p50, ten.p90, ten.p99, ten.max), (5, 9, 10, 10));
    // One outlier in fifty shows in p99 and max, not in p90.
    let mut fifty: Vec<Nanos> = vec![2 * MS; 49];
    fifty.push(4000 * MS);
    let p = Percentiles::of(fifty).unwrap();
    assert_eq!(
        (p.p50, p.p90, p.p99, p.max),
        (2 * MS, 2 * MS, 4000 * MS, 4000 * MS)
    );
}

/// Fifty connections, ten at a time, their events interleaved; #37 stalls. The summary counts
/// the classes, names #37 as the odd one out, and the exit reason says so.
#[test]
fn the_one_in_fifty_stall_is_named_with_its_id() {
    let mut events = Vec::new();
    for conn in 1..=50u32 {
        let start = Nanos::from(conn) * 3 * MS;
        events.extend(conn_events(conn, start, 2 * MS, 5 * MS, 8 * MS, conn == 37));
    }
    // Interleave: by time, as the engine emits them (stable, so a close stays after its verdict).
    events.sort_by_key(|e| e.t);
    let mut tally = Tally::new();
    for e in &events {
        tally.feed(e);
    }
    let s = tally.summary(50, 10);
    assert_eq!((s.closed, s.clean, s.seen), (50, 49, 50));
    assert_eq!(s.classes[0].class, Class::Healthy);
    assert_eq!(s.classes[0].count, 49);
    let odd = s.odd_ones_out();
    assert_eq!(odd.len(), 1);
    assert_eq!(
        (odd[0].class, odd[0].count, &odd[0].ids[..]),
        (Class::NoResponse, 1, &[37][..])
    );
    assert_eq!(
        s.failure().as_deref(),
        Some("1 of 50 connections: 1 stalled (#37 no-response)")
    );
    let text = s.lines().join("\n");
    assert!(text.contains("49 ended cleanly, 1 stalled"), "{text}");
    assert!(
        !text.contains("most common"),
        "healthy needs no explanation\n{text}"
    );
    assert!(
        text.contains("verdicts: healthy 49 (ok), no-response 1 (stall)"),
        "{text}"
    );
    assert!(
        text.contains("odd one out: 1 of 50 no-response: #37: We wait for the answer"),
        "{text}"
    );
    // Handshakes: all 50; first byte: the 49 that got one; total: the stall's 8 ms like the rest.
    let hs = s.handshake.unwrap();
    assert_eq!((hs.count, hs.max), (50, 2 * MS));
    let fb = s.first_byte.unwrap();
    assert_eq!((fb.count, fb.p50, fb.max), (49, 5 * MS, 5 * MS));
    assert_eq!(s.total.unwrap().p99, 8 * MS);
    // Five events per healthy connection and four for the stalled one (verdicts not counted).
    assert_eq!((s.events, s.events_min, s.events_max), (49 * 5 + 4, 4, 5));
    assert!(
        text.contains("0 dropped; 50 of 50 connections closed"),
        "{text}"
    );
}

#[test]
fn all_clean_is_no_failure_and_missing_or_dropped_is() {
    let mut tally = Tally::new();
    for conn in 1..=3 {
        for e in conn_events(conn, 0, MS, 2 * MS, 3 * MS, false) {
            tally.feed(&e);
        }
    }
    assert_eq!(tally.summary(3, 3).failure(), None);
    assert!(tally.summary(3, 3).odd_ones_out().is_empty());
    // A fourth connection requested and started but never closed, and a dropped batch.
    tally.feed(&ev(10 * MS, 4, EventKind::Phase(Phase::Resolve)));
    tally.feed(&ev(11 * MS, 0, EventKind::Dropped { count: 12 }));
    let s = tally.summary(4, 2);
    assert_eq!((s.seen, s.closed, s.dropped), (4, 3, 12));
    assert_eq!(
        s.failure().as_deref(),
        Some("1 of 4 connections: 1 did not close, 12 events dropped")
    );
}

#[test]
fn ids_are_bounded_and_the_rest_counted() {
    let mut tally = Tally::new();
    for conn in 1..=100 {
        let mut events = conn_events(conn, 0, MS, 2 * MS, 3 * MS, conn > 1);
        // A closed connection without a verdict still counts, as `failed`.
        if conn == 100 {
            events.retain(|e| !matches!(e.kind, EventKind::Verdict(_)));
        }
        for e in events {
            tally.feed(&e);
        }
    }
    let s = tally.summary(100, 10);
    assert_eq!(s.classes[0].class, Class::NoResponse);
    assert_eq!(s.classes[0].count, 98);
    assert_eq!(s.classes[0].ids.len(), 20);
    let reason = s.failure().unwrap();
    assert!(
        reason.starts_with("99 of 100 connections: 98 stalled (#2 no-response, #3 no-response"),
        "{reason}"
    );
    assert!(
        reason.contains("and 78 more), 1 failed (#100 failed)"),
        "{reason}"
    );
    let text = s.lines().join("\n");
    assert!(
        text.contains("most common: 98 of 100 no-response: #2, #3, #4,"),
        "{text}"
    );
    assert!(
        text.contains("#21, and 78 more: We wait for the answer"),
        "{text}"
    );
    // The one healthy connection is an odd one out, like the one without a verdict.
    let odd: Vec<Class> = s.odd_ones_out().iter().map(|c| c.class).collect();
    assert_eq!(odd, vec![Class::Healthy, Class::Failed]);
}

#[test]
fn the_json_line_is_a_summary_readers_can_recognise() {
    let mut tally = Tally::new();
    for conn in 1..=2 {
        for e in conn_events(conn, 0, MS, 2 * MS, 3 * MS, conn == 2) {
            tally.feed(&e);
        }
    }
    let line = tally.summary(2, 1).to_line();
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["kind"], "summary");
    assert_eq!(v["conn"], 0);
    assert_eq!(v["t"], 3 * MS);
    assert_eq!(v["classes"]["healthy"], 1);
    assert_eq!(v["classes"]["no-response"], 1);
    assert_eq!(v["odd"][0]["conns"][0], 2);
    assert_eq!(v["unclean"][0]["how"], "stalled");
    assert_eq!(v["handshake"]["count"], 2);
    assert_eq!(v["first_byte"]["p50"], 2 * MS);
    assert_eq!(v["dropped"], 0);
    assert!(is_summary_line(&line));
    assert!(!is_summary_line(r#"{"t":1,"conn":1,"kind":"summary"}"#));
    assert!(!is_summary_line(r#"{"t":1,"conn":0,"kind":"close"}"#));
    assert!(!is_summary_line("not json"));
    // The event reader skips it in a whole file, and refuses it as an event.
    let first = crate::trace::jsonl::to_line(&ev(5, 1, EventKind::Phase(Phase::Resolve)))
        .expect("a phase has a line");
    let file = format!("{first}\n{line}\n");
    let events = crate::trace::jsonl_read::from_text(&file).unwrap();
    assert_eq!(events.len(), 1);
    assert!(crate::trace::jsonl_read::from_line(&line).is_err());
}

/// Mostly stalled with many at once: the summary says our own load may be the cause (seen with
/// 100 connections at once against a single-threaded `openssl s_server`); the same stalls one at
/// a time, or one stall in fifty, get no such note.
#[test]
fn mostly_slow_with_many_at_once_says_the_load_may_be_the_cause() {
    let summary = |stalled: &dyn Fn(u32) -> bool, parallel: u64| {
        let mut events = Vec::new();
        for conn in 1..=10u32 {
            let start = Nanos::from(conn) * MS;
            events.extend(conn_events(
                conn,
                start,
                2 * MS,
                5 * MS,
                8 * MS,
                stalled(conn),
            ));
        }
        events.sort_by_key(|e| e.t);
        let mut tally = Tally::new();
        for e in &events {
            tally.feed(e);
        }
        tally.summary(10, parallel).lines().join("\n")
    };
    let text = summary(&|conn| conn > 2, 10);
    assert!(
        text.contains("note: 8 of 10 were slow or stalled with up to 10 connections at once"),
        "{text}"
    );
    assert!(!summary(&|conn| conn > 2, 1).contains("note:"));
    assert!(!summary(&|conn| conn == 7, 10).contains("note:"));
}

//! `tlsscope trace --repeat N --parallel P` as a user runs it against the lab: many connections on
//! one engine, none of their events dropped, at most P at once, and a summary that names the
//! one-in-fifty stall by its connection number.

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use tlsscope::trace::verdict::Severity;
use tlsscope::trace::{jsonl_read, ConnId, Event, EventKind};

fn tlsscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlsscope-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// Runs `trace` with JSONL into a file; returns the output, the events (read back with the
/// library's reader, which skips the summary line) and the summary line.
fn trace_jsonl(args: &[&str], name: &str) -> (Output, Vec<Event>, Value) {
    let path = temp_file(name);
    let path_text = path.to_string_lossy().into_owned();
    let mut all = vec!["trace"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "jsonl", "--out", &path_text]);
    let out = tlsscope(&all);
    let text = std::fs::read_to_string(&path).expect("the trace file");
    let events = jsonl_read::from_text(&text).expect("tlsscope's reader accepts the file");
    let last = text.lines().last().expect("a last line");
    let summary: Value = serde_json::from_str(last).expect("the last line is JSON");
    assert_eq!(summary["kind"], "summary", "the last line is the summary");
    assert_eq!(summary["conn"], 0);
    let _ = std::fs::remove_file(&path);
    (out, events, summary)
}

/// Per connection: its events, in file order.
fn by_conn(events: &[Event]) -> HashMap<ConnId, Vec<&Event>> {
    let mut map: HashMap<ConnId, Vec<&Event>> = HashMap::new();
    for e in events {
        map.entry(e.conn).or_default().push(e);
    }
    map
}

/// The most connections open at once, from the order of their first and last events.
fn most_at_once(events: &[Event]) -> usize {
    let mut open: std::collections::HashSet<ConnId> = Default::default();
    let mut most = 0;
    for e in events {
        if matches!(e.kind, EventKind::Close(_)) {
            open.remove(&e.conn);
        } else if !matches!(e.kind, EventKind::Verdict(_)) {
            open.insert(e.conn);
            most = most.max(open.len());
        }
    }
    most
}

/// 100 connections at once to `lab:ok`: every one recorded to its close with a verdict before
/// it, nothing dropped, the summary's counts equal to what the file holds.
#[test]
fn a_hundred_connections_at_once_lose_no_event() {
    let (out, events, summary) = trace_jsonl(
        &["lab:ok", "--repeat", "100", "--parallel", "100"],
        "ok100.jsonl",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let conns = by_conn(&events);
    let mut ids: Vec<ConnId> = conns.keys().copied().collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=100).collect::<Vec<_>>());
    assert!(!events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Dropped { .. })));
    for (id, list) in &conns {
        let closes = list
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Close(_)))
            .count();
        assert_eq!(closes, 1, "connection {id}");
        assert!(
            matches!(list.last().map(|e| &e.kind), Some(EventKind::Close(c)) if c.workload_done),
            "connection {id} ends with its close"
        );
        let verdict = list.iter().rev().nth(1).map(|e| &e.kind);
        match verdict {
            // Loaded machines turn some handshakes `slow`; nothing may stall or fail.
            Some(EventKind::Verdict(v)) => assert!(
                matches!(v.severity(), Severity::Ok | Severity::Slow),
                "connection {id}: {:?}",
                v.class
            ),
            other => panic!("connection {id}: no verdict before its close: {other:?}"),
        }
        // A whole HTTP exchange: setup, connect, handshake calls, the request, the response.
        assert!(list.len() > 30, "connection {id} has {} events", list.len());
    }
    // The engine had far more than one connection open at a time (all 100 start before the
    // first handshake can finish) and never more than asked.
    let most = most_at_once(&events);
    assert!((50..=100).contains(&most), "{most} at once");
    let recorded = events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::Verdict(_) | EventKind::Timing(_)))
        .count();
    assert_eq!(summary["events"], recorded as u64);
    assert_eq!(summary["dropped"], 0);
    assert_eq!(summary["closed"], 100);
    assert_eq!(summary["clean"], 100);
    assert_eq!(summary["connections"], 100);
    assert_eq!(summary["parallel"], 100);
    assert_eq!(summary["handshake"]["count"], 100);
    assert_eq!(summary["first_byte"]["count"], 100);
    let classes = summary["classes"].as_object().expect("classes");
    let counted: u64 = classes.values().filter_map(Value::as_u64).sum();
    assert_eq!(counted, 100);
}

/// Fifty connections one at a time to `lab:intermittent`: the 50th stalls, and the summary line,
/// the exit status and its reason all name #50 and its class.
#[test]
fn the_one_in_fifty_stall_is_named_in_jsonl() {
    let (out, events, summary) = trace_jsonl(
        &["lab:intermittent", "--repeat", "50", "--timeout", "1.5"],
        "intermittent.jsonl",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).lines().last(),
        Some("tlsscope: 1 of 50 connections: 1 stalled (#50 no-response)")
    );
    assert_eq!(most_at_once(&events), 1, "one at a time");
    assert_eq!(summary["closed"], 50);
    assert_eq!(summary["clean"], 49);
    assert_eq!(summary["classes"]["no-response"], 1);
    assert_eq!(summary["unclean"][0]["how"], "stalled");
    assert_eq!(summary["unclean"][0]["conns"][0]["conn"], 50);
    assert_eq!(summary["unclean"][0]["conns"][0]["class"], "no-response");
    let odd = summary["odd"].as_array().expect("odd ones out");
    let stalled = odd
        .iter()
        .find(|o| o["class"] == "no-response")
        .expect("the stall is an odd one out");
    assert_eq!(stalled["conns"], serde_json::json!([50]));
    assert_eq!(stalled["severity"], "stall");
    // The first byte never came on #50: 49 connections have one.
    assert_eq!(summary["first_byte"]["count"], 49);
    let verdict_of_50 = events.iter().find_map(|e| match &e.kind {
        EventKind::Verdict(v) if e.conn == 50 => Some(v.class.name()),
        _ => None,
    });
    assert_eq!(verdict_of_50, Some("no-response"));
}

/// Ten at a time, the text output interleaves connections, diagnoses each one, and its summary
/// names the one stalled connection (which one depends on the order the lab accepted them).
#[test]
fn the_one_in_fifty_stall_is_named_in_text() {
    let out = tlsscope(&[
        "trace",
        "lab:intermittent",
        "--repeat",
        "50",
        "--parallel",
        "10",
        "--timeout",
        "1.5",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let diagnosed: Vec<(&str, &str)> = text
        .lines()
        .zip(text.lines().skip(1))
        .filter(|(l, _)| l.ends_with("] diagnosis:"))
        .collect();
    assert_eq!(diagnosed.len(), 50, "{text}");
    let stalled: Vec<&str> = diagnosed
        .iter()
        .filter(|(_, verdict)| verdict.trim() == "verdict: no-response (stall)")
        .map(|(head, _)| {
            head.trim_start_matches('[')
                .trim_end_matches("] diagnosis:")
        })
        .collect();
    assert_eq!(stalled.len(), 1, "{text}");
    let id = stalled[0];
    let summary = text
        .split("\nsummary:\n")
        .nth(1)
        .expect("a summary section");
    assert!(
        summary.contains("50 connections, 10 at a time: 49 ended cleanly, 1 stalled"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!(
            "odd one out: 1 of 50 no-response: #{id}: We wait for the answer to our request"
        )),
        "{summary}"
    );
    assert!(
        summary.contains("0 dropped; 50 of 50 connections closed"),
        "{summary}"
    );
    assert_eq!(
        stderr(&out).lines().last().map(str::to_string),
        Some(format!(
            "tlsscope: 1 of 50 connections: 1 stalled (#{id} no-response)"
        ))
    );
    // Interleaved: some connection's events come after another's began and before it closed.
    let first_of = |id: &str| text.find(&format!("[{id}] ")).expect("its events");
    let close_of = |id: &str| {
        text.find(&format!("[{id}] diagnosis:"))
            .expect("its diagnosis")
    };
    assert!(
        first_of("2") < close_of("1"),
        "connection 2 began before 1 closed"
    );
}

#[test]
fn repeat_and_parallel_are_checked() {
    for (args, reason) in [
        (
            vec!["--repeat", "0"],
            "tlsscope: --repeat 0: give a number of connections from 1 to 100000",
        ),
        (
            vec!["--repeat", "100001"],
            "tlsscope: --repeat 100001: give a number of connections from 1 to 100000",
        ),
        (
            vec!["--parallel", "5"],
            "tlsscope: --parallel 5 is more than --repeat 1: at most as many at once as in all",
        ),
        (
            vec!["--repeat", "5000", "--parallel", "1001"],
            "tlsscope: --parallel 1001: give a number of connections at once from 1 to 1000",
        ),
    ] {
        let mut all = vec!["trace", "lab:ok"];
        all.extend_from_slice(&args);
        let out = tlsscope(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out).trim_end(), reason, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Regression: `tlsscope show` refused the summary line that ends a `--repeat` JSONL trace.
#[test]
fn show_reads_a_repeat_trace_with_its_summary_line() {
    let dir = std::env::temp_dir().join(format!("tlsscope-many-show-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("two.jsonl");
    let bin = env!("CARGO_BIN_EXE_tlsscope");
    let traced = std::process::Command::new(bin)
        .args([
            "trace", "lab:ok", "--repeat", "2", "--format", "jsonl", "--out",
        ])
        .arg(&file)
        .output()
        .expect("tlsscope runs");
    assert!(traced.status.success(), "{traced:?}");
    let text = std::fs::read_to_string(&file).expect("the trace");
    assert!(text
        .lines()
        .last()
        .is_some_and(|l| l.contains("\"summary\"")));
    let shown = std::process::Command::new(bin)
        .arg("show")
        .arg(&file)
        .output()
        .expect("tlsscope runs");
    let out = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert_eq!(out.matches("diagnosis:").count(), 2, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

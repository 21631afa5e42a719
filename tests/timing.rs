//! The phase waterfall (`timing` event) against real peers on loopback: the lab, `openssl
//! s_server -www`, a STARTTLS server and an HTTP CONNECT proxy (Python peers in tests/peers/),
//! and a port nobody listens on. Each runs `tlsscope trace … --format jsonl` as a user would and
//! checks the steps' order and that their offsets fit the connection (no wall-clock bounds).

mod common;

use common::bounded::PyPeer;
use common::*;
use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str]) -> (Output, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (out, lines)
}

fn all(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Checks connection `conn`'s timing event against its other lines and returns its step names.
fn check_timing(lines: &[Value], conn: u64) -> Vec<String> {
    let mine: Vec<&Value> = lines.iter().filter(|v| v["conn"] == conn).collect();
    let timings: Vec<&&Value> = mine.iter().filter(|v| v["kind"] == "timing").collect();
    assert_eq!(timings.len(), 1, "one timing for connection {conn}");
    let t = timings[0];
    // Written just before the verdict, which is just before the close.
    let kinds: Vec<&str> = mine.iter().filter_map(|v| v["kind"].as_str()).collect();
    assert_eq!(kinds[kinds.len() - 3..], ["timing", "verdict", "close"]);
    let start = t["start"].as_u64().expect("start");
    let total = t["total"].as_u64().expect("total");
    let first_t = mine.iter().filter_map(|v| v["t"].as_u64()).min();
    assert_eq!(
        Some(start),
        first_t,
        "the connection starts at its first event"
    );
    let close_t = mine.last().and_then(|v| v["t"].as_u64()).expect("close t");
    assert_eq!(start + total, close_t, "the waterfall ends at the close");
    let steps = t["steps"].as_array().expect("steps");
    let mut previous = 0;
    for s in steps {
        let (from, dur) = (s["start"].as_u64().expect("start"), s["dur"].as_u64());
        let dur = dur.expect("dur");
        assert!(from >= previous, "steps in order: {t}");
        assert!(from + dur <= total, "inside the connection: {t}");
        previous = from;
    }
    // The bytes are those the calls moved; the round trips those the verdict counted.
    let moved = |op: &str| -> u64 {
        mine.iter()
            .filter(|v| v["kind"] == "call" && v["op"] == op)
            .filter_map(|v| v["bytes"].as_u64())
            .sum()
    };
    assert_eq!(t["app_in"].as_u64(), Some(moved("SSL_read")));
    assert_eq!(t["app_out"].as_u64(), Some(moved("SSL_write")));
    let verdict = mine
        .iter()
        .find(|v| v["kind"] == "verdict")
        .expect("verdict");
    assert_eq!(
        t["round_trip_count"],
        verdict["breakdown"]["handshake_round_trips"]
    );
    for r in t["round_trips"].as_array().expect("round trips") {
        let handshake = steps.iter().find(|s| s["step"] == "handshake");
        let h = handshake.expect("round trips happen in a handshake");
        let (hs, hd) = (h["start"].as_u64(), h["dur"].as_u64());
        let (rs, rd) = (r["start"].as_u64(), r["dur"].as_u64());
        assert!(rs >= hs && rs.zip(rd).map(|(a, b)| a + b) <= hs.zip(hd).map(|(a, b)| a + b));
    }
    steps
        .iter()
        .map(|s| s["step"].as_str().unwrap_or("?").to_string())
        .collect()
}

const HTTP_STEPS: [&str; 7] = [
    "resolve",
    "connect",
    "handshake",
    "request",
    "first_byte",
    "last_byte",
    "close",
];

#[test]
fn an_http_exchange_with_the_lab_has_every_step_and_reconnects_each_their_own() {
    let (out, lines) = run(&[
        "trace",
        "lab:ok",
        "--format",
        "jsonl",
        "--repeat",
        "3",
        "--parallel",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let mut last_start = 0;
    for conn in 1..=3 {
        assert_eq!(check_timing(&lines, conn), HTTP_STEPS, "connection {conn}");
        let t = lines
            .iter()
            .find(|v| v["conn"] == conn && v["kind"] == "timing")
            .expect("timing");
        assert!(t["round_trip_count"].as_u64() >= Some(1), "{t}");
        assert!(t["steps"]
            .as_array()
            .is_some_and(|s| s.iter().all(|s| s["done"] == true)));
        // Reconnects one after another: each starts later, on the engine's one clock.
        let start = t["start"].as_u64().expect("start");
        assert!(start > last_start);
        last_start = start;
    }
}

#[test]
fn openssl_s_server_answers_and_the_text_trace_draws_the_waterfall() {
    let files = cert_files();
    let server = SServer::start(&["-www"]);
    let target = format!("localhost:{}", server.port);
    let ca = files.ca.to_string_lossy().into_owned();
    let args = ["trace", &target, "--ca", &ca, "--http-get", "/"];
    let (out, lines) = run(&[&args[..], &["--format", "jsonl"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let steps = check_timing(&lines, 1);
    // s_server -www closes after its page, perhaps before our close_notify: the steps up to
    // the last byte are there in any case.
    assert_eq!(steps[..6], HTTP_STEPS[..6], "{steps:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope");
    let text = String::from_utf8_lossy(&out.stdout);
    let head = text.find("timing total").expect("the timing line");
    let rows: Vec<&str> = text[head..].lines().skip(1).take(3).collect();
    assert!(rows[0].trim_start().starts_with("resolve"), "{rows:?}");
    assert!(rows[1].trim_start().starts_with("TCP connect"), "{rows:?}");
    assert!(
        rows[2].trim_start().starts_with("TLS handshake"),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.contains("|") && r.contains('=')));
}

#[test]
fn starttls_and_a_proxy_each_have_their_step_before_the_handshake() {
    let files = cert_files();
    let ca = files.ca.to_string_lossy().into_owned();
    let (cert, key) = (files.cert.to_string_lossy(), files.key.to_string_lossy());
    let smtp = PyPeer::start("starttls_peer.py", &["smtp", &cert, &key]);
    let target = format!("localhost:{}", smtp.port);
    let (out, lines) = run(&[
        "trace",
        &target,
        "--ca",
        &ca,
        "--starttls",
        "smtp",
        "--format",
        "jsonl",
        "--timeout",
        "10",
    ]);
    let steps = check_timing(&lines, 1);
    assert_eq!(
        steps[..4],
        ["resolve", "connect", "starttls", "handshake"],
        "{}",
        all(&out)
    );

    let server = SServer::start(&["-www"]);
    let proxy = PyPeer::start("proxy_peer.py", &["connect"]);
    let target = format!("localhost:{}", server.port);
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let (out, lines) = run(&[
        "trace",
        &target,
        "--ca",
        &ca,
        "--proxy",
        &url,
        "--http-get",
        "/",
        "--format",
        "jsonl",
        "--timeout",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let steps = check_timing(&lines, 1);
    assert_eq!(
        steps[..6],
        [
            "resolve",
            "connect",
            "proxy",
            "handshake",
            "request",
            "first_byte"
        ]
    );
}

#[test]
fn a_failed_connect_has_only_the_steps_it_reached() {
    // A port that was free a moment ago: nobody listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let target = format!("127.0.0.1:{port}");
    let (out, lines) = run(&["trace", &target, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    assert_eq!(check_timing(&lines, 1), ["resolve", "connect"]);
    let t = lines
        .iter()
        .find(|v| v["kind"] == "timing")
        .expect("timing");
    assert_eq!(t["steps"][0]["done"], true, "resolving finished");
    assert_eq!(t["steps"][1]["done"], false, "the connect never did");
    assert_eq!(t["round_trip_count"], 0);
    // As text: the two steps, the connect marked.
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["trace", &target])
        .output()
        .expect("run tlsscope");
    let text = String::from_utf8_lossy(&out.stdout);
    let head = text.find("timing total").expect("the timing line");
    let rows: Vec<&str> = text[head..].lines().skip(1).take(3).collect();
    assert!(rows[0].trim_start().starts_with("resolve"), "{rows:?}");
    assert!(!rows[0].contains("did not finish"), "{rows:?}");
    assert!(rows[1].trim_start().starts_with("TCP connect"), "{rows:?}");
    assert!(rows[1].ends_with("did not finish"), "{rows:?}");
    assert!(rows[2].contains("verdict"), "no other step: {rows:?}");
}

#[test]
fn show_writes_one_timing_for_old_files_and_for_files_that_have_one() {
    let path = run::saved_trace("lab:ok", &[], "timing-ok.jsonl");
    let saved = std::fs::read_to_string(&path).expect("saved");
    assert_eq!(saved.matches("\"kind\":\"timing\"").count(), 1);
    // A trace from before timings: the same without its timing line.
    let old: String = saved
        .lines()
        .filter(|l| !l.contains("\"kind\":\"timing\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let old_path = run::temp("timing-old.jsonl");
    std::fs::write(&old_path, &old).expect("write");
    for p in [&path, &old_path] {
        let p = p.to_string_lossy();
        let out = run::tlsscope(&["show", &p, "--format", "jsonl"]);
        assert_eq!(out.status.code(), Some(0), "{}", all(&out));
        // Recomputed from the same events: the saved file comes back byte for byte.
        assert_eq!(String::from_utf8_lossy(&out.stdout), saved);
        let out = run::tlsscope(&["show", &p]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.matches("timing total").count(), 1, "{text}");
    }
}

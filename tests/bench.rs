//! `tlsscope bench`'s handshake part as a user runs it: full handshakes through the engine to the
//! in-process server and to `openssl s_server`, recording off and on; bad settings refused.

mod common;

use common::*;
use std::process::{Command, Output};

fn tlsscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope")
}

/// The figure after `label` on its line, e.g. `recording off: 812.3 handshakes/s`.
fn figure(text: &str, label: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in\n{text}"));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

fn check_run(out: &Output, tls: &str) {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("(TLS {tls}, a new session each")),
        "{text}"
    );
    assert!(figure(&text, "recording off:") > 0.0, "{text}");
    assert!(figure(&text, "recording on:") > 0.0, "{text}");
    // Recording on records the calls and socket I/O of each handshake; off, a handful of
    // connection-level events (setup, phases, tls, close).
    let per_handshake = figure(&text, "events recorded per handshake (recording on):");
    assert!(per_handshake > 20.0, "{text}");
    let rounds: Vec<&str> = text.lines().filter(|l| l.contains("  round 1 ")).collect();
    assert_eq!(rounds.len(), 2, "{text}");
    let off_events: f64 = rounds[0]
        .split_whitespace()
        .rev()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("events of the off round");
    assert!(off_events / 20.0 < 12.0, "{text}");
    assert!(
        !text.contains("MiB/s"),
        "--only handshakes skips the bulk part\n{text}"
    );
}

#[test]
fn handshakes_to_the_in_process_server() {
    let out = tlsscope(&[
        "bench",
        "--only",
        "handshakes",
        "--handshakes",
        "20",
        "--rounds",
        "1",
        "--parallel",
        "2",
    ]);
    check_run(&out, "1.3");
}

#[test]
fn handshakes_to_openssl_s_server_with_tls_1_2() {
    let server = SServer::start(&[]);
    let target = format!("127.0.0.1:{}", server.port);
    let out = tlsscope(&[
        "bench",
        "--only",
        "handshakes",
        "--handshakes",
        "20",
        "--rounds",
        "1",
        "--tls",
        "1.2",
        "--connect",
        &target,
    ]);
    check_run(&out, "1.2");
}

#[test]
fn a_handshake_that_fails_fails_the_bench_and_bad_settings_are_refused() {
    // Port 1 on loopback: nothing listens.
    let out = tlsscope(&[
        "bench",
        "--only",
        "handshakes",
        "--handshakes",
        "10",
        "--rounds",
        "1",
        "--connect",
        "127.0.0.1:1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("connection 1 did not complete its handshake and close cleanly (failed): TCP connect to 127.0.0.1:1"),
        "{err}"
    );
    for (args, reason) in [
        (
            &["--handshakes", "5"][..],
            "--handshakes: from 10 to 100000 per run",
        ),
        (
            &["--parallel", "0"],
            "--parallel: from 1 to 1000, and no more than --handshakes",
        ),
        (&["--tls", "1.1"], "--tls: "),
        (
            &["--only", "bulk", "--connect", "127.0.0.1:1"],
            "--connect 127.0.0.1:1: only the handshakes can use another server; drop --only bulk",
        ),
        (
            &["--only", "handshakes", "--recording", "on"],
            "--recording: only with --only bulk",
        ),
        (
            &["--rounds", "0"],
            "--rounds 0: give a number of runs per mode from 1 to 20",
        ),
        (
            &["--rounds", "21"],
            "--rounds 21: give a number of runs per mode from 1 to 20",
        ),
        (
            &["--only", "bulk", "--rounds", "5001"],
            "--rounds 5001: give a number of off/on pairs from 1 to 5000",
        ),
    ] {
        let mut all = vec!["bench"];
        all.extend_from_slice(args);
        let out = tlsscope(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("tlsscope: {reason}")),
            "{args:?}: {err}"
        );
    }
}

/// The figure, its 90 % interval (low, high) on the summary line that starts `label` and
/// names the figure `what`: `total` (total over total, e.g.
/// `  I/O thread alone:  total 0.987, 90% interval [0.975, 0.995]`) or `median` (the pairs'
/// ratios, followed by `, IQR [q1, q3]`).
fn summary(text: &str, label: &str, what: &str) -> (f64, f64, f64) {
    let line = text
        .lines()
        .find(|l| l.starts_with(label) && l.contains(&format!(" {what} ")))
        .unwrap_or_else(|| panic!("no {what} line {label:?} in\n{text}"));
    let numbers: Vec<f64> = line[label.len()..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| w.parse().ok())
        .collect();
    // figure, 90 (of "90%"), low, high, and for the median q1, q3
    let expected = if what == "median" { 6 } else { 4 };
    assert_eq!(numbers.len(), expected, "{line}");
    assert!(line.contains("90% interval ["), "{line}");
    (numbers[0], numbers[2], numbers[3])
}

/// The numbers at the end of each round's line: MiB/s, CPU s, engine s, sink s, events.
fn round_figures(line: &str) -> Vec<f64> {
    line.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn bulk_reports_the_engine_cpu_apart_from_the_sink_and_can_run_one_mode() {
    let out = tlsscope(&["bench", "--only", "bulk", "--bytes", "4M", "--rounds", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let rounds: Vec<&str> = text.lines().filter(|l| l.contains("  round ")).collect();
    assert_eq!(rounds.len(), 4, "{text}");
    // Rounds alternate which mode goes first.
    assert!(rounds[0].contains("recording off") && rounds[2].contains("recording on"));
    for line in &rounds {
        let f = round_figures(line);
        // round N, then MiB/s, s CPU, s engine, s sink, events.
        let (cpu, engine, sink) = (f[2], f[3], f[4]);
        assert!(sink > 0.0 && engine > 0.0, "{line}");
        assert!((engine + sink - cpu).abs() < 2.5e-3, "{line}");
    }
    // Off: a handful of connection-level events; on: a call, its socket writes and levels.
    let events: Vec<f64> = rounds.iter().map(|l| round_figures(l)[5]).collect();
    assert!(events[0] < 20.0 && events[1] > 64.0, "{text}");
    // Total CPU off over total CPU on, and each pair's ratio summarised: each inside its 90 %
    // interval, for the engine (the I/O thread and the consumer), the I/O thread alone and the
    // whole process.
    for label in [
        "  engine (I/O thread + consumer):",
        "  I/O thread alone:",
        "  whole process incl. the sink:",
    ] {
        let (total, low, high) = summary(&text, label, "total");
        assert!(low > 0.0 && low <= total && total <= high, "{text}");
        let (median, low, high) = summary(&text, label, "median");
        assert!(low > 0.0 && low <= median && median <= high, "{text}");
    }
    assert!(text.contains("over all 2 pairs"), "{text}");
    assert!(text.contains("(2 pairs;"), "{text}");
    assert!(text.contains("load average "), "{text}");

    let out = tlsscope(&[
        "bench",
        "--only",
        "bulk",
        "--bytes",
        "2M",
        "--rounds",
        "2",
        "--recording",
        "on",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.matches("recording on ").count(), 2, "{text}");
    assert!(
        !text.contains("recording off") && !text.contains("ratio"),
        "{text}"
    );
}

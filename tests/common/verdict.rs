//! Running `tlsscope trace … --format jsonl` as a user would and reading its verdict: the
//! helpers of the verdict tests on real peers (`verdicts_hostile.rs`, `verdicts_unseen.rs`).

use super::bounded::PyPeer;
use super::cert_files;
use serde_json::Value;
use std::process::{Command, Output};

pub fn tls_peer(mode: &str) -> PyPeer {
    let files = cert_files();
    PyPeer::tls(mode, &files.cert, &files.key)
}

/// Runs `tlsscope trace TARGET ARGS --format jsonl` (trusting the lab CA): the verdict event
/// and the run's output.
pub fn verdict(target: &str, args: &[&str]) -> (Value, Output) {
    let files = cert_files();
    let ca = files.ca.to_string_lossy().into_owned();
    let mut all = vec!["trace", target, "--format", "jsonl", "--ca", &ca];
    all.extend_from_slice(args);
    verdict_of(&all)
}

/// Runs tlsscope with exactly `args` (a `trace … --format jsonl` command line, e.g. to a `lab:`
/// target, which brings its own CA) and returns the verdict line and the run's output.
pub fn verdict_of(args: &[&str]) -> (Value, Output) {
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope");
    let v = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["kind"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict in {}", String::from_utf8_lossy(&out.stdout)));
    (v, out)
}

/// Summary, evidence and advice as one text, for `contains` checks.
pub fn said(v: &Value) -> String {
    let mut text = v["summary"].as_str().unwrap_or("").to_string();
    for e in v["evidence"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(e["text"].as_str().unwrap_or(""));
    }
    for n in v["next"]["user"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(n.as_str().unwrap_or(""));
    }
    text
}

pub fn assert_class(v: &Value, expected: &str) {
    assert_eq!(v["class"].as_str().unwrap_or(""), expected, "{v:#}");
}

//! A consumer that stops reading the trace: the engine pauses (memory stays bounded, nothing is
//! dropped, the pause is in the trace), and a consumer that goes away (a closed pipe, as with
//! `| head`) ends the run. Against a real peer that streams as fast as it is read.

mod common;

use common::bounded::*;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Resident memory of a process in kB (Linux `/proc`).
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_stalled_reader_pauses_the_recording_and_a_closed_pipe_ends_it() {
    let certs = cert_files();
    let peer = PyPeer::tls("firehose", &certs.cert, &certs.key);
    let ca = certs.ca.to_string_lossy().into_owned();
    let target = peer.target();
    let child = Command::new(BIN)
        .args(["trace", &target, "--ca", &ca, "--send", "go\n"])
        .args(["--read-for", "60", "--timeout", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tlsscope");
    let mut child = Reaped(child);
    let pid = child.0.id();
    // Nobody reads standard output for a while: the pipe fills, then the engine's queue.
    std::thread::sleep(Duration::from_secs(3));
    let early = rss_kb(pid).expect("tlsscope is running");
    std::thread::sleep(Duration::from_secs(3));
    let late = rss_kb(pid).expect("tlsscope is still running");
    assert!(
        late < 100 * 1024 && late < early + 32 * 1024,
        "memory grew with a stalled reader: {early} kB, then {late} kB"
    );

    // Now read: the trace goes on, says it paused, and lost nothing.
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut paused = None;
    let mut dropped = 0;
    for line in lines.by_ref().take(2_000_000) {
        let Ok(line) = line else { break };
        dropped += usize::from(line.contains("DROPPED"));
        if line.contains("recording paused") {
            paused = Some(line);
            break;
        }
    }
    let paused = paused.expect("the trace says the recording paused for a slow consumer");
    assert!(paused.contains("slow consumer"), "{paused}");
    assert_eq!(dropped, 0, "events were dropped");
    let more = lines.by_ref().take(1000).filter(|l| l.is_ok()).count();
    assert_eq!(more, 1000, "the trace goes on after the pause");

    // The reader goes away (like `| head`): tlsscope ends by itself, long before the peer would.
    drop(lines);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ended = None;
    while Instant::now() < deadline {
        if let Some(status) = child.0.try_wait().expect("wait for tlsscope") {
            ended = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        ended.is_some(),
        "tlsscope kept running after its output was closed"
    );
}

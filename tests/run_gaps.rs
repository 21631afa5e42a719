//! `tlsscope run` where a traced program does not end tidily or is hard to follow, against
//! `openssl s_server` on loopback with the C client of tests/peers/run_client.c: a connection
//! freed without SSL_shutdown or left open at exit (an honest close reason and verdict), the
//! process and thread of each connection in the JSONL trace (and read back by `show`), waits on
//! a socket at descriptor 5000, SIGTERM sent to tlsscope, records lost while tlsscope could
//! not read (counted, never silent), and the socket's buffer levels after a WANT_WRITE.

mod common;

use common::bounded::{run_bounded, BIN};
use common::programs::{c_client, of_kind};
use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tlsscope::lab::{LabServer, Pki, Scenario};

fn trace_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("run-gaps-{}-{name}.jsonl", std::process::id()))
}

/// `tlsscope run --format jsonl --out FILE -- run_client MODE PORT` (bounded): the trace's
/// events, the run's output and the trace file.
fn traced(mode: &str, port: u16) -> Option<(Vec<Value>, Output, PathBuf)> {
    let bin = c_client("run_gaps_client")?;
    let out = trace_file(mode);
    let port = port.to_string();
    let args = [
        "run",
        "--format",
        "jsonl",
        "--out",
        out.to_str()?,
        "--",
        bin.to_str()?,
        mode,
        &port,
    ];
    let (output, ended) = run_bounded(&args, &[], Duration::from_secs(60));
    assert!(ended, "tlsscope run {mode} did not end within 60 s");
    Some((events(&out), output, out))
}

fn events(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// tlsscope run started by hand (standard input and output piped), killed if a test panics.
struct Running {
    child: Child,
    lines: BufReader<ChildStdout>,
}

impl Running {
    fn start(mode: &str, port: u16, out: &Path) -> Option<Running> {
        let bin = c_client("run_gaps_client")?;
        let mut child = Command::new(BIN)
            .args(["run", "--format", "jsonl", "--out"])
            .arg(out)
            .arg("--")
            .arg(bin)
            .args([mode, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tlsscope");
        let lines = BufReader::new(child.stdout.take().expect("stdout"));
        Some(Running { child, lines })
    }

    /// The program's next line on standard output (it shares tlsscope's).
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.lines.read_line(&mut line).expect("read a line");
        line
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{sig}");
    }

    /// Waits (at most 60 s) for tlsscope to end: its output.
    fn finish(mut self) -> Output {
        drop(self.child.stdin.take());
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let status = self.child.wait().expect("wait");
        let mut err = Vec::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_end(&mut e, &mut err);
        }
        Output {
            status,
            stdout: Vec::new(),
            stderr: err,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_connection_freed_without_shutdown_or_left_open_at_exit_is_said_so() {
    let server = SServer::start(&["-www"]);
    for (mode, reason, says) in [
        (
            "free-no-shutdown",
            "freed",
            "The program freed the connection (SSL_free) without SSL_shutdown",
        ),
        (
            "exit-open",
            "exited",
            "with the connection open (no SSL_shutdown, no SSL_free)",
        ),
    ] {
        let Some((events, output, _)) = traced(mode, server.port) else {
            return;
        };
        assert_eq!(output.status.code(), Some(0), "{mode}: {}", stderr(&output));
        let close = of_kind(&events, "close");
        assert_eq!(close.len(), 1, "{mode}");
        assert_eq!(close[0]["reason"], reason, "{mode}");
        let verdict = of_kind(&events, "verdict");
        assert_eq!(verdict[0]["class"], "abandoned", "{mode}");
        assert!(
            verdict[0]["summary"]
                .as_str()
                .is_some_and(|s| s.contains(says)),
            "{mode}: {}",
            verdict[0]
        );
        assert!(
            !events.iter().any(|e| e.to_string().contains("stopped")),
            "{mode}: nobody stopped anything"
        );
    }
}

#[test]
fn each_connection_names_its_process_and_thread_and_show_reads_it_back() {
    let server = SServer::start(&["-www"]);
    let Some((events, output, path)) = traced("threads", server.port) else {
        return;
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let programs = of_kind(&events, "program");
    assert_eq!(programs.len(), 2, "one per connection");
    for p in &programs {
        // The first event of its connection.
        let first = events.iter().find(|e| e["conn"] == p["conn"]);
        assert_eq!(first, Some(*p));
        assert!(p["exe"]
            .as_str()
            .is_some_and(|e| e.contains("run_gaps_client")));
        assert!(p["ssl"].as_str().is_some_and(|s| s.starts_with("0x")));
    }
    let pid = |p: &Value| p["pid"].as_u64().expect("pid");
    let thread = |p: &Value| p["thread"].as_u64().expect("thread");
    assert_eq!(pid(programs[0]), pid(programs[1]), "one process");
    assert_ne!(thread(programs[0]), thread(programs[1]), "two threads");
    assert!(pid(programs[0]) > 1);

    // Read back: `show` prints the same process and threads.
    let shown = Command::new(BIN)
        .arg("show")
        .arg(&path)
        .output()
        .expect("tlsscope show");
    assert_eq!(shown.status.code(), Some(0), "{}", stderr(&shown));
    let text = String::from_utf8_lossy(&shown.stdout);
    for p in &programs {
        let line = format!(
            "program {} pid {} thread {} SSL {}",
            p["exe"].as_str().unwrap_or_default(),
            pid(p),
            thread(p),
            p["ssl"].as_str().unwrap_or_default()
        );
        assert!(text.contains(&line), "{line} in:\n{text}");
    }
}

#[test]
fn waits_on_a_socket_at_descriptor_5000_are_seen() {
    let server = SServer::start(&["-www"]);
    let Some((events, output, _)) = traced("high-fd", server.port) else {
        return;
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The program says how many poll and epoll_wait calls it made on descriptor 5000.
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    let count = |word: &str| -> usize {
        said.split_whitespace()
            .skip_while(|w| *w != word)
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("the count")
    };
    let (polls, epolls) = (count("polls"), count("epolls"));
    assert!(polls >= 1 && epolls >= 1, "{said}");
    let waits = of_kind(&events, "wait");
    assert_eq!(waits.len(), polls + epolls, "{said}: {waits:?}");
    assert_eq!(of_kind(&events, "connected").len(), 1);
}

#[test]
fn sigterm_to_tlsscope_ends_the_program_and_its_status_is_passed_on() {
    let server = SServer::start(&["-www"]);
    let out = trace_file("sigterm");
    let Some(mut run) = Running::start("hold", server.port, &out) else {
        return;
    };
    // The program finished its handshake and blocks in SSL_read.
    assert_eq!(run.line(), "ready\n");
    run.signal("TERM");
    let output = run.finish();
    assert_eq!(
        output.status.code(),
        Some(128 + 15),
        "the program's status (killed by SIGTERM): {}",
        stderr(&output)
    );
    let events = events(&out);
    let close = of_kind(&events, "close");
    assert_eq!(close.len(), 1, "{events:?}");
    assert_eq!(close[0]["reason"], "exited");
    assert_eq!(of_kind(&events, "verdict")[0]["class"], "abandoned");
}

#[test]
fn sigterm_reaches_a_program_that_never_stops_sending() {
    let server = SServer::start(&["-www"]);
    let out = trace_file("sigterm-flood");
    let Some(mut run) = Running::start("flood", server.port, &out) else {
        return;
    };
    // From here the program sends records without pause (for 30 s unless a signal ends it):
    // tlsscope always has one to print, and must still pass the signal on.
    assert_eq!(run.line(), "ready\n");
    run.signal("TERM");
    let output = run.finish();
    // 0 had the program ended by itself after its 30 s.
    assert_eq!(output.status.code(), Some(128 + 15), "{}", stderr(&output));
    let events = events(&out);
    assert_eq!(of_kind(&events, "close")[0]["reason"], "exited");
}

#[test]
fn records_lost_while_tlsscope_cannot_read_are_counted() {
    let server = SServer::start(&["-www"]);
    let out = trace_file("lost");
    let Some(mut run) = Running::start("spin", server.port, &out) else {
        return;
    };
    assert_eq!(run.line(), "ready\n");
    // tlsscope stopped: nothing reads the interposer's socket while the program makes 5000
    // calls (two records each), far more than the socket holds.
    run.signal("STOP");
    let mut stdin = run.child.stdin.take().expect("stdin");
    stdin.write_all(b"go\n").expect("write");
    stdin.flush().expect("flush");
    let spun = run.line();
    run.signal("CONT");
    drop(stdin);
    assert_eq!(spun, "spun\n");
    let output = run.finish();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    let lost: u64 = err
        .split("tlsscope: ")
        .find_map(|l| l.split(" event(s) lost").next()?.parse().ok())
        .unwrap_or_else(|| panic!("a lost count in: {err}"));
    assert!(lost > 0, "{err}");
    let events = events(&out);
    let dropped: u64 = of_kind(&events, "dropped")
        .iter()
        .filter_map(|d| d["count"].as_u64())
        .sum();
    assert_eq!(dropped, lost, "the trace counts the same records");
    // The verdict says its evidence is incomplete.
    let verdict = of_kind(&events, "verdict");
    assert!(
        verdict[0]["evidence"]
            .to_string()
            .contains("events were not recorded"),
        "{}",
        verdict[0]
    );
    // Calls made before and after the loss are there; far fewer than the 60000 of the spin.
    let calls = of_kind(&events, "call").len();
    assert!(calls > 0 && calls < 60000, "{calls}");
}

#[test]
fn buffer_levels_are_sampled_when_a_call_wants_to_write() {
    // The lab's slow reader leaves our bytes in the send queue: SSL_write returns WANT_WRITE.
    let pki = Pki::shared().expect("lab PKI");
    let server = LabServer::start(
        Scenario::SlowReader,
        "127.0.0.1:0".parse().expect("addr"),
        pki,
    )
    .expect("lab server");
    let Some((events, output, _)) = traced("want-write-wait-read", server.addr().port()) else {
        return;
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let want_write = of_kind(&events, "call")
        .into_iter()
        .find(|c| c["error"] == "WANT_WRITE")
        .expect("a WANT_WRITE");
    let at = want_write["t"].as_u64().expect("t");
    // Sampled as the call returned: the send queue holds what the peer has not acknowledged.
    let socks = of_kind(&events, "sock");
    let after = socks
        .iter()
        .find(|s| s["t"].as_u64().is_some_and(|t| t >= at))
        .unwrap_or_else(|| panic!("a sock event after the WANT_WRITE: {socks:?}"));
    assert!(after["outq"].as_u64().is_some_and(|q| q > 0), "{after}");
    assert!(after["sndbuf"].as_u64().is_some_and(|b| b > 0), "{after}");
    assert!(
        after["rtt_us"].is_u64(),
        "a TCP socket has TCP_INFO: {after}"
    );
}

//! `tlsscope trace` as a user runs it: output formats, exit statuses and the one-line reasons
//! for bad input.

mod common;

use common::*;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tlsscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `tlsscope trace` against an `openssl s_server` started with `server_args`, trusting the
/// lab CA, with `extra` options.
fn trace_sserver(server_args: &[&str], extra: &[&str]) -> Output {
    let files = cert_files();
    let server = SServer::start(server_args);
    let target = format!("localhost:{}", server.port);
    let ca = files.ca.to_string_lossy().into_owned();
    let mut args = vec!["trace", &target, "--ca", &ca];
    args.extend_from_slice(extra);
    tlsscope(&args)
}

#[test]
fn text_trace_of_an_http_get_nests_io_under_calls() {
    let out = trace_sserver(&["-www"], &["--http-get", "/", "--timeout", "20"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}\n{text}", stderr(&out));
    let lines: Vec<&str> = text.lines().collect();
    let first_call = lines
        .iter()
        .position(|l| l.contains("SSL_do_handshake #1 →"))
        .expect("first call");
    assert!(
        lines[first_call + 1..]
            .iter()
            .take(8)
            .any(|l| l.trim_start().starts_with("io    write")),
        "{text}"
    );
    assert!(text.contains("msg   → handshake ClientHello"), "{text}");
    assert!(text.contains("tls   TLSv1.3"), "{text}");
    assert!(
        text.contains("close clean (close_notify sent: yes"),
        "{text}"
    );
}

#[test]
fn jsonl_lines_carry_the_documented_fields() {
    let out_file = cert_files().dir.join("trace.jsonl");
    let out_path = out_file.to_string_lossy().into_owned();
    let out = trace_sserver(
        &["-www"],
        &["--http-get", "/", "--format", "jsonl", "--out", &out_path],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "--out sends the trace to the file");
    let text = std::fs::read_to_string(&out_file).expect("trace file");
    // The saved trace reads back into the same number of events (what the app opens).
    let events = tlsscope::trace::jsonl_read::from_text(&text).expect("trace reads back");
    assert_eq!(events.len(), text.lines().count());
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    for line in &lines {
        assert!(
            line["t"].is_u64() && line["conn"].is_u64() && line["kind"].is_string(),
            "{line}"
        );
    }
    fn of_kind<'a>(
        lines: &'a [serde_json::Value],
        k: &'a str,
    ) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
        lines.iter().filter(move |l| l["kind"] == k)
    }
    let call = of_kind(&lines, "call").next().expect("a call line");
    for field in ["id", "op", "ret", "error", "dur", "bytes"] {
        assert!(!call[field].is_null(), "call.{field} in {call}");
    }
    let io = of_kind(&lines, "io").next().expect("an io line");
    for field in ["call", "dir", "want", "got", "would_block"] {
        assert!(!io[field].is_null(), "io.{field} in {io}");
    }
    assert!(io.get("os_error").is_some());
    let state = of_kind(&lines, "state").next().expect("a state line");
    assert!(state["where"].is_array() && state["text"].is_string());
    let msg = of_kind(&lines, "msg")
        .find(|m| m["type"] == "ClientHello")
        .expect("ClientHello msg");
    assert_eq!(msg["dir"], "out");
    assert_eq!(msg["content"], "handshake");
    let sock = of_kind(&lines, "sock").next().expect("a sock line");
    for field in ["inq", "outq", "sndbuf", "rcvbuf", "ssl_pending"] {
        assert!(sock[field].is_u64(), "sock.{field}");
    }
    let wait = of_kind(&lines, "wait").next().expect("a wait line");
    assert!(wait["for"].is_string() && wait["dur"].is_u64() && wait["woke"].is_string());
    let tls = of_kind(&lines, "tls").next().expect("a tls line");
    assert_eq!(tls["version"], "TLSv1.3");
    assert_eq!(tls["verify"], "ok");
    assert!(tls["chain"][0]["subject"].is_string() && tls["chain"][0]["not_after"].is_string());
    assert_eq!(
        lines.last().map(|l| l["kind"].clone()),
        Some("close".into())
    );
    // A call line comes after the io lines of that call, and its t is when it started.
    let first_io = lines
        .iter()
        .position(|l| l["kind"] == "io" && l["call"] == 1)
        .expect("io of call 1");
    let call1 = lines
        .iter()
        .position(|l| l["kind"] == "call" && l["id"] == 1)
        .expect("call 1");
    assert!(first_io < call1);
    assert!(lines[call1]["t"].as_u64() <= lines[first_io]["t"].as_u64());
}

#[test]
fn malformed_target_is_a_usage_error() {
    for bad in ["localhost", "localhost:http", "[::1", "host:99999"] {
        let out = tlsscope(&["trace", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = stderr(&out);
        assert!(
            err.starts_with("tlsscope: malformed target"),
            "{bad}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn unreadable_files_are_usage_errors() {
    let out = tlsscope(&["trace", "127.0.0.1:1", "--ca", "/nonexistent/ca.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read CA file /nonexistent/ca.pem"),
        "{}",
        stderr(&out)
    );
    let out = tlsscope(&[
        "trace",
        "127.0.0.1:1",
        "--cert",
        "/nonexistent/c.pem",
        "--key",
        "/nonexistent/k.pem",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read certificate file"),
        "{}",
        stderr(&out)
    );
    let out = tlsscope(&["trace", "127.0.0.1:1", "--cert", "/nonexistent/c.pem"]);
    assert_eq!(out.status.code(), Some(2), "--cert without --key");
}

#[test]
fn a_file_that_is_not_pem_is_named() {
    let files = cert_files();
    let junk = files.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write");
    let junk = junk.to_string_lossy().into_owned();
    let out = tlsscope(&["trace", "127.0.0.1:1", "--ca", &junk]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("junk.pem: no PEM certificate found"),
        "{}",
        stderr(&out)
    );
    let ca = files.ca.to_string_lossy().into_owned();
    let out = tlsscope(&["trace", "127.0.0.1:1", "--cert", &ca, "--key", &junk]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("junk.pem: no PEM private key found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unresolvable_host_says_so() {
    // A 70-character label makes the resolver refuse the name locally (no DNS query leaves).
    let host = format!("{}.invalid:443", "a".repeat(70));
    let out = tlsscope(&["trace", &host]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot resolve host"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn refused_port_says_so() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let out = tlsscope(&["trace", &format!("127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("connection refused (ECONNREFUSED)"), "{err}");
    let text = stdout(&out);
    assert!(text.contains("close failed"), "{text}");
    assert!(text.contains("Ended failed: TCP connect"), "{text}");
}

#[test]
fn connect_timeout_says_so() {
    // A listener whose accept queue is full drops further SYNs, so connect never completes.
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .expect("addr")
                .into(),
        )
        .expect("bind");
    socket.listen(0).expect("listen");
    let addr = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        s.set_nonblocking(true).expect("nonblocking");
        let _ = s.connect(&addr.into());
        fillers.push(s);
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let out = tlsscope(&["trace", &addr.to_string(), "--connect-timeout", "0.5"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("timed out after 0.5 s"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn peer_that_is_not_tls_is_shown_with_its_first_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
        }
    });
    let out = tlsscope(&["trace", &format!("127.0.0.1:{port}"), "--timeout", "10"]);
    let _ = server.join();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("not speaking TLS") && err.contains("SSH-2.0-OpenSSH_9.2"),
        "{err}"
    );
}

#[test]
fn bad_option_values_are_usage_errors() {
    for args in [
        &["trace", "127.0.0.1:1", "--tls-max", "1.1"][..],
        &["trace", "127.0.0.1:1", "--upload", "lots"],
        &["trace", "127.0.0.1:1", "--timeout", "-1"],
        &[
            "trace",
            "127.0.0.1:1",
            "--tls-min",
            "1.3",
            "--tls-max",
            "1.2",
        ],
        &["trace", "127.0.0.1:1", "--http-get", "index.html"],
        &["trace", "127.0.0.1:1", "--format", "xml"],
        &["trace", "127.0.0.1:1", "--then-send", "x"],
    ] {
        let out = tlsscope(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn timeout_ends_a_stalled_read_with_a_reason() {
    let out = trace_sserver(
        &["-tls1_3"],
        &["--send", "hi\\n", "--read-for", "30", "--timeout", "1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("timed out after 1 s") && err.contains("SSL_read"),
        "{err}"
    );
    assert!(stdout(&out).contains("close timeout"));
}

#[test]
fn text_trace_ends_with_a_diagnosis() {
    let out = tlsscope(&["trace", "lab:renegotiate"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}\n{text}", stderr(&out));
    let diagnosis = text
        .split("\ndiagnosis:\n")
        .nth(1)
        .expect("a diagnosis section");
    assert!(
        diagnosis.starts_with("  verdict: renegotiation (note)"),
        "{diagnosis}"
    );
    assert!(
        diagnosis.contains("SSL_read wrote to the socket in ")
            && diagnosis.contains(" call(s), first #"),
        "{diagnosis}"
    );
    assert!(diagnosis.contains("Ended clean"), "{diagnosis}");

    let out = tlsscope(&["trace", "lab:slow-reader", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("verdict: peer-not-reading (stall)"), "{text}");
    assert!(text.contains("after SSL_write #"), "{text}");
    assert!(text.contains("the peer does not read"), "{text}");
}

#[test]
fn the_app_refuses_a_bad_trace_file_before_opening_a_window() {
    let files = cert_files();
    let bad = files.dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"t\":1,\"conn\":1,\"kind\":\"phase\",\"phase\":\"resolve\"}\n{\"t\":2}\n",
    )
    .expect("write");
    let out = tlsscope(&["--open", &bad.to_string_lossy()]);
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("bad.jsonl:2: missing field `conn`"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Regression: the timeout reason used to drop what the connection was waiting for.
#[test]
fn a_timeout_says_what_it_was_waiting_for() {
    let out = tlsscope(&["trace", "lab:handshake-stall", "--timeout", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("during the TLS handshake waiting for the socket to become readable"),
        "{err}"
    );
}

/// Runs tlsscope with standard output a pipe whose reader is already gone, as `| head -1` leaves
/// it once head has its line (here from the first write on, so the test does not depend on how
/// much fits in the pipe first). Returns how it ended; a process still running after `guard` is
/// killed and reported (a hang guard, far beyond what any case here needs, not a measurement).
fn with_closed_stdout(args: &[&str], guard: Duration) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tlsscope");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > guard {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} kept running with nobody reading its output");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut err).expect("read stderr");
    }
    (status, err)
}

/// Regression: a reader that goes away (`tlsscope ... | head -1`) ends every subcommand at
/// its next write, quietly and with status 0; `bench` used to panic.
#[test]
fn a_closed_stdout_ends_every_subcommand_quietly() {
    let guard = Duration::from_secs(120);
    for args in [
        &["lab", "--list"][..],
        &["trace", "lab:ok"],
        &["trace", "lab:ok", "--format", "jsonl"],
        &["bench", "--bytes", "1M", "--rounds", "1"],
        // Would read for 1000 s: ending promptly means ending at the first failed write.
        &[
            "trace",
            "lab:silent",
            "--read-for",
            "1000",
            "--timeout",
            "0",
        ],
    ] {
        let (status, err) = with_closed_stdout(args, guard);
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} said: {err}");
    }
}

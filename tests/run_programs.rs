//! `tlsscope run -- CMD` against real programs on loopback: curl (a memory BIO), Python's ssl
//! (SSL_read_ex / SSL_write_ex), `openssl s_client` under a shell (children are traced), and a
//! small C client compiled here (tests/peers/run_client.c) whose modes use OpenSSL correctly,
//! misuse it in each way the verdict names, run two threads, or fork.

mod common;

use common::bounded::run_bounded;
use common::programs::{c_client, jsonl, of_kind};
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;
use tlsscope::lab::{LabServer, Pki, Scenario};

/// Runs `tlsscope run --format FORMAT --out FILE -- cmd…` (bounded) and returns the trace file's
/// text and the run's output.
fn run_traced(format: &str, cmd: &[&str]) -> (String, Output) {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "run-{}-{}.trace",
        std::process::id(),
        cmd.join("_")
            .replace(['/', ' ', '\''], "_")
            .chars()
            .take(60)
            .collect::<String>()
    ));
    let mut args = vec![
        "run",
        "--format",
        format,
        "--out",
        out.to_str().expect("utf-8 path"),
        "--",
    ];
    args.extend_from_slice(cmd);
    let (output, ended) = run_bounded(&args, &[], Duration::from_secs(60));
    assert!(ended, "tlsscope run {cmd:?} did not end within 60 s");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (text, output)
}

fn ops(events: &[Value]) -> Vec<String> {
    of_kind(events, "call")
        .iter()
        .map(|c| c["op"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn classes(events: &[Value]) -> Vec<String> {
    of_kind(events, "verdict")
        .iter()
        .map(|v| v["class"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the C client in `mode` against 127.0.0.1:`port` under tlsscope run (JSONL).
fn client_run(mode: &str, port: u16) -> Option<(Vec<Value>, Output)> {
    let bin = c_client("run_client")?;
    let port = port.to_string();
    let (text, output) = run_traced("jsonl", &[bin.to_str()?, mode, &port]);
    Some((jsonl(&text), output))
}

fn lab(scenario: Scenario) -> LabServer {
    let pki = Pki::shared().expect("lab PKI");
    LabServer::start(scenario, "127.0.0.1:0".parse().expect("addr"), pki).expect("lab server")
}

/// The info and message callbacks the interposer adds: the handshake's messages (ClientHello
/// out, ServerHello in, a Finished each way) and states, each inside a call.
fn assert_handshake_detail(events: &[Value], text: &str) {
    let msgs = of_kind(events, "msg");
    let has = |dir: &str, msg_type: &str| {
        msgs.iter()
            .any(|m| m["dir"] == dir && m["type"].as_str() == Some(msg_type))
    };
    assert!(has("out", "ClientHello"), "{text}");
    assert!(has("in", "ServerHello"), "{text}");
    assert!(has("in", "Finished") && has("out", "Finished"), "{text}");
    let states = of_kind(events, "state");
    assert!(states.len() >= 4, "{text}");
    assert!(
        msgs.iter().chain(states.iter()).all(|e| e["call"].is_u64()),
        "every state and message is inside a call"
    );
}

#[test]
fn curl_is_traced_through_its_memory_bio() {
    let curl_openssl = Command::new("curl")
        .arg("-V")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("OpenSSL"));
    if !curl_openssl {
        eprintln!("skipped: no curl built with OpenSSL");
        return;
    }
    let server = SServer::start(&["-www"]);
    let url = format!("https://localhost:{}/", server.port);
    let (text, output) = run_traced("jsonl", &["curl", "-sk", "-o", "/dev/null", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let events = jsonl(&text);
    let ops = ops(&events);
    assert_eq!(
        ops.first().map(String::as_str),
        Some("SSL_connect"),
        "{ops:?}"
    );
    assert!(
        ops.contains(&"SSL_write".to_string()) && ops.contains(&"SSL_read".to_string()),
        "{ops:?}"
    );
    // curl's own BIO: SSL_get_fd is -1, the socket comes from the I/O inside the calls.
    let connected = of_kind(&events, "connected");
    assert_eq!(connected.len(), 1, "{text}");
    assert!(connected[0]["peer"]
        .as_str()
        .is_some_and(|p| p.ends_with(&format!(":{}", server.port))));
    let ios = of_kind(&events, "io");
    assert!(ios.len() >= 4, "{text}");
    assert!(
        ios.iter().all(|io| io["call"].is_u64()),
        "every socket operation is inside a call"
    );
    let tls = of_kind(&events, "tls");
    assert_eq!(tls[0]["sni"], "localhost");
    assert_handshake_detail(&events, &text);
    assert_eq!(classes(&events), vec!["healthy"]);
    // The bytes SSL_read returned add up to what s_server sent (its status page).
    let read: u64 = of_kind(&events, "call")
        .iter()
        .filter(|c| c["op"] == "SSL_read")
        .filter_map(|c| c["bytes"].as_u64())
        .sum();
    assert!(read > 100, "{read}");
}

#[test]
fn python_ssl_uses_the_ex_calls() {
    if Command::new("python3")
        .arg("-c")
        .arg("import ssl")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: no python3 with ssl");
        return;
    }
    let server = SServer::start(&["-www"]);
    let script = format!(
        "import socket, ssl\nc = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE\n\
         s = c.wrap_socket(socket.create_connection(('127.0.0.1', {})), server_hostname='localhost')\n\
         s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\nn = 0\nwhile True:\n    d = s.recv(4096)\n    if not d: break\n    n += len(d)\n\
         print(n)\ns.close()\n",
        server.port
    );
    let (text, output) = run_traced("jsonl", &["python3", "-c", &script]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let ops = ops(&jsonl(&text));
    assert!(ops.contains(&"SSL_do_handshake".to_string()), "{ops:?}");
    assert!(ops.contains(&"SSL_write_ex".to_string()), "{ops:?}");
    assert!(ops.contains(&"SSL_read_ex".to_string()), "{ops:?}");
    assert!(!ops.contains(&"SSL_read".to_string()), "{ops:?}");
    assert_handshake_detail(&jsonl(&text), &text);
    assert_eq!(classes(&jsonl(&text)), vec!["healthy"]);
}

#[test]
fn epoll_waits_of_a_non_blocking_python_client_are_in_the_trace() {
    if Command::new("python3")
        .arg("-c")
        .arg("import ssl, selectors; selectors.EpollSelector")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("skipped: no python3 with ssl and epoll");
        return;
    }
    let server = SServer::start(&["-www"]);
    let script = format!(
        r#"import socket, ssl, selectors
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(('127.0.0.1', {port})); raw.setblocking(False)
s = c.wrap_socket(raw, server_hostname='localhost', do_handshake_on_connect=False)
sel = selectors.EpollSelector(); sel.register(s, selectors.EVENT_READ)
for _ in range(200):
    try:
        s.do_handshake(); break
    except ssl.SSLWantReadError:
        sel.modify(s, selectors.EVENT_READ); sel.select(2)
    except ssl.SSLWantWriteError:
        sel.modify(s, selectors.EVENT_WRITE); sel.select(2)
# Nothing comes before the request: a WANT_READ for certain, and an epoll wait on it.
try:
    s.recv(4096)
except ssl.SSLWantReadError:
    sel.modify(s, selectors.EVENT_READ); sel.select(0.2)
s.send(b'GET / HTTP/1.0\r\n\r\n')
n = 0
for _ in range(1000):
    try:
        d = s.recv(4096)
        if not d: break
        n += len(d)
    except ssl.SSLWantReadError:
        sel.modify(s, selectors.EVENT_READ)
        if not sel.select(2): break
    except ssl.SSLZeroReturnError:
        break
print(n)
"#,
        port = server.port
    );
    let (text, output) = run_traced("jsonl", &["python3", "-c", &script]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let events = jsonl(&text);
    let waits = of_kind(&events, "wait");
    assert!(waits.iter().any(|w| w["for"] == "read"), "{text}");
    assert_eq!(classes(&events), vec!["healthy"], "{text}");
}

#[test]
fn s_client_is_traced_as_a_child_of_a_shell_and_the_status_passes_through() {
    let server = SServer::start(&["-www"]);
    let cmd = format!(
        "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:{} -servername localhost -quiet -ign_eof >/dev/null 2>&1; exit 3",
        server.port
    );
    let (text, output) = run_traced("text", &["sh", "-c", &cmd]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "the shell's status: {}",
        stderr(&output)
    );
    assert!(text.contains("openssl pid"), "{text}");
    // s_client drives its handshake with a zero-length SSL_write.
    assert!(
        text.contains("── handshake ──") && text.contains("tls   TLSv1.3"),
        "{text}"
    );
    assert!(text.contains("SSL_read #"), "{text}");
    assert!(text.contains("verdict "), "{text}");
    assert!(
        !stderr(&output).contains("no OpenSSL call"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_program_without_openssl_calls_is_explained() {
    let (text, output) = run_traced("text", &["sh", "-c", "exit 7"]);
    assert_eq!(output.status.code(), Some(7));
    assert_eq!(text, "");
    let err = stderr(&output);
    assert!(err.contains("no OpenSSL call arrived from sh"), "{err}");
    assert!(err.contains("not linked with libssl"), "{err}");
    let (_, output) = run_traced("text", &["/no/such/program"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot run /no/such/program"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn correct_programs_get_no_misuse_verdict() {
    let server = SServer::start(&["-www"]);
    for mode in ["ok", "nonblocking-ok"] {
        let Some((events, output)) = client_run(mode, server.port) else {
            return;
        };
        assert_eq!(output.status.code(), Some(0), "{mode}: {}", stderr(&output));
        assert_eq!(classes(&events), vec!["healthy"], "{mode}");
        let close = of_kind(&events, "close");
        assert_eq!(close[0]["reason"], "clean", "{mode}");
    }
}

#[test]
fn the_program_sees_the_same_results_and_errno() {
    // No session tickets: a ticket arriving after the WANT_READ would make the client's own
    // recv succeed, and the check is of errno after a recv that finds nothing.
    let server = SServer::start(&["-www", "-num_tickets", "0"]);
    let Some((events, output)) = client_run("errno", server.port) else {
        return;
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // It was traced while it checked: the SSL_read that returned WANT_READ, and the poll on its
    // socket (the recorder made its own system calls around both).
    assert!(of_kind(&events, "call")
        .iter()
        .any(|c| c["op"] == "SSL_read" && c["error"] == "WANT_READ"));
    assert!(!of_kind(&events, "wait").is_empty());
}

#[test]
fn waiting_for_readable_after_want_write_is_a_verdict() {
    let server = lab(Scenario::SlowReader);
    let Some((events, output)) = client_run("want-write-wait-read", server.addr().port()) else {
        return;
    };
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(classes(&events), vec!["waited-wrong-direction"]);
    let waits = of_kind(&events, "wait");
    assert!(
        waits.iter().any(|w| w["for"] == "read"),
        "the poll for POLLIN is in the trace"
    );
    let v = of_kind(&events, "verdict")[0];
    assert!(
        v["summary"]
            .as_str()
            .is_some_and(|s| s.contains("returned WANT_WRITE") && s.contains("readable")),
        "{v}"
    );
}

#[test]
fn a_shorter_write_retry_is_a_verdict() {
    let server = lab(Scenario::SlowReader);
    let Some((events, _)) = client_run("retry-shorter", server.addr().port()) else {
        return;
    };
    assert_eq!(classes(&events), vec!["write-retry-changed"]);
    // 64 KiB asked first, then 32 KiB.
    let v = of_kind(&events, "verdict")[0];
    assert!(
        v["summary"]
            .as_str()
            .is_some_and(|s| s.contains("65536 B") && s.contains("asked for 32768 B")),
        "{v}"
    );
}

#[test]
fn polling_while_ssl_pending_holds_data_is_a_verdict() {
    let server = SServer::start(&["-www"]);
    let Some((events, _)) = client_run("pending", server.port) else {
        return;
    };
    assert_eq!(classes(&events), vec!["polled-with-pending"]);
    let v = of_kind(&events, "verdict")[0];
    assert!(
        v["evidence"].to_string().contains("healthy"),
        "the trace's own verdict is kept as evidence: {v}"
    );
    // The text trace's diagnosis leads with the same verdict, the counts after it kept.
    let Some(bin) = c_client("run_client") else {
        return;
    };
    let port = server.port.to_string();
    let (text, _) = run_traced("text", &[bin.to_str().expect("path"), "pending", &port]);
    let diagnosis = text.split("diagnosis:\n").nth(1).unwrap_or_default();
    let lines: Vec<&str> = diagnosis.lines().map(str::trim).collect();
    assert_eq!(
        lines.first().copied(),
        Some("verdict: polled-with-pending (stall)"),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("for programmers: Before waiting for readable, check SSL_pending")),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.contains("OpenSSL calls:")), "{text}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("verdict:")).count(),
        1,
        "{text}"
    );
}

#[test]
fn want_read_taken_as_an_error_is_a_verdict() {
    let server = SServer::start(&["-www"]);
    let Some((events, output)) = client_run("want-read-as-error", server.port) else {
        return;
    };
    assert_eq!(output.status.code(), Some(1), "the program's own status");
    assert_eq!(classes(&events), vec!["want-as-error"]);
}

#[test]
fn shutdown_after_a_fatal_error_is_a_verdict() {
    // A peer that is not TLS: the handshake fails with SSL_ERROR_SSL.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let peer = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = std::io::Write::write_all(&mut s, b"HTTP/1.0 400 Bad Request\r\n\r\n");
            std::thread::sleep(Duration::from_millis(300));
        }
    });
    let Some((events, _)) = client_run("shutdown-after-fatal", port) else {
        return;
    };
    let _ = peer.join();
    assert_eq!(classes(&events), vec!["shutdown-after-fatal"]);
    assert_eq!(ops(&events), vec!["SSL_connect", "SSL_shutdown"]);
}

/// The text trace's header line of each connection: (pid, thread).
fn owners(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.split(" pid ").nth(1)?;
            let mut words = rest.split_whitespace();
            let pid = words.next()?.to_string();
            let thread = words.nth(1)?.to_string();
            Some((pid, thread))
        })
        .collect()
}

#[test]
fn threads_and_forked_children_are_separate_connections() {
    let server = SServer::start(&["-www"]);
    let Some(bin) = c_client("run_client") else {
        return;
    };
    let port = server.port.to_string();
    let (text, output) = run_traced("text", &[bin.to_str().expect("path"), "threads", &port]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let who = owners(&text);
    assert_eq!(who.len(), 2, "{text}");
    assert_eq!(who[0].0, who[1].0, "one process");
    assert_ne!(who[0].1, who[1].1, "two threads");
    assert_eq!(text.matches("verdict healthy").count(), 2, "{text}");

    let (text, output) = run_traced("text", &[bin.to_str().expect("path"), "fork", &port]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let who = owners(&text);
    assert_eq!(who.len(), 2, "{text}");
    assert_ne!(who[0].0, who[1].0, "two processes");
    assert_eq!(text.matches("verdict healthy").count(), 2, "{text}");
}

#[test]
fn a_programs_own_callbacks_still_run_with_its_own_argument() {
    let server = SServer::start(&["-www"]);
    for mode in ["callbacks-ssl", "callbacks-ctx"] {
        let Some(bin) = c_client("run_client") else {
            return;
        };
        let port = server.port.to_string();
        let plain = Command::new(bin)
            .args([mode, &port])
            .output()
            .expect("run the client");
        assert_eq!(plain.status.code(), Some(0), "{mode}: {}", stderr(&plain));
        let Some((events, traced)) = client_run(mode, server.port) else {
            return;
        };
        assert_eq!(traced.status.code(), Some(0), "{mode}: {}", stderr(&traced));
        // The same callbacks, as often, with the program's argument, and SSL_get_info_callback
        // answers with the program's own.
        let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
        let traced = String::from_utf8_lossy(&traced.stdout).into_owned();
        assert!(
            plain.starts_with("info ") && plain.contains("arg ok get ok"),
            "{plain}"
        );
        assert_eq!(traced, plain, "{mode}");
        // And tlsscope saw the handshake too.
        assert!(!of_kind(&events, "msg").is_empty(), "{mode}");
        assert!(!of_kind(&events, "state").is_empty(), "{mode}");
    }
}

//! What the verdict analysis needs from the engine: waits that ended by our own choice, our side
//! of the negotiation (`setup`), HTTP response framing, and buffer levels sampled during waits.

mod common;

use common::*;
use std::time::Duration;
use tlsscope::lab::{LabServer, Pki, Scenario};
use tlsscope::probe::{ConnectSpec, Sni, Target, TlsVersion};
use tlsscope::trace::*;

fn lab(scenario: Scenario) -> (LabServer, ConnectSpec) {
    let pki = Pki::shared().expect("lab PKI");
    let listen = "127.0.0.1:0".parse().expect("addr");
    let server = LabServer::start(scenario, listen, pki.clone()).expect("lab server");
    let spec = scenario.client_spec(server.addr(), &pki);
    (server, spec)
}

fn waits(events: &[Event]) -> Vec<(Nanos, Wait)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Wait(w) => Some((e.t, w)),
            _ => None,
        })
        .collect()
}

fn setups(events: &[Event]) -> Vec<Setup> {
    picked(events, |k| match k {
        EventKind::Setup(s) => Some((**s).clone()),
        _ => None,
    })
}

#[test]
fn read_for_and_the_shutdown_grace_elapse_they_do_not_time_out() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_millis(300));
    spec.timeout = Some(Duration::from_secs(20));
    let events = run(spec);
    let waits = waits(&events);
    assert!(
        waits
            .iter()
            .any(|(_, w)| w.interest == Interest::Read && w.woke == Woke::Elapsed),
        "{}",
        dump(&events)
    );
    assert!(
        waits.iter().all(|(_, w)| w.woke != Woke::Timeout),
        "{}",
        dump(&events)
    );
    assert_eq!(
        close(&events).reason,
        CloseReason::Clean,
        "{}",
        dump(&events)
    );
}

#[test]
fn the_whole_connection_deadline_is_a_timeout() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_secs(20));
    spec.timeout = Some(Duration::from_secs(1));
    let events = run(spec);
    let waits = waits(&events);
    assert_eq!(
        waits.last().map(|(_, w)| w.woke),
        Some(Woke::Timeout),
        "{}",
        dump(&events)
    );
    assert!(waits.iter().all(|(_, w)| w.woke != Woke::Elapsed));
    assert_eq!(close(&events).reason, CloseReason::Timeout);
}

#[test]
fn setup_comes_first_and_says_what_the_client_hello_offers() {
    // Nothing listens on port 1: the setup is recorded even when the connection fails.
    let mut spec = ConnectSpec::new(Target::parse("127.0.0.1:1").expect("target"));
    spec.alpn = vec!["h2".into(), "http/1.1".into()];
    spec.workload.send = Some(b"ping\n".to_vec());
    spec.workload.read_for = Some(Duration::from_millis(1500));
    spec.auto_retry = false;
    let events = run(spec);
    assert!(
        matches!(events.first().map(|e| &e.kind), Some(EventKind::Setup(_))),
        "{}",
        dump(&events)
    );
    let setup = &setups(&events)[0];
    assert_eq!(setups(&events).len(), 1);
    assert_eq!(setup.target, "127.0.0.1:1");
    assert_eq!(setup.sni, None, "no SNI for an IP literal");
    assert_eq!(setup.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
    assert_eq!(setup.version_max, "TLSv1.3");
    assert!(setup.version_min.starts_with("TLSv1"), "{setup:?}");
    assert!(
        setup.ciphers_tls12 > 0 && setup.ciphers_tls13 > 0,
        "{setup:?}"
    );
    assert!(setup.verify && !setup.auto_retry && !setup.client_cert);
    assert_eq!(setup.send_bytes, 5);
    assert_eq!(setup.read_for, Some(1_500_000_000));
    assert_eq!(setup.http_get, None);
}

#[test]
fn setup_counts_the_ciphers_actually_offered() {
    let (_ok, mut spec) = lab(Scenario::Ok);
    spec.tls_min = Some(TlsVersion::Tls12);
    spec.tls_max = Some(TlsVersion::Tls12);
    spec.ciphers = Some("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384".into());
    spec.sni = Sni::Name("localhost".into());
    let events = run(spec);
    let setup = &setups(&events)[0];
    assert_eq!(
        (setup.ciphers_tls12, setup.ciphers_tls13),
        (2, 0),
        "{setup:?}"
    );
    assert_eq!(
        (setup.version_min.as_str(), setup.version_max.as_str()),
        ("TLSv1.2", "TLSv1.2")
    );
    assert_eq!(setup.sni.as_deref(), Some("localhost"));
    assert_eq!(setup.http_get.as_deref(), Some("/"));
    let first_call = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Call(_)));
    let setup_at = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Setup(_)));
    assert!(setup_at < first_call, "{}", dump(&events));
    assert_eq!(
        close(&events).reason,
        CloseReason::Clean,
        "{}",
        dump(&events)
    );
}

fn https(events: &[Event]) -> Vec<HttpResponse> {
    picked(events, |k| match k {
        EventKind::Http(h) => Some(**h),
        _ => None,
    })
}

/// The head's event, then (unless the head already completed it) the completion's.
fn assert_complete_response(events: &[Event]) {
    let http = https(events);
    assert!(matches!(http.len(), 1 | 2), "{http:?}\n{}", dump(events));
    let head = http[0];
    assert_eq!(head.status, 200, "{http:?}");
    let length = head.content_length.expect("Content-Length");
    let end = http[http.len() - 1];
    assert!(end.complete, "{http:?}");
    assert_eq!(
        end.received,
        u64::from(head.head_bytes) + length,
        "{http:?}"
    );
    assert_eq!(http.len() == 1, head.complete);
    let read: u64 = calls(events)
        .iter()
        .filter(|c| c.op == Op::Read)
        .map(|c| u64::from(c.bytes()))
        .sum();
    assert_eq!(
        read, end.received,
        "every byte SSL_read returned was counted"
    );
}

#[test]
fn an_http_get_records_the_response_head_and_its_completion() {
    let (_ok, spec) = lab(Scenario::Ok);
    let events = run(spec);
    assert_complete_response(&events);
}

#[test]
fn a_response_trickling_in_is_framed_once() {
    // TCP segments of one byte; SSL_read still returns whole records.
    let (_trickle, spec) = lab(Scenario::Trickle);
    let events = run(spec);
    assert_complete_response(&events);
}

#[test]
fn sent_bytes_that_are_an_http_request_are_framed_too() {
    let (_ok, mut spec) = lab(Scenario::Ok);
    spec.workload.http_get = None;
    spec.workload.send =
        Some(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".to_vec());
    spec.workload.read_for = Some(Duration::from_secs(5));
    let events = run(spec);
    assert_complete_response(&events);
}

/// A Python `ssl` server on an ephemeral loopback port running `serve(conn)` for one client,
/// with the lab's server certificate; killed on drop.
struct PyPeer {
    child: std::process::Child,
    port: u16,
}

impl PyPeer {
    fn start(serve: &str) -> PyPeer {
        use std::io::BufRead;
        let files = cert_files();
        let script = format!(
            "import socket, ssl, sys, time\n\
             ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
             ctx.load_cert_chain({cert:?}, {key:?})\n\
             ls = socket.socket(); ls.bind(('127.0.0.1', 0)); ls.listen(1)\n\
             print(ls.getsockname()[1], flush=True)\n\
             ls.settimeout(20)\n\
             raw, _ = ls.accept()\n\
             conn = ctx.wrap_socket(raw, server_side=True)\n\
             def read_head(conn):\n    data = b''\n    while b'\\r\\n\\r\\n' not in data and len(data) < 65536:\n        more = conn.recv(4096)\n        if not more: break\n        data += more\n\
             {serve}\n",
            cert = files.cert.display().to_string(),
            key = files.key.display().to_string(),
        );
        let mut child = std::process::Command::new("python3")
            .args(["-c", &script])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start python3");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let port = line.trim().parse().expect("python peer printed its port");
        PyPeer { child, port }
    }

    fn spec(&self) -> ConnectSpec {
        let mut spec = lab_trusting_spec(Target {
            host: "127.0.0.1".into(),
            port: self.port,
        });
        spec.sni = Sni::Name("localhost".into());
        spec
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_chunked_response_completes_at_its_last_chunk_in_a_later_read() {
    let peer = PyPeer::start(
        "read_head(conn)\n\
         conn.sendall(b'HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhel')\n\
         time.sleep(0.2)\n\
         conn.sendall(b'lo\\r\\n0\\r\\n\\r\\n')\n\
         time.sleep(5)",
    );
    let mut spec = peer.spec();
    spec.workload.http_get = Some("/".into());
    spec.workload.read_for = Some(Duration::from_secs(2));
    let events = run(spec);
    let http = https(&events);
    assert_eq!(http.len(), 2, "{http:?}\n{}", dump(&events));
    assert!(http[0].chunked && !http[0].complete);
    assert!(http[1].complete);
    assert_eq!(http[1].received, u64::from(http[0].head_bytes) + 15);
    // The peer sleeps instead of answering our close_notify: the grace elapses.
    let last_wait = waits(&events).last().map(|(_, w)| *w);
    assert_eq!(
        last_wait.map(|w| w.woke),
        Some(Woke::Elapsed),
        "{}",
        dump(&events)
    );
    assert_eq!(close(&events).reason, CloseReason::Clean);
}

/// The `sock` samples taken strictly inside each wait that lasted at least `min_dur`.
fn samples_in_waits(events: &[Event], min_dur: Nanos) -> Vec<(Wait, Vec<Sock>)> {
    waits(events)
        .into_iter()
        .filter(|(_, w)| w.dur >= min_dur)
        .map(|(t, w)| {
            let inside = events
                .iter()
                .filter(|e| e.t > t && e.t < t + w.dur)
                .filter_map(|e| match &e.kind {
                    EventKind::Sock(s) => Some(**s),
                    _ => None,
                })
                .collect();
            (w, inside)
        })
        .collect()
}

#[test]
fn levels_are_sampled_while_a_read_waits() {
    let (_silent, mut spec) = lab(Scenario::Silent);
    spec.workload.read_for = Some(Duration::from_millis(1000));
    let events = run(spec);
    let waits = samples_in_waits(&events, 900_000_000);
    assert_eq!(waits.len(), 1, "{}", dump(&events));
    let (wait, samples) = &waits[0];
    assert_eq!(wait.interest, Interest::Read);
    // 20 in the first 200 ms, then one per 100 ms: about 28 in a second (fewer if the machine
    // is slow to wake the thread; never more than the grid allows).
    assert!(
        (10..=30).contains(&samples.len()),
        "{} samples: {samples:?}",
        samples.len()
    );
    assert!(samples.iter().all(|s| s.tcp.is_some() && s.inq == 0));
}

#[test]
fn the_peer_window_closing_is_visible_during_the_write_wait() {
    let (_slow, spec) = lab(Scenario::SlowReader);
    let events = run(spec);
    let waits = samples_in_waits(&events, 500_000_000);
    let (wait, samples) = waits
        .iter()
        .find(|(w, _)| w.interest == Interest::Write)
        .unwrap_or_else(|| panic!("a long write wait: {}", dump(&events)));
    assert_eq!(wait.woke, Woke::Timeout);
    assert!(
        samples.len() >= 10 && samples.len() <= 102,
        "{}",
        samples.len()
    );
    assert!(
        samples
            .iter()
            .any(|s| s.tcp.is_some_and(|t| t.snd_wnd == 0)),
        "{samples:?}"
    );
    assert!(samples.iter().all(|s| s.outq > 0));
}

/// The peer of the EOF comparison: answers the request, then closes TCP without close_notify.
const RESPOND_THEN_CLOSE_TCP: &str = "read_head(conn)\n\
     conn.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 40\\r\\n\\r\\n' + b'x' * 20)\n\
     time.sleep(0.2)\n\
     raw = socket.socket(fileno=conn.detach())\n\
     raw.shutdown(socket.SHUT_RDWR)\n\
     raw.close()\n\
     time.sleep(2)";

/// What a program using OpenSSL on a plain socket sees: Python's `ssl` (`SSL_set_fd`), with
/// ragged EOFs not suppressed. Returns (exception class, library, reason).
fn plain_socket_client_error(port: u16) -> (String, String, String) {
    let files = cert_files();
    let script = format!(
        "import socket, ssl\n\
         ctx = ssl.create_default_context(cafile={ca:?})\n\
         s = socket.create_connection(('127.0.0.1', {port}), timeout=10)\n\
         c = ctx.wrap_socket(s, server_hostname='localhost', suppress_ragged_eofs=False)\n\
         c.sendall(b'GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n\
         try:\n    for _ in range(1000):\n        if not c.recv(4096): print('clean', '-', '-'); break\n\
         except ssl.SSLError as e:\n    print(type(e).__name__, e.library, e.reason)\n",
        ca = files.ca.display().to_string(),
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut words = text.split_whitespace().map(str::to_string);
    let mut next = || words.next().unwrap_or_default();
    (next(), next(), next())
}

#[test]
fn eof_without_close_notify_is_the_error_a_plain_socket_program_sees() {
    let peer = PyPeer::start(RESPOND_THEN_CLOSE_TCP);
    let (class, library, reason) = plain_socket_client_error(peer.port);
    assert_eq!(
        (class.as_str(), library.as_str(), reason.as_str()),
        ("SSLEOFError", "SSL", "UNEXPECTED_EOF_WHILE_READING"),
        "OpenSSL over a socket reports SSL_ERROR_SSL"
    );

    let peer = PyPeer::start(RESPOND_THEN_CLOSE_TCP);
    let mut spec = peer.spec();
    spec.workload.http_get = Some("/".into());
    let events = run(spec);
    let last_read = calls(&events)
        .into_iter()
        .rfind(|c| c.op == Op::Read)
        .expect("SSL_read calls");
    // Python's library "SSL" is SSL_ERROR_SSL: the same class for the same peer.
    assert_eq!({ last_read.error }, SslError::Ssl, "{}", dump(&events));
    assert_eq!({ last_read.ret }, 0, "what SSL_read itself returned");
    let ios = ios_in(&events, last_read.id);
    assert!(ios.iter().any(Io::is_eof), "the EOF is recorded: {ios:?}");
    assert_eq!(close(&events).reason, CloseReason::Eof);
    let message = error_message(&events).unwrap_or_default();
    assert!(message.contains("without close_notify"), "{message}");
}

#[test]
fn after_an_unexpected_eof_openssl_sends_a_fatal_alert_inside_the_same_ssl_read() {
    // As over any socket BIO: OpenSSL 3 answers the truncation with decode_error. The lab's
    // peer half-closes and keeps reading, so the alert's write is seen.
    let (_abrupt, spec) = lab(Scenario::AbruptClose);
    let events = run(spec);
    let last_read = calls(&events)
        .into_iter()
        .rfind(|c| c.op == Op::Read)
        .expect("SSL_read calls");
    assert_eq!(last_read.error, SslError::Ssl, "{}", dump(&events));
    let ios = ios_in(&events, last_read.id);
    assert!(ios.iter().any(Io::is_eof), "{ios:?}");
    assert!(ios.iter().any(|io| io.dir == Dir::Write && io.got > 0));
    const DECODE_ERROR: u8 = 50;
    assert!(msgs_in(&events, last_read.id)
        .iter()
        .any(|m| m.dir == MsgDir::Out && m.is_fatal_alert() && m.msg_type == DECODE_ERROR));
    assert_eq!(close(&events).reason, CloseReason::Eof);
    let http = https(&events);
    assert!(http.first().is_some_and(|h| h.status == 200), "{http:?}");
}

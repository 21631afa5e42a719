//! One verdict class per test, against real peers: the lab, the system's `openssl s_server`,
//! small Python `ssl` servers and a delaying TCP proxy (tests/peers/). Each runs
//! `tlsscope trace … --format jsonl` as a user would and checks the `verdict` event: its class
//! and the evidence it names.

mod common;

use common::bounded::PyPeer;
use common::*;
use serde_json::Value;
use std::process::Command;

/// `tls_peer.py MODE` with the lab's server certificate.
fn tls_peer(mode: &str) -> PyPeer {
    let files = cert_files();
    PyPeer::tls(mode, &files.cert, &files.key)
}

/// Runs `tlsscope trace TARGET ARGS --format jsonl` (trusting the lab CA) and returns the
/// verdict event and every line, checking that the verdict comes right before `close`.
fn verdict(target: &str, args: &[&str]) -> (Value, Vec<Value>) {
    let files = cert_files();
    let ca = files.ca.to_string_lossy().into_owned();
    let mut all = vec!["trace", target, "--format", "jsonl"];
    if !target.starts_with("lab:") {
        all.extend(["--ca", &ca]);
    }
    all.extend_from_slice(args);
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(&all)
        .output()
        .expect("run tlsscope");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let at = lines
        .iter()
        .position(|v| v["kind"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict in {lines:?}"));
    assert_eq!(lines.get(at + 1).map(|v| &v["kind"]), Some(&"close".into()));
    (lines[at].clone(), lines)
}

fn class(v: &Value) -> &str {
    v["class"].as_str().unwrap_or("")
}

/// Summary and evidence as one text, for `contains` checks.
fn said(v: &Value) -> String {
    let mut text = v["summary"].as_str().unwrap_or("").to_string();
    for e in v["evidence"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(e["text"].as_str().unwrap_or(""));
    }
    text
}

fn assert_class(v: &Value, expected: &str) {
    assert_eq!(
        class(v),
        expected,
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_default()
    );
}

#[test]
fn healthy() {
    let (v, _) = verdict("lab:ok", &[]);
    assert_class(&v, "healthy");
    assert_eq!(v["severity"], "ok");
    assert!(v["breakdown"]["handshake"].as_u64() > Some(0));
}

#[test]
fn slow_behind_a_delaying_proxy() {
    let server = SServer::start(&["-www"]);
    let proxy = PyPeer::start("delay_proxy.py", &[&server.port.to_string(), "150"]);
    let (v, _) = verdict(&proxy.target(), &["--http-get", "/", "--timeout", "10"]);
    assert_class(&v, "slow");
    assert!(
        said(&v).contains("beyond the first TCP hop"),
        "{}",
        said(&v)
    );
    let b = &v["breakdown"];
    assert!(b["longest_round_trip"].as_u64() > Some(250_000_000), "{b}");
}

#[test]
fn slow_answer_is_not_a_stall() {
    let peer = tls_peer("slow-answer");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "10"]);
    assert_class(&v, "slow");
    assert_ne!(v["severity"], "stall");
}

#[test]
fn idle_by_our_own_choice() {
    let server = SServer::start(&[]);
    let (v, _) = verdict(&server.target().to_string(), &["--read-for", "1"]);
    assert_class(&v, "idle");
    assert!(v["breakdown"]["idle"].as_u64() >= Some(900_000_000), "{v}");
}

#[test]
fn hello_unanswered_by_a_silent_plain_tcp_port() {
    let peer = PyPeer::start("plain_peer.py", &["silent"]);
    let (v, _) = verdict(&peer.target(), &["--timeout", "2"]);
    assert_class(&v, "hello-unanswered");
    assert!(said(&v).contains("acknowledged"), "{}", said(&v));
}

#[test]
fn handshake_closed_right_after_the_clienthello() {
    let peer = PyPeer::start("plain_peer.py", &["close"]);
    let (v, _) = verdict(&peer.target(), &["--timeout", "5"]);
    assert_class(&v, "handshake-closed");
}

#[test]
fn no_response_to_a_delivered_request() {
    let peer = tls_peer("no-answer");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "2"]);
    assert_class(&v, "no-response");
    assert!(said(&v).contains("delivered"), "{}", said(&v));
    assert!(v["focus"].as_u64().is_some());
}

#[test]
fn response_complete_on_a_kept_open_connection() {
    for mode in ["keepalive", "keepalive-chunked"] {
        let peer = tls_peer(mode);
        let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "2"]);
        assert_class(&v, "response-complete-kept-open");
        assert_ne!(v["severity"], "stall");
    }
}

#[test]
fn peer_silent_mid_response() {
    let peer = tls_peer("midstream");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "2"]);
    assert_class(&v, "peer-silent");
}

#[test]
fn peer_not_reading() {
    let (v, _) = verdict("lab:slow-reader", &["--timeout", "2"]);
    assert_class(&v, "peer-not-reading");
    assert!(said(&v).contains("send queue"), "{}", said(&v));
}

#[test]
fn slow_reader_progresses() {
    let peer = tls_peer("slow-read");
    let (v, _) = verdict(
        &peer.target(),
        &["--upload", "600000", "--sndbuf", "8192", "--timeout", "20"],
    );
    assert_class(&v, "slow-reader");
}

#[test]
fn write_deadlock_with_an_echo_peer() {
    let peer = tls_peer("echo");
    let (v, _) = verdict(
        &peer.target(),
        &[
            "--upload",
            "8000000",
            "--sndbuf",
            "16384",
            "--rcvbuf",
            "16384",
            "--timeout",
            "3",
        ],
    );
    assert_class(&v, "write-deadlock");
    assert!(said(&v).contains("receive queue"), "{}", said(&v));
    let code = v["next"]["code"].to_string();
    assert!(code.contains("SSL_read"), "{code}");
}

#[test]
fn not_tls() {
    let (v, _) = verdict("lab:not-tls", &[]);
    assert_class(&v, "not-tls");
}

#[test]
fn reset_mid_transfer() {
    let (v, _) = verdict("lab:reset", &[]);
    assert_class(&v, "reset");
    assert!(said(&v).contains("ECONNRESET"), "{}", said(&v));
}

#[test]
fn early_rejection_leaves_the_answer_unread() {
    let peer = tls_peer("reject413");
    let (v, _) = verdict(
        &peer.target(),
        &[
            "--send",
            "POST /upload HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 50000000\\r\\n\\r\\n",
            "--upload",
            "50000000",
            "--timeout",
            "10",
        ],
    );
    assert_class(&v, "early-rejection");
    assert!(said(&v).contains("unread"), "{}", said(&v));
}

#[test]
fn truncated_before_content_length() {
    let peer = tls_peer("truncate");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "5"]);
    assert_class(&v, "truncated");
    assert!(said(&v).contains("Content-Length"), "{}", said(&v));
}

/// Regression: a chunked response ended by a clean close_notify before its last chunk was
/// "healthy" with exit status 0; the response is cut short all the same.
#[test]
fn truncated_by_a_clean_close_before_the_last_chunk() {
    let peer = tls_peer("truncate-clean");
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["trace", &peer.target(), "--http-get", "/", "--timeout", "5"])
        .args(["--ca", &cert_files().ca.to_string_lossy()])
        .output()
        .expect("run tlsscope");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let peer = tls_peer("truncate-clean");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "5"]);
    assert_class(&v, "truncated");
    assert!(said(&v).contains("before its last chunk"), "{}", said(&v));
}

#[test]
fn sni_rejected() {
    let peer = tls_peer("sni-required");
    let (v, _) = verdict(&peer.target(), &["--timeout", "5"]);
    assert_class(&v, "sni-rejected");
    assert!(said(&v).contains("\"localhost\""), "{}", said(&v));
}

#[test]
fn alpn_mismatch() {
    let server = SServer::start(&["-alpn", "h2"]);
    let (v, _) = verdict(&server.target().to_string(), &["--alpn", "http/1.1"]);
    assert_class(&v, "alpn-mismatch");
    assert!(said(&v).contains("http/1.1"), "{}", said(&v));
}

#[test]
fn version_mismatch() {
    let server = SServer::start(&["-tls1_2"]);
    let (v, _) = verdict(&server.target().to_string(), &["--tls-min", "1.3"]);
    assert_class(&v, "version-mismatch");
    assert!(said(&v).contains("TLSv1.3 only"), "{}", said(&v));
}

#[test]
fn cipher_mismatch() {
    let server = SServer::start(&["-tls1_2", "-cipher", "AES128-SHA"]);
    let (v, _) = verdict(
        &server.target().to_string(),
        &[
            "--tls-max",
            "1.2",
            "--ciphers",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
        ],
    );
    assert_class(&v, "cipher-mismatch");
}

#[test]
fn client_certificate_required_in_tls12_and_tls13() {
    let server = SServer::start(&["-Verify", "1", "-tls1_2"]);
    let (v, _) = verdict(&server.target().to_string(), &["--http-get", "/"]);
    assert_class(&v, "client-cert-required");
    assert!(said(&v).contains("CertificateRequest"), "{}", said(&v));

    let server = SServer::start(&["-Verify", "1"]);
    let (v, _) = verdict(&server.target().to_string(), &["--http-get", "/"]);
    assert_class(&v, "client-cert-required");
    assert!(said(&v).contains("first SSL_read"), "{}", said(&v));
}

#[test]
fn verify_failed() {
    let (v, _) = verdict("lab:bad-cert-expired", &[]);
    assert_class(&v, "verify-failed");
    assert!(said(&v).contains("expired"), "{}", said(&v));
}

/// Regression: a certificate for `localhost` reached as 127.0.0.1 failed with "IP address
/// mismatch", and both the error and the verdict's next step said to trust the issuer with --ca,
/// which was given already and cannot help.
#[test]
fn a_name_mismatch_by_ip_address_advises_the_name_not_the_ca() {
    // The lab's certificate made out for another name (no IP address in it), from its CA.
    let pki = tlsscope::lab::Pki::shared().expect("lab PKI");
    let files = cert_files();
    let cert = files.dir.join("wrong-host.pem");
    let key = files.dir.join("wrong-host.key");
    std::fs::write(&cert, pki.wrong_host.chain_pem().expect("chain")).expect("write cert");
    std::fs::write(&key, pki.wrong_host.key_pem().expect("key")).expect("write key");
    let server = SServer::start_with(&cert, &key, &["-www"]);
    let (v, lines) = verdict(&format!("127.0.0.1:{}", server.port), &[]);
    assert_class(&v, "verify-failed");
    assert!(said(&v).contains("IP address mismatch"), "{}", said(&v));
    let next = v["next"]["user"].to_string();
    assert!(next.contains("name the certificate is for"), "{next}");
    assert!(!next.contains("--ca"), "{next}");
    let error = lines
        .iter()
        .find(|l| l["kind"] == "error")
        .map(|l| l.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("a name the certificate is valid for"),
        "{error}"
    );
    assert!(!error.contains("--ca"), "{error}");
}

#[test]
fn connect_failed_on_a_closed_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (v, _) = verdict(&format!("127.0.0.1:{port}"), &[]);
    assert_class(&v, "connect-failed");
}

/// Regression: our own renegotiation (`--renegotiate`) with a server that asks for a client
/// certificate in every handshake was called TLS 1.3 post-handshake authentication, and our
/// own `--key-update` read as if the peer had begun it.
#[test]
fn our_own_renegotiation_and_key_update_are_named_as_ours() {
    // GnuTLS accepts a client's renegotiation, and asks for a certificate in every handshake.
    let server = GnutlsServ::start(&["--echo", "--priority", "NORMAL:-VERS-TLS1.3"]);
    let target = format!("localhost:{}", server.port);
    let (v, _) = verdict(&target, &["--renegotiate", "--read-for", "0.3"]);
    assert_class(&v, "renegotiation");
    assert!(said(&v).contains("We renegotiated"), "{}", said(&v));
    assert!(
        said(&v).contains("client certificate again"),
        "{}",
        said(&v)
    );
    let server = SServer::start(&["-www"]);
    let target = format!("localhost:{}", server.port);
    let (v, _) = verdict(&target, &["--key-update", "--read-for", "0.3"]);
    assert_class(&v, "key-update");
    assert!(said(&v).contains("We updated our keys"), "{}", said(&v));
}

#[test]
fn post_handshake_activity_is_named() {
    let (v, _) = verdict("lab:renegotiate", &[]);
    assert_class(&v, "renegotiation");
    assert!(said(&v).contains("HelloRequest"), "{}", said(&v));
    let (v, _) = verdict("lab:key-update", &[]);
    assert_class(&v, "key-update");
    assert!(said(&v).contains("update_requested"), "{}", said(&v));
    let (v, _) = verdict("lab:late-tickets", &["--no-auto-retry"]);
    assert_class(&v, "ticket-want-read");
}

#[test]
fn closed_without_answer() {
    let peer = tls_peer("close-no-answer");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "5"]);
    assert_class(&v, "closed-without-answer");
}

#[test]
fn http_error_status_is_named_though_tls_worked() {
    let peer = tls_peer("status-503");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "5"]);
    assert_class(&v, "http-error");
    assert!(said(&v).contains("HTTP 503"), "{}", said(&v));
}

#[test]
fn an_answer_in_pieces_with_pauses_is_slow() {
    let peer = tls_peer("chunks-with-pauses");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "8"]);
    assert_class(&v, "slow");
    assert!(said(&v).contains("with pauses"), "{}", said(&v));
}

/// GnuTLS answers a version it does not speak with handshake_failure, not protocol_version.
#[test]
fn gnutls_version_refusal_is_a_version_mismatch() {
    let server = GnutlsServ::start(&["--priority", "NORMAL:-VERS-TLS1.3"]);
    let (v, _) = verdict(
        &format!("localhost:{}", server.port),
        &["--tls-min", "1.3", "--timeout", "5"],
    );
    assert_class(&v, "version-mismatch");
}

/// Regression: a connection OpenSSL failed after the handshake (its own fatal alert) was judged
/// healthy, "closed cleanly".
#[test]
fn a_record_that_does_not_decrypt_is_rejected_not_healthy() {
    let peer = tls_peer("corrupt-record");
    let (v, _) = verdict(&peer.target(), &["--http-get", "/", "--timeout", "5s"]);
    assert_class(&v, "rejected-record");
    assert_eq!(v["severity"], "failure");
    assert!(said(&v).contains("bad_record_mac"), "{}", said(&v));
}

/// Regression: OpenSSL 3's s_server refuses a client's renegotiation with the warning alert
/// no_renegotiation; this was called a rejected record ("OpenSSL rejected what the peer sent").
#[test]
fn a_refused_renegotiation_is_named() {
    let server = SServer::start(&["-tls1_2", "-www"]);
    let target = format!("localhost:{}", server.port);
    let (v, _) = verdict(&target, &["--renegotiate", "--read-for", "0.3"]);
    assert_class(&v, "renegotiation-refused");
    assert!(said(&v).contains("no_renegotiation"), "{}", said(&v));
}

/// A server that wants a key share for a group we did not send answers with a HelloRetryRequest:
/// the verdict says why the handshake took a second round trip; the message is named as such.
#[test]
fn a_hello_retry_request_is_named_as_the_extra_round_trip() {
    let server = SServer::start(&["-groups", "P-384", "-www"]);
    let (v, lines) = verdict(&format!("localhost:{}", server.port), &["--http-get", "/"]);
    assert!(said(&v).contains("HelloRetryRequest"), "{}", said(&v));
    assert_eq!(v["breakdown"]["handshake_round_trips"], 2, "{v}");
    let names = |lines: &[Value]| -> Vec<Value> {
        let ins = lines
            .iter()
            .filter(|l| l["kind"] == "msg" && l["dir"] == "in");
        ins.map(|l| l["type"].clone()).take(2).collect()
    };
    assert_eq!(names(&lines), ["HelloRetryRequest", "ServerHello"]);
    let server = SServer::start(&["-www"]);
    let (v, lines) = verdict(&format!("localhost:{}", server.port), &["--http-get", "/"]);
    let plain = !said(&v).contains("HelloRetryRequest") && names(&lines)[0] == "ServerHello";
    assert!(plain, "{}", said(&v));
}

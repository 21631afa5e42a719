//! `--starttls` against real peers on loopback: a Python server per dialect (tests/peers/
//! starttls_peer.py) that speaks its plaintext protocol and then upgrades with Python's `ssl`.
//! Each test runs `tlsscope trace … --format jsonl` as a user would and checks the `plain`
//! lines, that the handshake completed (or the one-line reason), and the verdict class.

mod common;

use common::bounded::PyPeer;
use common::*;
use serde_json::Value;
use std::process::Command;

/// The STARTTLS peer in `mode` with the lab's server certificate.
fn starttls_peer(mode: &str) -> PyPeer {
    let files = cert_files();
    let (cert, key) = (files.cert.to_string_lossy(), files.key.to_string_lossy());
    PyPeer::start("starttls_peer.py", &[mode, &cert, &key])
}

/// Runs tlsscope against a peer in `mode` with `--starttls PROTO` and returns every JSONL line.
fn trace(mode: &str, extra: &[&str]) -> Vec<Value> {
    let peer = starttls_peer(mode);
    let proto = mode.split('-').next().unwrap_or(mode);
    let files = cert_files();
    let target = format!("localhost:{}", peer.port);
    let ca = files.ca.to_string_lossy().into_owned();
    let mut args = vec!["trace", &target, "--format", "jsonl", "--ca", &ca];
    args.extend(["--starttls", proto, "--timeout", "10"]);
    args.extend_from_slice(extra);
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(&args)
        .output()
        .expect("run tlsscope");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn plain(lines: &[Value], dir: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|v| v["kind"] == "plain" && v["dir"] == dir)
        .map(|v| v["text"].as_str().unwrap_or("").to_string())
        .collect()
}

fn verdict_class(lines: &[Value]) -> String {
    lines
        .iter()
        .find(|v| v["kind"] == "verdict")
        .and_then(|v| v["class"].as_str())
        .unwrap_or("")
        .to_string()
}

fn error(lines: &[Value]) -> String {
    lines
        .iter()
        .find(|v| v["kind"] == "error")
        .and_then(|v| v["message"].as_str())
        .unwrap_or("")
        .to_string()
}

fn phases(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|v| v["kind"] == "phase")
        .map(|v| v["phase"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The dialogue went through, TLS completed, and the plaintext lines are in the trace.
fn assert_upgraded(mode: &str, sent: &str, received: &str) {
    let lines = trace(mode, &[]);
    let all = format!("{lines:#?}");
    assert!(phases(&lines).starts_with(&[
        "resolve".into(),
        "connect".into(),
        "starttls".into(),
        "handshake".into()
    ]));
    assert!(
        plain(&lines, "sent").iter().any(|l| l.contains(sent)),
        "{mode}: no {sent:?} sent: {all}"
    );
    assert!(
        plain(&lines, "received")
            .iter()
            .any(|l| l.contains(received)),
        "{mode}: no {received:?} received: {all}"
    );
    assert!(
        lines.iter().any(|v| v["kind"] == "tls"),
        "{mode}: no handshake: {all}"
    );
    assert!(plain(&lines, "injected").is_empty(), "{mode}: {all}");
    assert_eq!(verdict_class(&lines), "healthy", "{mode}: {all}");
}

#[test]
fn smtp_upgrades() {
    assert_upgraded("smtp", "EHLO localhost", "250-STARTTLS");
}

#[test]
fn lmtp_upgrades() {
    assert_upgraded("lmtp", "LHLO localhost", "220 2.0.0 Ready");
}

#[test]
fn imap_upgrades() {
    assert_upgraded("imap", "a2 STARTTLS", "a2 OK Begin TLS");
}

#[test]
fn pop3_upgrades() {
    assert_upgraded("pop3", "STLS", "+OK Begin TLS");
}

#[test]
fn ftp_upgrades() {
    assert_upgraded("ftp", "AUTH TLS", "234 AUTH TLS");
}

#[test]
fn xmpp_upgrades() {
    assert_upgraded("xmpp", "to='localhost'", "<proceed");
}

#[test]
fn postgres_upgrades() {
    assert_upgraded("postgres", "SSLRequest", "S (the server accepts TLS)");
}

#[test]
fn mysql_upgrades() {
    assert_upgraded("mysql", "SSL request packet", "version 8.0.36-test");
}

#[test]
fn ldap_upgrades() {
    assert_upgraded("ldap", "ExtendedRequest StartTLS", "resultCode 0");
}

#[test]
fn nntp_upgrades() {
    assert_upgraded("nntp", "CAPABILITIES", "382 Continue");
}

#[test]
fn sieve_upgrades() {
    assert_upgraded("sieve", "STARTTLS", "OK \"Begin TLS");
}

#[test]
fn irc_upgrades() {
    assert_upgraded("irc", "STARTTLS", " 670 ");
}

#[test]
fn starttls_host_names_us_in_ehlo() {
    let lines = trace("smtp", &["--starttls-host", "client.example"]);
    assert!(plain(&lines, "sent").contains(&"EHLO client.example".to_string()));
}

/// A refusal or a missing STARTTLS ends before TLS, with a one-line reason quoting the server.
fn assert_refused(mode: &str, reason: &str) {
    let lines = trace(mode, &[]);
    let all = format!("{lines:#?}");
    assert!(error(&lines).contains(reason), "{mode}: {all}");
    assert!(!error(&lines).contains('\n'));
    assert!(!phases(&lines).contains(&"handshake".to_string()), "{mode}");
    assert_eq!(verdict_class(&lines), "starttls-refused", "{mode}: {all}");
}

#[test]
fn refusals_quote_the_server() {
    assert_refused(
        "smtp-refuse",
        "STARTTLS refused by the server: \"454 4.7.0 TLS not available due to temporary reason\"",
    );
    assert_refused(
        "imap-refuse",
        "STARTTLS refused by the server: \"a2 NO STARTTLS not now\"",
    );
    assert_refused("pop3-refuse", "\"-ERR TLS not available\"");
    assert_refused("ftp-refuse", "\"534 Local policy");
    assert_refused("xmpp-refuse", "<failure");
    assert_refused("postgres-refuse", "answered the SSLRequest with \"N\"");
    assert_refused("ldap-refuse", "LDAP resultCode 52 \"TLS not configured\"");
}

#[test]
fn a_server_without_starttls_is_named() {
    assert_refused(
        "smtp-absent",
        "the server does not offer STARTTLS (its EHLO answer: \"250-mail.test greets you\" / \"250 PIPELINING\")",
    );
    assert_refused(
        "imap-absent",
        "the server does not offer STARTTLS (its CAPABILITY answer",
    );
    assert_refused(
        "pop3-absent",
        "the server does not offer STARTTLS (its CAPA answer",
    );
    assert_refused("mysql-absent", "without CLIENT_SSL");
    assert_refused("irc-absent", "421");
}

#[test]
fn bytes_after_the_go_ahead_are_a_warning_not_tls() {
    let lines = trace("smtp-inject", &[]);
    let all = format!("{lines:#?}");
    assert_eq!(plain(&lines, "injected"), ["EXTRA"], "{all}");
    // Dropped, never fed to OpenSSL: the handshake still completes.
    assert!(lines.iter().any(|v| v["kind"] == "tls"), "{all}");
    assert_eq!(verdict_class(&lines), "starttls-injection", "{all}");
}

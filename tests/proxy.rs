//! `--proxy` against real proxies on loopback: a Python HTTP CONNECT proxy and a SOCKS5 proxy
//! (tests/peers/proxy_peer.py) in front of `openssl s_server -www`. Each test runs
//! `tlsscope trace … --format jsonl` as a user would and checks the proxy's dialogue in the
//! trace, that TLS then completed through the tunnel (or the one-line refusal), the verdict and
//! the exit status.

mod common;

use common::bounded::PyPeer;
use common::*;
use serde_json::Value;
use std::process::{Command, Output};

struct Run {
    out: Output,
    lines: Vec<Value>,
    /// The requests the proxy logged.
    requests: String,
    target: String,
    proxy_port: u16,
}

impl Run {
    fn plain(&self, dir: &str) -> Vec<String> {
        self.lines
            .iter()
            .filter(|v| v["kind"] == "plain" && v["dir"] == dir)
            .map(|v| v["text"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn kinds(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|v| v["kind"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn phases(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|v| v["kind"] == "phase")
            .map(|v| v["phase"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn verdict(&self) -> &Value {
        self.lines
            .iter()
            .find(|v| v["kind"] == "verdict")
            .unwrap_or(&Value::Null)
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    fn all(&self) -> String {
        format!("{}\n{}\n{}", self.stdout(), self.stderr(), self.requests)
    }
}

/// `tlsscope trace localhost:PORT --proxy URL --http-get /` against `openssl s_server -www`
/// behind the proxy peer in `mode`; `url(port)` makes the --proxy URL.
fn trace(mode: &str, url: impl Fn(u16) -> String) -> Run {
    trace_as("jsonl", mode, url)
}

/// The same in `format` (`text` leaves `lines` empty).
fn trace_as(format: &str, mode: &str, url: impl Fn(u16) -> String) -> Run {
    let files = cert_files();
    let server = SServer::start(&["-www"]);
    let proxy = PyPeer::start("proxy_peer.py", &[mode]);
    let target = format!("localhost:{}", server.port);
    let ca = files.ca.to_string_lossy().into_owned();
    let proxy_port = proxy.port;
    let url = url(proxy_port);
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["trace", &target, "--ca", &ca, "--format", format])
        .args(["--http-get", "/", "--timeout", "10", "--proxy", &url])
        .output()
        .expect("run tlsscope");
    let lines = match format {
        "jsonl" => String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect(),
        _ => Vec::new(),
    };
    Run {
        out,
        lines,
        requests: proxy.stop_and_read_log(),
        target,
        proxy_port,
    }
}

/// The tunnel worked: proxy phase before the handshake, TLS done, an HTTP answer, exit 0.
fn assert_through(run: &Run) {
    let all = run.all();
    assert_eq!(run.out.status.code(), Some(0), "{all}");
    let phases = run.phases();
    let proxy = phases.iter().position(|p| p == "proxy");
    let handshake = phases.iter().position(|p| p == "handshake");
    assert!(
        proxy.is_some() && proxy < handshake,
        "phases {phases:?}: {all}"
    );
    assert!(run.kinds().contains(&"tls".to_string()), "no tls: {all}");
    let status = run
        .lines
        .iter()
        .filter(|v| v["kind"] == "http")
        .filter_map(|v| v["status"].as_u64())
        .next_back();
    assert_eq!(status, Some(200), "{all}");
    assert_eq!(run.verdict()["severity"], "ok", "{all}");
}

/// Refused by the proxy: exit 1, verdict proxy-refused, no TLS, the reason on stderr's one line.
fn assert_refused(run: &Run, reason: &str) {
    let all = run.all();
    assert_eq!(run.out.status.code(), Some(1), "{all}");
    assert_eq!(run.verdict()["class"], "proxy-refused", "{all}");
    assert!(!run.kinds().contains(&"tls".to_string()), "{all}");
    assert!(!run.phases().contains(&"handshake".to_string()), "{all}");
    let stderr = run.stderr();
    assert_eq!(stderr.trim().lines().count(), 1, "{all}");
    assert!(stderr.contains(reason), "{reason:?} not in {stderr:?}");
    let summary = run.verdict()["summary"].as_str().unwrap_or("");
    assert!(summary.contains(reason), "{reason:?} not in {summary:?}");
}

#[test]
fn http_connect_tunnels_the_handshake_and_shows_the_dialogue() {
    let run = trace("connect", |p| format!("http://127.0.0.1:{p}"));
    assert_through(&run);
    let sent = run.plain("sent");
    assert_eq!(
        sent[0],
        format!("CONNECT {} HTTP/1.1", run.target),
        "{sent:?}"
    );
    assert!(sent.contains(&format!("Host: {}", run.target)), "{sent:?}");
    let received = run.plain("received");
    assert_eq!(received[0], "HTTP/1.1 200 Connection established");
    assert_eq!(run.requests.trim(), format!("CONNECT {}", run.target));
    // The TCP connection went to the proxy, not to the server.
    let connected = run.lines.iter().find(|v| v["kind"] == "connected");
    let peer = connected.and_then(|v| v["peer"].as_str()).unwrap_or("");
    assert_eq!(peer, format!("127.0.0.1:{}", run.proxy_port));
    assert_eq!(
        run.verdict()["breakdown"]["tcp_rtt_to_proxy"],
        true,
        "{}",
        run.all()
    );
}

#[test]
fn http_connect_407_without_credentials_is_proxy_refused() {
    let run = trace("connect-auth", |p| format!("http://127.0.0.1:{p}"));
    assert_refused(&run, "\"HTTP/1.1 407 Proxy Authentication Required\"");
    let received = run.plain("received");
    assert!(
        received
            .iter()
            .any(|l| l.starts_with("Proxy-Authenticate: Basic")),
        "{received:?}"
    );
}

#[test]
fn http_connect_with_credentials_passes_and_hides_the_password() {
    let run = trace("connect-auth", |p| {
        format!("http://alice:s3cret@127.0.0.1:{p}")
    });
    assert_through(&run);
    let all = run.all();
    assert!(!all.contains("s3cret"), "the password leaked: {all}");
    // Nor its Basic token (base64 of alice:s3cret).
    assert!(!all.contains("YWxpY2U6czNjcmV0"), "the token leaked: {all}");
    assert!(
        run.plain("sent")
            .contains(&"Proxy-Authorization: Basic (hidden)".to_string()),
        "{all}"
    );
}

#[test]
fn http_connect_403_is_proxy_refused() {
    let run = trace("connect-403", |p| format!("http://127.0.0.1:{p}"));
    assert_refused(&run, "\"HTTP/1.1 403 Forbidden\"");
}

#[test]
fn socks5_tunnels_the_handshake_and_leaves_the_name_to_the_proxy() {
    let run = trace("socks5", |p| format!("socks5://127.0.0.1:{p}"));
    assert_through(&run);
    // ATYP 3: the name went to the proxy, which resolved it.
    assert_eq!(
        run.requests.trim(),
        format!("SOCKS5 ATYP 3 {}", run.target),
        "{}",
        run.all()
    );
    let sent = run.plain("sent");
    assert!(
        sent.iter()
            .any(|l| l.starts_with(&format!("SOCKS5 CONNECT {}", run.target))),
        "{sent:?}"
    );
    let received = run.plain("received");
    assert!(
        received.iter().any(|l| l == "SOCKS5 reply: 0 (succeeded)"),
        "{received:?}"
    );
}

#[test]
fn socks5_refusals_are_named_in_words() {
    for (mode, words) in [
        ("socks5-refuse", "error 5 (connection refused)"),
        ("socks5-deny", "error 2 (connection not allowed by ruleset)"),
    ] {
        let run = trace(mode, |p| format!("socks5://127.0.0.1:{p}"));
        assert_refused(&run, words);
    }
}

#[test]
fn a_slow_path_behind_the_proxy_is_slow_and_the_rtt_is_said_to_be_the_proxys() {
    let run = trace_as("text", "connect-slow", |p| format!("http://127.0.0.1:{p}"));
    let text = run.all();
    assert_eq!(run.out.status.code(), Some(0), "{text}");
    assert!(text.contains("verdict: slow"), "{text}");
    assert!(
        text.contains("the TCP round trip to the proxy is"),
        "{text}"
    );
    assert!(
        text.contains("between the proxy and the server, or in the server"),
        "{text}"
    );
    assert!(
        text.contains("(to the proxy)"),
        "the breakdown's rtt: {text}"
    );
}

#[test]
fn a_proxy_that_is_not_listening_is_named_as_the_proxy() {
    // A port just freed: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["trace", "localhost:443", "--timeout", "10"])
        .args(["--proxy", &format!("http://127.0.0.1:{port}")])
        .output()
        .expect("run tlsscope");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("TCP connect to the proxy 127.0.0.1:{port} ")),
        "{stderr}"
    );
}

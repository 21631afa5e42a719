//! Unit tests of [`LabServer`] and its peers, with blocking OpenSSL clients.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use openssl::ssl::SslVerifyMode;
use openssl::ssl::{self, HandshakeError, ShutdownResult, SslConnector, SslMethod, SslStream};
use openssl::x509::X509VerifyResult;

use super::LabServer;
use crate::lab::{Pki, Scenario};

fn start(scenario: Scenario) -> LabServer {
    let pki = Pki::shared().unwrap();
    LabServer::start(scenario, "127.0.0.1:0".parse().unwrap(), pki).unwrap()
}

fn tcp(server: &LabServer) -> TcpStream {
    let tcp = TcpStream::connect(server.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    tcp
}

/// A blocking client that trusts the lab CA and checks the name `localhost`.
fn connect(
    server: &LabServer,
    identity: bool,
) -> Result<SslStream<TcpStream>, HandshakeError<TcpStream>> {
    let pki = Pki::shared().unwrap();
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.cert_store_mut().add_cert(pki.ca.clone()).unwrap();
    if identity {
        b.set_certificate(pki.client.leaf().unwrap()).unwrap();
        b.set_private_key(&pki.client.key).unwrap();
    }
    b.build()
        .configure()
        .unwrap()
        .connect("localhost", tcp(server))
}

fn get(s: &mut SslStream<TcpStream>) -> io::Result<String> {
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn ok_answers_and_closes_with_close_notify() {
    let server = start(Scenario::Ok);
    let mut s = connect(&server, false).unwrap();
    let text = get(&mut s).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(
        text.ends_with("hello from the tlsscope lab (ok)\n"),
        "{text}"
    );
    assert!(s.get_shutdown().contains(ssl::ShutdownState::RECEIVED));
    assert_eq!(s.shutdown().unwrap(), ShutdownResult::Received);
}

#[test]
fn not_tls_answers_in_plain_text() {
    let server = start(Scenario::NotTls);
    let mut t = tcp(&server);
    // A record header announcing 4 bytes, then those 4 bytes.
    t.write_all(&[0x16, 0x03, 0x01, 0x00, 0x04, 1, 0, 0, 0])
        .unwrap();
    let mut out = Vec::new();
    t.read_to_end(&mut out).unwrap();
    assert!(out.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
}

#[test]
fn alert_refuses_the_handshake() {
    let server = start(Scenario::Alert);
    let err = connect(&server, false).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("handshake failure"), "{text}");
}

#[test]
fn client_cert_is_required() {
    let server = start(Scenario::ClientCert);
    let mut s = connect(&server, true).unwrap();
    assert!(get(&mut s).unwrap().starts_with("HTTP/1.1 200 OK"));

    // TLS 1.3: the handshake completes; the refusal arrives at the first read.
    let refused = match connect(&server, false) {
        Err(_) => true,
        Ok(mut s) => get(&mut s).is_err(),
    };
    assert!(refused);
}

#[test]
fn bad_certificates_fail_verification_with_their_reason() {
    for (scenario, code) in [
        (Scenario::BadCertExpired, 10),
        (Scenario::BadCertWrongHost, 62),
        (Scenario::BadCertSelfSigned, 18),
        (Scenario::BadCertUntrusted, 19),
    ] {
        let server = start(scenario);
        match connect(&server, false) {
            Err(HandshakeError::Failure(mid)) => {
                assert_eq!(mid.ssl().verify_result().as_raw(), code, "{scenario}")
            }
            Err(e) => panic!("{scenario}: {e}"),
            Ok(_) => panic!("{scenario}: verification passed"),
        }
        // Without verification the peer serves normally.
        let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
        b.set_verify(SslVerifyMode::NONE);
        let mut s = b.build().connect("localhost", tcp(&server)).unwrap();
        assert_ne!(s.ssl().verify_result(), X509VerifyResult::OK);
        assert!(get(&mut s).unwrap().starts_with("HTTP/1.1 200 OK"));
    }
}

#[test]
fn handshake_stall_never_answers() {
    let server = start(Scenario::HandshakeStall);
    let t = tcp(&server);
    t.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let pki = Pki::shared().unwrap();
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.cert_store_mut().add_cert(pki.ca.clone()).unwrap();
    match b.build().connect("localhost", t) {
        Err(HandshakeError::WouldBlock(_)) => {}
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("handshake completed"),
    }
}

#[test]
fn stopping_does_not_wait_for_held_connections() {
    let mut server = start(Scenario::Silent);
    let mut s = connect(&server, false).unwrap();
    s.write_all(b"hello\n").unwrap();
    let mut slow = start(Scenario::SlowReader);
    let _s2 = connect(&slow, false).unwrap();
    thread::sleep(Duration::from_millis(100));
    let began = Instant::now();
    server.stop();
    slow.stop();
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    assert!(server.notes().iter().any(|n| n.contains("holding")));
    // The connection was closed without close_notify.
    let mut buf = [0u8; 16];
    assert!(!matches!(s.ssl_read(&mut buf), Ok(n) if n > 0));
}

#[test]
fn ipv6_loopback_and_many_connections() {
    let pki = Pki::shared().unwrap();
    let Ok(server) = LabServer::start(Scenario::Ok, "[::1]:0".parse().unwrap(), pki) else {
        return; // no IPv6 here
    };
    assert!(server.addr().is_ipv6());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let addr = server.addr();
            thread::spawn(move || {
                let pki = Pki::shared().unwrap();
                let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
                b.cert_store_mut().add_cert(pki.ca.clone()).unwrap();
                let tcp = TcpStream::connect(addr).unwrap();
                tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut s = b.build().connect("localhost", tcp).unwrap();
                get(&mut s).unwrap()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().starts_with("HTTP/1.1 200 OK"));
    }
    assert_eq!(server.accepted(), 8);
}

#[test]
fn latency_relays_the_ok_server_and_stops_with_its_backend() {
    let mut server = start(Scenario::Latency);
    let mut s = connect(&server, false).unwrap();
    let text = get(&mut s).unwrap();
    assert!(
        text.ends_with("hello from the tlsscope lab (ok)\n"),
        "{text}"
    );
    assert_eq!(server.accepted(), 1);
    // A connection held open through the proxy ends when the server stops.
    let mut held = connect(&server, false).unwrap();
    server.stop();
    let mut buf = [0u8; 16];
    assert!(!matches!(held.ssl_read(&mut buf), Ok(n) if n > 0));
    let backend = server.backend.as_ref().expect("a backend behind the proxy");
    assert!(backend.thread.is_none(), "the backend was stopped too");
}

#[test]
fn keep_alive_sends_content_length_and_does_not_close() {
    let server = start(Scenario::KeepAlive);
    let mut s = connect(&server, false).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    s.get_ref()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let ended = loop {
        match s.ssl_read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => break e,
        }
    };
    let text = String::from_utf8_lossy(&got);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), length, "{text}");
    // No close_notify and no EOF: the read timed out.
    assert_eq!(ended.code(), ssl::ErrorCode::WANT_READ, "{ended}");
}

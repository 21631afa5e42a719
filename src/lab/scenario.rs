//! The lab's scenarios: one named misbehaviour each, with the text a person reads in the app, the
//! signature to look for in the trace, and the client-side defaults that make it reproducible.

use std::net::SocketAddr;
use std::time::Duration;

use crate::probe::{ConnectSpec, Sni, Target, TlsVersion, Workload};

use super::pki::{Pki, LAB_HOST};

/// One reproducible behaviour of a lab peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    Ok,
    Silent,
    HandshakeStall,
    SlowReader,
    Trickle,
    LateTickets,
    KeyUpdate,
    Renegotiate,
    RenegBackpressure,
    AbruptClose,
    Reset,
    Alert,
    NotTls,
    ClientCert,
    PostHandshakeAuth,
    BadCertExpired,
    BadCertWrongHost,
    BadCertSelfSigned,
    BadCertUntrusted,
}

/// Size of the private ClientHello extension the `reneg-backpressure` client sends: far more than
/// the small send buffer plus the peer's small receive window.
pub const RENEG_HELLO_PADDING: u16 = 60_000;

/// The small SO_SNDBUF the back-pressure scenarios give the client (Linux doubles it).
pub const SMALL_SNDBUF: u32 = 4096;

impl Scenario {
    pub const ALL: [Scenario; 19] = [
        Scenario::Ok,
        Scenario::Silent,
        Scenario::HandshakeStall,
        Scenario::SlowReader,
        Scenario::Trickle,
        Scenario::LateTickets,
        Scenario::KeyUpdate,
        Scenario::Renegotiate,
        Scenario::RenegBackpressure,
        Scenario::AbruptClose,
        Scenario::Reset,
        Scenario::Alert,
        Scenario::NotTls,
        Scenario::ClientCert,
        Scenario::PostHandshakeAuth,
        Scenario::BadCertExpired,
        Scenario::BadCertWrongHost,
        Scenario::BadCertSelfSigned,
        Scenario::BadCertUntrusted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Ok => "ok",
            Scenario::Silent => "silent",
            Scenario::HandshakeStall => "handshake-stall",
            Scenario::SlowReader => "slow-reader",
            Scenario::Trickle => "trickle",
            Scenario::LateTickets => "late-tickets",
            Scenario::KeyUpdate => "key-update",
            Scenario::Renegotiate => "renegotiate",
            Scenario::RenegBackpressure => "reneg-backpressure",
            Scenario::AbruptClose => "abrupt-close",
            Scenario::Reset => "reset",
            Scenario::Alert => "alert",
            Scenario::NotTls => "not-tls",
            Scenario::ClientCert => "client-cert",
            Scenario::PostHandshakeAuth => "post-handshake-auth",
            Scenario::BadCertExpired => "bad-cert-expired",
            Scenario::BadCertWrongHost => "bad-cert-wrong-host",
            Scenario::BadCertSelfSigned => "bad-cert-self-signed",
            Scenario::BadCertUntrusted => "bad-cert-untrusted",
        }
    }

    /// The scenario called `name` (exact, case-insensitive; `_` may stand for `-`).
    pub fn from_name(name: &str) -> Option<Scenario> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        Scenario::ALL.into_iter().find(|s| s.name() == wanted)
    }

    /// True for the scenarios that speak TLS 1.3 only.
    pub fn tls13_only(self) -> bool {
        matches!(
            self,
            Scenario::LateTickets | Scenario::KeyUpdate | Scenario::PostHandshakeAuth
        )
    }

    /// True for the scenarios that speak TLS 1.2 at most.
    pub fn tls12_only(self) -> bool {
        matches!(self, Scenario::Renegotiate | Scenario::RenegBackpressure)
    }

    /// One line.
    pub fn summary(self) -> &'static str {
        match self {
            Scenario::Ok => "a well-behaved HTTP/1.1-style server: clean handshake, response, close_notify both ways",
            Scenario::Silent => "completes the handshake, then never sends a byte",
            Scenario::HandshakeStall => "accepts TCP and reads the ClientHello, then never answers",
            Scenario::SlowReader => "completes the handshake, then never reads: our writes back up",
            Scenario::Trickle => "sends its response one byte at a time, with pauses",
            Scenario::LateTickets => "TLS 1.3: sends its session tickets late, before the response",
            Scenario::KeyUpdate => "TLS 1.3: sends a KeyUpdate that asks us to update our keys too",
            Scenario::Renegotiate => "TLS 1.2: asks for a renegotiation (HelloRequest) mid-response",
            Scenario::RenegBackpressure => "TLS 1.2: asks for a renegotiation while it is not reading, so our ClientHello cannot be sent",
            Scenario::AbruptClose => "sends its response, then closes TCP without close_notify",
            Scenario::Reset => "resets the TCP connection in the middle of a response",
            Scenario::Alert => "aborts the handshake with a fatal handshake_failure alert",
            Scenario::NotTls => "a plain-text server that answers a ClientHello with an HTTP error",
            Scenario::ClientCert => "requires a client certificate signed by the lab CA",
            Scenario::PostHandshakeAuth => "TLS 1.3: asks for a client certificate after the handshake, and reads it slowly",
            Scenario::BadCertExpired => "presents a certificate that expired yesterday",
            Scenario::BadCertWrongHost => "presents a valid certificate for another host name",
            Scenario::BadCertSelfSigned => "presents a self-signed certificate",
            Scenario::BadCertUntrusted => "presents a certificate from a CA the client does not trust",
        }
    }

    /// One paragraph, for a person reading the app.
    pub fn explanation(self) -> &'static str {
        match self {
            Scenario::Ok => "The reference: a server that does everything right. It completes the handshake, reads an HTTP/1.1 request up to the blank line, answers `200 OK` with a short body, and closes the TLS session properly by sending a close_notify alert and waiting for ours. Compare any other scenario with this one: the only WANT_READs are short waits for the server's replies, and the connection ends `clean` with close_notify sent and received.",
            Scenario::Silent => "The server completes the handshake and then says nothing, ever (it reads what we send, so our writes succeed). This is what a hung backend, a server waiting for a request we never sent, or a firewall that drops traffic after the handshake look like from the client: SSL_read returns WANT_READ, we wait for the socket to become readable, and it never does. Nothing is wrong at the TLS level: the receive queue is simply empty. Only a timeout ends the wait.",
            Scenario::HandshakeStall => "The server accepts the TCP connection and reads our ClientHello, but never answers it. This is what a TLS-terminating proxy with a dead backend, a server out of worker threads, or a middlebox that swallows unknown traffic looks like. SSL_do_handshake writes the ClientHello and then returns WANT_READ; the wait for the ServerHello never ends, and only the client's timeout closes the connection.",
            Scenario::SlowReader => "The server completes the handshake and then stops reading, with a tiny receive buffer. Our upload fills the server's receive window, then our own kernel send queue; once both are full the socket accepts nothing more and SSL_write returns WANT_WRITE. We wait for writability that never comes. The socket levels show the send queue full and the peer's advertised window at zero: back-pressure, not a TLS problem.",
            Scenario::Trickle => "The server sends its response one byte per TCP segment with a pause after each, so TLS records arrive in fragments. OpenSSL can only decrypt a complete record, so each SSL_read reads a byte or two from the socket, finds the record incomplete, and returns WANT_READ; the call repeats dozens of times before a single byte of application data comes out. This is how a congested or badly buffered path looks from inside the TLS library.",
            Scenario::LateTickets => "A TLS 1.3 server may send NewSessionTicket messages at any time after the handshake; this one sends two, a moment after our request and before its response. They are handshake records, not application data. With SSL_MODE_AUTO_RETRY off, SSL_read processes a ticket and returns WANT_READ even though the socket had data: a blocking client that now waits in poll() can hang forever (openssl#7327). A non-blocking client must call SSL_read again at once rather than wait.",
            Scenario::KeyUpdate => "The TLS 1.3 server answers our first message with a KeyUpdate that requests an update from us too, then its reply, and then it echoes anything else we send. SSL_read processes the KeyUpdate silently (our receive keys change). OpenSSL 3.0 does not send our own KeyUpdate from inside SSL_read: it is deferred to our next SSL_write, so a client that only reads never sends it (SSL_shutdown does not either). The lab's client sends a second line a second later, and our KeyUpdate goes out inside that SSL_write, just before the line itself.",
            Scenario::Renegotiate => "The TLS 1.2 server sends the first half of its response, then a HelloRequest asking us to renegotiate, then the rest. Our SSL_read, which was only meant to read, receives the HelloRequest and writes a ClientHello: a whole new handshake runs inside SSL_read calls, which may want to read or to write. This is why OpenSSL documents that any call can want either direction.",
            Scenario::RenegBackpressure => "The TLS 1.2 server stops reading, with a tiny receive buffer, and asks for a renegotiation. Our client (small send buffer, ClientHello padded with a large private extension) must answer with a ClientHello that does not fit in the free send space, so SSL_read writes part of it and returns WANT_WRITE: the read call waits for the socket to become writable. After a while the server reads again and the renegotiation completes. A client that only waits for readability after SSL_read would hang here.",
            Scenario::AbruptClose => "The server sends its response and closes the TCP connection without sending close_notify. The client cannot tell a complete response from a truncation attack: OpenSSL 3 reports the bare EOF as an SSL error, `unexpected eof while reading`. Many real servers do this; whether it is harmless depends on the application protocol (here, a Content-Length would have told).",
            Scenario::Reset => "The server sends the start of a large response, then resets the connection (SO_LINGER 0 then close, which sends a TCP RST). The next socket read fails with ECONNRESET and SSL_read reports SYSCALL with that errno. Crashing servers, load balancers dropping idle connections and some firewalls produce this.",
            Scenario::Alert => "The server rejects the handshake with a fatal handshake_failure alert right after reading our ClientHello, the way a server does when it shares no protocol version, cipher or group with the client, or refuses the requested server name. SSL_do_handshake fails with SSL_ERROR_SSL and the trace shows the incoming alert message.",
            Scenario::NotTls => "Not a TLS server at all: a plain-text server that reads our ClientHello and answers with `HTTP/1.1 400 Bad Request`, as a web server does on its plain-HTTP port. OpenSSL reads the first bytes as a TLS record header, finds nonsense (`HTTP` is not a record type) and fails with `wrong version number` or `packet length too long`. The first bytes received tell you what is really listening.",
            Scenario::ClientCert => "The server requires a client certificate signed by the lab CA (mutual TLS). With the lab's client identity the handshake succeeds and the server answers. Without one, the server refuses: in TLS 1.2 the handshake fails; in TLS 1.3 our SSL_do_handshake succeeds first (the client finishes before the server has checked its certificate), and the server's certificate_required alert arrives at our first SSL_read.",
            Scenario::PostHandshakeAuth => "TLS 1.3 post-handshake authentication: after the handshake, and after reading our request, the server sends a CertificateRequest and stops reading for a while. Our client presents a long certificate chain (about 100 intermediate CAs, ~35 KB) through a small send buffer, so the Certificate, CertificateVerify and Finished messages are written from inside SSL_read, which returns WANT_WRITE until the server reads again. Then the server checks the chain and sends its response.",
            Scenario::BadCertExpired => "The server presents a certificate for localhost, signed by the lab CA, that expired yesterday. Verification fails with `certificate has expired` (X509 error 10) and the client aborts the handshake with a certificate_expired alert. With verification off the connection works.",
            Scenario::BadCertWrongHost => "The server presents a certificate signed by the lab CA for another name (wrong-host.tlsscope.invalid) while we asked for localhost. The chain is fine; the host name check fails with `hostname mismatch` (X509 error 62) and the client aborts the handshake. With verification off the connection works.",
            Scenario::BadCertSelfSigned => "The server presents a self-signed certificate for localhost, signed by no CA at all. Verification fails with `self-signed certificate` (X509 error 18). This is what a freshly installed server or appliance with a default certificate looks like. With verification off the connection works.",
            Scenario::BadCertUntrusted => "The server presents a certificate for localhost issued by a second CA that the client does not trust, and sends that CA along. Verification fails with `self-signed certificate in certificate chain` (X509 error 19): the chain is complete but ends in an unknown root, as with a private corporate CA or an intercepting proxy. With verification off the connection works.",
        }
    }

    /// What to look for in the trace.
    pub fn signature(self) -> &'static str {
        match self {
            Scenario::Ok => "SSL_do_handshake succeeds; SSL_write of the request returns its length; SSL_read returns the response, then ZERO_RETURN on the server's close_notify; SSL_shutdown sends ours; close reason clean with notify sent and received.",
            Scenario::Silent => "After the handshake and our write, SSL_read returns WANT_READ (socket read would_block) and the following wait for read ends by timeout (after the workload's read_for); sock shows inq 0 and ssl_pending 0 during that wait; no SSL_read returns data.",
            Scenario::HandshakeStall => "SSL_do_handshake writes the ClientHello (msg out ClientHello, io write) and returns WANT_READ; the read wait never wakes readable; no ServerHello ever arrives; close reason timeout (error: the deadline).",
            Scenario::SlowReader => "SSL_write returns WANT_WRITE with an io write that would_block; waits for write end by timeout; sock shows outq near the send buffer size and the peer's window (snd_wnd) at 0; close reason timeout.",
            Scenario::Trickle => "Many SSL_read calls return WANT_READ, each after an io read of 1 byte (a partial record) followed by a would_block read; the response arrives in few SSL_read successes; close clean.",
            Scenario::LateTickets => "With AUTO_RETRY off: after msg in NewSessionTicket inside SSL_read, that SSL_read returns WANT_READ although its io read got data (no would_block); the next SSL_read returns the response. TLS 1.3.",
            Scenario::KeyUpdate => "An SSL_read shows msg in KeyUpdate (update_requested) and returns WANT_READ or data, with no msg out KeyUpdate inside any SSL_read; the msg out KeyUpdate appears inside the next SSL_write (the second line, sent when --read-for's time is up). TLS 1.3.",
            Scenario::Renegotiate => "msg in HelloRequest inside SSL_read, followed by msg out ClientHello and an io write inside the same SSL_read, which then returns WANT_READ; the next SSL_read reads ServerHello ... Finished and writes ours; a second tls event (the renegotiated session, usually resumed); the rest of the response follows; close clean. TLS 1.2.",
            Scenario::RenegBackpressure => "msg in HelloRequest inside an SSL_read that returns WANT_WRITE: its io writes are partial and end would_block (the padded ClientHello, ~60 KB, does not fit); waits for write follow, with sock showing outq full and the peer's window at 0; the following SSL_reads keep returning WANT_WRITE until the server reads again; msg out ClientHello appears in the SSL_read that finishes writing it; then a second tls event. TLS 1.2.",
            Scenario::AbruptClose => "SSL_read returns the response, then an SSL_read whose io read gets 0 bytes (EOF) fails: SYSCALL with return 0 through tlsscope's BIO (OpenSSL 3's own socket BIO reports SSL `unexpected eof while reading`); no close_notify received; close reason eof.",
            Scenario::Reset => "SSL_read returns part of the response, then an io read fails with os_error ECONNRESET (104 on Linux) and SSL_read returns SYSCALL; close reason reset.",
            Scenario::Alert => "SSL_do_handshake: msg out ClientHello, then msg in alert (fatal, handshake_failure 40) and the call fails with SSL; close reason failed.",
            Scenario::NotTls => "SSL_do_handshake writes the ClientHello, reads plain text (`HTTP/1.1 400`) and fails with SSL (`wrong version number` / `packet length too long`); no ServerHello; close reason failed.",
            Scenario::ClientCert => "With the lab identity: msg in CertificateRequest, msg out Certificate during the handshake, then a normal response; close clean. Without: TLS 1.3 handshake succeeds, then SSL_read fails with SSL after msg in alert certificate_required (116); TLS 1.2 fails in SSL_do_handshake (alert handshake_failure 40).",
            Scenario::PostHandshakeAuth => "msg in CertificateRequest inside an SSL_read that returns WANT_WRITE: its io writes are partial and end would_block; waits for write follow and the next SSL_reads return WANT_WRITE until the server reads again; msg out Certificate (~48 KB), CertificateVerify, Finished appear in the SSL_read that finishes the flight; then the response; close clean. TLS 1.3.",
            Scenario::BadCertExpired => "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, certificate_expired 45); the error names `certificate has expired`; close reason failed.",
            Scenario::BadCertWrongHost => "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, bad_certificate 42); the error names `hostname mismatch`; close reason failed.",
            Scenario::BadCertSelfSigned => "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, unknown_ca 48); the error names `self-signed certificate`; close reason failed.",
            Scenario::BadCertUntrusted => "SSL_do_handshake fails with SSL after msg in Certificate and msg out alert (fatal, unknown_ca 48); the error names `self-signed certificate in certificate chain`; close reason failed.",
        }
    }

    /// The client side's defaults for this scenario: a spec for `addr` that trusts the lab CA,
    /// sends SNI `localhost` and verifies, plus the scenario's workload, buffer sizes, TLS
    /// version, AUTO_RETRY, timeout, post-handshake auth, ClientHello padding and client identity.
    pub fn client_spec(self, addr: SocketAddr, pki: &Pki) -> ConnectSpec {
        let mut spec = ConnectSpec::new(Target {
            host: addr.ip().to_string(),
            port: addr.port(),
        });
        spec.sni = Sni::Name(LAB_HOST.to_string());
        spec.ca_pem = Some(pki.ca_pem());
        spec.verify = true;
        spec.connect_timeout = Duration::from_secs(5);
        spec.timeout = Some(Duration::from_secs(10));
        spec.workload = Workload {
            http_get: Some("/".to_string()),
            ..Workload::default()
        };
        let line = |spec: &mut ConnectSpec, read_for: Duration| {
            spec.workload = Workload {
                send: Some(b"hello\n".to_vec()),
                read_for: Some(read_for),
                ..Workload::default()
            };
        };

        match self {
            Scenario::Ok | Scenario::Trickle | Scenario::AbruptClose | Scenario::Reset => {}
            Scenario::Alert | Scenario::NotTls => {}
            Scenario::BadCertExpired
            | Scenario::BadCertWrongHost
            | Scenario::BadCertSelfSigned
            | Scenario::BadCertUntrusted => {}
            Scenario::Silent => {
                line(&mut spec, Duration::from_secs(3));
                spec.timeout = Some(Duration::from_secs(10));
            }
            Scenario::HandshakeStall => {
                spec.timeout = Some(Duration::from_secs(3));
            }
            Scenario::SlowReader => {
                spec.workload = Workload {
                    upload: Some(8 << 20),
                    ..Workload::default()
                };
                spec.sndbuf = Some(16 * 1024);
                spec.timeout = Some(Duration::from_secs(3));
            }
            Scenario::LateTickets => {
                spec.tls_min = Some(TlsVersion::Tls13);
                spec.tls_max = Some(TlsVersion::Tls13);
                spec.auto_retry = false;
            }
            Scenario::KeyUpdate => {
                spec.tls_min = Some(TlsVersion::Tls13);
                spec.tls_max = Some(TlsVersion::Tls13);
                line(&mut spec, Duration::from_secs(1));
                // The second line is the write that carries our deferred KeyUpdate reply.
                spec.workload.then_send = Some(b"again\n".to_vec());
            }
            Scenario::Renegotiate => {
                spec.tls_max = Some(TlsVersion::Tls12);
            }
            Scenario::RenegBackpressure => {
                spec.tls_max = Some(TlsVersion::Tls12);
                spec.sndbuf = Some(SMALL_SNDBUF);
                spec.hello_padding = Some(RENEG_HELLO_PADDING);
                spec.timeout = Some(Duration::from_secs(15));
            }
            Scenario::ClientCert => {
                spec.client_identity = Some(pki.client_identity());
            }
            Scenario::PostHandshakeAuth => {
                spec.tls_min = Some(TlsVersion::Tls13);
                spec.tls_max = Some(TlsVersion::Tls13);
                spec.post_handshake_auth = true;
                spec.client_identity = Some(pki.long_client_identity());
                spec.sndbuf = Some(SMALL_SNDBUF);
                spec.timeout = Some(Duration::from_secs(15));
            }
        }
        spec
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.name()), Some(s));
            assert!(!s.summary().is_empty());
            assert!(s.explanation().len() > s.summary().len());
            assert!(!s.signature().is_empty());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Scenario::ALL.len());
        assert_eq!(
            Scenario::from_name("Bad_Cert_Expired"),
            Some(Scenario::BadCertExpired)
        );
        assert_eq!(Scenario::from_name("nope"), None);
    }

    #[test]
    fn client_specs_trust_the_lab_and_verify() {
        let pki = Pki::shared().unwrap();
        let addr: SocketAddr = "127.0.0.1:4433".parse().unwrap();
        for s in Scenario::ALL {
            let spec = s.client_spec(addr, &pki);
            assert!(spec.verify, "{s}");
            assert_eq!(spec.sni_name(), Some("localhost"));
            assert_eq!(spec.verify_name(), "localhost");
            assert_eq!(spec.target.port, 4433);
            assert!(spec.ca_pem.is_some());
            assert!(spec.timeout.is_some(), "{s}: every lab connection must end");
        }
        let spec = Scenario::LateTickets.client_spec(addr, &pki);
        assert!(!spec.auto_retry);
        let v6: SocketAddr = "[::1]:4433".parse().unwrap();
        assert_eq!(
            Scenario::Ok.client_spec(v6, &pki).target.to_string(),
            "[::1]:4433"
        );
    }
}

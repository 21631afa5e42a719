//! Scenarios where something happens after the handshake: tickets, KeyUpdate, renegotiation
//! (with and without back-pressure) and TLS 1.3 post-handshake authentication.

use std::time::Duration;

use super::{line, tls13, Def, RENEG_HELLO_PADDING, SMALL_SNDBUF};
use crate::lab::peers::{post_handshake, ClientAuth, Serve, Tls, Versions, SMALL_RCVBUF};
use crate::probe::TlsVersion;

pub(super) static LATE_TICKETS: Def = Def {
    name: "late-tickets",
    summary: "TLS 1.3: sends its session tickets late, before the response",
    explanation: "A TLS 1.3 server may send NewSessionTicket messages at any time after the handshake; this one sends two, a moment after our request and before its response. They are handshake records, not application data. With SSL_MODE_AUTO_RETRY off, SSL_read processes a ticket and returns WANT_READ even though the socket had data: a blocking client that now waits in poll() can hang forever (openssl#7327). A non-blocking client must call SSL_read again at once rather than wait.",
    signature: "With AUTO_RETRY off: after msg in NewSessionTicket inside SSL_read, that SSL_read returns WANT_READ although its io read got data (no would_block); the next SSL_read returns the response. TLS 1.3.",
    client: |spec, _| {
        tls13(spec);
        spec.auto_retry = false;
    },
    serve: Serve::Tls(Tls { versions: Versions::Only13, ..Tls::PLAIN }, post_handshake::late_tickets),
};

pub(super) static KEY_UPDATE: Def = Def {
    name: "key-update",
    summary: "TLS 1.3: sends a KeyUpdate that asks us to update our keys too",
    explanation: "The TLS 1.3 server answers our first message with a KeyUpdate that requests an update from us too, then its reply, and then it echoes anything else we send. SSL_read processes the KeyUpdate silently (our receive keys change). OpenSSL 3.0 does not send our own KeyUpdate from inside SSL_read: it is deferred to our next SSL_write, so a client that only reads never sends it (SSL_shutdown does not either). The lab's client sends a second line a second later, and our KeyUpdate goes out inside that SSL_write, just before the line itself.",
    signature: "An SSL_read shows msg in KeyUpdate (update_requested) and returns WANT_READ or data, with no msg out KeyUpdate inside any SSL_read; the msg out KeyUpdate appears inside the next SSL_write (the second line, sent when --read-for's time is up). TLS 1.3.",
    client: |spec, _| {
        tls13(spec);
        spec.workload = line(Duration::from_secs(1));
        // The second line is the write that carries our deferred KeyUpdate reply.
        spec.workload.then_send = Some(b"again\n".to_vec());
    },
    serve: Serve::Tls(Tls { versions: Versions::Only13, ..Tls::PLAIN }, post_handshake::key_update),
};

pub(super) static RENEGOTIATE: Def = Def {
    name: "renegotiate",
    summary: "TLS 1.2: asks for a renegotiation (HelloRequest) mid-response",
    explanation: "The TLS 1.2 server sends the first half of its response, then a HelloRequest asking us to renegotiate, then the rest. Our SSL_read, which was only meant to read, receives the HelloRequest and writes a ClientHello: a whole new handshake runs inside SSL_read calls, which may want to read or to write. This is why OpenSSL documents that any call can want either direction.",
    signature: "msg in HelloRequest inside SSL_read, followed by msg out ClientHello and an io write inside the same SSL_read, which then returns WANT_READ; the next SSL_read reads ServerHello ... Finished and writes ours; a second tls event (the renegotiated session, usually resumed); the rest of the response follows; close clean. TLS 1.2.",
    client: |spec, _| spec.tls_max = Some(TlsVersion::Tls12),
    serve: Serve::Tls(Tls { versions: Versions::UpTo12, ..Tls::PLAIN }, post_handshake::renegotiate),
};

pub(super) static RENEG_BACKPRESSURE: Def = Def {
    name: "reneg-backpressure",
    summary: "TLS 1.2: asks for a renegotiation while it is not reading, so our ClientHello cannot be sent",
    explanation: "The TLS 1.2 server stops reading, with a tiny receive buffer, and asks for a renegotiation. Our client (small send buffer, ClientHello padded with a large private extension) must answer with a ClientHello that does not fit in the free send space, so SSL_read writes part of it and returns WANT_WRITE: the read call waits for the socket to become writable. After a while the server reads again and the renegotiation completes. A client that only waits for readability after SSL_read would hang here.",
    signature: "msg in HelloRequest inside an SSL_read that returns WANT_WRITE: its io writes are partial and end would_block (the padded ClientHello, ~60 KB, does not fit); waits for write follow, with sock showing outq full and the peer's window at 0; the following SSL_reads keep returning WANT_WRITE until the server reads again; msg out ClientHello appears in the SSL_read that finishes writing it; then a second tls event. TLS 1.2.",
    client: |spec, _| {
        spec.tls_max = Some(TlsVersion::Tls12);
        spec.sndbuf = Some(SMALL_SNDBUF);
        spec.hello_padding = Some(RENEG_HELLO_PADDING);
        spec.timeout = Some(Duration::from_secs(15));
    },
    serve: Serve::Tls(Tls { versions: Versions::UpTo12, rcvbuf: Some(SMALL_RCVBUF), ..Tls::PLAIN }, post_handshake::reneg_backpressure),
};

pub(super) static POST_HANDSHAKE_AUTH: Def = Def {
    name: "post-handshake-auth",
    summary: "TLS 1.3: asks for a client certificate after the handshake, and reads it slowly",
    explanation: "TLS 1.3 post-handshake authentication: after the handshake, and after reading our request, the server sends a CertificateRequest and stops reading for a while. Our client presents a long certificate chain (about 100 intermediate CAs, ~35 KB) through a small send buffer, so the Certificate, CertificateVerify and Finished messages are written from inside SSL_read, which returns WANT_WRITE until the server reads again. Then the server checks the chain and sends its response.",
    signature: "msg in CertificateRequest inside an SSL_read that returns WANT_WRITE: its io writes are partial and end would_block; waits for write follow and the next SSL_reads return WANT_WRITE until the server reads again; msg out Certificate (~48 KB), CertificateVerify, Finished appear in the SSL_read that finishes the flight; then the response; close clean. TLS 1.3.",
    client: |spec, pki| {
        tls13(spec);
        spec.post_handshake_auth = true;
        spec.client_identity = Some(pki.long_client_identity());
        spec.sndbuf = Some(SMALL_SNDBUF);
        spec.timeout = Some(Duration::from_secs(15));
    },
    serve: Serve::Tls(Tls { versions: Versions::Only13, client_auth: ClientAuth::PostHandshake, rcvbuf: Some(SMALL_RCVBUF), ..Tls::PLAIN }, post_handshake::post_handshake_auth),
};

//! The first scenarios: the reference (`ok`), peers that hold back (`silent`, `handshake-stall`,
//! `slow-reader`, `trickle`) and peers that end badly (`abrupt-close`, `reset`).

use std::time::Duration;

use super::{defaults, line, upload, Def};
use crate::lab::peers::{http, stalls, Serve, Tls, SMALL_RCVBUF};

pub(super) static OK: Def = Def {
    name: "ok",
    summary: "a well-behaved HTTP/1.1-style server: clean handshake, response, close_notify both ways",
    explanation: "The reference: a server that does everything right. It completes the handshake, reads an HTTP/1.1 request up to the blank line, answers `200 OK` with a short body, and closes the TLS session properly by sending a close_notify alert and waiting for ours. Compare any other scenario with this one: the only WANT_READs are short waits for the server's replies, and the connection ends `clean` with close_notify sent and received.",
    signature: "SSL_do_handshake succeeds; SSL_write of the request returns its length; SSL_read returns the response, then ZERO_RETURN on the server's close_notify; SSL_shutdown sends ours; close reason clean with notify sent and received.",
    client: defaults,
    serve: Serve::Tls(Tls { tickets: true, ..Tls::PLAIN }, http::hello),
};

pub(super) static SILENT: Def = Def {
    name: "silent",
    summary: "completes the handshake, then never sends a byte",
    explanation: "The server completes the handshake and then says nothing, ever (it reads what we send, so our writes succeed). This is what a hung backend, a server waiting for a request we never sent, or a firewall that drops traffic after the handshake look like from the client: SSL_read returns WANT_READ, we wait for the socket to become readable, and it never does. Nothing is wrong at the TLS level: the receive queue is simply empty. Only a timeout ends the wait.",
    signature: "After the handshake and our write, SSL_read returns WANT_READ (socket read would_block) and the following wait for read ends by timeout (after the workload's read_for); sock shows inq 0 and ssl_pending 0 during that wait; no SSL_read returns data.",
    client: |spec, _| {
        spec.workload = line(Duration::from_secs(3));
    },
    serve: Serve::Tls(Tls::PLAIN, stalls::silent),
};

pub(super) static HANDSHAKE_STALL: Def = Def {
    name: "handshake-stall",
    summary: "accepts TCP and reads the ClientHello, then never answers",
    explanation: "The server accepts the TCP connection and reads our ClientHello, but never answers it. This is what a TLS-terminating proxy with a dead backend, a server out of worker threads, or a middlebox that swallows unknown traffic looks like. SSL_do_handshake writes the ClientHello and then returns WANT_READ; the wait for the ServerHello never ends, and only the client's timeout closes the connection.",
    signature: "SSL_do_handshake writes the ClientHello (msg out ClientHello, io write) and returns WANT_READ; the read wait never wakes readable; no ServerHello ever arrives; close reason timeout (error: the deadline).",
    client: |spec, _| spec.timeout = Some(Duration::from_secs(3)),
    serve: Serve::Plain(stalls::handshake_stall),
};

pub(super) static SLOW_READER: Def = Def {
    name: "slow-reader",
    summary: "completes the handshake, then never reads: our writes back up",
    explanation: "The server completes the handshake and then stops reading, with a tiny receive buffer. Our upload fills the server's receive window, then our own kernel send queue; once both are full the socket accepts nothing more and SSL_write returns WANT_WRITE. We wait for writability that never comes. The socket levels show the send queue full and the peer's advertised window at zero: back-pressure, not a TLS problem.",
    signature: "SSL_write returns WANT_WRITE with an io write that would_block; waits for write end by timeout; sock shows outq near the send buffer size and the peer's window (snd_wnd) at 0; close reason timeout.",
    client: |spec, _| {
        spec.workload = upload(8 << 20);
        spec.sndbuf = Some(16 * 1024);
        spec.timeout = Some(Duration::from_secs(3));
    },
    serve: Serve::Tls(Tls { rcvbuf: Some(SMALL_RCVBUF), ..Tls::PLAIN }, stalls::slow_reader),
};

pub(super) static TRICKLE: Def = Def {
    name: "trickle",
    summary: "sends its response one byte at a time, with pauses",
    explanation: "The server sends its response one byte per TCP segment with a pause after each, so TLS records arrive in fragments. OpenSSL can only decrypt a complete record, so each SSL_read reads a byte or two from the socket, finds the record incomplete, and returns WANT_READ; the call repeats dozens of times before a single byte of application data comes out. This is how a congested or badly buffered path looks from inside the TLS library.",
    signature: "Many SSL_read calls return WANT_READ, each after an io read of 1 byte (a partial record) followed by a would_block read; the response arrives in few SSL_read successes; close clean.",
    client: defaults,
    serve: Serve::Tls(Tls::PLAIN, http::trickle),
};

pub(super) static ABRUPT_CLOSE: Def = Def {
    name: "abrupt-close",
    summary: "sends its response, then closes TCP without close_notify",
    explanation: "The server sends its response and closes the TCP connection without sending close_notify. The client cannot tell a complete response from a truncation attack: OpenSSL 3 reports the bare EOF as an SSL error, `unexpected eof while reading`. Many real servers do this; whether it is harmless depends on the application protocol (here, a Content-Length would have told).",
    signature: "SSL_read returns the response, then an SSL_read whose io read gets 0 bytes (EOF) fails: SYSCALL with return 0 through tlsscope's BIO (OpenSSL 3's own socket BIO reports SSL `unexpected eof while reading`); no close_notify received; close reason eof.",
    client: defaults,
    serve: Serve::Tls(Tls::PLAIN, http::abrupt_close),
};

pub(super) static RESET: Def = Def {
    name: "reset",
    summary: "resets the TCP connection in the middle of a response",
    explanation: "The server sends the start of a large response, then resets the connection (SO_LINGER 0 then close, which sends a TCP RST). The next socket read fails with ECONNRESET and SSL_read reports SYSCALL with that errno. Crashing servers, load balancers dropping idle connections and some firewalls produce this.",
    signature: "SSL_read returns part of the response, then an io read fails with os_error ECONNRESET (104 on Linux) and SSL_read returns SYSCALL; close reason reset.",
    client: defaults,
    serve: Serve::Tls(Tls::PLAIN, http::reset),
};

//! Scenarios of the second wave, from real HTTP traffic: a slow path (`latency`), responses that
//! never come or never end (`no-response`, `intermittent`, `keep-alive`, `keep-alive-chunked`),
//! a mutual write deadlock (`echo-deadlock`), a cut-short body (`truncated`) and an early
//! rejection of an upload (`early-reject`).

use std::time::Duration;

use super::{upload, Def};
use crate::lab::peers::{intermittent, keep_alive, stalls, Serve, Tls, SMALL_RCVBUF};
use crate::lab::scenario::Scenario;
use crate::probe::Workload;

/// How long `latency`'s proxy holds each chunk, each way.
const LATENCY_DELAY: Duration = Duration::from_millis(150);

/// What `early-reject`'s client uploads (and announces in its Content-Length).
const EARLY_REJECT_UPLOAD: u64 = 8 << 20;

pub(super) static LATENCY: Def = Def {
    name: "latency",
    summary: "a well-behaved server behind a proxy that delays each direction by 150 ms",
    explanation: "The `ok` server, reached through a small TCP proxy inside the lab that holds every chunk for 150 ms in each direction, like a distant server or a slow middlebox. The client's TCP connection ends at the proxy, so the kernel's round-trip time (TCP_INFO rtt) is a few microseconds, while every TLS round trip takes 300 ms: the handshake waits about 300 ms for the ServerHello flight, and the response another 300 ms. Nothing is stuck; it is slow, and the gap between the TCP rtt and the handshake's round trips shows that the delay is beyond the first hop.",
    signature: "SSL_do_handshake returns WANT_READ, then a wait for read of about 300 ms before the ServerHello arrives, while sock rtt_us stays far below a millisecond; the response after another ~300 ms wait; close clean with notify sent and received.",
    client: |_, _| {},
    serve: Serve::Proxy {
        delay: LATENCY_DELAY,
        behind: Scenario::Ok,
    },
};

pub(super) static NO_RESPONSE: Def = Def {
    name: "no-response",
    summary: "completes the handshake, reads the HTTP request, and never answers it",
    explanation: "The server completes the handshake and reads our request (so TCP acknowledges it: our send queue empties), then never answers, like a backend that hangs on one request or a proxy whose upstream died. Unlike `silent`, the client sends a real HTTP request and waits for the response until the peer closes, so only its timeout ends the wait. What tells it apart from a lost answer is on the server's side; from the client, the request was delivered and nothing came back.",
    signature: "SSL_do_handshake succeeds; SSL_write of the request returns its length and sock shows outq 0 (acknowledged); every SSL_read returns WANT_READ with an empty receive queue; a wait for read ends in timeout; no application bytes read; close reason timeout.",
    client: |spec, _| spec.timeout = Some(Duration::from_secs(4)),
    serve: Serve::Tls(Tls::PLAIN, keep_alive::no_response),
};

pub(super) static INTERMITTENT: Def = Def {
    name: "intermittent",
    summary: "like `ok`, except that every 50th connection gets no answer to its request",
    explanation: "The `ok` server with an intermittent fault: it counts the connections it accepts, and every 50th (the 50th, the 100th, …; never the first) reads the request and never answers it, like `no-response`; the others are answered at once and closed cleanly. One trace of it looks healthy: run many, as `tlsscope trace lab:intermittent --repeat 50 --parallel 10` does, and the summary names the one that stalled by its connection number. The count is the server's, in the order it accepts, so connections made one after another stall on the same ones every run.",
    signature: "With --repeat: every connection ends clean with HTTP 200 except every 50th accepted, where SSL_write of the request returns its length, every SSL_read returns WANT_READ with an empty receive queue and a wait for read ends in timeout (close reason timeout); the summary counts 1 no-response per 50 and names it.",
    client: |spec, _| spec.timeout = Some(Duration::from_secs(4)),
    serve: Serve::Tls(
        Tls {
            tickets: true,
            ..Tls::PLAIN
        },
        intermittent::intermittent,
    ),
};

pub(super) static KEEP_ALIVE: Def = Def {
    name: "keep-alive",
    summary: "answers with a complete response (Content-Length), then keeps the connection open",
    explanation: "The server answers the GET with a complete response whose length is given by Content-Length, then keeps the connection open for the next request, ignoring our `Connection: close`. A client that reads until the server closes (as `--http-get` does) waits forever although it has everything: the response was complete when its last byte arrived. Only the client's timeout (or `--read-for`) ends it. An HTTP client must stop reading at Content-Length.",
    signature: "SSL_read returns the whole response (head and Content-Length bytes of body); the following SSL_reads return WANT_READ with an empty receive queue; a wait for read ends in timeout; no close_notify received; close reason timeout.",
    client: |spec, _| spec.timeout = Some(Duration::from_secs(4)),
    serve: Serve::Tls(Tls::PLAIN, keep_alive::keep_alive),
};

pub(super) static KEEP_ALIVE_CHUNKED: Def = Def {
    name: "keep-alive-chunked",
    summary: "answers with a complete chunked response, then keeps the connection open",
    explanation: "Like `keep-alive`, with `Transfer-Encoding: chunked`: the response is complete when the chunk of size 0 (`0\\r\\n\\r\\n`) arrives, and the server keeps the connection open anyway, ignoring our `Connection: close`. A client that reads until close waits for its timeout.",
    signature: "SSL_read returns the response ending with `0\\r\\n\\r\\n`; the following SSL_reads return WANT_READ with an empty receive queue; a wait for read ends in timeout; no close_notify received; close reason timeout.",
    client: |spec, _| spec.timeout = Some(Duration::from_secs(4)),
    serve: Serve::Tls(Tls::PLAIN, keep_alive::keep_alive_chunked),
};

pub(super) static ECHO_DEADLOCK: Def = Def {
    name: "echo-deadlock",
    summary: "echoes everything back, and stops reading while its echo cannot be sent: a mutual write deadlock",
    explanation: "The server writes back everything it reads, synchronously: while its write blocks, it does not read. The lab's client uploads 8 MiB with small socket buffers and does not read while it writes (as many simple clients do). The echo fills our receive queue; the server's write blocks, so it stops reading; its receive queue and our send queue fill; our SSL_write returns WANT_WRITE and the wait for writability never ends, because the server is itself waiting for us to read. Neither side is broken alone: a client must read while it writes.",
    signature: "SSL_write returns WANT_WRITE with io writes ending would_block; sock shows our send queue (outq) full and our receive queue (inq) full at the same time, with no SSL_read; a wait for write ends in timeout; close reason timeout.",
    client: |spec, _| {
        spec.workload = upload(8 << 20);
        spec.sndbuf = Some(16 * 1024);
        spec.rcvbuf = Some(16 * 1024);
        spec.timeout = Some(Duration::from_secs(4));
    },
    serve: Serve::Tls(
        Tls {
            rcvbuf: Some(SMALL_RCVBUF),
            sndbuf: Some(SMALL_RCVBUF),
            ..Tls::PLAIN
        },
        stalls::echo_deadlock,
    ),
};

pub(super) static TRUNCATED: Def = Def {
    name: "truncated",
    summary: "announces Content-Length: 4096, sends 1000 body bytes, closes TCP without close_notify",
    explanation: "The server announces a 4096-byte body, sends only the first 1000 bytes, and closes the TCP connection without close_notify, as a crashing backend or a proxy that lost its upstream does. At the TLS level this is an EOF without close_notify (OpenSSL 3: `unexpected eof while reading`); at the HTTP level the body is short by 3096 bytes, which proves the response was cut, unlike `abrupt-close` where no length was announced.",
    signature: "SSL_read returns the head and 1000 body bytes (fewer than Content-Length: 4096); then an io read gets 0 bytes (EOF) and SSL_read fails (SYSCALL through tlsscope's BIO); no close_notify received; close reason eof.",
    client: |_, _| {},
    serve: Serve::Tls(Tls::PLAIN, keep_alive::truncated),
};

pub(super) static EARLY_REJECT: Def = Def {
    name: "early-reject",
    summary: "answers a large upload with 413 after its head, then resets the connection mid-upload",
    explanation: "The client POSTs 8 MiB. The server reads the request head only, answers `413 Payload Too Large` at once, stops reading, and a moment later closes the connection with a TCP reset (closing with unread data does that). Our client is still writing: the 413 sits unread in our receive queue, our SSL_write waits for writability, and the reset ends it with ECONNRESET. The answer was there all along: SSL_read would still return it. A client that uploads must read while it writes (or use `Expect: 100-continue`).",
    signature: "SSL_write of the upload returns WANT_WRITE while sock shows unread bytes in our receive queue (inq > 0, the 413 record) and no SSL_read; then an io write fails with os_error ECONNRESET (or EPIPE); no application bytes read; close reason reset.",
    client: |spec, _| {
        spec.workload = Workload {
            send: Some(
                format!(
                    "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: {EARLY_REJECT_UPLOAD}\r\n\r\n"
                )
                .into_bytes(),
            ),
            upload: Some(EARLY_REJECT_UPLOAD),
            ..Workload::default()
        };
    },
    serve: Serve::Tls(
        Tls {
            rcvbuf: Some(SMALL_RCVBUF),
            ..Tls::PLAIN
        },
        keep_alive::early_reject,
    ),
};

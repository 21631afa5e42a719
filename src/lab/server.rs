//! The lab's peers: one listening socket on loopback per scenario, one thread per connection.
//!
//! Every peer is a blocking OpenSSL server (rust-openssl's `SslStream` over a `TcpStream`) with
//! short socket timeouts, so that no call blocks for long: each loop re-checks the stop flag and
//! its own deadline between attempts. Stopping a [`LabServer`] therefore returns within about a
//! tenth of a second even while a scenario is holding a connection open on purpose.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use openssl::error::ErrorStack;
use openssl::ssl::{
    self, ErrorCode, ShutdownResult, SniError, Ssl, SslAlert, SslContext, SslContextBuilder,
    SslMethod, SslMode, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use socket2::{Domain, SockRef, Socket, Type};

use super::pki::{Identity, Pki};
use super::scenario::Scenario;
use crate::probe::ffi;

/// At most this many connections are served at once per server; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;

/// How long the stalling scenarios hold a connection open at most.
pub const HOLD: Duration = Duration::from_secs(60);

/// No connection thread lives longer than this.
const MAX_LIFETIME: Duration = Duration::from_secs(90);

/// Socket timeout of every blocking read or write: the granularity at which peers notice stop.
const TICK: Duration = Duration::from_millis(50);

/// How long a peer waits for the client's request or handshake before giving up.
const PATIENCE: Duration = Duration::from_secs(15);

/// The receive buffer the back-pressure scenarios set on their side (Linux doubles it).
pub const SMALL_RCVBUF: usize = 4096;

/// How long the back-pressure scenarios stop reading.
pub const STALL: Duration = Duration::from_millis(1500);

/// Pause after each byte in `trickle`.
pub const TRICKLE_PAUSE: Duration = Duration::from_millis(10);

const NOTES_KEPT: usize = 200;

/// A running lab peer. Stops (and joins its threads) on [`LabServer::stop`] or drop.
pub struct LabServer {
    addr: SocketAddr,
    scenario: Scenario,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    accepted: AtomicU64,
    notes: Mutex<VecDeque<String>>,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn note(&self, text: String) {
        let mut notes = match self.notes.lock() {
            Ok(n) => n,
            Err(poisoned) => poisoned.into_inner(),
        };
        if notes.len() >= NOTES_KEPT {
            notes.pop_front();
        }
        notes.push_back(text);
    }
}

impl LabServer {
    /// Listens on `listen` (port 0: an ephemeral port) and serves `scenario` until stopped.
    pub fn start(scenario: Scenario, listen: SocketAddr, pki: Arc<Pki>) -> io::Result<LabServer> {
        let ctx = match scenario {
            Scenario::NotTls | Scenario::HandshakeStall => None,
            _ => Some(build_context(scenario, &pki).map_err(io::Error::other)?),
        };
        let socket = Socket::new(Domain::for_address(listen), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        if let Some(size) = server_rcvbuf(scenario) {
            // Inherited by accepted sockets, so the window is small from the SYN on.
            socket.set_recv_buffer_size(size)?;
        }
        socket.bind(&listen.into())?;
        socket.listen(64)?;
        let listener: TcpListener = socket.into();
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            notes: Mutex::new(VecDeque::new()),
        });
        let thread = {
            let shared = shared.clone();
            thread::Builder::new()
                .name(format!("lab-{}", scenario.name()))
                .spawn(move || accept_loop(scenario, listener, ctx, shared))?
        };
        Ok(LabServer {
            addr,
            scenario,
            shared,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    /// What the peer did and saw, one line per step, most recent last (bounded).
    pub fn notes(&self) -> Vec<String> {
        match self.shared.notes.lock() {
            Ok(n) => n.iter().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().iter().cloned().collect(),
        }
    }

    /// Stops accepting, ends every connection and joins the threads.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for LabServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for LabServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabServer")
            .field("scenario", &self.scenario)
            .field("addr", &self.addr)
            .finish()
    }
}

fn server_rcvbuf(scenario: Scenario) -> Option<usize> {
    match scenario {
        Scenario::SlowReader | Scenario::RenegBackpressure | Scenario::PostHandshakeAuth => {
            Some(SMALL_RCVBUF)
        }
        _ => None,
    }
}

fn set_identity(b: &mut SslContextBuilder, id: &Identity) -> Result<(), ErrorStack> {
    let mut certs = id.chain.iter();
    if let Some(leaf) = certs.next() {
        b.set_certificate(leaf)?;
    }
    for extra in certs {
        b.add_extra_chain_cert(extra.clone())?;
    }
    b.set_private_key(&id.key)?;
    b.check_private_key()
}

fn trust_lab_ca(b: &mut SslContextBuilder, pki: &Pki) -> Result<(), ErrorStack> {
    let mut store = X509StoreBuilder::new()?;
    store.add_cert(pki.ca.clone())?;
    b.set_verify_cert_store(store.build())?;
    b.add_client_ca(&pki.ca)
}

fn build_context(scenario: Scenario, pki: &Pki) -> Result<SslContext, ErrorStack> {
    let mut b = SslContextBuilder::new(SslMethod::tls_server())?;
    b.set_mode(SslMode::ACCEPT_MOVING_WRITE_BUFFER);
    b.set_session_id_context(b"tlsscope-lab")?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    if scenario.tls13_only() {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))?;
    }
    if scenario.tls12_only() {
        b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
    }
    // Session tickets are noise in most traces; `ok` keeps OpenSSL's default (two), and
    // `late-tickets` sends its own later.
    if scenario != Scenario::Ok {
        b.set_num_tickets(0)?;
    }
    let id = match scenario {
        Scenario::BadCertExpired => &pki.expired,
        Scenario::BadCertWrongHost => &pki.wrong_host,
        Scenario::BadCertSelfSigned => &pki.self_signed,
        Scenario::BadCertUntrusted => &pki.untrusted,
        _ => &pki.server,
    };
    set_identity(&mut b, id)?;
    match scenario {
        Scenario::Alert => {
            // Called for every ClientHello (with or without SNI): refuse it.
            b.set_servername_callback(|_ssl, alert| {
                *alert = SslAlert::HANDSHAKE_FAILURE;
                Err(SniError::ALERT_FATAL)
            });
        }
        Scenario::ClientCert => {
            trust_lab_ca(&mut b, pki)?;
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        Scenario::PostHandshakeAuth => {
            trust_lab_ca(&mut b, pki)?;
            // SSL_VERIFY_POST_HANDSHAKE (0x08): no request during the handshake itself.
            b.set_verify(
                SslVerifyMode::PEER
                    | SslVerifyMode::FAIL_IF_NO_PEER_CERT
                    | SslVerifyMode::from_bits_retain(0x08),
            );
            b.set_verify_depth(super::pki::LONG_CHAIN_INTERMEDIATES as u32 + 10);
        }
        _ => {}
    }
    Ok(b.build())
}

fn accept_loop(
    scenario: Scenario,
    listener: TcpListener,
    ctx: Option<SslContext>,
    shared: Arc<Shared>,
) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stopped() {
        if workers.iter().any(|w| w.is_finished()) {
            let (done, live): (Vec<_>, Vec<_>) = workers.into_iter().partition(|w| w.is_finished());
            for w in done {
                let _ = w.join();
            }
            workers = live;
        }
        match listener.accept() {
            Ok((tcp, peer)) => {
                let n = shared.accepted.fetch_add(1, Ordering::Relaxed) + 1;
                if workers.len() >= MAX_CONNECTIONS {
                    shared.note(format!(
                        "#{n} from {peer}: refused, {MAX_CONNECTIONS} connections already open"
                    ));
                    continue;
                }
                shared.note(format!("#{n} accepted from {peer}"));
                let ctx = ctx.clone();
                let shared2 = shared.clone();
                let spawned = thread::Builder::new()
                    .name(format!("lab-{}-{n}", scenario.name()))
                    .spawn(move || {
                        let peer = Peer {
                            n,
                            shared: shared2,
                            started: Instant::now(),
                        };
                        let result = serve(scenario, &peer, tcp, ctx.as_ref());
                        match result {
                            Ok(()) => peer.note("done".to_string()),
                            Err(e) => peer.note(format!("ended: {e}")),
                        }
                    });
                match spawned {
                    Ok(w) => workers.push(w),
                    Err(e) => shared.note(format!("#{n}: cannot start a thread: {e}")),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                shared.note(format!("accept failed: {e}"));
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
    for w in workers {
        let _ = w.join();
    }
}

/// The socket as OpenSSL's BIO sees it; in trickle mode each write sends one byte after a pause.
struct Wire {
    tcp: TcpStream,
    trickle: Option<Duration>,
    shared: Arc<Shared>,
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.shared.stopped() {
            return Err(io::Error::other("lab server stopped"));
        }
        self.tcp.read(buf)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.shared.stopped() {
            return Err(io::Error::other("lab server stopped"));
        }
        match self.trickle {
            Some(pause) if !buf.is_empty() => {
                let n = self.tcp.write(&buf[..1])?;
                thread::sleep(pause);
                Ok(n)
            }
            _ => self.tcp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

type Stream = SslStream<Wire>;

/// One connection's context: its number, the server's stop flag, and its start time.
struct Peer {
    n: u64,
    shared: Arc<Shared>,
    started: Instant,
}

/// Why a step ended early.
type Step<T> = Result<T, String>;

fn again(e: &ssl::Error) -> bool {
    matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE)
}

fn describe(e: &ssl::Error) -> String {
    if e.code() == ErrorCode::ZERO_RETURN {
        "close_notify received".to_string()
    } else {
        e.to_string()
    }
}

/// What a read returned: application data, the client's close_notify, or nothing yet.
enum Got {
    Data(usize),
    Closed,
    Nothing,
}

impl Peer {
    fn note(&self, text: String) {
        self.shared.note(format!("#{} {}", self.n, text));
    }

    /// False once the server is stopping or this connection has lived too long.
    fn alive(&self) -> bool {
        !self.shared.stopped() && self.started.elapsed() < MAX_LIFETIME
    }

    fn check(&self, deadline: Instant, what: &str) -> Step<()> {
        if self.shared.stopped() {
            Err("server stopped".to_string())
        } else if Instant::now() >= deadline || self.started.elapsed() >= MAX_LIFETIME {
            Err(format!("gave up waiting: {what}"))
        } else {
            Ok(())
        }
    }

    /// Sleeps up to `d`, in short slices; false if the server is stopping.
    fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if !self.alive() {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            thread::sleep((end - now).min(TICK));
        }
    }

    /// Runs `f` until it stops asking to be retried, the deadline passes or the server stops.
    fn retry<T>(
        &self,
        what: &str,
        patience: Duration,
        mut f: impl FnMut() -> Result<T, ssl::Error>,
    ) -> Step<T> {
        let deadline = Instant::now() + patience;
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(e) if again(&e) => self.check(deadline, what)?,
                Err(e) => return Err(format!("{what}: {}", describe(&e))),
            }
        }
    }

    fn tcp(&self, tcp: TcpStream) -> Step<Wire> {
        let setup = || -> io::Result<()> {
            tcp.set_nonblocking(false)?;
            tcp.set_nodelay(true)?;
            tcp.set_read_timeout(Some(TICK))?;
            tcp.set_write_timeout(Some(TICK))
        };
        setup().map_err(|e| format!("socket setup: {e}"))?;
        Ok(Wire {
            tcp,
            trickle: None,
            shared: self.shared.clone(),
        })
    }

    fn accept(&self, ctx: &SslContext, wire: Wire) -> Step<Stream> {
        let ssl = Ssl::new(ctx).map_err(|e| format!("SSL_new: {e}"))?;
        let mut s = SslStream::new(ssl, wire).map_err(|e| format!("SSL_set_bio: {e}"))?;
        if let Err(e) = self.retry("handshake", PATIENCE, || s.accept()) {
            // Close gracefully: the alert OpenSSL sent must reach the client before our FIN,
            // and a close with unread data (the client's next flight) would send a RST instead.
            let tcp = &mut s.get_mut().tcp;
            let _ = tcp.shutdown(Shutdown::Write);
            let _ = drain_raw(self, tcp, Duration::from_secs(5));
            return Err(e);
        }
        self.note(format!(
            "handshake done: {} {}",
            s.ssl().version_str(),
            s.ssl()
                .current_cipher()
                .map(|c| c.name())
                .unwrap_or("(no cipher)")
        ));
        Ok(s)
    }

    /// One SSL_read with the socket timeout; retries are the caller's business.
    fn read_some(&self, s: &mut Stream, buf: &mut [u8]) -> Step<Got> {
        match s.ssl_read(buf) {
            Ok(n) => Ok(Got::Data(n)),
            Err(e) if e.code() == ErrorCode::ZERO_RETURN => Ok(Got::Closed),
            Err(e) if again(&e) => Ok(Got::Nothing),
            Err(e) => Err(format!("SSL_read: {}", describe(&e))),
        }
    }

    /// Reads the client's request: up to an empty line (HTTP), or a line followed by a short
    /// silence, or the client's close_notify. Bounded in size and time.
    fn read_request(&self, s: &mut Stream) -> Step<Vec<u8>> {
        let deadline = Instant::now() + PATIENCE;
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        let mut last_data = Instant::now();
        loop {
            match self.read_some(s, &mut buf)? {
                Got::Data(n) => {
                    req.extend_from_slice(&buf[..n]);
                    last_data = Instant::now();
                    if request_complete(&req) {
                        break;
                    }
                }
                Got::Closed => {
                    self.note("client closed before a complete request".to_string());
                    break;
                }
                Got::Nothing => {
                    if req.ends_with(b"\n") && last_data.elapsed() >= Duration::from_millis(300) {
                        break;
                    }
                    self.check(deadline, "the request")?;
                }
            }
        }
        self.note(format!("request: {}", first_line(&req)));
        Ok(req)
    }

    fn write_all(&self, s: &mut Stream, mut data: &[u8]) -> Step<()> {
        while !data.is_empty() {
            let n = self.retry("SSL_write", PATIENCE, || s.ssl_write(data))?;
            data = data.get(n..).unwrap_or_default();
        }
        Ok(())
    }

    /// Sends close_notify, then waits (briefly) for the client's.
    fn close_tls(&self, s: &mut Stream) -> Step<()> {
        let first = self.retry("SSL_shutdown", PATIENCE, || s.shutdown())?;
        if first == ShutdownResult::Received {
            self.note("close_notify sent and received".to_string());
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        loop {
            match self.read_some(s, &mut buf) {
                Ok(Got::Closed) => {
                    self.note("close_notify sent and received".to_string());
                    return Ok(());
                }
                Ok(Got::Data(_)) | Ok(Got::Nothing) => {
                    self.check(deadline, "the client's close_notify")?
                }
                Err(e) => return Err(format!("close_notify sent; then {e}")),
            }
        }
    }

    /// Reads and discards whatever the client sends until it closes, the deadline, or stop;
    /// answers a close_notify with ours.
    fn drain(&self, s: &mut Stream, max: Duration) -> Step<()> {
        let deadline = Instant::now() + max;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.read_some(s, &mut buf)? {
                Got::Data(_) | Got::Nothing => self.check(deadline, "the client to close")?,
                Got::Closed => {
                    self.note("client sent close_notify".to_string());
                    let _ = self.retry("SSL_shutdown", Duration::from_secs(2), || s.shutdown());
                    return Ok(());
                }
            }
        }
    }

    /// Reads until renegotiation has completed (the Finished message changed) or the deadline.
    fn finish_renegotiation(&self, s: &mut Stream, before: &[u8]) -> Step<()> {
        let deadline = Instant::now() + PATIENCE;
        let mut buf = [0u8; 4096];
        loop {
            match self.read_some(s, &mut buf)? {
                Got::Closed => return Err("client closed during renegotiation".to_string()),
                Got::Data(n) => self.note(format!("{n} bytes of data during renegotiation")),
                Got::Nothing => {}
            }
            if finished(s) != before {
                self.note("renegotiation complete".to_string());
                return Ok(());
            }
            self.check(deadline, "the renegotiation")?;
        }
    }
}

fn finished(s: &Stream) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let n = s.ssl().finished(&mut buf).min(buf.len());
    buf[..n].to_vec()
}

/// An HTTP request ends with an empty line; anything else with its first newline.
fn request_complete(req: &[u8]) -> bool {
    if req.len() >= 64 * 1024 || req.windows(4).any(|w| w == b"\r\n\r\n") {
        return true;
    }
    let Some(end) = req.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let line = String::from_utf8_lossy(&req[..end]);
    !line.trim_end().contains(" HTTP/")
}

fn first_line(bytes: &[u8]) -> String {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    if text.is_empty() {
        "(empty)".to_string()
    } else {
        text.chars().take(80).collect()
    }
}

fn http_response(status: &str, body: &str, content_length: bool) -> Vec<u8> {
    let mut out =
        format!("HTTP/1.1 {status}\r\nServer: tlsscope-lab\r\nContent-Type: text/plain\r\n");
    if content_length {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// Reads one TLS record's worth (the ClientHello) with plain socket reads, bounded.
fn read_client_hello(peer: &Peer, tcp: &mut TcpStream) -> Step<Vec<u8>> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let want = match got.get(3..5) {
            Some(len) => 5 + usize::from(u16::from_be_bytes([len[0], len[1]])),
            None => 5,
        };
        if got.len() >= want {
            return Ok(got);
        }
        match tcp.read(&mut buf) {
            Ok(0) => return Err(format!("client closed after {} bytes", got.len())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                // The first bytes may not be TLS at all; settle for what came.
                if got.len() >= 5 && !matches!(got.first(), Some(0x16)) {
                    return Ok(got);
                }
                peer.check(deadline, "the ClientHello")?;
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// Reads and discards raw bytes until EOF, the deadline, or stop.
fn drain_raw(peer: &Peer, tcp: &mut TcpStream, max: Duration) -> Step<()> {
    let deadline = Instant::now() + max;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
        peer.check(deadline, "the client to close")?;
    }
}

fn serve(scenario: Scenario, peer: &Peer, tcp: TcpStream, ctx: Option<&SslContext>) -> Step<()> {
    let wire = peer.tcp(tcp)?;
    let ctx = match ctx {
        Some(ctx) => ctx,
        None => return serve_plain(scenario, peer, wire.tcp),
    };
    let mut s = peer.accept(ctx, wire)?;
    let s = &mut s;
    match scenario {
        Scenario::Ok
        | Scenario::ClientCert
        | Scenario::BadCertExpired
        | Scenario::BadCertWrongHost
        | Scenario::BadCertSelfSigned
        | Scenario::BadCertUntrusted => {
            peer.read_request(s)?;
            let body = format!("hello from the tlsscope lab ({})\n", scenario.name());
            peer.write_all(s, &http_response("200 OK", &body, true))?;
            peer.close_tls(s)
        }
        Scenario::Silent => {
            peer.note("holding the connection without sending".to_string());
            peer.drain(s, HOLD)
        }
        Scenario::SlowReader => {
            peer.note("not reading".to_string());
            peer.sleep(HOLD);
            Ok(())
        }
        Scenario::Trickle => {
            peer.read_request(s)?;
            let response = http_response("200 OK", "one byte at a time\n", true);
            s.get_mut().trickle = Some(TRICKLE_PAUSE);
            let written = peer.write_all(s, &response);
            s.get_mut().trickle = None;
            written?;
            peer.close_tls(s)
        }
        Scenario::LateTickets => {
            peer.read_request(s)?;
            peer.sleep(Duration::from_millis(300));
            let scheduled = (0..2).all(|_| ffi::new_session_ticket(s.ssl()));
            if !scheduled {
                return Err("SSL_new_session_ticket refused".to_string());
            }
            peer.retry("sending tickets", PATIENCE, || s.do_handshake())?;
            peer.note("sent 2 NewSessionTickets".to_string());
            peer.sleep(Duration::from_millis(300));
            let response = http_response("200 OK", "tickets came first\n", true);
            peer.write_all(s, &response)?;
            peer.close_tls(s)
        }
        Scenario::KeyUpdate => {
            peer.read_request(s)?;
            if ffi::key_update(s.ssl(), true) != 1 {
                return Err("SSL_key_update refused".to_string());
            }
            peer.retry("sending KeyUpdate", PATIENCE, || s.do_handshake())?;
            peer.note("sent KeyUpdate(update_requested)".to_string());
            peer.write_all(
                s,
                b"key updated; send another line to see your KeyUpdate go out\n",
            )?;
            echo(peer, s)
        }
        Scenario::Renegotiate | Scenario::RenegBackpressure => {
            peer.read_request(s)?;
            let body_before = "before renegotiation\n";
            let body_after = "after renegotiation\n";
            let head = format!(
                "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body_before.len() + body_after.len()
            );
            let first = if scenario == Scenario::Renegotiate {
                format!("{head}{body_before}")
            } else {
                // Nothing before the HelloRequest: no write of ours may be pending anywhere.
                String::new()
            };
            if !first.is_empty() {
                peer.write_all(s, first.as_bytes())?;
            }
            let before = finished(s);
            if ffi::renegotiate(s.ssl()) != 1 {
                return Err("SSL_renegotiate refused".to_string());
            }
            peer.retry("sending HelloRequest", PATIENCE, || s.do_handshake())?;
            peer.note("sent HelloRequest".to_string());
            if scenario == Scenario::RenegBackpressure {
                peer.note(format!("not reading for {STALL:?}"));
                if !peer.sleep(STALL) {
                    return Err("server stopped".to_string());
                }
            }
            peer.finish_renegotiation(s, &before)?;
            let rest = if first.is_empty() {
                format!("{head}{body_before}{body_after}")
            } else {
                body_after.to_string()
            };
            peer.write_all(s, rest.as_bytes())?;
            peer.close_tls(s)
        }
        Scenario::PostHandshakeAuth => {
            peer.read_request(s)?;
            if !ffi::verify_client_post_handshake(s.ssl()) {
                let body =
                    "this scenario needs a client that offers post-handshake authentication\n";
                peer.write_all(s, &http_response("403 Forbidden", body, true))?;
                return peer.close_tls(s);
            }
            peer.retry("sending CertificateRequest", PATIENCE, || s.do_handshake())?;
            peer.note(format!(
                "sent CertificateRequest; not reading for {STALL:?}"
            ));
            if !peer.sleep(STALL) {
                return Err("server stopped".to_string());
            }
            let deadline = Instant::now() + PATIENCE;
            let mut buf = [0u8; 4096];
            while s.ssl().peer_certificate().is_none() {
                match peer.read_some(s, &mut buf)? {
                    Got::Closed => return Err("client closed instead of authenticating".into()),
                    Got::Data(_) | Got::Nothing => {}
                }
                peer.check(deadline, "the client's certificate")?;
            }
            let subject = s
                .ssl()
                .peer_certificate()
                .and_then(|c| {
                    c.subject_name()
                        .entries()
                        .last()
                        .and_then(|e| e.data().to_string().ok())
                })
                .unwrap_or_default();
            let chain_len = s.ssl().peer_cert_chain().map(|c| c.len()).unwrap_or(0);
            peer.note(format!(
                "client authenticated: {subject} ({chain_len} certificates)"
            ));
            let body = format!("hello, {subject}\n");
            peer.write_all(s, &http_response("200 OK", &body, true))?;
            peer.close_tls(s)
        }
        Scenario::AbruptClose => {
            peer.read_request(s)?;
            let body = "the end is near (no close_notify follows)\n";
            peer.write_all(s, &http_response("200 OK", body, false))?;
            let tcp = &mut s.get_mut().tcp;
            let _ = tcp.shutdown(Shutdown::Write);
            peer.note("closed TCP without close_notify".to_string());
            drain_raw(peer, tcp, Duration::from_secs(5))
        }
        Scenario::Reset => {
            peer.read_request(s)?;
            let head = "HTTP/1.1 200 OK\r\nServer: tlsscope-lab\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n";
            peer.write_all(s, head.as_bytes())?;
            peer.write_all(s, &[b'x'; 16 * 1024])?;
            peer.sleep(Duration::from_millis(200));
            let tcp = &s.get_ref().tcp;
            SockRef::from(tcp)
                .set_linger(Some(Duration::ZERO))
                .map_err(|e| format!("SO_LINGER: {e}"))?;
            peer.note("reset the connection (SO_LINGER 0, close)".to_string());
            Ok(()) // dropping the stream closes the socket: RST
        }
        Scenario::Alert | Scenario::NotTls | Scenario::HandshakeStall => {
            // Alert fails in accept(); the other two have no TLS context.
            Err("unexpected handshake success".to_string())
        }
    }
}

/// Echoes each chunk the client sends until it closes (bounded).
fn echo(peer: &Peer, s: &mut Stream) -> Step<()> {
    let deadline = Instant::now() + HOLD;
    let mut buf = [0u8; 4096];
    loop {
        match peer.read_some(s, &mut buf)? {
            Got::Data(n) => {
                let data = buf.get(..n).unwrap_or_default().to_vec();
                peer.write_all(s, &data)?;
            }
            Got::Closed => {
                peer.note("client sent close_notify".to_string());
                let _ = peer.retry("SSL_shutdown", Duration::from_secs(2), || s.shutdown());
                return Ok(());
            }
            Got::Nothing => peer.check(deadline, "the client to close")?,
        }
    }
}

fn serve_plain(scenario: Scenario, peer: &Peer, mut tcp: TcpStream) -> Step<()> {
    let hello = read_client_hello(peer, &mut tcp)?;
    peer.note(format!("read {} bytes (ClientHello)", hello.len()));
    match scenario {
        Scenario::HandshakeStall => {
            peer.note("never answering".to_string());
            drain_raw(peer, &mut tcp, HOLD)
        }
        _ => {
            let text = http_response(
                "400 Bad Request",
                "This is a plain-text server (tlsscope lab not-tls), not TLS.\n",
                true,
            );
            tcp.write_all(&text).map_err(|e| format!("write: {e}"))?;
            let _ = tcp.shutdown(Shutdown::Write);
            peer.note("answered in plain text".to_string());
            drain_raw(peer, &mut tcp, Duration::from_secs(5))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ssl::{HandshakeError, SslConnector, SslVerifyMode};
    use openssl::x509::X509VerifyResult;

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
}

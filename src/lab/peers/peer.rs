//! One connection: its number, the server's stop flag and its own deadlines (every wait is
//! bounded and re-checks them), the socket under OpenSSL (short timeouts, optional trickle),
//! the handshake, and the plain socket reads of the peers that never speak TLS.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use openssl::ssl::{self, ErrorCode, Ssl, SslContext, SslStream};

use crate::lab::server::Shared;

/// No connection thread lives longer than this.
const MAX_LIFETIME: Duration = Duration::from_secs(90);

/// Socket timeout of every blocking read or write: the granularity at which peers notice stop.
const TICK: Duration = Duration::from_millis(50);

/// How long a peer waits for the client's request or handshake before giving up.
pub(super) const PATIENCE: Duration = Duration::from_secs(15);

/// The socket as OpenSSL's BIO sees it; in trickle mode each write sends one byte after a pause.
pub(in crate::lab) struct Wire {
    pub(super) tcp: TcpStream,
    pub(super) trickle: Option<Duration>,
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

pub(in crate::lab) type Stream = SslStream<Wire>;

/// One connection's context: its scenario's name, its number, the server's stop flag, and its
/// start time.
pub(in crate::lab) struct Peer {
    pub(super) name: &'static str,
    n: u64,
    shared: Arc<Shared>,
    started: Instant,
}

/// Why a step ended early.
pub(in crate::lab) type Step<T> = Result<T, String>;

pub(super) fn again(e: &ssl::Error) -> bool {
    matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE)
}

pub(super) fn describe(e: &ssl::Error) -> String {
    if e.code() == ErrorCode::ZERO_RETURN {
        "close_notify received".to_string()
    } else {
        e.to_string()
    }
}

impl Peer {
    pub(super) fn new(name: &'static str, n: u64, shared: Arc<Shared>) -> Peer {
        Peer {
            name,
            n,
            shared,
            started: Instant::now(),
        }
    }

    /// This connection's number on its server: 1 for the first accepted, then 2, 3, …
    pub(super) fn number(&self) -> u64 {
        self.n
    }

    pub(super) fn note(&self, text: String) {
        self.shared.note(format!("#{} {}", self.n, text));
    }

    /// False once the server is stopping or this connection has lived too long.
    fn alive(&self) -> bool {
        !self.shared.stopped() && self.started.elapsed() < MAX_LIFETIME
    }

    pub(super) fn check(&self, deadline: Instant, what: &str) -> Step<()> {
        if self.shared.stopped() {
            Err("server stopped".to_string())
        } else if Instant::now() >= deadline || self.started.elapsed() >= MAX_LIFETIME {
            Err(format!("gave up waiting: {what}"))
        } else {
            Ok(())
        }
    }

    /// Sleeps up to `d`, in short slices; false if the server is stopping.
    pub(super) fn sleep(&self, d: Duration) -> bool {
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
    pub(super) fn retry<T>(
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

    pub(super) fn tcp(&self, tcp: TcpStream) -> Step<Wire> {
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

    pub(super) fn accept(&self, ctx: &SslContext, wire: Wire) -> Step<Stream> {
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
}

/// A plain socket read that found nothing within the socket timeout (or was interrupted).
fn no_data_yet(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Reads one TLS record's worth (the ClientHello) with plain socket reads, bounded.
pub(super) fn read_client_hello(peer: &Peer, tcp: &mut TcpStream) -> Step<Vec<u8>> {
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
            Err(e) if no_data_yet(&e) => {
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
pub(super) fn drain_raw(peer: &Peer, tcp: &mut TcpStream, max: Duration) -> Step<()> {
    let deadline = Instant::now() + max;
    let mut buf = [0u8; 16 * 1024];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
            Ok(_) => {}
            Err(e) if no_data_yet(&e) => {}
            Err(e) => return Err(format!("read: {e}")),
        }
        peer.check(deadline, "the client to close")?;
    }
}

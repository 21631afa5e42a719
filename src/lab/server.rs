//! [`LabServer`]: one listening socket on loopback per scenario, its accept loop (one thread per
//! connection, at most [`MAX_CONNECTIONS`] at once), its stop flag and its notes. What each
//! connection does is the business of the scenario's peer (`super::peers`).
//!
//! Every peer is a blocking OpenSSL server (rust-openssl's `SslStream` over a `TcpStream`) with
//! short socket timeouts, so that no call blocks for long: each loop re-checks the stop flag and
//! its own deadline between attempts. Stopping a [`LabServer`] therefore returns within about a
//! tenth of a second even while a scenario is holding a connection open on purpose.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::peers::{self, Ready, Serve};
use super::pki::Pki;
use super::scenario::Scenario;

pub use super::peers::{HOLD, SMALL_RCVBUF, STALL, TRICKLE_PAUSE};

/// At most this many connections are served at once per server; more are closed at once. As
/// many as `tlsscope trace --repeat N --parallel P` may hold open (P ≤ 1000), each a thread.
pub const MAX_CONNECTIONS: usize = 1000;

/// The listening socket's accept queue: room for a burst of `--parallel` connects, so none
/// waits for a SYN retransmission (a second) while the accept loop catches up.
const BACKLOG: i32 = 1024;

const NOTES_KEPT: usize = 200;

/// A running lab peer. Stops (and joins its threads) on [`LabServer::stop`] or drop.
pub struct LabServer {
    addr: SocketAddr,
    scenario: Scenario,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    /// The server behind a proxy scenario (`latency`), stopped after this one.
    backend: Option<Box<LabServer>>,
}

/// What the server shares with its connection threads: the stop flag, the count, the notes.
pub(super) struct Shared {
    stop: AtomicBool,
    accepted: AtomicU64,
    notes: Mutex<VecDeque<String>>,
}

impl Shared {
    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(super) fn note(&self, text: String) {
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
        let mut backend = None;
        let mut rcvbuf = None;
        let ready = match &scenario.def().serve {
            Serve::Tls(tls, run) => {
                rcvbuf = tls.rcvbuf;
                Ready::Tls {
                    ctx: peers::build_context(tls, &pki).map_err(io::Error::other)?,
                    run: *run,
                    sndbuf: tls.sndbuf,
                }
            }
            Serve::Plain(run) => Ready::Plain(*run),
            Serve::Proxy { delay, behind } => {
                let loopback = SocketAddr::new(listen.ip(), 0);
                let server = LabServer::start(*behind, loopback, pki.clone())?;
                let ready = Ready::Proxy {
                    backend: server.addr(),
                    delay: *delay,
                };
                backend = Some(Box::new(server));
                ready
            }
        };
        let socket = Socket::new(Domain::for_address(listen), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        if let Some(size) = rcvbuf {
            // Inherited by accepted sockets, so the window is small from the SYN on.
            socket.set_recv_buffer_size(size)?;
        }
        socket.bind(&listen.into())?;
        socket.listen(BACKLOG)?;
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
                .spawn(move || accept_loop(scenario, listener, Arc::new(ready), shared))?
        };
        Ok(LabServer {
            addr,
            scenario,
            shared,
            thread: Some(thread),
            backend,
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
        if let Some(backend) = self.backend.as_mut() {
            backend.stop();
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

fn accept_loop(scenario: Scenario, listener: TcpListener, ready: Arc<Ready>, shared: Arc<Shared>) {
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
                let ready = ready.clone();
                let shared2 = shared.clone();
                let spawned = thread::Builder::new()
                    .name(format!("lab-{}-{n}", scenario.name()))
                    .spawn(move || peers::run(scenario.name(), n, shared2, tcp, &ready));
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

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;

//! The I/O thread and its handle. One thread drives every connection with one mio poll;
//! commands arrive over a channel and wake the poll; events leave in batches over a bounded
//! channel. When the consumer falls behind and the channel is full, the thread stops driving
//! connections (it reads and writes no socket, so TCP pushes back on the peer) until there is
//! room, still obeying a shutdown, and records the pause (`EventKind::Paused`): memory stays
//! bounded and no event is ever dropped.

use super::conn::{Action, Conn, Turn};
use super::record;
use super::spec::{ConnectSpec, Target};
use crate::trace::{ConnId, Event, EventKind, Nanos};
use crossbeam_channel::{Receiver, Sender};
use mio::{Events, Poll, Token, Waker};
use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const WAKER: Token = Token(usize::MAX);

/// Batches of events in flight to the consumer before the I/O thread pauses. A batch is what
/// the loop recorded in at most `FLUSH_AGE` (sent sooner when it reaches `FLUSH_EVENTS`, plus
/// at most `CALLS_PER_TURN` calls' events per runnable connection), so this holds a few MB at
/// most.
pub(crate) const BATCHES_IN_FLIGHT: usize = 64;

/// How often a paused I/O thread looks for a shutdown command.
const PAUSE_POLL: Duration = Duration::from_millis(20);

/// How long detail events (calls, socket I/O, levels, waits) may wait in the I/O thread before
/// they are sent, and how many make a batch worth sending at once. Sending (and waking the
/// consumer) once per loop iteration cost more CPU than recording them; a connection-level
/// event (a phase, `tls`, an error, `close`) is still sent at the end of its iteration.
/// 16 ms, a frame of the app at 60 Hz (it cannot show an event sooner than its next frame): at
/// 2 ms, a bulk upload woke the consumer 500 times a second, and those wake-ups (a futex call,
/// the consumer's spin, a context switch on a busy core, on a virtual machine an interrupt
/// between its CPUs) cost the engine and the consumer about 1 % more CPU than recording the
/// events; 10 ms still woke it 100 times a second.
const FLUSH_AGE: Nanos = 16_000_000;
const FLUSH_EVENTS: usize = 4096;

/// How the engine records and whom it tells about new events.
#[derive(Default)]
pub struct EngineOptions {
    /// Called once per batch of events (the GUI requests a repaint here).
    pub wake: Option<Box<dyn Fn() + Send>>,
    /// Record only connection-level events (phases, tls, errors, close): the benchmark's
    /// baseline for the cost of recording.
    pub connection_events_only: bool,
}

enum Command {
    Connect(ConnId, Box<ConnectSpec>),
    Resolved(ConnId, Result<Vec<SocketAddr>, String>),
    Stop(ConnId),
    Action(ConnId, Action),
    Shutdown,
}

/// Handle to the engine's I/O thread. Dropping it stops every connection and joins the thread.
pub struct Engine {
    commands: Sender<Command>,
    waker: Arc<Waker>,
    events: Receiver<Vec<Event>>,
    next_id: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
    epoch: Instant,
}

impl Engine {
    pub fn start(options: EngineOptions) -> std::io::Result<Engine> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let (ev_tx, ev_rx) = crossbeam_channel::bounded(BATCHES_IN_FLIGHT);
        let epoch = Instant::now();
        let next_id = Arc::new(AtomicU32::new(1));
        let loop_state = IoLoop {
            next_id: next_id.clone(),
            poll,
            commands: cmd_rx,
            resolver_tx: cmd_tx.clone(),
            resolver_waker: waker.clone(),
            events: ev_tx,
            wake: options.wake,
            conns: HashMap::new(),
            runnable: Vec::new(),
            deferred: std::collections::VecDeque::new(),
        };
        let detail = !options.connection_events_only;
        let thread = std::thread::Builder::new()
            .name("tlsscope-io".into())
            .spawn(move || {
                record::init(epoch, detail);
                loop_state.run();
            })?;
        Ok(Engine {
            commands: cmd_tx,
            waker,
            events: ev_rx,
            next_id,
            thread: Some(thread),
            epoch,
        })
    }

    /// Starts tracing a connection; its events carry the returned id.
    pub fn connect(&self, spec: ConnectSpec) -> ConnId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.send(Command::Connect(id, Box::new(spec)));
        id
    }

    /// Closes a connection (without TLS shutdown), recording why.
    pub fn stop(&self, conn: ConnId) {
        self.send(Command::Stop(conn));
    }

    /// Asks a live connection for a KeyUpdate or a renegotiation.
    pub fn action(&self, conn: ConnId, action: Action) {
        self.send(Command::Action(conn, action));
    }

    /// The batches of recorded events, in order.
    pub fn events(&self) -> &Receiver<Vec<Event>> {
        &self.events
    }

    /// When the engine's clock started (event times count from here).
    pub fn epoch(&self) -> Instant {
        self.epoch
    }

    fn send(&self, command: Command) {
        // The I/O thread only goes away on shutdown, and then there is nothing left to command.
        if self.commands.send(command).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct IoLoop {
    poll: Poll,
    commands: Receiver<Command>,
    resolver_tx: Sender<Command>,
    resolver_waker: Arc<Waker>,
    events: Sender<Vec<Event>>,
    wake: Option<Box<dyn Fn() + Send>>,
    conns: HashMap<ConnId, Conn>,
    /// Connections that used up their turn while still making progress.
    runnable: Vec<ConnId>,
    /// Commands that arrived while paused for the consumer, handled first once it caught up.
    deferred: std::collections::VecDeque<Command>,
    /// The handle's id counter: follow-up connections (`--reconnect`) take their ids from it.
    next_id: Arc<AtomicU32>,
}

impl IoLoop {
    fn run(mut self) {
        let mut events = Events::with_capacity(256);
        loop {
            let timeout = self.poll_timeout();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    self.fail_all(&format!("poll failed: {e}"));
                    self.flush();
                    return;
                }
            }
            for event in events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                let id = event.token().0 as ConnId;
                if let Some(conn) = self.conns.get_mut(&id) {
                    let hangup =
                        event.is_error() || event.is_read_closed() || event.is_write_closed();
                    let turn = conn.on_ready(
                        event.is_readable(),
                        event.is_writable(),
                        hangup,
                        self.poll.registry(),
                    );
                    Self::note_turn(&mut self.runnable, id, turn);
                }
            }
            let shutdown = self.handle_commands();
            self.run_runnable();
            self.check_deadlines();
            self.start_follow_ups();
            self.conns.retain(|_, c| !c.is_closed());
            if shutdown {
                // The handle is being dropped and nobody may read again: hand over what fits
                // without waiting (waiting would wait for a shutdown that already came).
                self.flush_without_waiting();
                return;
            }
            let due = record::flush_due(FLUSH_AGE, FLUSH_EVENTS);
            if due.is_some_and(|d| d <= record::now()) && self.flush() {
                return;
            }
        }
    }

    fn note_turn(runnable: &mut Vec<ConnId>, id: ConnId, turn: Turn) {
        if matches!(turn, Turn::Yielded) && !runnable.contains(&id) {
            runnable.push(id);
        }
    }

    fn poll_timeout(&self) -> Option<Duration> {
        if !self.runnable.is_empty() || !self.deferred.is_empty() {
            return Some(Duration::ZERO);
        }
        let now = record::now();
        self.conns
            .values()
            .flat_map(|c| [c.next_deadline(), c.next_sample()])
            .flatten()
            .chain(record::flush_due(FLUSH_AGE, FLUSH_EVENTS))
            .min()
            // Round up so the deadline has passed when poll returns.
            .map(|d| {
                Duration::from_nanos(d.saturating_sub(now) + 999_999).max(Duration::from_millis(1))
            })
    }

    /// Handles pending commands; true when the engine must shut down.
    fn handle_commands(&mut self) -> bool {
        while let Some(command) = self
            .deferred
            .pop_front()
            .or_else(|| self.commands.try_recv().ok())
        {
            let reg = self.poll.registry();
            match command {
                Command::Connect(id, spec) => {
                    let target = spec.dial_target();
                    let what = if spec.proxy.is_some() {
                        "proxy"
                    } else {
                        "host"
                    };
                    self.conns
                        .insert(id, Conn::new(id, *spec, record::detail()));
                    self.resolve(id, target, what);
                }
                Command::Resolved(id, result) => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        let turn = conn.on_resolved(result, reg);
                        Self::note_turn(&mut self.runnable, id, turn);
                    }
                }
                Command::Stop(id) => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        conn.on_stop(reg);
                    }
                }
                Command::Action(id, action) => {
                    if let Some(conn) = self.conns.get_mut(&id) {
                        let turn = conn.on_action(action, reg);
                        Self::note_turn(&mut self.runnable, id, turn);
                    }
                }
                Command::Shutdown => {
                    for conn in self.conns.values_mut() {
                        conn.on_stop(reg);
                    }
                    return true;
                }
            }
        }
        false
    }

    /// Starts the connections closed ones asked for (`--reconnect`: one after another, each
    /// offering the session the closed one left) on the next iteration, with fresh ids.
    fn start_follow_ups(&mut self) {
        for conn in self.conns.values_mut().filter(|c| c.is_closed()) {
            if let Some(spec) = conn.take_follow_up() {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                self.deferred.push_back(Command::Connect(id, spec));
            }
        }
    }

    /// Resolves on a short-lived thread, so a slow DNS answer never stalls other connections.
    /// `what` names the host in the error: the target's `host`, or the `proxy`.
    fn resolve(&mut self, id: ConnId, target: Target, what: &'static str) {
        if let Ok(ip) = target.host.parse::<std::net::IpAddr>() {
            let reg = self.poll.registry();
            if let Some(conn) = self.conns.get_mut(&id) {
                let turn = conn.on_resolved(Ok(vec![SocketAddr::new(ip, target.port)]), reg);
                Self::note_turn(&mut self.runnable, id, turn);
            }
            return;
        }
        let tx = self.resolver_tx.clone();
        let waker = self.resolver_waker.clone();
        let spawned = std::thread::Builder::new()
            .name("tlsscope-resolve".into())
            .spawn(move || {
                let result = (target.host.as_str(), target.port)
                    .to_socket_addrs()
                    .map(|addrs| addrs.collect::<Vec<_>>())
                    .map_err(|e| format!("cannot resolve {what} {:?}: {e}", target.host));
                if tx.send(Command::Resolved(id, result)).is_ok() {
                    let _ = waker.wake();
                }
            });
        if let Err(e) = spawned {
            let reg = self.poll.registry();
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.on_resolved(Err(format!("cannot start resolver thread: {e}")), reg);
            }
        }
    }

    fn run_runnable(&mut self) {
        let ids = std::mem::take(&mut self.runnable);
        for id in ids {
            if let Some(conn) = self.conns.get_mut(&id) {
                let turn = conn.drive(self.poll.registry());
                Self::note_turn(&mut self.runnable, id, turn);
            }
        }
    }

    fn check_deadlines(&mut self) {
        let now: Nanos = record::now();
        for (&id, conn) in self.conns.iter_mut() {
            if conn.next_deadline().is_some_and(|d| now >= d) {
                let turn = conn.on_deadline(now, self.poll.registry());
                Self::note_turn(&mut self.runnable, id, turn);
            } else if conn.next_sample().is_some_and(|t| now >= t) {
                conn.on_sample_due(now);
            }
        }
    }

    fn fail_all(&mut self, reason: &str) {
        let reg = self.poll.registry();
        for (&id, conn) in self.conns.iter_mut() {
            record::push(id, EventKind::Error(reason.into()));
            conn.on_stop(reg);
        }
    }

    /// Sends the events recorded in this iteration, waiting (paused) while the consumer is
    /// behind. True when a shutdown came while paused: the thread must end now.
    fn flush(&mut self) -> bool {
        use crossbeam_channel::{SendTimeoutError, TrySendError};
        let batch = record::take_batch();
        if batch.is_empty() {
            return false;
        }
        let mut batch = match self.events.try_send(batch) {
            // A consumer that went away no longer wants events; that is not an error here.
            Ok(()) | Err(TrySendError::Disconnected(_)) => {
                self.wake();
                return false;
            }
            Err(TrySendError::Full(batch)) => batch,
        };
        let start = record::now();
        self.wake();
        loop {
            match self.events.send_timeout(batch, PAUSE_POLL) {
                Ok(()) | Err(SendTimeoutError::Disconnected(_)) => break,
                Err(SendTimeoutError::Timeout(back)) => batch = back,
            }
            // Only a shutdown is obeyed now; other commands wait (they would drive connections).
            while let Ok(command) = self.commands.try_recv() {
                if matches!(command, Command::Shutdown) {
                    return true;
                }
                self.deferred.push_back(command);
            }
        }
        let dur = record::now().saturating_sub(start);
        for conn in self.conns.values_mut() {
            conn.on_paused(start, dur);
        }
        self.wake();
        false
    }

    /// Sends this iteration's events if the queue has room; never waits.
    fn flush_without_waiting(&mut self) {
        let batch = record::take_batch();
        if !batch.is_empty() && self.events.try_send(batch).is_ok() {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Some(wake) = &self.wake {
            wake();
        }
    }
}

/// Runs one connection on a fresh engine and hands every batch to `on_events`, returning when
/// the connection closed or `limit` passed (then the connection is stopped).
pub fn trace_one(
    spec: ConnectSpec,
    options: EngineOptions,
    limit: Duration,
    mut on_events: impl FnMut(&[Event]),
) -> std::io::Result<()> {
    follow_one(spec, options, limit, |batch| {
        on_events(batch);
        Ok::<(), std::convert::Infallible>(())
    })
    .map(|_| ())
}

/// [`trace_one`] whose consumer can give up: an error from `on_events` ends the run at once
/// (the engine and the connection are dropped: nobody reads any more) and is returned inside.
/// The outer error is the engine failing to start.
pub fn follow_one<E>(
    spec: ConnectSpec,
    options: EngineOptions,
    limit: Duration,
    mut on_events: impl FnMut(&[Event]) -> Result<(), E>,
) -> std::io::Result<Result<(), E>> {
    let engine = Engine::start(options)?;
    let id = engine.connect(spec);
    let end = Instant::now() + limit;
    let mut stopped = false;
    loop {
        let timeout = end
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(10));
        match engine.events().recv_timeout(timeout) {
            Ok(batch) => {
                if let Err(e) = on_events(&batch) {
                    return Ok(Err(e));
                }
                let closed = |e: &Event| e.conn == id && matches!(e.kind, EventKind::Close(_));
                if batch.iter().any(closed) {
                    return Ok(Ok(()));
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) if !stopped => {
                if Instant::now() >= end {
                    engine.stop(id);
                    stopped = true;
                }
            }
            Err(_) => return Ok(Ok(())),
        }
    }
}

//! `tlsscope bench`'s handshake part: full TLS handshakes per second through the engine, with
//! recording off (connection-level events only) and on. Each connection is a fresh one (a new
//! client context, no session offered, so never resumed: checked), to 127.0.0.1 so nothing is
//! resolved, with no workload: TCP connect, the handshake, the close_notify exchange, close.

use crate::probe::{self, ConnectSpec, Engine, EngineOptions};
use crate::trace::{CloseReason, ConnId, Event, EventKind, Nanos, Phase};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long one connection may take before the run is called failed.
const PER_CONNECTION: Duration = Duration::from_secs(30);

/// One measured run of `count` connections.
pub(super) struct Run {
    /// From the first connect to the last close.
    pub(super) secs: f64,
    /// CPU time of the whole process (engine, and the in-process server if any).
    pub(super) cpu_secs: f64,
    pub(super) events: usize,
    /// Median time from the handshake's first call to its `tls` event.
    pub(super) median_handshake: Nanos,
}

/// What one connection showed: when its handshake began and ended, whether it was resumed.
#[derive(Default)]
struct Seen {
    began: Option<Nanos>,
    done: Option<(Nanos, bool)>,
}

/// Makes `count` connections like `spec`, `parallel` at a time, on one fresh engine. Fails with
/// the first connection that did not complete a full handshake and close cleanly.
pub(super) fn run(
    spec: &ConnectSpec,
    count: u32,
    parallel: u32,
    record: bool,
) -> Result<Run, String> {
    let engine = Engine::start(EngineOptions {
        connection_events_only: !record,
        ..Default::default()
    })
    .map_err(|e| format!("cannot start the engine: {e}"))?;
    let cpu_before = probe::ffi::process_cpu_time();
    let begin = Instant::now();
    let mut seen: HashMap<ConnId, Seen> = HashMap::new();
    let (mut started, mut closed, mut events) = (0u32, 0u32, 0usize);
    let mut handshakes: Vec<Nanos> = Vec::with_capacity(count as usize);
    let mut last_error: Option<String> = None;
    while started < parallel.min(count) {
        engine.connect(spec.clone());
        started += 1;
    }
    let mut last_progress = Instant::now();
    while closed < count {
        let batch = match engine.events().recv_timeout(Duration::from_millis(200)) {
            Ok(batch) => batch,
            Err(_) if last_progress.elapsed() < PER_CONNECTION => continue,
            Err(_) => return Err(format!("no connection closed in {PER_CONNECTION:?}")),
        };
        events += batch.len();
        for e in &batch {
            let conn = seen.entry(e.conn).or_default();
            match &e.kind {
                EventKind::Phase(Phase::Handshake) => conn.began = Some(e.t),
                EventKind::Tls(tls) => conn.done = Some((e.t, tls.resumed)),
                EventKind::Error(m) => last_error = Some(m.to_string()),
                EventKind::Close(c) => {
                    let conn = seen.remove(&e.conn).unwrap_or_default();
                    handshakes.push(check(e, c.reason, &conn, &last_error)?);
                    closed += 1;
                    last_progress = Instant::now();
                    if started < count {
                        engine.connect(spec.clone());
                        started += 1;
                    }
                }
                _ => {}
            }
        }
    }
    let secs = begin.elapsed().as_secs_f64();
    let cpu_secs = probe::ffi::process_cpu_time().saturating_sub(cpu_before) as f64 / 1e9;
    handshakes.sort_unstable();
    Ok(Run {
        secs,
        cpu_secs,
        events,
        median_handshake: handshakes.get(handshakes.len() / 2).copied().unwrap_or(0),
    })
}

/// The handshake's duration, or why this connection does not count as a full handshake.
fn check(
    close: &Event,
    reason: CloseReason,
    conn: &Seen,
    last_error: &Option<String>,
) -> Result<Nanos, String> {
    let id = close.conn;
    match (conn.began, conn.done) {
        (_, Some((_, true))) => Err(format!("connection {id} was resumed: not a full handshake")),
        (Some(began), Some((done, false))) if reason == CloseReason::Clean => {
            Ok(done.saturating_sub(began))
        }
        _ => Err(format!(
            "connection {id} did not complete its handshake and close cleanly ({}): {}",
            reason.name(),
            last_error.as_deref().unwrap_or("no reason recorded")
        )),
    }
}

//! `tlsscope bench`'s bulk part: uploads over loopback to an in-process TLS sink in off/on
//! pairs, each run through an engine of its own, started for it, that records only
//! connection-level events (off) or everything (on). Each run's CPU time is read per thread: the
//! engine's I/O thread, the consumer (this thread, which receives the batches) and the sink (the
//! peer, the same work in both modes), besides the whole process's; `report.rs` compares them.

use super::cpu;
use super::report::{self, Run};
use super::CliError;
use crate::lab::Pki;
use crate::probe::{self, ConnectSpec, Engine, EngineOptions, Target};
use crate::trace::{CloseReason, ConnId, Event, EventKind, Nanos, Phase};
use clap::ValueEnum;
use crossbeam_channel::RecvTimeoutError;
use openssl::ssl::{SslAcceptor, SslMethod, SslStream};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Which recording modes a run measures.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recording {
    Off,
    On,
}

/// The in-process TLS server: where it listens, and the CPU time of each connection's thread
/// (sent when the connection ends).
pub(super) struct Sink {
    pub(super) addr: SocketAddr,
    cpu: Receiver<u64>,
}

/// Accepts TLS connections on loopback and reads everything until the client closes.
pub(super) fn start_sink(pki: &Pki) -> Result<Sink, String> {
    let mut acceptor =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(|e| e.to_string())?;
    let leaf = pki
        .server
        .leaf()
        .ok_or("lab PKI has no server certificate")?;
    acceptor.set_certificate(leaf).map_err(|e| e.to_string())?;
    acceptor
        .set_private_key(&pki.server.key)
        .map_err(|e| e.to_string())?;
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (cpu_tx, cpu) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let acceptor = acceptor.clone();
            let cpu_tx = cpu_tx.clone();
            std::thread::spawn(move || {
                let cpu_start = probe::ffi::thread_cpu_time();
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                if let Ok(mut tls) = acceptor.accept(stream) {
                    let tls: &mut SslStream<_> = &mut tls;
                    let mut buf = vec![0u8; 64 * 1024];
                    while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
                    let _ = tls.shutdown();
                }
                let _ = cpu_tx.send(probe::ffi::thread_cpu_time().saturating_sub(cpu_start));
            });
        }
    });
    Ok(Sink { addr, cpu })
}

/// One run's engine and its I/O thread's id. Each run starts its own and warms it up first
/// (so its client context is built and no measured transfer pays for it): two engines kept for
/// the whole bench differed by more than recording costs (in one bench the engine recording
/// nothing took a third more CPU than the other, pair after pair), by where their threads and
/// buffers happened to land; a fresh engine a run makes that chance the same for both modes.
struct Client {
    engine: Engine,
    io_thread: u32,
}

impl Client {
    fn start(record: bool) -> Result<Client, String> {
        let (engine, io_thread) = cpu::with_new_thread("tlsscope-io", || {
            Engine::start(EngineOptions {
                connection_events_only: !record,
                ..Default::default()
            })
            .map_err(|e| format!("cannot start the engine: {e}"))
        })?;
        Ok(Client { engine, io_thread })
    }
}

/// What the consumer looks at in the batches: only what the run's figures need, so that it
/// costs what receiving the events costs (no copy of them is kept).
#[derive(Default)]
struct Seen {
    events: usize,
    workload: Option<Nanos>,
    shutdown: Option<Nanos>,
    close: Option<CloseReason>,
    error: Option<String>,
}

impl Seen {
    fn note(&mut self, id: ConnId, batch: &[Event]) {
        for e in batch.iter().filter(|e| e.conn == id) {
            self.events += 1;
            match &e.kind {
                EventKind::Phase(Phase::Workload) => self.workload = Some(e.t),
                EventKind::Phase(Phase::Shutdown) => self.shutdown = Some(e.t),
                EventKind::Close(c) => self.close = Some(c.reason),
                EventKind::Error(m) if self.error.is_none() => self.error = Some(m.to_string()),
                _ => {}
            }
        }
    }
}

/// Longest a run may take.
const RUN_LIMIT: Duration = Duration::from_secs(660);

fn transfer(client: &Client, sink: &Sink, bytes: u64) -> Result<Run, String> {
    // Figures left by earlier connections (the handshake part's) belong to no run.
    while sink.cpu.try_recv().is_ok() {}
    // An address, not a name: no resolver thread, so the threads measured are all there is.
    let mut spec = ConnectSpec::new(Target {
        host: "127.0.0.1".into(),
        port: sink.addr.port(),
    });
    spec.verify = false;
    spec.workload.upload = Some(bytes);
    spec.timeout = Some(Duration::from_secs(600));
    let io_before = cpu::thread_cpu_ns(client.io_thread)?;
    let consumer_before = probe::ffi::thread_cpu_time();
    let process_before = probe::ffi::process_cpu_time();
    let id = client.engine.connect(spec);
    let end = Instant::now() + RUN_LIMIT;
    let mut seen = Seen::default();
    while seen.close.is_none() {
        let left = end.saturating_duration_since(Instant::now());
        match client.engine.events().recv_timeout(left) {
            Ok(batch) => seen.note(id, &batch),
            Err(RecvTimeoutError::Timeout) => {
                client.engine.stop(id);
                return Err(format!(
                    "the transfer did not end within {} s",
                    RUN_LIMIT.as_secs()
                ));
            }
            Err(RecvTimeoutError::Disconnected) => return Err("the engine stopped".into()),
        }
    }
    let consumer_ns = probe::ffi::thread_cpu_time().saturating_sub(consumer_before);
    // The sink's thread ends just after the client closes; its CPU is part of the process's.
    let sink_ns = sink
        .cpu
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the sink did not finish".to_string())?;
    let io_ns = cpu::thread_cpu_ns(client.io_thread)?.saturating_sub(io_before);
    let process_ns = probe::ffi::process_cpu_time().saturating_sub(process_before);
    match (seen.workload, seen.shutdown, seen.close) {
        (Some(s), Some(e), Some(CloseReason::Clean)) if e > s => Ok(Run {
            secs: (e - s) as f64 / 1e9,
            process: process_ns as f64 / 1e9,
            io: io_ns as f64 / 1e9,
            consumer: consumer_ns as f64 / 1e9,
            sink: sink_ns as f64 / 1e9,
            events: seen.events,
        }),
        _ => Err(format!(
            "the transfer did not complete: {}",
            seen.error.unwrap_or_else(|| "no reason recorded".into())
        )),
    }
}

/// Bulk upload throughput and CPU time with recording off and on in `pairs` pairs, in ABBA order
/// (off-on, on-off, …) so that a drift in the machine's speed favours neither; or one mode
/// only, for `perf record` / valgrind of that mode. Every run has a fresh engine, warmed up by
/// a 1 MiB transfer that is not measured.
pub(super) fn bulk(
    sink: &Sink,
    bytes: u64,
    pairs: u32,
    only: Option<Recording>,
) -> Result<(), CliError> {
    let failed = CliError::Failed;
    let mut modes: Vec<bool> = match only {
        None => vec![false, true],
        Some(mode) => vec![mode == Recording::On],
    };
    let load_before = cpu::load_average();
    report::header(bytes, pairs, only.is_some(), load_before)?;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for pair in 1..=pairs {
        for &record in &modes {
            let run = fresh_run(record, sink, bytes).map_err(failed)?;
            report::run_line(pair, record, bytes, &run)?;
            if record {
                on.push(run)
            } else {
                off.push(run)
            }
        }
        modes.reverse();
    }
    report::summary(bytes, &off, &on, load_before, cpu::load_average())
}

/// One measured transfer through a new engine, after its warm-up transfer; the engine is
/// stopped (its thread joined) before this returns, so it is not running during the next run.
fn fresh_run(record: bool, sink: &Sink, bytes: u64) -> Result<Run, String> {
    let client = Client::start(record)?;
    transfer(&client, sink, 1 << 20).map_err(|e| format!("warm-up: {e}"))?;
    transfer(&client, sink, bytes)
}

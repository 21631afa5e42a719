//! `tlsscope bench`'s bulk part: an upload over loopback to an in-process TLS sink, recording
//! off and on, compared by throughput and by CPU time. The sink measures its own thread's CPU
//! time, so the engine's share (the I/O thread and the consumer: all that recording adds to) is
//! reported apart from the whole process's, which the sink's decryption dilutes.

use super::{median_of, say, CliError};
use crate::lab::Pki;
use crate::probe::{self, ConnectSpec, EngineOptions, Target};
use crate::trace::{CloseReason, Event, EventKind, Phase};
use clap::ValueEnum;
use openssl::ssl::{SslAcceptor, SslMethod, SslStream};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

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

/// One measured transfer.
struct Run {
    secs: f64,
    /// CPU time of the whole process (engine, consumer and sink) during the run.
    cpu_secs: f64,
    /// Of that, the sink thread's (reading and decrypting; the same work off or on).
    sink_secs: f64,
    events: usize,
}

impl Run {
    /// The CPU time of everything but the sink: the engine's I/O thread and the consumer.
    fn client_secs(&self) -> f64 {
        (self.cpu_secs - self.sink_secs).max(0.0)
    }
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

fn transfer(sink: &Sink, bytes: u64, record: bool) -> Result<Run, String> {
    // Figures left by earlier connections (the handshake part's) belong to no run.
    while sink.cpu.try_recv().is_ok() {}
    let mut spec = ConnectSpec::new(Target {
        host: "localhost".into(),
        port: sink.addr.port(),
    });
    spec.verify = false;
    spec.workload.upload = Some(bytes);
    spec.timeout = Some(Duration::from_secs(600));
    let options = EngineOptions {
        connection_events_only: !record,
        ..Default::default()
    };
    let mut stored: Vec<Event> = Vec::new();
    let cpu_before = probe::ffi::process_cpu_time();
    probe::trace_one(spec, options, Duration::from_secs(660), |batch| {
        stored.extend_from_slice(batch)
    })
    .map_err(|e| format!("engine: {e}"))?;
    // The sink's thread ends just after the client closes; its CPU is part of the process's.
    let sink_ns = sink
        .cpu
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the sink did not finish".to_string())?;
    let cpu_secs = probe::ffi::process_cpu_time().saturating_sub(cpu_before) as f64 / 1e9;
    let at = |phase: Phase| {
        stored
            .iter()
            .find(|e| matches!(&e.kind, EventKind::Phase(p) if *p == phase))
            .map(|e| e.t)
    };
    let clean = stored
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Close(c) if c.reason == CloseReason::Clean));
    match (at(Phase::Workload), at(Phase::Shutdown), clean) {
        (Some(s), Some(e), true) if e > s => Ok(Run {
            secs: (e - s) as f64 / 1e9,
            cpu_secs,
            sink_secs: sink_ns as f64 / 1e9,
            events: stored.len(),
        }),
        _ => {
            let why = stored.iter().find_map(|e| match &e.kind {
                EventKind::Error(m) => Some(m.to_string()),
                _ => None,
            });
            Err(format!(
                "the transfer did not complete: {}",
                why.unwrap_or_else(|| "no reason recorded".into())
            ))
        }
    }
}

/// Bulk upload throughput and CPU time with recording off and on (or only one of them, for
/// `perf stat` / `perf record` of one mode). Rounds alternate which mode goes first, so a drift
/// in the machine's speed does not favour one.
pub(super) fn bulk(
    sink: &Sink,
    bytes: u64,
    rounds: u32,
    only: Option<Recording>,
) -> Result<(), CliError> {
    let mib = bytes as f64 / (1 << 20) as f64;
    say(&format!("bulk upload of {mib:.0} MiB to an in-process TLS sink on loopback, {rounds} round(s) per mode\n"))?;
    let (mut off, mut on): (Vec<Run>, Vec<Run>) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let order = if round % 2 == 1 {
            [false, true]
        } else {
            [true, false]
        };
        for record in order {
            let mode = if record {
                Recording::On
            } else {
                Recording::Off
            };
            if only.is_some_and(|o| o != mode) {
                continue;
            }
            let run = transfer(sink, bytes, record).map_err(CliError::Failed)?;
            say(&format!(
                "  round {round} recording {:<3}: {:>8.1} MiB/s  {:>6.3} s CPU  {:>6.3} s engine  {:>6.3} s sink  {:>7} events\n",
                if record { "on" } else { "off" },
                mib / run.secs,
                run.cpu_secs,
                run.client_secs(),
                run.sink_secs,
                run.events
            ))?;
            if record {
                on.push(run)
            } else {
                off.push(run)
            }
        }
    }
    let med = |runs: &[Run], f: fn(&Run) -> f64| median_of(runs.iter().map(f).collect());
    let secs: fn(&Run) -> f64 = |r| r.secs;
    let cpu: fn(&Run) -> f64 = |r| r.cpu_secs;
    let client: fn(&Run) -> f64 = Run::client_secs;
    for (name, runs) in [("off:", &off), ("on: ", &on)] {
        if runs.is_empty() {
            continue;
        }
        say(&format!(
            "recording {name} {:.1} MiB/s (median); CPU per MiB {:.2} ms (whole process), {:.2} ms (engine, sink excluded)\n",
            mib / med(runs, secs),
            med(runs, cpu) * 1e3 / mib,
            med(runs, client) * 1e3 / mib,
        ))?;
    }
    if !off.is_empty() && !on.is_empty() {
        say(&format!(
            "throughput ratio (on/off, medians): {:.3}\n",
            med(&off, secs) / med(&on, secs)
        ))?;
        say(&format!(
            "CPU ratio (CPU per byte off/on, medians, whole process incl. the sink): {:.3}\n",
            med(&off, cpu) / med(&on, cpu)
        ))?;
        say(&format!(
            "engine CPU ratio (CPU per byte off/on, medians, the sink's thread excluded): {:.3}\n",
            med(&off, client) / med(&on, client)
        ))?;
        // Each round's own off/on pair, so the spread of the medians above can be seen.
        for (what, f) in [("CPU", cpu), ("engine CPU", client)] {
            let pairs: Vec<f64> = off.iter().zip(&on).map(|(a, b)| f(a) / f(b)).collect();
            let (low, high) = pairs
                .iter()
                .fold((f64::INFINITY, 0f64), |(l, h), r| (l.min(*r), h.max(*r)));
            say(&format!(
                "{what} ratio of each round's pair: median {:.3}, from {low:.3} to {high:.3}\n",
                median_of(pairs.clone())
            ))?;
        }
    }
    if let Some(events) = on.iter().map(|r| r.events).max() {
        let event_size = std::mem::size_of::<Event>();
        say(&format!(
            "events recorded per run: {events} ({:.0} events/s)\n",
            events as f64 / med(&on, secs)
        ))?;
        say(&format!(
            "bytes per event: {event_size} as recorded (fixed-size Event; heap only for tls/error/connected/sock events), {} in the app's store (without the connection id)\n",
            std::mem::size_of::<crate::trace::store::Stored>()
        ))?;
        say(&format!(
            "bytes recorded per MiB transferred: {:.0}\n",
            (events * event_size) as f64 / mib
        ))?;
    }
    Ok(())
}

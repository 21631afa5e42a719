//! What the bulk bench prints: a line per run, then the medians of each mode, the CPU per byte
//! off/on over all pairs (total over total) and the CPU ratio off/on of each pair (median and
//! quartiles), each with its 90 % bootstrap interval, and the load average they were measured at.

use super::stats::{Spread, TotalsRatio};
use super::{median_of, say, CliError};
use crate::trace::Event;

/// One measured transfer; CPU times in seconds.
pub(super) struct Run {
    /// From the workload phase to the shutdown phase.
    pub(super) secs: f64,
    /// The whole process (engine, consumer, sink and idle threads).
    pub(super) process: f64,
    /// The engine's I/O thread: OpenSSL, the socket calls and the recording.
    pub(super) io: f64,
    /// The thread that received the event batches.
    pub(super) consumer: f64,
    /// The sink's thread (reading and decrypting: the same work off or on).
    pub(super) sink: f64,
    pub(super) events: usize,
}

impl Run {
    /// What recording adds to: the I/O thread and the consumer.
    fn engine(&self) -> f64 {
        self.io + self.consumer
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn load(l: Option<f64>) -> String {
    l.map_or("unknown".into(), |l| format!("{l:.2}"))
}

pub(super) fn header(
    bytes: u64,
    pairs: u32,
    one_mode: bool,
    load_average: Option<f64>,
) -> Result<(), CliError> {
    let what = if one_mode {
        format!("{pairs} run(s) of one mode")
    } else {
        format!("{pairs} off/on pair(s) in ABBA order")
    };
    say(&format!(
        "bulk upload of {:.0} MiB a run to an in-process TLS sink on loopback: {what}, each run on a fresh engine after an unmeasured 1 MiB warm-up (load average {})\n",
        mib(bytes),
        load(load_average)
    ))
}

pub(super) fn run_line(pair: u32, record: bool, bytes: u64, run: &Run) -> Result<(), CliError> {
    say(&format!(
        "  round {pair} recording {:<3}: {:>8.1} MiB/s  {:>6.3} s CPU  {:>6.3} s engine  {:>6.3} s sink  {:>7} events\n",
        if record { "on" } else { "off" },
        mib(bytes) / run.secs,
        run.process,
        run.engine(),
        run.sink,
        run.events
    ))
}

/// The medians of each mode, the pairs' ratios, and what a run recorded.
pub(super) fn summary(
    bytes: u64,
    off: &[Run],
    on: &[Run],
    load_before: Option<f64>,
    load_after: Option<f64>,
) -> Result<(), CliError> {
    let mib = mib(bytes);
    let med = |runs: &[Run], f: fn(&Run) -> f64| median_of(runs.iter().map(f).collect());
    let secs: fn(&Run) -> f64 = |r| r.secs;
    let process: fn(&Run) -> f64 = |r| r.process;
    let engine: fn(&Run) -> f64 = Run::engine;
    let io: fn(&Run) -> f64 = |r| r.io;
    let consumer: fn(&Run) -> f64 = |r| r.consumer;
    for (name, runs) in [("off:", off), ("on: ", on)] {
        if runs.is_empty() {
            continue;
        }
        say(&format!(
            "recording {name} {:.1} MiB/s (median); CPU per MiB {:.3} ms (whole process), {:.3} ms (engine: {:.3} I/O thread + {:.3} consumer)\n",
            mib / med(runs, secs),
            med(runs, process) * 1e3 / mib,
            med(runs, engine) * 1e3 / mib,
            med(runs, io) * 1e3 / mib,
            med(runs, consumer) * 1e3 / mib,
        ))?;
    }
    if !off.is_empty() && !on.is_empty() {
        say(&format!(
            "throughput ratio (on/off, medians): {:.3}\n",
            med(off, secs) / med(on, secs)
        ))?;
        let pairs = off.len().min(on.len());
        let parts = [
            ("engine (I/O thread + consumer):", engine),
            ("I/O thread alone:              ", io),
            ("whole process incl. the sink:  ", process),
        ];
        say(&format!(
            "CPU per byte off/on over all {pairs} pairs (total CPU off / total CPU on, the same bytes; 1 = recording costs nothing, 0.980 = it adds 2 %):\n"
        ))?;
        for (what, f) in parts {
            let totals: Vec<(f64, f64)> = off.iter().zip(on).map(|(a, b)| (f(a), f(b))).collect();
            let line = match TotalsRatio::of(&totals) {
                Some(t) => format!(
                    "  {what} total {:.3}, 90% interval [{:.3}, {:.3}]\n",
                    t.ratio, t.low, t.high
                ),
                None => format!("  {what} not measured (no CPU time)\n"),
            };
            say(&line)?;
        }
        say(&format!(
            "CPU ratio off/on of each pair ({pairs} pairs; each pair's two runs follow each other, so a drift of the machine cancels in it):\n"
        ))?;
        for (what, f) in parts {
            let ratios: Vec<f64> = off.iter().zip(on).map(|(a, b)| f(a) / f(b)).collect();
            let line = match Spread::of(&ratios) {
                Some(s) => format!(
                    "  {what} median {:.3}, 90% interval [{:.3}, {:.3}], IQR [{:.3}, {:.3}]\n",
                    s.median, s.low, s.high, s.q1, s.q3
                ),
                None => format!("  {what} not measured (a run took no CPU time)\n"),
            };
            say(&line)?;
        }
    }
    say(&format!(
        "load average {} before the runs, {} after\n",
        load(load_before),
        load(load_after)
    ))?;
    if let Some(events) = on.iter().map(|r| r.events).max() {
        let event_size = std::mem::size_of::<Event>();
        say(&format!(
            "events recorded per run: {events} ({:.0} events/s)\n",
            events as f64 / med(on, secs)
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

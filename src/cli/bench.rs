//! `tlsscope bench`: what recording costs. A bulk upload over loopback to an in-process TLS
//! sink, and full handshakes per second (`handshakes`), alternating runs with recording off
//! (connection-level events only) and on (every call, socket operation, state, message and
//! buffer level), in one process.

use super::{say, CliError};
use crate::lab::Pki;
use crate::probe::{ConnectSpec, Target, TlsVersion};
use crate::trace::format;
use clap::{Args, ValueEnum};
use std::time::Duration;

mod bulk;
mod cpu;
mod handshakes;
mod recorder;
mod report;
mod stats;

/// Off/on pairs of the bulk upload alone, by default and at most: many short pairs make a
/// steadier median than a few long ones on a machine whose speed drifts.
const BULK_PAIRS: u32 = 40;
const MAX_BULK_PAIRS: u32 = 5000;

/// Which measurements to run.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    Bulk,
    Handshakes,
    /// The recorder alone: events per second from the I/O thread to the app's store.
    Recorder,
}

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Bytes to upload per run (e.g. 256M).
    #[arg(long, value_name = "BYTES", default_value = "64M")]
    bytes: String,
    /// Runs per mode (off and on alternate; medians are compared). Default 5; the bulk upload
    /// alone (`--only bulk`) runs off/on pairs, default 40, up to 5000.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    rounds: Option<i64>,
    /// Run only the bulk upload, the handshakes or the recorder (default: all three).
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Measure only this recording mode (bulk upload only: for `perf stat` or `perf record`
    /// of one mode).
    #[arg(long, value_enum, value_name = "MODE")]
    recording: Option<bulk::Recording>,
    /// Full handshakes (connections) per run.
    #[arg(long, value_name = "N", default_value_t = 300)]
    handshakes: u32,
    /// Handshake connections in flight at once (1: one after another, like `openssl s_time`).
    #[arg(long, value_name = "P", default_value_t = 1)]
    parallel: u32,
    /// TLS version of the handshakes: 1.2 or 1.3.
    #[arg(long, value_name = "V", default_value = "1.3")]
    tls: String,
    /// Handshake with this server (e.g. an `openssl s_server` with the lab's certificate)
    /// instead of the in-process one; only the handshakes are measured.
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// Events per run of the recorder benchmark (up to 100M).
    #[arg(long, value_name = "N", default_value_t = 10_000_000)]
    recorder_events: u64,
}

pub(crate) fn run(args: BenchArgs) -> Result<(), CliError> {
    let bytes = crate::options::units::parse_size(&args.bytes)
        .map_err(|e| CliError::Usage(format!("--bytes: {e}")))?;
    if bytes < 1 << 20 {
        return Err(CliError::Usage(
            "--bytes: at least 1M, or the timing is noise".into(),
        ));
    }
    let hs = HandshakePlan::new(&args)?;
    // Said, not clamped: a silently changed count would make the medians mean something else.
    let rounds = match (args.rounds, args.only) {
        (None, Some(Only::Bulk)) => BULK_PAIRS,
        (None, _) => 5,
        (Some(n), Some(Only::Bulk)) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_BULK_PAIRS).contains(n))
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--rounds {n}: give a number of off/on pairs from 1 to {MAX_BULK_PAIRS}"
                ))
            })?,
        (Some(n), _) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=20).contains(n))
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--rounds {n}: give a number of runs per mode from 1 to 20"
                ))
            })?,
    };
    if !(1000..=100_000_000).contains(&args.recorder_events) {
        return Err(CliError::Usage(
            "--recorder-events: from 1000 to 100000000".into(),
        ));
    }
    if args.recording.is_some() && args.only != Some(Only::Bulk) {
        return Err(CliError::Usage("--recording: only with --only bulk".into()));
    }
    if args.only == Some(Only::Recorder) {
        return recorder::recorder(args.recorder_events, rounds);
    }
    let pki = Pki::shared().map_err(|e| CliError::Failed(format!("certificates: {e}")))?;
    let sink = bulk::start_sink(&pki)
        .map_err(|e| CliError::Failed(format!("cannot start the sink: {e}")))?;
    if args.only != Some(Only::Handshakes) && hs.server.is_none() {
        bulk::bulk(&sink, bytes, rounds, args.recording)?;
    }
    if args.only != Some(Only::Bulk) {
        handshakes_per_second(&hs, sink.addr, &pki, rounds)?;
    }
    if args.only.is_none() && hs.server.is_none() {
        recorder::recorder(args.recorder_events, rounds)?;
    }
    Ok(())
}

/// The handshake part's settings, checked.
struct HandshakePlan {
    count: u32,
    parallel: u32,
    tls: TlsVersion,
    /// An outside server, or None for the in-process one.
    server: Option<Target>,
}

impl HandshakePlan {
    fn new(args: &BenchArgs) -> Result<HandshakePlan, CliError> {
        let usage = |m: String| CliError::Usage(m);
        if !(10..=100_000).contains(&args.handshakes) {
            return Err(usage("--handshakes: from 10 to 100000 per run".into()));
        }
        if !(1..=1000).contains(&args.parallel) || args.parallel > args.handshakes {
            return Err(usage(
                "--parallel: from 1 to 1000, and no more than --handshakes".into(),
            ));
        }
        let tls = TlsVersion::parse(&args.tls).map_err(|e| usage(format!("--tls: {e}")))?;
        let server = match &args.connect {
            Some(text) if args.only == Some(Only::Bulk) => {
                return Err(usage(format!(
                    "--connect {text}: only the handshakes can use another server; drop --only bulk"
                )))
            }
            Some(text) => Some(Target::parse(text).map_err(|e| usage(format!("--connect: {e}")))?),
            None => None,
        };
        Ok(HandshakePlan {
            count: args.handshakes,
            parallel: args.parallel,
            tls,
            server,
        })
    }
}

/// Full handshakes per second with recording off and on, alternating, compared by medians.
fn handshakes_per_second(
    plan: &HandshakePlan,
    sink: std::net::SocketAddr,
    pki: &Pki,
    rounds: u32,
) -> Result<(), CliError> {
    let target = plan.server.clone().unwrap_or(Target {
        host: "127.0.0.1".into(),
        port: sink.port(),
    });
    let mut spec = ConnectSpec::new(target.clone());
    // Like `openssl s_time`: no verification. The lab CA as the trust store keeps each
    // connection's fresh context from loading the system's (which costs milliseconds).
    spec.verify = false;
    spec.ca_pem = Some(pki.ca_pem());
    spec.tls_min = Some(plan.tls);
    spec.tls_max = Some(plan.tls);
    spec.timeout = Some(Duration::from_secs(30));
    let server = match &plan.server {
        Some(_) => format!("the server at {target}"),
        None => "an in-process TLS server on loopback".to_string(),
    };
    let how = if plan.parallel == 1 {
        "one at a time".to_string()
    } else {
        format!("{} at a time", plan.parallel)
    };
    say(&format!(
        "full handshakes to {server} (TLS {}, a new session each, {how}): {} per run, {rounds} round(s) per mode\n",
        plan.tls.name(),
        plan.count
    ))?;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        for record in [false, true] {
            let run = handshakes::run(&spec, plan.count, plan.parallel, record)
                .map_err(CliError::Failed)?;
            say(&format!(
                "  round {round} recording {:<3}: {:>8.1} handshakes/s  handshake median {:>9}  {:>6.3} s CPU  {:>7} events\n",
                if record { "on" } else { "off" },
                f64::from(plan.count) / run.secs,
                format::duration(run.median_handshake),
                run.cpu_secs,
                run.events
            ))?;
            if record {
                on.push(run)
            } else {
                off.push(run)
            }
        }
    }
    let median = |runs: &[handshakes::Run]| {
        let mut rates: Vec<f64> = runs
            .iter()
            .map(|r| f64::from(plan.count) / r.secs)
            .collect();
        rates.sort_by(f64::total_cmp);
        rates.get(rates.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let cpu_per = |runs: &[handshakes::Run]| {
        median_of(runs.iter().map(|r| r.cpu_secs).collect()) / f64::from(plan.count)
    };
    let (off_rate, on_rate) = (median(&off), median(&on));
    say(&format!(
        "recording off: {off_rate:.1} handshakes/s (median)\n"
    ))?;
    say(&format!(
        "recording on:  {on_rate:.1} handshakes/s (median)\n"
    ))?;
    say(&format!(
        "handshake rate ratio (on/off, medians): {:.3}\n",
        on_rate / off_rate
    ))?;
    say(&format!(
        "CPU per handshake (this process{}, medians): off {}, on {}\n",
        if plan.server.is_some() {
            ""
        } else {
            ", incl. the server"
        },
        format::duration((cpu_per(&off) * 1e9) as u64),
        format::duration((cpu_per(&on) * 1e9) as u64)
    ))?;
    let events = on.iter().map(|r| r.events).max().unwrap_or(0);
    say(&format!(
        "events recorded per handshake (recording on): {:.0}\n",
        events as f64 / f64::from(plan.count)
    ))
}

/// The median of `values` (the upper one of an even count; NaN for none).
fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

//! `tlsscope trace TARGET`: one traced connection, printed as it happens.

use super::CliError;
use crate::export::{ExportError, ExportFiles};
use crate::options;
use crate::options::ConnectOptions;
use crate::probe::EngineOptions;
use crate::trace::verdict::Severity;
use crate::trace::{CloseReason, Event, EventKind};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    #[default]
    Text,
    Jsonl,
    /// The compact binary trace (`.tlsscope`, see `trace::binary`): to a file or a pipe, never
    /// a terminal.
    Binary,
}

/// Where a binary trace can go instead of a terminal.
pub(crate) const OUT_OR_PIPE: &str = "give --out FILE or redirect standard output";

#[derive(Args, Debug)]
pub(crate) struct TraceArgs {
    /// HOST:PORT to connect to, or lab:SCENARIO for a built-in misbehaving peer.
    target: String,
    #[command(flatten)]
    options: ConnectOptions,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the trace to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Append the session secrets to FILE, one NSS key log line each (what Wireshark reads as
    /// its "(Pre)-Master-Secret log"). Without it, SSLKEYLOGFILE is used when set.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Write a pcapng capture Wireshark and tshark open decrypted with no settings: the bytes
    /// read and written on the socket in synthesized TCP/IP packets, with the secrets embedded.
    #[arg(long, value_name = "FILE")]
    pcapng: Option<PathBuf>,
    /// Make N connections (one engine), then print a summary across them.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        allow_negative_numbers = true
    )]
    repeat: u32,
    /// With --repeat: how many connections are open at once.
    #[arg(
        long,
        value_name = "P",
        default_value_t = 1,
        allow_negative_numbers = true
    )]
    parallel: u32,
}

/// Follows one connection on its own engine, handing each batch to `on_batch` until the
/// connection closes or `on_batch` returns an error (then the engine, and the connection, are
/// dropped at once: nobody is reading any more). After `limit`, the connection is stopped.
fn follow(
    spec: crate::probe::ConnectSpec,
    limit: Duration,
    on_batch: impl FnMut(&[Event]) -> Result<(), CliError>,
) -> Result<(), CliError> {
    crate::probe::follow_one(spec, EngineOptions::default(), limit, on_batch)
        .map_err(|e| CliError::Failed(format!("cannot start the engine: {e}")))?
}

pub(crate) fn run(args: TraceArgs) -> Result<(), CliError> {
    let plan = super::repeat::Plan::new(args.repeat, args.parallel).map_err(CliError::Usage)?;
    let mut prepared = options::prepare(&args.target, &args.options).map_err(CliError::Usage)?;
    let mut exports = ExportFiles::open(args.keylog.as_deref(), args.pcapng.as_deref())
        .map_err(CliError::Usage)?;
    if let Some(note) = exports.note() {
        let _ = writeln!(std::io::stderr(), "tlsscope: {note}");
    }
    prepared.spec.capture = exports.capture();
    let exported = |e: ExportError| CliError::Output {
        what: e.what,
        error: e.error,
    };
    let what = "the trace";
    super::printer::refuse_terminal(args.format, args.out.is_some(), OUT_OR_PIPE)?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let reconnect = prepared.spec.session.reconnect;
    if reconnect > 0 && plan.repeat > 1 {
        return Err(CliError::Usage(format!(
            "--reconnect {reconnect} with --repeat {}: reconnections run one after another after \
             a single first connection; use one or the other",
            plan.repeat
        )));
    }
    if plan.repeat > 1 || reconnect > 0 {
        let result = super::repeat::run(&prepared.spec, plan, args.format, &mut out, exports);
        // The lab's server (if any) served until here.
        drop(prepared.lab);
        return result;
    }
    let failed = |error| CliError::Output { what, error };
    let mut printer = super::printer::Printer::new(args.format);
    let mut last_error: Option<String> = None;
    let mut close = None;
    // A little beyond the connection's own deadline, so its timeout (with its reason) fires first.
    let limit = prepared
        .spec
        .timeout
        .map(|t| t + Duration::from_secs(5))
        .unwrap_or(Duration::from_secs(u32::MAX as u64));
    let followed = follow(prepared.spec, limit, |batch: &[Event]| {
        for event in batch {
            exports.feed(event).map_err(exported)?;
            match &event.kind {
                EventKind::Error(message) => last_error = Some(message.to_string()),
                // A failed address before a successful connect is not why the run failed.
                EventKind::Connected(_) => last_error = None,
                EventKind::Close(c) => close = Some(*c),
                _ => {}
            }
            // The verdict goes out just before its connection's close.
            printer.event(event, &mut out).map_err(failed)?;
        }
        out.flush().map_err(failed)
    });
    // The files hold what was seen even when the trace's output failed.
    let written = exports.finish().map_err(exported);
    followed?;
    for line in written? {
        let _ = writeln!(std::io::stderr(), "tlsscope: {line}");
    }
    printer.finish(&mut out).map_err(failed)?;
    // A verdict that says the connection stalled or failed, although it closed cleanly (the
    // peer closed without answering, what we wrote never left our send queue): exit status 1.
    let bad_verdict = printer
        .last_verdict()
        .filter(|(class, _)| class.severity() >= Severity::Stall)
        .map(|(class, summary)| format!("verdict {}: {summary}", class.name()));
    // The lab's server (if any) served until here.
    drop(prepared.lab);
    match close {
        // The connection went well but its session could not be saved: that is what was asked.
        Some(c) if c.reason == CloseReason::Clean && c.workload_done => match last_error {
            Some(e) if e.starts_with("--sess-out") => Err(CliError::Failed(e)),
            _ => bad_verdict.map_or(Ok(()), |v| Err(CliError::Failed(v))),
        },
        // Without an error to name (a clean close before the workload was done: a response cut
        // short by close_notify), the verdict says why rather than "ended: clean".
        Some(c) => {
            Err(CliError::Failed(last_error.or(bad_verdict).unwrap_or_else(
                || format!("connection ended: {}", c.reason.name()),
            )))
        }
        None => Err(CliError::Failed(
            "the connection did not end in time".into(),
        )),
    }
}

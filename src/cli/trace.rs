//! `tlsscope trace TARGET`: one traced connection, printed as it happens.

use crate::probe::{self, EngineOptions};
use crate::trace::{diagnosis, jsonl, text::TextWriter, CloseReason, Event, EventKind};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Transitional: `ui/model.rs` and `tests/ui_app.rs`, edited elsewhere at the same time, still
/// name these here. Their home is [`crate::options`]; this goes once those two imports move.
pub use crate::options::{prepare, ConnectOptions};

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Jsonl,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    /// HOST:PORT to connect to, or lab:SCENARIO for a built-in misbehaving peer.
    pub target: String,
    #[command(flatten)]
    pub options: ConnectOptions,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the trace to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What a `trace` run ended with.
pub enum Outcome {
    Ok,
    Failed,
}

pub fn run(args: TraceArgs) -> Result<Outcome, super::CliError> {
    let prepared = prepare(&args.target, &args.options).map_err(super::CliError::Usage)?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                super::CliError::Usage(format!("cannot create {}: {e}", path.display()))
            })?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = TextWriter::new();
    let mut last_error: Option<String> = None;
    let mut close = None;
    let mut write_failed: Option<std::io::Error> = None;
    // Kept for the closing diagnosis of the text format (fixed-size events: cheap to keep).
    let mut recorded: Vec<Event> = Vec::new();
    // A little beyond the connection's own deadline, so its timeout (with its reason) fires first.
    let limit = prepared
        .spec
        .timeout
        .map(|t| t + Duration::from_secs(5))
        .unwrap_or(Duration::from_secs(u32::MAX as u64));
    probe::trace_one(
        prepared.spec,
        EngineOptions::default(),
        limit,
        |batch: &[Event]| {
            if args.format == Format::Text {
                recorded.extend_from_slice(batch);
            }
            for event in batch {
                match &event.kind {
                    EventKind::Error(message) => last_error = Some(message.to_string()),
                    // A failed address before a successful connect is not why the run failed.
                    EventKind::Connected(_) => last_error = None,
                    EventKind::Close(c) => close = Some(*c),
                    _ => {}
                }
                if write_failed.is_some() {
                    continue;
                }
                let result = match args.format {
                    Format::Text => writer.write_event(event, &mut out),
                    Format::Jsonl => writeln!(out, "{}", jsonl::to_line(event)),
                };
                if let Err(e) = result {
                    write_failed = Some(e);
                }
            }
            if write_failed.is_none() {
                if let Err(e) = out.flush() {
                    write_failed = Some(e);
                }
            }
        },
    )
    .map_err(|e| super::CliError::Failed(format!("cannot start the engine: {e}")))?;
    if args.format == Format::Text && write_failed.is_none() {
        if let Some(conn) = recorded.first().map(|e| e.conn) {
            let mut text = String::from("\ndiagnosis:\n");
            for sentence in diagnosis::diagnose(&recorded, conn).sentences() {
                text.push_str(&format!("  {sentence}\n"));
            }
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                write_failed = Some(e);
            }
        }
    }
    if let Some(e) = write_failed {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(super::CliError::Failed(format!(
                "cannot write the trace: {e}"
            )));
        }
    }
    match close {
        Some(c) if c.reason == CloseReason::Clean && c.workload_done => Ok(Outcome::Ok),
        Some(c) => {
            Err(super::CliError::Failed(last_error.unwrap_or_else(|| {
                format!("connection ended: {}", c.reason.name())
            })))
        }
        None => Err(super::CliError::Failed(
            "the connection did not end in time".into(),
        )),
    }
}

//! `tlsscope trace TARGET --repeat N --parallel P`: N connections to one target on one engine,
//! at most P in flight (the next starts as one closes), each printed as it happens and diagnosed
//! when it closes, then a summary across them (`trace::many`): verdict counts, percentiles, the
//! odd ones out by id.

use super::trace::Format;
use super::CliError;
use crate::export::{ExportError, ExportFiles};
use crate::probe::{ConnectSpec, Engine, EngineOptions};
use crate::trace::many::Tally;
use crate::trace::{diagnosis::Diagnoser, jsonl, text::TextWriter, ConnId, Event, EventKind};
use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

/// The most connections one run makes, and the most at once (each is a socket and, on the lab,
/// a server thread).
pub(crate) const MAX_REPEAT: u32 = 100_000;
pub(crate) const MAX_PARALLEL: u32 = 1000;

/// How long a stopped connection may take to record its close before the run gives up on it.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How many connections, how many at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) repeat: u32,
    pub(crate) parallel: u32,
}

impl Plan {
    /// Checks `--repeat` and `--parallel` against each other and the caps; a one-line reason.
    pub(crate) fn new(repeat: u32, parallel: u32) -> Result<Plan, String> {
        if !(1..=MAX_REPEAT).contains(&repeat) {
            return Err(format!(
                "--repeat {repeat}: give a number of connections from 1 to {MAX_REPEAT}"
            ));
        }
        if !(1..=MAX_PARALLEL).contains(&parallel) {
            return Err(format!(
                "--parallel {parallel}: give a number of connections at once from 1 to {MAX_PARALLEL}"
            ));
        }
        if parallel > repeat {
            return Err(format!(
                "--parallel {parallel} is more than --repeat {repeat}: at most as many at once as in all"
            ));
        }
        Ok(Plan { repeat, parallel })
    }
}

/// A connection in flight: when to stop it, and whether it was stopped already.
struct Flight {
    deadline: Option<Instant>,
    stopped: bool,
}

/// Consumes the events: diagnosis, summary tally, output.
struct Sink<'a> {
    format: Format,
    out: &'a mut dyn Write,
    writer: TextWriter,
    diagnoser: Diagnoser,
    tally: Tally,
    /// `--keylog` / `--pcapng` files (for all connections of the run).
    exports: ExportFiles,
    /// `--reconnect`: how the connections' resumptions went.
    resumed: super::resumed::Resumed,
    /// The block being filled, for `--format binary`.
    binary: crate::trace::binary::encode::Encoder,
}

fn exported(e: ExportError) -> CliError {
    CliError::Output {
        what: e.what,
        error: e.error,
    }
}

fn failed(error: std::io::Error) -> CliError {
    CliError::Output {
        what: "the trace",
        error,
    }
}

impl Sink<'_> {
    fn event(&mut self, event: &Event) -> Result<(), CliError> {
        self.exports.feed(event).map_err(exported)?;
        // The verdict goes out just before its connection's close.
        let verdict = self.diagnoser.feed(event);
        for e in verdict.iter().chain(std::iter::once(event)) {
            self.tally.feed(e);
            self.resumed.feed(e);
            match self.format {
                Format::Text => self.writer.write_event(e, self.out),
                // Raw bytes and secrets are never part of a trace.
                Format::Jsonl => match jsonl::to_line(e) {
                    Some(line) => writeln!(self.out, "{line}"),
                    None => Ok(()),
                },
                Format::Binary => self.binary.push(e, self.out),
            }
            .map_err(failed)?;
        }
        if let EventKind::Close(_) = event.kind {
            if self.format == Format::Text {
                // Each diagnosis as its connection closes, so memory stays with the open ones.
                let mut text = format!("\n[{}] diagnosis:\n", event.conn);
                for line in self.diagnoser.section(event.conn) {
                    text.push_str(&format!("  {line}\n"));
                }
                text.push('\n');
                self.out.write_all(text.as_bytes()).map_err(failed)?;
            }
            self.diagnoser.forget(event.conn);
        }
        Ok(())
    }
}

/// Runs the plan against `spec`, writing to `out`; exit status 1 unless every connection
/// closed cleanly (the reason names how many did not, and which).
pub(crate) fn run(
    spec: &ConnectSpec,
    plan: Plan,
    format: Format,
    out: &mut dyn Write,
    exports: ExportFiles,
) -> Result<(), CliError> {
    let engine = Engine::start(EngineOptions::default())
        .map_err(|e| CliError::Failed(format!("cannot start the engine: {e}")))?;
    // A little beyond each connection's own deadline, so its timeout (with its reason) fires first.
    let limit = spec.timeout.map(|t| t + Duration::from_secs(5));
    let mut sink = Sink {
        format,
        out,
        writer: TextWriter::new(),
        diagnoser: Diagnoser::new(),
        tally: Tally::new(),
        exports,
        resumed: Default::default(),
        binary: Default::default(),
    };
    // `--reconnect`: the engine starts each follow-up connection when the one before closed;
    // the run waits for them (they are adopted when their first event arrives).
    let mut follow_ups_left = spec.session.reconnect;
    let mut follow_ups_due = 0u32;
    let mut flying: HashMap<ConnId, Flight> = HashMap::new();
    let mut started = 0u32;
    let mut start_one = |flying: &mut HashMap<ConnId, Flight>| {
        if started < plan.repeat {
            started += 1;
            let id = engine.connect(spec.clone());
            let deadline = limit.map(|l| Instant::now() + l);
            flying.insert(
                id,
                Flight {
                    deadline,
                    stopped: false,
                },
            );
        }
    };
    for _ in 0..plan.parallel {
        start_one(&mut flying);
    }
    while !flying.is_empty() || follow_ups_due > 0 {
        let now = Instant::now();
        let next = flying.values().filter_map(|f| f.deadline).min();
        let wait = next.map_or(Duration::from_secs(1), |d| {
            d.saturating_duration_since(now)
                .max(Duration::from_millis(10))
        });
        match engine.events().recv_timeout(wait) {
            Ok(batch) => {
                for event in &batch {
                    if follow_ups_due > 0
                        && matches!(event.kind, EventKind::Setup(_))
                        && !flying.contains_key(&event.conn)
                    {
                        follow_ups_due -= 1;
                        let deadline = limit.map(|l| Instant::now() + l);
                        let stopped = false;
                        flying.insert(event.conn, Flight { deadline, stopped });
                    }
                    sink.event(event)?;
                    if matches!(event.kind, EventKind::Close(_))
                        && flying.remove(&event.conn).is_some()
                    {
                        if follow_ups_left > 0 {
                            follow_ups_left -= 1;
                            follow_ups_due += 1;
                        } else {
                            start_one(&mut flying);
                        }
                    }
                }
                sink.out.flush().map_err(failed)?;
            }
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let mut gave_up = Vec::new();
                for (&id, flight) in flying.iter_mut() {
                    match flight.deadline {
                        Some(d) if now >= d && !flight.stopped => {
                            engine.stop(id);
                            flight.stopped = true;
                            flight.deadline = Some(now + STOP_GRACE);
                        }
                        // Stopped and still no close: counted as not closed in the summary.
                        Some(d) if now >= d => gave_up.push(id),
                        _ => {}
                    }
                }
                for id in gave_up {
                    flying.remove(&id);
                    start_one(&mut flying);
                }
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                return Err(CliError::Failed(
                    "the engine's I/O thread ended unexpectedly".into(),
                ))
            }
        }
    }
    let Sink {
        out,
        tally,
        exports,
        resumed,
        mut binary,
        ..
    } = sink;
    let requested = u64::from(plan.repeat) * (1 + u64::from(spec.session.reconnect));
    let summary = tally.summary(requested, u64::from(plan.parallel));
    for line in exports.finish().map_err(exported)? {
        let _ = writeln!(std::io::stderr(), "tlsscope: {line}");
    }
    let text = match format {
        Format::Text => {
            let mut text = String::from("summary:\n");
            for line in summary.lines().into_iter().chain(resumed.line()) {
                text.push_str(&format!("  {line}\n"));
            }
            text
        }
        Format::Jsonl => format!("{}\n", resumed.add_to(summary.to_line())),
        // The binary trace holds events only: its file ends, the summary goes to stderr.
        Format::Binary => {
            binary.finish(out).map_err(failed)?;
            for line in summary.lines().into_iter().chain(resumed.line()) {
                let _ = writeln!(std::io::stderr(), "tlsscope: {line}");
            }
            String::new()
        }
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(failed)?;
    match summary.failure() {
        None => Ok(()),
        Some(reason) => Err(CliError::Failed(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_checked_with_a_reason() {
        assert_eq!(
            Plan::new(100, 100),
            Ok(Plan {
                repeat: 100,
                parallel: 100
            })
        );
        assert!(Plan::new(1, 1).is_ok());
        assert!(Plan::new(MAX_REPEAT, MAX_PARALLEL).is_ok());
        let reason = |r, p| Plan::new(r, p).unwrap_err();
        assert!(reason(0, 1).starts_with("--repeat 0:"));
        assert!(reason(MAX_REPEAT + 1, 1).contains("from 1 to 100000"));
        assert!(reason(10, 0).starts_with("--parallel 0:"));
        assert!(reason(5000, MAX_PARALLEL + 1).contains("from 1 to 1000"));
        assert_eq!(
            reason(5, 10),
            "--parallel 10 is more than --repeat 5: at most as many at once as in all"
        );
    }
}

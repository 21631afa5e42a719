//! How the command line prints a stream of events, live (`trace`) or from a saved file
//! (`show`): text or JSONL, with the verdict computed from the events and written just before
//! each connection's close, and the closing `diagnosis:` section of the text trace. One printer
//! for both, so a saved trace shows exactly what the live run printed.

use super::trace::Format;
use super::CliError;
use crate::trace::binary::encode::Encoder;
use crate::trace::verdict::Class;
use crate::trace::{diagnosis::Diagnoser, jsonl, text::TextWriter, Event, EventKind};
use std::io::{self, IsTerminal, Write};

/// A binary trace goes to a file or a pipe: on a terminal it would be noise (and could leave
/// the terminal in a strange state), so it is refused before anything runs.
/// `how` says where it can go instead ("give --out FILE or redirect standard output").
pub(crate) fn refuse_terminal(format: Format, to_file: bool, how: &str) -> Result<(), CliError> {
    if format == Format::Binary && !to_file && io::stdout().is_terminal() {
        return Err(CliError::Usage(format!(
            "--format binary writes a binary file, not to a terminal: {how}"
        )));
    }
    Ok(())
}

pub(crate) struct Printer {
    format: Format,
    text: TextWriter,
    /// The verdict and the closing diagnosis, from bounded per-connection facts.
    diagnoser: Diagnoser,
    /// The block being filled, for `--format binary`.
    binary: Encoder,
    /// The class and summary of the last verdict written (for the exit status).
    last_verdict: Option<(Class, String)>,
}

impl Printer {
    pub(crate) fn new(format: Format) -> Printer {
        Printer {
            format,
            text: TextWriter::new(),
            diagnoser: Diagnoser::new(),
            binary: Encoder::new(),
            last_verdict: None,
        }
    }

    /// The class and summary of the last verdict written.
    pub(crate) fn last_verdict(&self) -> Option<&(Class, String)> {
        self.last_verdict.as_ref()
    }

    /// Prints one event, preceded by its connection's timing and verdict when it is the close.
    /// A `timing` or `verdict` event in the input (one a saved trace carries from its live run)
    /// is not printed: the printer writes its own, computed from the events with today's rules,
    /// so a trace shows one of each per connection and an old file gets them too.
    pub(crate) fn event(&mut self, event: &Event, out: &mut dyn Write) -> io::Result<()> {
        if matches!(event.kind, EventKind::Verdict(_) | EventKind::Timing(_)) {
            // Not printed, but the diagnosis keeps a saved verdict on a traced program's own
            // calls (`tlsscope run`), which the events cannot show again.
            let _ = self.diagnoser.feed(event);
            return Ok(());
        }
        let verdict = self.diagnoser.feed(event);
        for e in &verdict {
            if let EventKind::Verdict(v) = &e.kind {
                self.last_verdict = Some((v.class, v.summary.clone()));
            }
        }
        for e in verdict.iter().chain(std::iter::once(event)) {
            match self.format {
                Format::Text => self.text.write_event(e, out)?,
                Format::Jsonl => {
                    // Raw bytes and secrets are never part of a trace (they go to --pcapng and
                    // --keylog only).
                    if let Some(line) = jsonl::to_line(e) {
                        writeln!(out, "{line}")?;
                    }
                }
                // Secrets and raw bytes are skipped by the encoder too.
                Format::Binary => self.binary.push(e, out)?,
            }
        }
        Ok(())
    }

    /// After the last event: the `diagnosis:` section of each connection (text only; the JSONL
    /// trace carries the verdict events instead).
    pub(crate) fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.format == Format::Binary {
            // The last block and the end mark.
            return self.binary.finish(out);
        }
        if self.format != Format::Text {
            return Ok(());
        }
        for conn in self.diagnoser.conns() {
            let mut text = String::from("\ndiagnosis:\n");
            for line in self.diagnoser.section(conn) {
                text.push_str(&format!("  {line}\n"));
            }
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Ok(())
    }
}

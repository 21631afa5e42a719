//! How `tlsscope run` prints: the events as text or JSONL through the trace's own writers, the
//! verdict before each close from the diagnosis (or, when the program misused OpenSSL, the
//! misuse verdict, with the trace's verdict as its last evidence), and the closing
//! `diagnosis:` section of the text trace.

use crate::cli::trace::Format;
use crate::runner::convert::Out;
use crate::trace::diagnosis::Diagnoser;
use crate::trace::verdict::{self, Verdict};
use crate::trace::{jsonl, text::TextWriter, ConnId, Event, EventKind};
use std::collections::HashMap;
use std::io::{self, Write};

pub(super) struct RunPrinter {
    format: Format,
    text: TextWriter,
    diagnoser: Diagnoser,
    /// For connections whose verdict is the program's misuse: the lines the trace's verdict
    /// takes in the diagnosis, and the verdict that replaces it.
    judged: HashMap<ConnId, (usize, Verdict)>,
    /// Verdict classes written, in order (for the exit report and tests).
    pub(super) classes: Vec<(ConnId, &'static str)>,
    /// The block being filled, for `--format binary`.
    binary: crate::trace::binary::encode::Encoder,
}

impl RunPrinter {
    pub(super) fn new(format: Format) -> RunPrinter {
        RunPrinter {
            format,
            text: TextWriter::new(),
            diagnoser: Diagnoser::new(),
            judged: HashMap::new(),
            classes: Vec::new(),
            binary: Default::default(),
        }
    }

    fn write(&mut self, e: &Event, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Text => self.text.write_event(e, out),
            Format::Jsonl => match jsonl::to_line(e) {
                Some(line) => writeln!(out, "{line}"),
                None => Ok(()),
            },
            Format::Binary => self.binary.push(e, out),
        }
    }

    pub(super) fn out(&mut self, o: Out, out: &mut dyn Write) -> io::Result<()> {
        match o {
            Out::Event(e) => {
                let _ = self.diagnoser.feed(&e);
                self.write(&e, out)
            }
            Out::Ended(error, close, misuse) => {
                if let Some(e) = error {
                    let _ = self.diagnoser.feed(&e);
                    self.write(&e, out)?;
                }
                // The diagnoser answers a close with the timing, then the verdict.
                let mut v = None;
                for made in self.diagnoser.feed(&close) {
                    match made.kind {
                        EventKind::Verdict(verdict) => v = Some(*verdict),
                        _ => self.write(&made, out)?,
                    }
                }
                let Some(mut v) = v else {
                    return self.write(&close, out);
                };
                if let Some(m) = misuse.verdict(&v) {
                    self.judged
                        .insert(close.conn, (verdict::lines(&v).len(), m.clone()));
                    v = m;
                }
                self.classes.push((close.conn, v.class.name()));
                let judged = Event {
                    t: close.t,
                    conn: close.conn,
                    kind: EventKind::Verdict(Box::new(v)),
                };
                self.write(&judged, out)?;
                self.write(&close, out)
            }
        }
    }

    /// The `diagnosis:` section of each connection (text only).
    pub(super) fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.format == Format::Binary {
            // The last block and the end mark.
            self.binary.finish(out)?;
            return out.flush();
        }
        if self.format != Format::Text {
            return Ok(());
        }
        for conn in self.diagnoser.conns() {
            let mut lines = self.diagnoser.section(conn);
            if let Some((n, v)) = self.judged.get(&conn) {
                lines.splice(..(*n).min(lines.len()), verdict::lines(v));
            }
            let mut text = format!("\n[{conn}] diagnosis:\n");
            for line in lines {
                text.push_str(&format!("  {line}\n"));
            }
            out.write_all(text.as_bytes())?;
        }
        out.flush()
    }
}

//! `tlsscope show TRACE.jsonl`: a saved trace printed as `tlsscope trace` printed it live, with
//! the verdict recomputed from the events and the closing diagnosis. Streams the file (memory
//! does not grow with its length), so it is also the headless check of a trace file: exit
//! status 0 when every line reads, 2 with `FILE:LINE: reason` at the first that does not. A
//! binary trace is read too (`FILE: at byte N: reason`), and `--format jsonl|binary` converts.

use super::printer::Printer;
use super::trace::Format;
use super::{trace_file, CliError};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// A trace saved with `tlsscope trace --format jsonl --out FILE` (or `--format binary`: the
    /// format is told by the file's first bytes, not its name).
    file: PathBuf,
    /// Output format (jsonl: the events again, with today's verdict in place of the saved one;
    /// binary: the same as a binary trace, to a file or a pipe: how to convert one to the other).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(args: ShowArgs) -> Result<(), CliError> {
    super::printer::refuse_terminal(
        args.format,
        false,
        "redirect standard output (tlsscope show IN --format binary > OUT.tlsscope)",
    )?;
    let events = trace_file::open(&args.file)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let failed = CliError::output;
    let mut printer = Printer::new(args.format);
    let mut any = false;
    for item in events {
        // What was printed before a bad line stays printed (flushed when `out` drops), the
        // reason follows on standard error.
        let event = item.map_err(|e| trace_file::refusal(&args.file, e))?;
        any = true;
        printer.event(&event, &mut out).map_err(failed)?;
    }
    if !any {
        return Err(trace_file::empty(&args.file));
    }
    printer.finish(&mut out).map_err(failed)?;
    out.flush().map_err(failed)
}

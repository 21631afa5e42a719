//! `tlsscope report TRACE.jsonl [-o FILE]`: the self-contained HTML report on a saved trace
//! (see [`crate::export::report`]), written to a file; one line says where.

use super::{say, trace_file, CliError};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// A trace saved with `tlsscope trace --format jsonl --out FILE`.
    file: PathBuf,
    /// Where to write the report (default: the trace's name with `.html`). An existing file
    /// is replaced.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<PathBuf>,
    /// Report on this connection only (its number in the trace).
    #[arg(long, value_name = "N")]
    connection: Option<u32>,
}

/// The same file, whatever the spelling (`./t.jsonl`, a symlink).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The connection numbers in `events`, in order.
fn conn_ids(events: &[crate::trace::Event]) -> Vec<u32> {
    let mut ids: Vec<u32> = events.iter().map(|e| e.conn).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(crate) fn run(args: ReportArgs) -> Result<(), CliError> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.file.with_extension("html"));
    if same_file(&out, &args.file) {
        return Err(CliError::Usage(format!(
            "{}: the report would overwrite the trace itself; choose another file with -o",
            out.display()
        )));
    }
    let mut events = trace_file::read_all(&args.file)?;
    if let Some(n) = args.connection {
        let ids = conn_ids(&events);
        if !ids.contains(&n) {
            let list: Vec<String> = ids.iter().map(u32::to_string).collect();
            return Err(CliError::Usage(format!(
                "{}: no connection {n} (it has {})",
                args.file.display(),
                list.join(", ")
            )));
        }
        events.retain(|e| e.conn == n);
    }
    let source = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let page = crate::export::report::html(&events, &source);
    std::fs::write(&out, &page)
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", out.display())))?;
    say(&format!(
        "wrote {} ({} connection(s), {} events, {} KiB)\n",
        out.display(),
        conn_ids(&events).len(),
        // A saved verdict or timing is not part of the report (it recomputes them): not
        // counted either.
        events
            .iter()
            .filter(|e| {
                !matches!(
                    e.kind,
                    crate::trace::EventKind::Verdict(_) | crate::trace::EventKind::Timing(_)
                )
            })
            .count(),
        page.len().div_ceil(1024)
    ))
}

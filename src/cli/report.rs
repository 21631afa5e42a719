//! `tlsscope report TRACE.jsonl [-o FILE]`: the self-contained HTML report on a saved trace
//! (see [`crate::export::report`]), written to a file; one line says where.

use super::{say, trace_file, CliError};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// A trace saved with `tlsscope trace --format jsonl --out FILE` (or `--format binary`).
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
    // The report is written to a temporary file beside its destination and renamed into place:
    // an unwritable destination is a usage error before the trace is read, and a reader of the
    // old report never sees half of a new one.
    let staged = stage_output(&out)?;
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
    let cannot_write = |e: &dyn std::fmt::Display| {
        CliError::Failed(format!("cannot write {}: {e}", out.display()))
    };
    let mut staged = staged;
    std::io::Write::write_all(&mut staged, page.as_bytes()).map_err(|e| cannot_write(&e))?;
    staged.persist(&out).map_err(|e| cannot_write(&e.error))?;
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

/// A temporary file in the report's directory, or why the report cannot be written there.
fn stage_output(out: &std::path::Path) -> Result<tempfile::NamedTempFile, CliError> {
    if out.is_dir() {
        return Err(CliError::Usage(format!(
            "{}: a directory; give the report's file name with -o",
            out.display()
        )));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".tlsscope-report")
        // Created as 0666 less the umask, like any file the user writes (tempfile's own 0600
        // would survive the rename and hide a report meant to be shared).
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| {
            // tempfile's error names its random file; the person named `out`.
            let why = if dir.is_dir() {
                std::io::Error::from(e.kind()).to_string()
            } else {
                format!("no directory {}", dir.display())
            };
            CliError::Usage(format!("cannot create {}: {why}", out.display()))
        })
}

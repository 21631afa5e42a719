//! The app's one seam to the exporters in `src/export/`: a pcapng capture and the HTML report of
//! the picked connections' events, written to a path the user chose. Each returns the one line
//! the status shows, or why it failed.

use crate::trace::{Event, EventKind};
use std::io::Write;
use std::path::Path;

/// Writes a pcapng capture of `events` to `path`.
pub(crate) fn export_pcapng(events: &[Event], path: &Path) -> Result<String, String> {
    let has_bytes = events.iter().any(|e| matches!(e.kind, EventKind::Wire(_)));
    if !has_bytes {
        return Err(
            "no socket bytes were recorded for this connection (a trace opened from a file has none: \
             record it live, or use tlsscope trace --pcapng)"
                .into(),
        );
    }
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let mut out = std::io::BufWriter::new(file);
    let summary = crate::export::write_capture(events, &mut out).map_err(|e| fail(&e))?;
    out.flush().map_err(|e| fail(&e))?;
    let mut line = format!(
        "wrote {} packets ({} of TLS) and {} secrets to {}",
        summary.packets,
        crate::trace::format::bytes(summary.bytes),
        summary.secrets,
        path.display()
    );
    if !summary.cut.is_empty() {
        line.push_str(&format!(
            "; the capture limit of {} per connection was reached, later bytes are missing",
            crate::trace::format::bytes(crate::trace::CAPTURE_LIMIT)
        ));
    }
    Ok(line)
}

/// Writes the HTML report of `events` (recorded from `source`) to `path`.
pub(crate) fn export_report(events: &[Event], source: &str, path: &Path) -> Result<String, String> {
    let html = crate::export::report::html(events, source);
    std::fs::write(path, html.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!(
        "wrote the report ({}) to {}",
        crate::trace::format::bytes(html.len() as u64),
        path.display()
    ))
}

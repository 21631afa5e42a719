//! The files the app reads and writes: traces saved as JSONL (opened with `--open`) and the
//! window's PNG (`--screenshot`).

use crate::trace::Event;

/// Connection ids of opened traces start here, so they never collide with live connections.
pub(super) const OPENED_CONN_BASE: crate::trace::ConnId = 1_000_000;

/// Reads a saved JSONL trace; a one-line reason naming the file (and line) when it cannot. Only
/// a regular file of at most `TRACE_CAP` (1 GiB) is read.
pub(super) fn load_trace(path: &std::path::Path) -> Result<Vec<Event>, String> {
    use crate::options::files::{read_capped, TRACE_CAP};
    let bytes = read_capped(path, TRACE_CAP, "trace file")?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
        format!(
            "{}: line {line}: not UTF-8 text (a byte that is not UTF-8)",
            path.display()
        )
    })?;
    let mut events = crate::trace::jsonl_read::from_text(&text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if events.is_empty() {
        return Err(format!("{}: the trace is empty", path.display()));
    }
    for e in &mut events {
        e.conn = e.conn.saturating_add(OPENED_CONN_BASE);
    }
    Ok(events)
}

/// Writes the window's image as an RGBA PNG.
pub(super) fn save_png(path: &std::path::Path, image: &egui::ColorImage) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    let [w, h] = image.size;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| fail(&e))?;
    writer
        .write_image_data(image.as_raw())
        .map_err(|e| fail(&e))?;
    writer.finish().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::load_trace;

    /// A byte that is not UTF-8 is named by its line; a device is refused before any read.
    #[test]
    fn bad_bytes_and_devices_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, b"{}\n{}\n{\"kind\":\"\xff\"}\n").expect("write");
        let e = load_trace(&path).unwrap_err();
        assert!(
            e.ends_with("t.jsonl: line 3: not UTF-8 text (a byte that is not UTF-8)"),
            "{e}"
        );
        let e = load_trace(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.ends_with("it is a character device, not a regular file"),
            "{e}"
        );
    }
}

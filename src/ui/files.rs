//! The files the app reads and writes: traces saved as JSONL or as binary traces (opened with
//! `--open`, told apart by their first byte) and the window's PNG (`--screenshot`).

/// Connection ids of opened traces start here, so they never collide with live connections.
pub(super) const OPENED_CONN_BASE: crate::trace::ConnId = 1_000_000;

/// Lines `--open` reads before the window opens, so a file that is not a trace is refused
/// on the command line (the whole file is then streamed into the window).
const PRECHECK_LINES: usize = 1000;

/// Opens the trace `--open` names: a regular file whose first lines (or a binary trace's first
/// events) read as events; a one-line reason naming the file (and line, or byte) when not.
/// Returns the file, rewound, and its size. No cap on the size: the file is streamed into the
/// store in bounded blocks (a binary trace of 10^8 events, about 0.9 GB, opens).
pub(super) fn open_trace(path: &std::path::Path) -> Result<(std::fs::File, u64), String> {
    use crate::trace::jsonl_stream::EventReader;
    use std::io::{BufRead, BufReader, Seek};
    let (mut file, meta) = crate::options::files::open_regular(path, "trace file")?;
    let mut input = BufReader::new(&mut file);
    let first = input
        .fill_buf()
        .map_err(|e| format!("cannot read trace file {}: {e}", path.display()))?
        .first()
        .copied();
    let reader: Box<dyn Iterator<Item = _>> = if crate::trace::binary::is_binary(first) {
        Box::new(crate::trace::binary::decode::Reader::new(input))
    } else {
        Box::new(EventReader::with_max_line(
            input,
            super::loading::MAX_APP_LINE,
        ))
    };
    let mut events = 0;
    for item in reader.take(PRECHECK_LINES) {
        item.map_err(|e| super::loading::refusal(&path.display().to_string(), &e, 0))?;
        events += 1;
    }
    if events == 0 {
        return Err(format!("{}: the trace is empty", path.display()));
    }
    file.rewind()
        .map_err(|e| format!("cannot read trace file {}: {e}", path.display()))?;
    Ok((file, meta.len()))
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
    use super::open_trace;

    /// A byte that is not UTF-8 is named by its line; a device is refused before any read; an
    /// empty file is refused.
    #[test]
    fn bad_bytes_and_devices_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.jsonl");
        let ok = r#"{"t":1,"conn":1,"kind":"phase","phase":"resolve"}"#;
        let mut bytes = format!("{ok}\n{ok}\n{{\"kind\":\"").into_bytes();
        bytes.extend_from_slice(b"\xff\"}\n");
        std::fs::write(&path, &bytes).expect("write");
        let e = open_trace(&path).unwrap_err();
        assert!(
            e.ends_with("t.jsonl:3: not UTF-8: byte 0xff at column 10 (a trace is UTF-8 text)"),
            "{e}"
        );
        let e = open_trace(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(
            e.ends_with("it is a character device, not a regular file"),
            "{e}"
        );
        std::fs::write(&path, "\n\n").expect("write");
        assert!(open_trace(&path)
            .unwrap_err()
            .ends_with("t.jsonl: the trace is empty"));
        std::fs::write(&path, format!("{ok}\n")).expect("write");
        let (_, size) = open_trace(&path).expect("a trace");
        assert_eq!(size, ok.len() as u64 + 1);
    }
}

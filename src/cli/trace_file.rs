//! Opening a saved trace for `show` and `report`: only a regular file (a FIFO, a device or a
//! directory is refused before anything is read from it), read as a binary trace when its first
//! byte is the binary trace's ([`crate::trace::binary`], whatever its name), else line by line
//! with [`EventReader`]; every refusal is a usage error `FILE:LINE: reason` or `FILE: at byte
//! N: reason` (exit status 2).

use super::CliError;
use crate::trace::jsonl_stream::{EventReader, ReadError};
use crate::trace::Event;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a file that is not a regular file is, in words.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The events of an opened trace, in file order; after the first error the iterator ends.
pub(crate) type Events = Box<dyn Iterator<Item = Result<Event, ReadError>>>;

/// Opens `path` as a trace. Opened non-blocking, so that a FIFO without a writer cannot hang
/// the open; then the descriptor itself is checked (no race with a file swapped in between).
pub(crate) fn open(path: &Path) -> Result<Events, CliError> {
    let fail = |reason: String| CliError::Usage(format!("{}: {reason}", path.display()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| fail(format!("cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(fail(format!(
            "{}, not a trace file (a trace is a regular file of JSON lines or a binary trace)",
            kind_of(&meta)
        )));
    }
    let mut input = BufReader::with_capacity(64 << 10, file);
    let first = input
        .fill_buf()
        .map_err(|e| fail(format!("cannot read: {e}")))?
        .first()
        .copied();
    if crate::trace::binary::is_binary(first) {
        return Ok(Box::new(crate::trace::binary::decode::Reader::new(input)));
    }
    Ok(Box::new(EventReader::new(input)))
}

/// The usage error for a bad line of the trace at `path`: `FILE:LINE: reason`.
pub(crate) fn refusal(path: &Path, error: ReadError) -> CliError {
    match error.line {
        Some(line) => CliError::Usage(format!("{}:{line}: {}", path.display(), error.reason)),
        None => CliError::Usage(format!("{}: {}", path.display(), error.reason)),
    }
}

/// The usage error for a file that holds no event.
pub(crate) fn empty(path: &Path) -> CliError {
    CliError::Usage(format!("{}: no events (an empty trace)", path.display()))
}

/// Reads the whole trace at `path` (the report needs every event at once).
pub(crate) fn read_all(path: &Path) -> Result<Vec<Event>, CliError> {
    let mut events = Vec::new();
    for item in open(path)? {
        events.push(item.map_err(|e| refusal(path, e))?);
    }
    if events.is_empty() {
        return Err(empty(path));
    }
    Ok(events)
}

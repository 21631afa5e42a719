//! Opening a saved trace for `show` and `report`: only a regular file (a FIFO, a device or a
//! directory is refused before anything is read from it), read line by line with
//! [`EventReader`]; every refusal is a usage error `FILE:LINE: reason` (exit status 2).

use super::CliError;
use crate::trace::jsonl_stream::{EventReader, ReadError};
use crate::trace::Event;
use std::fs::File;
use std::io::BufReader;
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

/// Opens `path` as a trace. Opened non-blocking, so that a FIFO without a writer cannot hang
/// the open; then the descriptor itself is checked (no race with a file swapped in between).
pub(crate) fn open(path: &Path) -> Result<EventReader<BufReader<File>>, CliError> {
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
            "{}, not a trace file (a trace is a regular file of JSON lines)",
            kind_of(&meta)
        )));
    }
    Ok(EventReader::new(BufReader::new(file)))
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

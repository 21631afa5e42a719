//! Reading the files a user names (PEM files, saved traces) with bounds: only regular files
//! (not `/dev/zero`, a pipe or a directory, which could be read forever or block) and at most a
//! stated size, so a wrong path fails at once with a reason instead of filling memory.

use crate::trace::format;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The most a PEM file (`--ca`, `--cert`, `--key`) may hold: far more than any real chain.
pub(crate) const PEM_CAP: u64 = 1 << 20;

/// What kind of file `ty` is, for a reason.
fn kind(ty: std::fs::FileType) -> &'static str {
    if ty.is_dir() {
        "a directory"
    } else if ty.is_char_device() {
        "a character device"
    } else if ty.is_block_device() {
        "a block device"
    } else if ty.is_fifo() {
        "a pipe"
    } else if ty.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The OS error without Rust's " (os error N)" tail.
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_string()
}

/// Reads the regular file at `path`, at most `cap` bytes. `what` names it in the one-line
/// reason ("CA file", "trace file"), as in "cannot read CA file /dev/zero: it is a character
/// device, not a regular file".
pub(crate) fn read_capped(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>, String> {
    let fail = |why: String| format!("cannot read {what} {}: {why}", path.display());
    let (mut file, meta) = open_regular(path, what)?;
    let too_big = || {
        fail(format!(
            "it is larger than {}, the most tlsscope reads for a {what}",
            format::bytes(cap)
        ))
    };
    if meta.len() > cap {
        return Err(too_big());
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // One byte past the cap tells a file that grew since its size was read.
    (&mut file)
        .take(cap.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| fail(io_text(&e)))?;
    if data.len() as u64 > cap {
        return Err(too_big());
    }
    Ok(data)
}

/// Opens the regular file at `path` for reading (anything else is refused with a one-line
/// reason, before a byte is read), with its metadata.
pub(crate) fn open_regular(path: &Path, what: &str) -> Result<(File, std::fs::Metadata), String> {
    let fail = |why: String| format!("cannot read {what} {}: {why}", path.display());
    // O_NONBLOCK: opening a pipe with no writer would otherwise wait for one. It changes
    // nothing for a regular file, the only kind read.
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| fail(io_text(&e)))?;
    let meta = file.metadata().map_err(|e| fail(io_text(&e)))?;
    if !meta.is_file() {
        return Err(fail(format!(
            "it is {}, not a regular file",
            kind(meta.file_type())
        )));
    }
    Ok((file, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_pipes_and_directories_are_refused_at_once() {
        let e = read_capped(Path::new("/dev/zero"), PEM_CAP, "CA file").unwrap_err();
        assert_eq!(
            e,
            "cannot read CA file /dev/zero: it is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let e = read_capped(dir.path(), PEM_CAP, "key file").unwrap_err();
        assert!(e.ends_with("it is a directory, not a regular file"), "{e}");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        // Nobody writes to it: without O_NONBLOCK this would block forever.
        let e = read_capped(&fifo, PEM_CAP, "CA file").unwrap_err();
        assert!(e.ends_with("it is a pipe, not a regular file"), "{e}");
    }

    #[test]
    fn files_up_to_the_cap_are_read_and_larger_ones_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f.pem");
        std::fs::write(&path, vec![b'x'; 100]).expect("write");
        assert_eq!(read_capped(&path, 100, "CA file").map(|d| d.len()), Ok(100));
        let e = read_capped(&path, 99, "CA file").unwrap_err();
        assert!(
            e.contains("larger than 99 B, the most tlsscope reads for a CA file"),
            "{e}"
        );
        let e = read_capped(&dir.path().join("nope"), 99, "CA file").unwrap_err();
        assert!(e.ends_with("nope: No such file or directory"), "{e}");
    }
}

//! The binary trace file (`.tlsscope`): the same events as a JSONL trace in about a tenth of the
//! bytes, read back at tens of millions of events a second on a few cores (JSONL is parsed at
//! about 2 M lines a second a core). Pure: bytes in, events out, through `Read` and `Write` only.
//!
//! The layout (version 1; all fixed-width integers little-endian):
//!
//! ```text
//! file   := MAGIC (8 bytes "\x89TLSTR\r\n") VERSION (u32 = 1) block* END (12 zero bytes)
//! block  := LENGTH (u32, payload bytes, at most MAX_BLOCK) COUNT (u32, events, at most
//!           MAX_EVENTS) CRC (u32, CRC-32 of the payload) payload
//! event  := TAG (u8: kind in the low 5 bits, 0x20 "same connection as the event before",
//!           0x40 a flag of the kind) then, for every kind but LINE: the time as a zigzag varint
//!           delta from the event before, the connection as a varint unless 0x20, the fields
//! ```
//!
//! The frequent kinds (phase, call, io, wait, state, msg, sock, paused, dropped) have encodings
//! of their own (`encode.rs`); every other kind (setup, tls, verdict, close, error, ...) is kept
//! as its JSONL line (kind LINE: a varint length and the line) and read back by the JSONL
//! reader, so those kinds have one definition. Each block starts from time 0, connection 0 and
//! call 0, so blocks decode independently, one per core (`parallel.rs`). `secret` and `wire`
//! events are never written, as in JSONL.
//!
//! Reading refuses, with the byte offset, what does not fit: a wrong magic or version, a block
//! header or payload cut short, a file without its end mark (cut at a block's end) or with
//! bytes after it, a length or count over its cap (checked before anything is
//! allocated), a checksum that does not match, a field out of range; strings are cut to
//! [`super::jsonl_read::MAX_TEXT`] as JSONL's are.

pub mod decode;
pub mod encode;
pub mod parallel;
mod varint;

use super::jsonl_stream::ReadError;

/// The first bytes of every binary trace: a non-ASCII byte first (so no text file starts so),
/// then a name, then CR LF (so a transfer that rewrites line ends is detected).
pub const MAGIC: [u8; 8] = *b"\x89TLSTR\r\n";
/// The version this tlsscope writes and reads.
pub const VERSION: u32 = 1;
/// Bytes of the file header (magic and version).
pub const HEADER_LEN: usize = 12;
/// Bytes of a block header (length, count, checksum).
pub const BLOCK_HEADER_LEN: usize = 12;
/// The largest block payload read: a block is allocated only after its length is checked
/// against this. The writer's blocks are about [`encode::BLOCK_TARGET`].
pub const MAX_BLOCK: u32 = 16 << 20;
/// The most events one block may say it holds (each takes at least two bytes, too).
pub const MAX_EVENTS: u32 = 1 << 18;
/// The file name extension the app saves binary traces under.
pub const EXTENSION: &str = "tlsscope";

/// Whether a file whose first byte is `first` is read as a binary trace: what every reader of a
/// trace uses to choose between binary and JSONL, whatever the file's name. Byte 0x89 never
/// starts UTF-8 text, so no JSONL trace starts with it; any other binary file that does (a PNG)
/// is then refused by [`check_header`] as not a binary trace.
pub fn is_binary(first: Option<u8>) -> bool {
    first == Some(MAGIC[0])
}

/// An error at byte `offset` of the file.
pub(crate) fn at(offset: u64, reason: impl std::fmt::Display) -> ReadError {
    ReadError {
        line: None,
        reason: format!("at byte {offset}: {reason}"),
    }
}

/// Checks the file header: the magic, then the version.
pub fn check_header(header: &[u8]) -> Result<(), ReadError> {
    let n = header.len().min(MAGIC.len());
    if header[..n] != MAGIC[..n] || n == 0 {
        return Err(at(
            0,
            "not a tlsscope binary trace (it does not start with the binary trace's magic bytes)",
        ));
    }
    let Some(version) = header.get(8..HEADER_LEN) else {
        return Err(at(header.len() as u64, "the file ends inside its header"));
    };
    let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
    if version != VERSION {
        return Err(at(
            8,
            format!(
                "a binary trace of version {version}; this tlsscope reads version {VERSION} \
                 (a newer tlsscope wrote it?)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

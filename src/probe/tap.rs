//! The socket tap: what OpenSSL's socket BIO did on the wire. The BIO callback (see
//! [`super::ffi::SocketTls`]) reports every socket read and write made inside an OpenSSL call;
//! the tap records each as an `io` event with the id of that call, and remembers what the
//! connection needs to know afterwards (did a direction would-block, did the peer close or
//! reset, the first bytes it sent). When the connection captures (`ConnectSpec::capture`), it
//! also records the bytes themselves as `wire` events, up to [`CAPTURE_LIMIT`] per connection.
//!
//! The state is in `Cell`s because the callback reaches it through a shared pointer while the
//! OpenSSL call runs.

use super::record;
use crate::trace::{Dir, EventKind, Io, Wire, CAPTURE_LIMIT};
use std::cell::Cell;

/// How many of the first received bytes are kept, to show a peer that is not speaking TLS.
pub(crate) const FIRST_BYTES: usize = 64;

pub struct TapState {
    read_blocked: Cell<bool>,
    write_blocked: Cell<bool>,
    eof: Cell<bool>,
    os_error: Cell<Option<i32>>,
    call_os_error: Cell<Option<i32>>,
    first: Cell<[u8; FIRST_BYTES]>,
    first_len: Cell<usize>,
    bytes_read: Cell<u64>,
    /// Recording `wire` events, and how many more bytes they may hold.
    capturing: Cell<bool>,
    capture_left: Cell<u64>,
}

impl Default for TapState {
    fn default() -> Self {
        TapState {
            read_blocked: Cell::new(false),
            write_blocked: Cell::new(false),
            eof: Cell::new(false),
            os_error: Cell::new(None),
            call_os_error: Cell::new(None),
            first: Cell::new([0; FIRST_BYTES]),
            first_len: Cell::new(0),
            bytes_read: Cell::new(0),
            capturing: Cell::new(false),
            capture_left: Cell::new(CAPTURE_LIMIT),
        }
    }
}

impl TapState {
    /// Forgets would-block flags and the call's OS error before a new OpenSSL call.
    pub fn clear_blocked(&self) {
        self.read_blocked.set(false);
        self.write_blocked.set(false);
        self.call_os_error.set(None);
    }

    /// A read would-block since the flags were last cleared.
    pub fn read_blocked(&self) -> bool {
        self.read_blocked.get()
    }

    /// A write would-block since the flags were last cleared.
    pub fn write_blocked(&self) -> bool {
        self.write_blocked.get()
    }

    /// The peer closed TCP (a read returned 0).
    pub fn eof(&self) -> bool {
        self.eof.get()
    }

    /// The last OS error other than would-block.
    pub fn os_error(&self) -> Option<i32> {
        self.os_error.get()
    }

    /// The OS error of the current (or last) call's socket operations, if any.
    pub fn call_os_error(&self) -> Option<i32> {
        self.call_os_error.get()
    }

    /// Bytes read from the socket so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.get()
    }

    /// The first bytes the peer sent.
    pub fn first_bytes(&self) -> Vec<u8> {
        let first = self.first.get();
        first[..self.first_len.get().min(FIRST_BYTES)].to_vec()
    }

    /// Room left for first bytes.
    pub fn first_room(&self) -> usize {
        FIRST_BYTES - self.first_len.get().min(FIRST_BYTES)
    }

    /// From now on, also record the bytes of every read and write (`wire` events).
    pub fn capture(&self) {
        self.capturing.set(true);
    }

    /// Records one socket operation: `want` bytes asked, `got` moved, `data` the bytes moved
    /// (read or written). Never panics: it runs inside OpenSSL's BIO callback.
    pub fn note(
        &self,
        dir: Dir,
        want: usize,
        got: usize,
        would_block: bool,
        os_error: Option<i32>,
        data: &[u8],
    ) {
        let want = u32::try_from(want).unwrap_or(u32::MAX);
        let got_u32 = u32::try_from(got).unwrap_or(u32::MAX);
        match dir {
            Dir::Read => {
                self.read_blocked.set(self.read_blocked.get() | would_block);
                let eof = got == 0 && !would_block && os_error.is_none() && want > 0;
                self.eof.set(self.eof.get() | eof);
                self.bytes_read.set(self.bytes_read.get() + got as u64);
                let len = self.first_len.get().min(FIRST_BYTES);
                let take = data.len().min(FIRST_BYTES - len);
                if take > 0 {
                    let mut first = self.first.get();
                    first[len..len + take].copy_from_slice(&data[..take]);
                    self.first.set(first);
                    self.first_len.set(len + take);
                }
            }
            Dir::Write => {
                self.write_blocked
                    .set(self.write_blocked.get() | would_block);
            }
        }
        if os_error.is_some() {
            self.os_error.set(os_error);
            self.call_os_error.set(os_error);
        }
        record::in_call(|call| {
            EventKind::Io(Io::new(call, dir, want, got_u32, would_block, os_error))
        });
        if self.capturing.get() && got > 0 {
            // Past the limit the event still says how much moved (so a capture keeps its
            // sequence numbers right) but holds no bytes.
            let left = self.capture_left.get();
            let keep = data
                .len()
                .min(got)
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            self.capture_left.set(left - keep as u64);
            record::in_call(|call| {
                EventKind::Wire(Box::new(Wire {
                    call,
                    dir,
                    moved: got_u32,
                    data: data[..keep].into(),
                }))
            });
        }
    }
}

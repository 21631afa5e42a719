//! The socket tap: the stream OpenSSL's BIO reads from and writes to. It records every socket
//! read and write made inside an OpenSSL call, and remembers what the connection needs to know
//! afterwards (did a direction would-block, did the peer close or reset, the first bytes).

use super::record;
use crate::trace::{Dir, EventKind, Io};
use std::io::{self, Read, Write};

/// How many of the first received bytes are kept, to show a peer that is not speaking TLS.
pub const FIRST_BYTES: usize = 64;

pub struct Tap<S> {
    pub inner: S,
    /// A read returned WouldBlock since the flags were last cleared.
    pub read_blocked: bool,
    /// A write returned WouldBlock since the flags were last cleared.
    pub write_blocked: bool,
    /// The peer closed TCP (a read returned 0).
    pub eof: bool,
    /// The last OS error other than would-block.
    pub os_error: Option<i32>,
    first: [u8; FIRST_BYTES],
    first_len: usize,
    pub bytes_read: u64,
}

impl<S> Tap<S> {
    pub fn new(inner: S) -> Tap<S> {
        Tap {
            inner,
            read_blocked: false,
            write_blocked: false,
            eof: false,
            os_error: None,
            first: [0; FIRST_BYTES],
            first_len: 0,
            bytes_read: 0,
        }
    }

    /// Forgets would-block flags before a new OpenSSL call.
    pub fn clear_blocked(&mut self) {
        self.read_blocked = false;
        self.write_blocked = false;
    }

    /// The first bytes the peer sent.
    pub fn first_bytes(&self) -> &[u8] {
        &self.first[..self.first_len]
    }

    /// Reads whatever else the peer already sent, up to the size of the first-bytes buffer, so
    /// that a peer that is not speaking TLS can be shown by more than the 5 bytes of a record
    /// header OpenSSL read. Recorded as tlsscope's own read (outside any call).
    pub fn read_more_first_bytes(&mut self) -> &[u8]
    where
        S: Read,
    {
        let mut buf = [0u8; FIRST_BYTES];
        let room = FIRST_BYTES - self.first_len;
        if room > 0 && !self.eof {
            let _ = self.read(&mut buf[..room]);
        }
        self.first_bytes()
    }

    fn note(&mut self, dir: Dir, want: usize, result: &io::Result<usize>) {
        let want = u32::try_from(want).unwrap_or(u32::MAX);
        let (got, would_block, os_error) = match result {
            Ok(n) => (*n as u32, false, None),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => (0, true, None),
            Err(e) => (0, false, Some(e.raw_os_error().unwrap_or(0))),
        };
        match dir {
            Dir::Read => {
                self.read_blocked |= would_block;
                self.eof |= result.as_ref().is_ok_and(|n| *n == 0) && want > 0;
                self.bytes_read += u64::from(got);
            }
            Dir::Write => {
                self.write_blocked |= would_block;
            }
        }
        if os_error.is_some() {
            self.os_error = os_error;
        }
        record::in_call(|call| {
            EventKind::Io(Io {
                call,
                dir,
                want,
                got,
                would_block,
                os_error,
            })
        });
    }
}

impl<S: Read> Read for Tap<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = retry_interrupted(|| self.inner.read(buf));
        if let Ok(n) = result {
            let room = FIRST_BYTES - self.first_len;
            let take = n.min(room);
            self.first[self.first_len..self.first_len + take].copy_from_slice(&buf[..take]);
            self.first_len += take;
        }
        self.note(Dir::Read, buf.len(), &result);
        result
    }
}

impl<S: Write> Write for Tap<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = retry_interrupted(|| self.inner.write(buf));
        self.note(Dir::Write, buf.len(), &result);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// rust-openssl's BIO does not treat EINTR as retriable; a signal must not fail the connection.
fn retry_interrupted(mut op: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    for _ in 0..16 {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
    op()
}

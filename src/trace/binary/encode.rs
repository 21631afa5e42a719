//! Writing the binary trace (see [`super`] for the layout): events go into the current block,
//! which goes out when it holds [`BLOCK_TARGET`] bytes or [`BLOCK_EVENTS`] events, and at
//! [`Encoder::finish`]. The output is any `Write` given to each call, so the command line's
//! printers (which hold theirs elsewhere) and the app's Save as use the same encoder.

use super::varint::{put, zig};
use super::{BLOCK_HEADER_LEN, MAGIC, MAX_BLOCK, VERSION};
use crate::trace::jsonl;
use crate::trace::{Event, EventKind, Op, SslError};
use std::io::{self, Write};

/// A block is written once its payload reaches this many bytes.
pub const BLOCK_TARGET: usize = 1 << 20;
/// ... or this many events (the batch a reader hands on: a few milliseconds of the app's store).
pub const BLOCK_EVENTS: u32 = 1 << 16;

// The kinds with an encoding of their own (the low 5 bits of the tag).
pub(super) const PHASE: u8 = 0;
pub(super) const CALL: u8 = 1;
pub(super) const IO: u8 = 2;
pub(super) const WAIT: u8 = 3;
pub(super) const STATE: u8 = 4;
pub(super) const MSG: u8 = 5;
pub(super) const SOCK: u8 = 6;
pub(super) const PAUSED: u8 = 7;
pub(super) const DROPPED: u8 = 8;
/// Any other kind, as its JSONL line.
pub(super) const LINE: u8 = 31;
/// Tag bit: the event is on the connection of the event before it.
pub(super) const SAME_CONN: u8 = 0x20;
/// Tag bit of a kind: a `sock` with TCP_INFO.
pub(super) const FLAG: u8 = 0x40;

// Bits of an `io` event's flag byte.
pub(super) const IO_WRITE: u8 = 1;
pub(super) const IO_WOULD_BLOCK: u8 = 2;
pub(super) const IO_ERRNO: u8 = 4;
pub(super) const IO_GOT_ALL: u8 = 8;
/// In a `call`'s op byte, the error code that says "the code follows in a byte of its own".
pub(super) const ERROR_ESCAPE: u8 = 15;

/// `SSL_get_error`'s code for `e` (what [`SslError::from_code`] maps back).
pub(super) fn ssl_code(e: SslError) -> u8 {
    match e {
        SslError::None => 0,
        SslError::Ssl => 1,
        SslError::WantRead => 2,
        SslError::WantWrite => 3,
        SslError::WantX509Lookup => 4,
        SslError::Syscall => 5,
        SslError::ZeroReturn => 6,
        SslError::WantConnect => 7,
        SslError::WantAccept => 8,
        SslError::WantAsync => 9,
        SslError::WantAsyncJob => 10,
        SslError::WantClientHello => 11,
        SslError::Other(n) => n,
    }
}

/// The file header: magic and version.
pub fn header() -> [u8; super::HEADER_LEN] {
    let mut h = [0; super::HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..].copy_from_slice(&VERSION.to_le_bytes());
    h
}

/// Turns events into blocks of a binary trace.
#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
    count: u32,
    prev_t: u64,
    prev_conn: u32,
    last_call: u32,
    /// The state texts given a number in this block, in order.
    texts: Vec<&'static str>,
    header_written: bool,
    written: u64,
}

impl Encoder {
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Events written (or in the block being filled); `secret` and `wire` are not counted.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Adds `e` (nothing for the kinds a trace never holds), writing the file header first
    /// and the block when it is full.
    pub fn push(&mut self, e: &Event, out: &mut dyn Write) -> io::Result<()> {
        if !self.header_written {
            out.write_all(&header())?;
            self.header_written = true;
        }
        if e.kind.is_export_only() {
            return Ok(());
        }
        if !self.encode(e, out)? {
            return Ok(());
        }
        self.count += 1;
        self.written += 1;
        if self.buf.len() >= BLOCK_TARGET || self.count >= BLOCK_EVENTS {
            self.write_block(out)?;
        }
        Ok(())
    }

    /// Writes what is left: the header of a file with no events, the last block, the end mark
    /// (without which a reader takes the file for one cut short).
    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.header_written {
            out.write_all(&header())?;
            self.header_written = true;
        }
        self.write_block(out)?;
        out.write_all(&[0; BLOCK_HEADER_LEN])
    }

    /// Writes the block being filled (if it holds any event) and starts the next.
    pub fn write_block(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let mut head = [0u8; BLOCK_HEADER_LEN];
        head[..4].copy_from_slice(&(self.buf.len() as u32).to_le_bytes());
        head[4..8].copy_from_slice(&self.count.to_le_bytes());
        head[8..].copy_from_slice(&crc32fast::hash(&self.buf).to_le_bytes());
        out.write_all(&head)?;
        out.write_all(&self.buf)?;
        self.buf.clear();
        self.texts.clear();
        (self.count, self.prev_t, self.prev_conn, self.last_call) = (0, 0, 0, 0);
        Ok(())
    }

    /// The tag, time and connection of a hot event.
    fn start(&mut self, e: &Event, kind: u8) {
        let tag = if e.conn == self.prev_conn {
            kind | SAME_CONN
        } else {
            kind
        };
        self.buf.push(tag);
        put(&mut self.buf, zig(e.t.wrapping_sub(self.prev_t) as i64));
        if e.conn != self.prev_conn {
            put(&mut self.buf, u64::from(e.conn));
        }
        (self.prev_t, self.prev_conn) = (e.t, e.conn);
    }

    /// An optional call id: 0 for none, else 1 + its zigzag distance from the last one.
    fn call_ref(&mut self, call: Option<u32>) {
        match call {
            None => self.buf.push(0),
            Some(id) => {
                put(
                    &mut self.buf,
                    zig(i64::from(id) - i64::from(self.last_call)) + 1,
                );
                self.last_call = id;
            }
        }
    }

    /// Encodes one event into the block; false when it was not written.
    fn encode(&mut self, e: &Event, out: &mut dyn Write) -> io::Result<bool> {
        match &e.kind {
            EventKind::Phase(p) => {
                self.start(e, PHASE);
                let i = crate::trace::Phase::ALL.iter().position(|x| x == p);
                self.buf.push(i.unwrap_or(0) as u8);
            }
            EventKind::Call(c) => {
                self.start(e, CALL);
                let id = c.id;
                put(
                    &mut self.buf,
                    zig(i64::from(id) - i64::from(self.last_call)),
                );
                self.last_call = id;
                let op = Op::ALL.iter().position(|&o| o == c.op).unwrap_or(0) as u8;
                let code = ssl_code(c.error);
                if code < ERROR_ESCAPE {
                    self.buf.push(op | code << 4);
                } else {
                    self.buf.extend_from_slice(&[op | ERROR_ESCAPE << 4, code]);
                }
                put(&mut self.buf, zig(i64::from(c.ret)));
                put(&mut self.buf, c.dur());
            }
            EventKind::Io(io) => {
                self.start(e, IO);
                self.call_ref(io.call());
                let (want, got) = (io.want, io.got);
                let mut flags = 0;
                if io.dir == crate::trace::Dir::Write {
                    flags |= IO_WRITE;
                }
                if io.would_block() {
                    flags |= IO_WOULD_BLOCK;
                }
                if io.os_error().is_some() {
                    flags |= IO_ERRNO;
                }
                if got == want {
                    flags |= IO_GOT_ALL;
                }
                self.buf.push(flags);
                put(&mut self.buf, u64::from(want));
                if got != want {
                    put(&mut self.buf, u64::from(got));
                }
                if let Some(errno) = io.os_error() {
                    put(&mut self.buf, errno as u64);
                }
            }
            EventKind::Wait(w) => {
                self.start(e, WAIT);
                let interest = crate::trace::Interest::ALL
                    .iter()
                    .position(|&i| i == w.interest);
                let woke = crate::trace::Woke::ALL.iter().position(|&k| k == w.woke);
                let (i, k) = (interest.unwrap_or(0) as u8, woke.unwrap_or(0) as u8);
                self.buf.push(i | k << 2);
                put(&mut self.buf, w.dur);
            }
            EventKind::State(s) => {
                self.start(e, STATE);
                self.call_ref(s.call());
                let text = s.text();
                match self.texts.iter().position(|&t| t == text) {
                    Some(n) => put(&mut self.buf, n as u64),
                    None => {
                        put(&mut self.buf, self.texts.len() as u64);
                        put(&mut self.buf, text.len() as u64);
                        self.buf.extend_from_slice(text.as_bytes());
                        self.texts.push(text);
                    }
                }
                let (where_, ret) = (s.where_, s.ret);
                put(&mut self.buf, u64::from(where_));
                put(&mut self.buf, zig(i64::from(ret)));
            }
            EventKind::Msg(m) => {
                self.start(e, MSG);
                self.call_ref(m.call());
                let dir = u8::from(m.dir == crate::trace::MsgDir::Out);
                let (content, ty, level, update, len) =
                    (m.content, m.msg_type, m.level, m.flag, m.len);
                self.buf
                    .extend_from_slice(&[dir, content, ty, level, update]);
                put(&mut self.buf, u64::from(len));
            }
            EventKind::Sock(s) => {
                self.start(e, if s.tcp.is_some() { SOCK | FLAG } else { SOCK });
                for v in [s.inq, s.outq, s.notsent, s.sndbuf, s.rcvbuf, s.ssl_pending] {
                    put(&mut self.buf, u64::from(v));
                }
                if let Some(tcp) = s.tcp {
                    for v in [tcp.rtt_us, tcp.snd_cwnd, tcp.snd_wnd] {
                        put(&mut self.buf, u64::from(v));
                    }
                }
            }
            EventKind::Paused(p) => {
                self.start(e, PAUSED);
                put(&mut self.buf, p.dur);
            }
            EventKind::Dropped { count } => {
                self.start(e, DROPPED);
                put(&mut self.buf, *count);
            }
            _ => return self.line(e, out),
        }
        Ok(true)
    }

    /// A rare kind, as its JSONL line (in a block of its own when it would not fit this one).
    fn line(&mut self, e: &Event, out: &mut dyn Write) -> io::Result<bool> {
        let Some(line) = jsonl::to_line(e) else {
            return Ok(false);
        };
        // Tag and a varint length: at most 11 bytes.
        let need = line.len() + 11;
        if need > MAX_BLOCK as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a {} event of {} bytes is too large for a block",
                    e.kind_name(),
                    line.len()
                ),
            ));
        }
        if self.buf.len() + need > MAX_BLOCK as usize {
            self.write_block(out)?;
        }
        self.buf.push(LINE);
        put(&mut self.buf, line.len() as u64);
        self.buf.extend_from_slice(line.as_bytes());
        (self.prev_t, self.prev_conn) = (e.t, e.conn);
        Ok(true)
    }
}

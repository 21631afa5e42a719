//! Reading the binary trace (see [`super`] for the layout): a block read from any `Read` with
//! its length and count checked before anything is allocated ([`read_block`]), its checksum and
//! events checked as it is decoded ([`decode_block`]), and [`Reader`], the events of a whole
//! file one at a time (what `tlsscope show` and `report` use; the app decodes blocks on several
//! threads with [`super::parallel`]).

use super::encode::*;
use super::varint::{get, unzig};
use super::{at, check_header, BLOCK_HEADER_LEN, HEADER_LEN, MAX_BLOCK, MAX_EVENTS};
use crate::trace::jsonl_read::{capped, from_line, MAX_NANOS, MAX_TEXT};
use crate::trace::jsonl_stream::ReadError;
use crate::trace::*;
use std::io::{ErrorKind, Read};

/// One block as read from the file, not yet checked beyond its header.
pub struct Block {
    /// Where its header starts in the file.
    pub offset: u64,
    pub count: u32,
    pub crc: u32,
    pub bytes: Vec<u8>,
}

/// Reads into `buf` until it is full or the input ends; how many bytes were read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, String> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    Ok(n)
}

/// Reads and checks the file header.
pub fn read_header(input: &mut impl Read) -> Result<(), ReadError> {
    let mut head = [0u8; HEADER_LEN];
    let n = fill(input, &mut head).map_err(|e| at(0, e))?;
    check_header(&head[..n])
}

/// Reads the block starting at file offset `offset`: `None` at the end mark (the file's end
/// without one is an error: the file was cut at a block's end). A header
/// or payload cut short, or a length or count over its cap, is refused before the payload is
/// allocated.
pub fn read_block(input: &mut impl Read, offset: u64) -> Result<Option<Block>, ReadError> {
    let mut head = [0u8; BLOCK_HEADER_LEN];
    let n = fill(input, &mut head).map_err(|e| at(offset, e))?;
    if n == 0 {
        return Err(at(
            offset,
            "the file ends without the trace's end mark (cut short?)",
        ));
    }
    if n < BLOCK_HEADER_LEN {
        return Err(at(
            offset,
            format!("the file ends inside a block header ({n} of its {BLOCK_HEADER_LEN} bytes; cut short?)"),
        ));
    }
    let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let (len, count, crc) = (word(0), word(4), word(8));
    if head == [0; BLOCK_HEADER_LEN] {
        // The end mark: nothing may follow it.
        let n = fill(input, &mut [0u8; 1]).map_err(|e| at(offset, e))?;
        if n > 0 {
            return Err(at(
                offset + BLOCK_HEADER_LEN as u64,
                "bytes follow the trace's end mark",
            ));
        }
        return Ok(None);
    }
    if len > MAX_BLOCK {
        return Err(at(
            offset,
            format!("a block of {len} bytes, over the {MAX_BLOCK} a block may hold (damaged?)"),
        ));
    }
    if count > MAX_EVENTS || u64::from(count) * 2 > u64::from(len) {
        return Err(at(
            offset,
            format!(
                "a block of {len} bytes says it holds {count} events, which cannot be (damaged?)"
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    let got = input
        .take(u64::from(len))
        .read_to_end(&mut bytes)
        .map_err(|e| at(offset, format!("cannot read: {e}")))?;
    if got < len as usize {
        return Err(at(
            offset,
            format!("the block of {len} bytes is cut short: the file ends after {got} of them"),
        ));
    }
    Ok(Some(Block {
        offset,
        count,
        crc,
        bytes,
    }))
}

/// The state of decoding one block: where, and what the events before said.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    prev_t: u64,
    prev_conn: u32,
    last_call: u32,
    texts: Vec<StateText>,
}

const CUT: &str = "the block ends inside an event";

impl Cursor<'_> {
    #[inline(always)]
    fn v(&mut self) -> Result<u64, String> {
        get(self.bytes, &mut self.pos).ok_or_else(|| CUT.to_string())
    }
    #[inline(always)]
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let v = self.v()?;
        u32::try_from(v).map_err(|_| format!("{what} {v} is out of range"))
    }
    #[inline(always)]
    fn i32(&mut self, what: &str) -> Result<i32, String> {
        let v = unzig(self.v()?);
        i32::try_from(v).map_err(|_| format!("{what} {v} is out of range"))
    }
    #[inline(always)]
    fn nanos(&mut self, what: &str) -> Result<u64, String> {
        let v = self.v()?;
        if v > MAX_NANOS {
            return Err(format!(
                "{what} {v} ns is beyond the {MAX_NANOS} ns a trace can span"
            ));
        }
        Ok(v)
    }
    #[inline(always)]
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.pos).ok_or_else(|| CUT.to_string())?;
        self.pos += 1;
        Ok(b)
    }
    fn slice(&mut self, len: u64) -> Result<&[u8], String> {
        let start = self.pos;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("a length of {len} bytes runs past the block's end"))?;
        self.pos = end;
        Ok(&self.bytes[start..end])
    }
    #[inline(always)]
    fn call_id(&mut self, delta: u64) -> Result<u32, String> {
        let id = i64::from(self.last_call) + unzig(delta);
        let id = u32::try_from(id).map_err(|_| format!("call id {id} is out of range"))?;
        self.last_call = id;
        Ok(id)
    }
    #[inline(always)]
    fn call_ref(&mut self) -> Result<Option<u32>, String> {
        match self.v()? {
            0 => Ok(None),
            v => self.call_id(v - 1).map(Some),
        }
    }
    fn text(&mut self) -> Result<StateText, String> {
        let n = self.v()?;
        if let Some(&text) = usize::try_from(n).ok().and_then(|n| self.texts.get(n)) {
            return Ok(text);
        }
        if n != self.texts.len() as u64 {
            return Err(format!("state text {n} was not given before it was used"));
        }
        let len = self.v()?;
        let bytes = self.slice(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| "a state text is not UTF-8")?;
        let text = if text.len() <= MAX_TEXT {
            StateText::intern(text)
        } else {
            StateText::intern(&capped(text))
        };
        self.texts.push(text);
        Ok(text)
    }

    /// The next event.
    fn event(&mut self) -> Result<Event, String> {
        let tag = self.byte()?;
        let kind = tag & 0x1f;
        if kind == LINE {
            if tag != LINE {
                return Err(format!("tag {tag:#x} has bits its kind does not use"));
            }
            let len = self.v()?;
            let line = self.slice(len)?;
            let text = std::str::from_utf8(line).map_err(|_| "an event line is not UTF-8")?;
            let e = from_line(text).map_err(|e| format!("an event line: {e}"))?;
            (self.prev_t, self.prev_conn) = (e.t, e.conn);
            return Ok(e);
        }
        let t = self.prev_t.wrapping_add(unzig(self.v()?) as u64);
        if t > MAX_NANOS {
            return Err(format!(
                "time {t} ns is beyond the {MAX_NANOS} ns a trace can span"
            ));
        }
        let conn = if tag & SAME_CONN != 0 {
            self.prev_conn
        } else {
            self.u32("connection")?
        };
        (self.prev_t, self.prev_conn) = (t, conn);
        let kind = match kind {
            PHASE => {
                let i = self.byte()?;
                EventKind::Phase(
                    *Phase::ALL
                        .get(usize::from(i))
                        .ok_or_else(|| format!("phase {i} is not a phase"))?,
                )
            }
            CALL => {
                let delta = self.v()?;
                let id = self.call_id(delta)?;
                let b = self.byte()?;
                let op = *Op::ALL
                    .get(usize::from(b & 0xf))
                    .ok_or_else(|| format!("op {} is not a call", b & 0xf))?;
                let code = match b >> 4 {
                    ERROR_ESCAPE => self.byte()?,
                    code => code,
                };
                let ret = self.i32("return value")?;
                let dur = self.nanos("duration")?;
                EventKind::Call(Call::new(
                    id,
                    op,
                    ret,
                    SslError::from_code(i32::from(code)),
                    dur,
                ))
            }
            IO => {
                let call = self.call_ref()?;
                let flags = self.byte()?;
                if flags > 0xf || flags & IO_WOULD_BLOCK != 0 && flags & IO_ERRNO != 0 {
                    return Err(format!("io flags {flags:#x} are not valid"));
                }
                let dir = if flags & IO_WRITE != 0 {
                    Dir::Write
                } else {
                    Dir::Read
                };
                let want = self.u32("bytes wanted")?;
                let got = if flags & IO_GOT_ALL != 0 {
                    want
                } else {
                    self.u32("bytes moved")?
                };
                let errno = if flags & IO_ERRNO != 0 {
                    let e = self.v()?;
                    Some(
                        i32::try_from(e)
                            .ok()
                            .filter(|e| (1..0xffff).contains(e))
                            .ok_or_else(|| format!("errno {e} is out of range"))?,
                    )
                } else {
                    None
                };
                EventKind::Io(Io::new(
                    call,
                    dir,
                    want,
                    got,
                    flags & IO_WOULD_BLOCK != 0,
                    errno,
                ))
            }
            WAIT => {
                let b = self.byte()?;
                let interest = Interest::ALL.get(usize::from(b & 3));
                let woke = Woke::ALL.get(usize::from(b >> 2));
                let (Some(&interest), Some(&woke)) = (interest, woke) else {
                    return Err(format!("wait byte {b:#x} is not valid"));
                };
                let dur = self.nanos("wait")?;
                EventKind::Wait(Wait {
                    interest,
                    dur,
                    woke,
                })
            }
            STATE => {
                let call = self.call_ref()?;
                let text = self.text()?;
                let where_ = self.u32("where")?;
                let ret = self.i32("ret")?;
                EventKind::State(State::new(call, text, where_, ret))
            }
            MSG => {
                let call = self.call_ref()?;
                let b = self.slice(5)?;
                let dir = match b[0] {
                    0 => MsgDir::In,
                    1 => MsgDir::Out,
                    d => return Err(format!("message direction {d} is not valid")),
                };
                let (content, ty, level, update) = (b[1], b[2], b[3], b[4]);
                let len = self.u32("message length")?;
                EventKind::Msg(Msg::new(call, dir, content, ty, level, update, len))
            }
            SOCK => {
                let mut v = [0u32; 9];
                let n = if tag & FLAG != 0 { 9 } else { 6 };
                for slot in &mut v[..n] {
                    *slot = self.u32("buffer level")?;
                }
                let tcp = (n == 9).then_some(TcpInfo {
                    rtt_us: v[6],
                    snd_cwnd: v[7],
                    snd_wnd: v[8],
                });
                EventKind::Sock(Box::new(Sock {
                    inq: v[0],
                    outq: v[1],
                    notsent: v[2],
                    sndbuf: v[3],
                    rcvbuf: v[4],
                    ssl_pending: v[5],
                    tcp,
                }))
            }
            PAUSED => EventKind::Paused(Paused {
                dur: self.nanos("pause")?,
            }),
            DROPPED => EventKind::Dropped { count: self.v()? },
            other => return Err(format!("unknown event kind {other}")),
        };
        if kind_has_no_flag(&kind) && tag & FLAG != 0 || tag & 0x80 != 0 {
            return Err(format!("tag {tag:#x} has bits its kind does not use"));
        }
        Ok(Event { t, conn, kind })
    }
}

/// The kinds whose tag never carries [`FLAG`].
fn kind_has_no_flag(kind: &EventKind) -> bool {
    !matches!(kind, EventKind::Sock(_))
}

/// Checks `block` and appends its events to `out`. What was decoded before an error stays in
/// `out`; the error names the byte where the event that failed starts.
pub fn decode_block(block: &Block, out: &mut Vec<Event>) -> Result<(), ReadError> {
    let len = block.bytes.len();
    if crc32fast::hash(&block.bytes) != block.crc {
        return Err(at(
            block.offset,
            format!("the block's checksum does not match its {len} bytes (the file is damaged)"),
        ));
    }
    let base = block.offset + BLOCK_HEADER_LEN as u64;
    let mut c = Cursor {
        bytes: &block.bytes,
        pos: 0,
        prev_t: 0,
        prev_conn: 0,
        last_call: 0,
        texts: Vec::new(),
    };
    out.reserve(block.count as usize);
    for i in 0..block.count {
        let start = c.pos;
        if start == len {
            return Err(at(
                base + start as u64,
                format!(
                    "the block ends after {i} of the {} events it says it holds",
                    block.count
                ),
            ));
        }
        match c.event() {
            Ok(e) => out.push(e),
            Err(reason) => return Err(at(base + start as u64, reason)),
        }
    }
    if c.pos != len {
        return Err(at(
            base + c.pos as u64,
            format!(
                "{} bytes follow the block's {} events",
                len - c.pos,
                block.count
            ),
        ));
    }
    Ok(())
}

/// The events of a binary trace, in file order; after the first error the iterator ends.
pub struct Reader<R> {
    input: R,
    offset: u64,
    pending: std::vec::IntoIter<Event>,
    end: Option<ReadError>,
    started: bool,
    done: bool,
}

impl<R: Read> Reader<R> {
    /// Reads `input` from its first byte (the header).
    pub fn new(input: R) -> Reader<R> {
        Reader {
            input,
            offset: 0,
            pending: Vec::new().into_iter(),
            end: None,
            started: false,
            done: false,
        }
    }

    /// Decodes the next block into `pending`; false at the end or an error (kept in `end`).
    fn next_block(&mut self) -> bool {
        if !self.started {
            self.started = true;
            if let Err(e) = read_header(&mut self.input) {
                self.end = Some(e);
                return false;
            }
            self.offset = HEADER_LEN as u64;
        }
        let block = match read_block(&mut self.input, self.offset) {
            Ok(Some(block)) => block,
            Ok(None) => return false,
            Err(e) => {
                self.end = Some(e);
                return false;
            }
        };
        self.offset += (BLOCK_HEADER_LEN + block.bytes.len()) as u64;
        let mut events = Vec::new();
        if let Err(e) = decode_block(&block, &mut events) {
            self.end = Some(e);
        }
        self.pending = events.into_iter();
        true
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.pending.next() {
                return Some(Ok(e));
            }
            if let Some(e) = self.end.take() {
                self.done = true;
                return Some(Err(e));
            }
            if self.done || !self.next_block() {
                self.done = true;
                return self.end.take().map(Err);
            }
        }
    }
}

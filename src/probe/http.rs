//! HTTP/1.x response framing, read from the plaintext SSL_read returns: the status and head of
//! the response, and when its body is complete as the head frames it (Content-Length reached or
//! the last chunk of a chunked body). Bounded and total: peer data can make it give up, never
//! panic or grow without limit.

use crate::trace::HttpResponse;

/// The longest response head kept while waiting for its end.
const MAX_HEAD: usize = 64 * 1024;
/// Headers parsed per head.
const MAX_HEADERS: usize = 128;
/// The longest chunk-size line (with extensions), and the longest trailer line.
const MAX_LINE: usize = 4096;
/// Informational (1xx) heads skipped before the final one.
const MAX_INTERIM: u32 = 32;

/// Tracks one response. `feed` it every byte SSL_read returned, in order.
#[derive(Debug)]
pub(super) struct HttpTracker {
    state: State,
    /// The head so far (only while in `State::Head`).
    head: Vec<u8>,
    /// What the final head said, and bytes received since it began.
    resp: HttpResponse,
    interim: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    /// Body bytes still expected.
    Length(u64),
    /// Delimited by the close of the connection: never complete.
    UntilClose,
    Chunk(Chunk),
    Done,
    /// Not HTTP, or beyond our bounds: nothing more is reported.
    GaveUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading a chunk-size line; `len` bytes of it so far (the first `SIZE_PREFIX` are kept).
    Size {
        len: usize,
    },
    Data {
        left: u64,
    },
    /// The CRLF after a chunk's data; `seen` of its 2 bytes.
    DataEnd {
        seen: u8,
    },
    /// Trailer lines after the last chunk; `len` bytes of the current one (CR not counted).
    Trailer {
        len: usize,
    },
}

/// Bytes of a chunk-size line kept for parsing: 16 hex digits, some spaces, `;` and CRLF fit.
const SIZE_PREFIX: usize = 64;

impl Default for HttpTracker {
    fn default() -> Self {
        HttpTracker::new()
    }
}

impl HttpTracker {
    pub(super) fn new() -> HttpTracker {
        HttpTracker {
            state: State::Head,
            head: Vec::new(),
            resp: HttpResponse::default(),
            interim: 0,
        }
    }

    /// The body began but is not complete as the head framed it (Content-Length not reached, a
    /// chunked body without its last chunk): a close now cuts the response short.
    pub(super) fn mid_body(&self) -> bool {
        matches!(self.state, State::Length(_) | State::Chunk(_))
    }

    /// Takes the next bytes of the stream. Returns the event to record, if this feed parsed the
    /// final head (with `complete` set if the response is already complete) or completed it.
    pub(super) fn feed(&mut self, data: &[u8]) -> Option<HttpResponse> {
        let was_head = self.state == State::Head;
        let was_done = self.state == State::Done;
        let rest = if was_head {
            self.feed_head(data)?
        } else {
            data
        };
        self.feed_body(rest);
        self.resp.complete = self.state == State::Done;
        let parsed_now = was_head && self.state != State::Head && self.state != State::GaveUp;
        let completed_now = !was_done && self.state == State::Done;
        (parsed_now || completed_now).then_some(self.resp)
    }

    /// Adds to the head; returns the bytes after the final head, or None while it is incomplete
    /// (or when giving up).
    fn feed_head<'a>(&mut self, data: &'a [u8]) -> Option<&'a [u8]> {
        let room = MAX_HEAD.saturating_sub(self.head.len());
        let take = data.len().min(room);
        self.head.extend_from_slice(&data[..take]);
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            let n = match response.parse(&self.head) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) if take < data.len() || room == 0 => {
                    return self.give_up();
                }
                Ok(httparse::Status::Partial) => return None,
                Err(_) => return self.give_up(),
            };
            let status = response.code.unwrap_or(0);
            if (100..200).contains(&status) && status != 101 {
                // Informational: the final response follows.
                self.interim += 1;
                if self.interim > MAX_INTERIM {
                    return self.give_up();
                }
                self.head.drain(..n);
                continue;
            }
            self.resp = head_response(status, n, response.headers);
            self.state = framing(&self.resp, status);
            // Bytes of this buffer after the head are body; so is what did not fit in it.
            self.resp.received = n as u64;
            let tail = std::mem::take(&mut self.head);
            self.feed_body(&tail[n..]);
            return Some(&data[take..]);
        }
    }

    fn give_up<'a>(&mut self) -> Option<&'a [u8]> {
        self.state = State::GaveUp;
        self.head = Vec::new();
        None
    }

    fn feed_body(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let used = match self.state {
                State::Head | State::Done | State::GaveUp => return,
                State::UntilClose => data.len(),
                State::Length(left) => {
                    let n = (data.len() as u64).min(left);
                    self.state = if n == left {
                        State::Done
                    } else {
                        State::Length(left - n)
                    };
                    n as usize
                }
                State::Chunk(chunk) => self.chunk_step(chunk, data),
            };
            self.resp.received += used as u64;
            data = &data[used..];
        }
    }

    /// One step of the chunked-body state machine over `data`; returns the bytes it used.
    fn chunk_step(&mut self, chunk: Chunk, data: &[u8]) -> usize {
        match chunk {
            Chunk::Size { len } => {
                let Some(end) = data.iter().position(|&b| b == b'\n') else {
                    self.keep_size_bytes(len, data);
                    self.state = if len + data.len() > MAX_LINE {
                        State::GaveUp
                    } else {
                        State::Chunk(Chunk::Size {
                            len: len + data.len(),
                        })
                    };
                    return data.len();
                };
                self.keep_size_bytes(len, &data[..=end]);
                let total = len + end + 1;
                let kept = total.min(SIZE_PREFIX);
                let line = &self.head[..kept];
                // A line longer than the kept prefix has its size before any extension.
                let parsed = if total > SIZE_PREFIX {
                    let cut = line.iter().position(|&b| b == b';').unwrap_or(line.len());
                    let mut short = [0u8; SIZE_PREFIX + 2];
                    short[..cut].copy_from_slice(&line[..cut]);
                    short[cut..cut + 2].copy_from_slice(b"\r\n");
                    httparse::parse_chunk_size(&short[..cut + 2])
                } else {
                    httparse::parse_chunk_size(line)
                };
                self.head.clear();
                self.state = match parsed {
                    Ok(httparse::Status::Complete((_, 0))) => {
                        State::Chunk(Chunk::Trailer { len: 0 })
                    }
                    Ok(httparse::Status::Complete((_, size))) => {
                        State::Chunk(Chunk::Data { left: size })
                    }
                    _ => State::GaveUp,
                };
                end + 1
            }
            Chunk::Data { left } => {
                let n = (data.len() as u64).min(left);
                self.state = State::Chunk(if n == left {
                    Chunk::DataEnd { seen: 0 }
                } else {
                    Chunk::Data { left: left - n }
                });
                n as usize
            }
            Chunk::DataEnd { seen } => {
                let expected = if seen == 0 { b'\r' } else { b'\n' };
                self.state = match (data[0] == expected, seen) {
                    (false, _) => State::GaveUp,
                    (true, 0) => State::Chunk(Chunk::DataEnd { seen: 1 }),
                    (true, _) => State::Chunk(Chunk::Size { len: 0 }),
                };
                1
            }
            Chunk::Trailer { len } => {
                let b = data[0];
                self.state = match b {
                    b'\n' if len == 0 => State::Done,
                    b'\n' => State::Chunk(Chunk::Trailer { len: 0 }),
                    b'\r' => State::Chunk(Chunk::Trailer { len }),
                    _ if len >= MAX_LINE => State::GaveUp,
                    _ => State::Chunk(Chunk::Trailer { len: len + 1 }),
                };
                1
            }
        }
    }

    /// Keeps the first `SIZE_PREFIX` bytes of a chunk-size line (in the unused head buffer).
    fn keep_size_bytes(&mut self, len: usize, bytes: &[u8]) {
        let room = SIZE_PREFIX.saturating_sub(len);
        let take = bytes.len().min(room);
        self.head.extend_from_slice(&bytes[..take]);
    }
}

/// The response as its final head describes it.
fn head_response(status: u16, head_bytes: usize, headers: &[httparse::Header]) -> HttpResponse {
    let mut resp = HttpResponse {
        status,
        head_bytes: u32::try_from(head_bytes).unwrap_or(u32::MAX),
        ..HttpResponse::default()
    };
    for h in headers {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") && resp.content_length.is_none() {
            resp.content_length = value.parse().ok();
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked is the last coding when present (RFC 9112 6.1).
            resp.chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            resp.close |= value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"));
        }
    }
    resp
}

/// How the body after this head ends (RFC 9112 6.3), for a response to a GET.
fn framing(resp: &HttpResponse, status: u16) -> State {
    if status == 101 {
        return State::UntilClose; // the connection switched protocols
    }
    if status == 204 || status == 304 {
        return State::Done;
    }
    if resp.chunked {
        return State::Chunk(Chunk::Size { len: 0 });
    }
    match resp.content_length {
        Some(0) => State::Done,
        Some(n) => State::Length(n),
        None => State::UntilClose,
    }
}

/// True when `bytes` begin with an HTTP/1.x request line (`METHOD target HTTP/1.x\r\n`).
pub(super) fn is_request(bytes: &[u8]) -> bool {
    let limit = bytes.len().min(8 * 1024);
    let Some(end) = bytes[..limit].windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    let mut parts = bytes[..end].split(|&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or_default();
    !method.is_empty()
        && method.iter().all(u8::is_ascii_uppercase)
        && !target.is_empty()
        && version.starts_with(b"HTTP/1.")
        && parts.next().is_none()
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;

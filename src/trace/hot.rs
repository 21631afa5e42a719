//! The packed payloads of the hot, per-operation events (OpenSSL calls, socket I/O, waits,
//! handshake states, TLS messages) and the small enums inside them: each fits an [`super::Event`]
//! of 32 bytes, so read packed fields by value (`{ call.id }`), never by reference.

use super::event::{CallId, CallRef, Dur32, Nanos, StateText};
use super::kinds::{Op, SslError};

/// One OpenSSL call. Packed (15 bytes) so that a stored [`super::Event`] stays at 32 bytes: read
/// fields by value (`{ call.id }` in a format string), never by reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Call {
    pub id: CallId,
    pub op: Op,
    pub ret: i32,
    pub error: SslError,
    dur: Dur32,
}

impl Call {
    pub fn new(id: CallId, op: Op, ret: i32, error: SslError, dur: Nanos) -> Call {
        Call {
            id,
            op,
            ret,
            error,
            dur: Dur32::from_nanos(dur),
        }
    }

    /// How long the call took (exact below a second, see [`Dur32`]).
    pub fn dur(&self) -> Nanos {
        let dur = self.dur;
        dur.nanos()
    }

    /// Application bytes moved by this call (read or written): its positive return value for
    /// the calls that move data, 0 for handshake, shutdown and failed calls.
    pub fn bytes(&self) -> u32 {
        let moves_data = matches!(self.op.classic(), Op::Read | Op::Write | Op::Peek);
        if moves_data && self.ret > 0 {
            self.ret as u32
        } else {
            0
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Read,
    Write,
}

impl Dir {
    pub const ALL: [Dir; 2] = [Dir::Read, Dir::Write];

    pub fn name(self) -> &'static str {
        match self {
            Dir::Read => "read",
            Dir::Write => "write",
        }
    }
}

/// One socket read or write. Packed (15 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Io {
    call: CallRef,
    pub dir: Dir,
    /// Bytes asked for.
    pub want: u32,
    /// Bytes actually read or written (0 with `would_block` or an OS error; 0 on a read is EOF).
    pub got: u32,
    /// 0: done; [`WOULD_BLOCK`]: would block; else the `errno` of a failed operation.
    err: u16,
}

/// [`Io`]'s `err` for an operation that would have blocked (no errno is this large).
const WOULD_BLOCK: u16 = u16::MAX;

impl Io {
    /// A socket operation: `would_block` when it could not proceed, `os_error` the `errno` of
    /// one that failed otherwise (kept if it fits 16 bits, as every Linux errno does).
    pub fn new(
        call: Option<CallId>,
        dir: Dir,
        want: u32,
        got: u32,
        would_block: bool,
        os_error: Option<i32>,
    ) -> Io {
        let err = match (would_block, os_error) {
            (true, _) => WOULD_BLOCK,
            (false, None) => 0,
            (false, Some(errno)) => u16::try_from(errno)
                .ok()
                .filter(|&e| e != 0 && e != WOULD_BLOCK)
                .unwrap_or(WOULD_BLOCK - 1),
        };
        Io {
            call: CallRef::new(call),
            dir,
            want,
            got,
            err,
        }
    }

    /// The call this socket operation happened inside, if any.
    pub fn call(&self) -> Option<CallId> {
        let call = self.call;
        call.get()
    }

    pub fn would_block(&self) -> bool {
        self.err == WOULD_BLOCK
    }

    /// `errno` of a failed operation other than would-block.
    pub fn os_error(&self) -> Option<i32> {
        (self.err != 0 && self.err != WOULD_BLOCK).then_some(i32::from(self.err))
    }

    /// A read that returned 0 bytes without error: the peer closed its side of TCP.
    pub fn is_eof(&self) -> bool {
        self.dir == Dir::Read && self.got == 0 && self.err == 0 && self.want > 0
    }
}

/// Which readiness a wait was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
    ReadWrite,
}

impl Interest {
    pub const ALL: [Interest; 3] = [Interest::Read, Interest::Write, Interest::ReadWrite];

    pub fn name(self) -> &'static str {
        match self {
            Interest::Read => "read",
            Interest::Write => "write",
            Interest::ReadWrite => "read_write",
        }
    }
}

/// What ended a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    Readable,
    Writable,
    /// A deadline the user set for failure passed (`--timeout`, the connect timeout).
    Timeout,
    /// A time we chose to spend ran out (`--read-for`, the shutdown grace): not a stall.
    Elapsed,
    Command,
    Hangup,
}

impl Woke {
    pub const ALL: [Woke; 6] = [
        Woke::Readable,
        Woke::Writable,
        Woke::Timeout,
        Woke::Elapsed,
        Woke::Command,
        Woke::Hangup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Woke::Readable => "readable",
            Woke::Writable => "writable",
            Woke::Timeout => "timeout",
            Woke::Elapsed => "elapsed",
            Woke::Command => "command",
            Woke::Hangup => "hangup",
        }
    }
}

/// Time spent waiting for readiness. Packed (10 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Wait {
    pub interest: Interest,
    pub dur: Nanos,
    pub woke: Woke,
}

/// A handshake state transition. Packed (14 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct State {
    call: CallRef,
    /// `SSL_state_string_long` at the time of the callback.
    text: StateText,
    /// The info callback's `where` bit set (`SSL_CB_*`), see [`crate::trace::names::where_flags`].
    pub where_: u32,
    /// The info callback's `ret` argument (alert level and description for alert callbacks).
    pub ret: i32,
}

impl State {
    pub fn new(call: Option<CallId>, text: StateText, where_: u32, ret: i32) -> State {
        State {
            call: CallRef::new(call),
            text,
            where_,
            ret,
        }
    }

    pub fn call(&self) -> Option<CallId> {
        let call = self.call;
        call.get()
    }

    /// `SSL_state_string_long` at the time of the callback.
    pub fn text(&self) -> &'static str {
        let text = self.text;
        text.as_str()
    }
}

/// Direction of a TLS message relative to tlsscope (the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgDir {
    In,
    Out,
}

impl MsgDir {
    pub const ALL: [MsgDir; 2] = [MsgDir::In, MsgDir::Out];

    pub fn name(self) -> &'static str {
        match self {
            MsgDir::In => "in",
            MsgDir::Out => "out",
        }
    }
}

/// The name a HelloRetryRequest is shown and saved under.
const HELLO_RETRY_REQUEST: &str = "HelloRetryRequest";

/// RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256 of
/// "HelloRetryRequest".
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Whether the handshake message `bytes` (its 4-byte header included) is a ServerHello whose
/// random marks it as a HelloRetryRequest: type(1) length(3) legacy_version(2) random(32).
pub fn is_hello_retry_random(bytes: &[u8]) -> bool {
    bytes.first() == Some(&2) && bytes.get(6..38) == Some(&HELLO_RETRY_RANDOM[..])
}

/// A TLS protocol message. Packed (13 bytes) like [`Call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Msg {
    call: CallRef,
    pub dir: MsgDir,
    /// TLS record content type (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data).
    pub content: u8,
    /// Handshake message type, or alert description; 0 where the content type has none.
    pub msg_type: u8,
    /// Alert level (1 warning, 2 fatal) for alerts, else 0.
    pub level: u8,
    /// What the type alone does not say: for a KeyUpdate its request_update byte (1:
    /// update_requested, the peer must answer with its own KeyUpdate); for a ServerHello 1 if it
    /// is a TLS 1.3 HelloRetryRequest (which has the ServerHello's type, told apart by its random,
    /// see [`is_hello_retry_random`]). 0 otherwise.
    pub flag: u8,
    pub len: u32,
}

impl Msg {
    /// A message of `len` bytes; `level` and `flag` are 0 where they do not apply.
    pub fn new(
        call: Option<CallId>,
        dir: MsgDir,
        content: u8,
        msg_type: u8,
        level: u8,
        flag: u8,
        len: u32,
    ) -> Msg {
        Msg {
            call: CallRef::new(call),
            dir,
            content,
            msg_type,
            level,
            flag,
            len,
        }
    }

    pub fn call(&self) -> Option<CallId> {
        let call = self.call;
        call.get()
    }

    /// A handshake message of this type (`names::handshake_name` numbering).
    pub fn is_handshake(&self, msg_type: u8) -> bool {
        self.content == 22 && self.msg_type == msg_type
    }

    /// A KeyUpdate that asks the peer to update its keys too.
    pub fn requests_update(&self) -> bool {
        self.is_handshake(24) && self.flag == 1
    }

    /// A TLS 1.3 HelloRetryRequest: the server's answer asking for another ClientHello.
    pub fn is_hello_retry(&self) -> bool {
        self.is_handshake(2) && self.flag == 1
    }

    /// The message's name as people read it: the handshake type (a HelloRetryRequest by its own
    /// name), the alert, or the content type.
    pub fn type_name(&self) -> &'static str {
        if self.is_hello_retry() {
            HELLO_RETRY_REQUEST
        } else {
            crate::trace::names::msg_type_name(self.content, self.msg_type)
        }
    }

    /// The type and flag of the message named `name` under `content` (what [`Msg::type_name`]
    /// gave); type 0 for a name it never gives.
    pub fn type_from_name(content: u8, name: &str) -> (u8, u8) {
        if content == 22 && name == HELLO_RETRY_REQUEST {
            return (2, 1);
        }
        let ty = (0..=255u8)
            .find(|t| crate::trace::names::msg_type_name(content, *t) == name)
            .unwrap_or(0);
        (ty, 0)
    }

    /// A fatal alert, in or out.
    pub fn is_fatal_alert(&self) -> bool {
        self.content == 21 && self.level == 2
    }

    /// An empty Certificate message (the answer to a CertificateRequest when we have no
    /// certificate): 4-byte header + 3-byte list length in TLS 1.2, + 1-byte context in TLS 1.3.
    pub fn is_empty_certificate(&self) -> bool {
        self.is_handshake(11) && self.len <= 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ServerHello's first 38 bytes: header, legacy_version, then `random`.
    fn server_hello(random: [u8; 32]) -> Vec<u8> {
        let mut m = vec![2, 0, 0, 86, 3, 3];
        m.extend_from_slice(&random);
        m.extend_from_slice(&[32; 10]);
        m
    }

    #[test]
    fn a_hello_retry_request_is_told_by_its_random() {
        assert!(is_hello_retry_random(&server_hello(HELLO_RETRY_RANDOM)));
        let mut other = HELLO_RETRY_RANDOM;
        other[31] ^= 1;
        assert!(!is_hello_retry_random(&server_hello(other)));
        // Cut short, or another message type with the same bytes after its header.
        assert!(!is_hello_retry_random(
            &server_hello(HELLO_RETRY_RANDOM)[..37]
        ));
        let mut client_hello = server_hello(HELLO_RETRY_RANDOM);
        client_hello[0] = 1;
        assert!(!is_hello_retry_random(&client_hello));
    }

    #[test]
    fn names_tell_a_hello_retry_request_from_a_server_hello() {
        let hrr = Msg::new(None, MsgDir::In, 22, 2, 0, 1, 88);
        let hello = Msg::new(None, MsgDir::In, 22, 2, 0, 0, 90);
        assert_eq!(hrr.type_name(), "HelloRetryRequest");
        assert_eq!(hello.type_name(), "ServerHello");
        assert_eq!(Msg::type_from_name(22, "HelloRetryRequest"), (2, 1));
        assert_eq!(Msg::type_from_name(22, "ServerHello"), (2, 0));
        assert_eq!(Msg::type_from_name(22, "KeyUpdate"), (24, 0));
        assert_eq!(Msg::type_from_name(22, "no such message"), (0, 0));
        // The flag of a KeyUpdate is its request, not a retry.
        let update = Msg::new(None, MsgDir::In, 22, 24, 0, 1, 5);
        assert!(update.requests_update() && !update.is_hello_retry());
        assert_eq!(update.type_name(), "KeyUpdate");
    }
}

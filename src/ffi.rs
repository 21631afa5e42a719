//! The only `unsafe` code of tlsscope: thin safe wrappers over the OpenSSL functions
//! rust-openssl does not expose (the socket BIO with its callback, info and message callbacks,
//! KeyUpdate, renegotiation, mode bits, post-handshake auth, session tickets, the ciphers a
//! ClientHello offers) and over the Linux socket ioctls / getsockopt behind the buffer levels.
//! Callbacks are trampolines into the engine's recorder (`probe::record`, `probe::tap`). Used by
//! the engine (`probe`) and by the lab's server-side peers. Every `unsafe` block says why it is
//! sound in a `// SAFETY:` comment.

use crate::probe::record;
use crate::probe::tap::TapState;
use crate::trace::{Dir, EventKind, Msg, MsgDir, State, TcpInfo};
use foreign_types::ForeignTypeRef;
use mio::net::TcpStream;
use openssl::error::ErrorStack;
use openssl::ssl::{Ssl, SslRef};
use openssl_sys::{BIO, SSL};
use std::ffi::{c_char, c_int, c_long, c_void, CStr};
use std::os::fd::{AsRawFd, RawFd};

type InfoCallback = unsafe extern "C" fn(ssl: *const SSL, where_: c_int, ret: c_int);
type MsgCallback = unsafe extern "C" fn(
    write_p: c_int,
    version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: usize,
    ssl: *mut SSL,
    arg: *mut c_void,
);

// Declared against the libssl that openssl-sys links; these exist in OpenSSL 1.1.1 and 3.x.
extern "C" {
    fn SSL_set_info_callback(ssl: *mut SSL, cb: Option<InfoCallback>);
    fn SSL_set_msg_callback(ssl: *mut SSL, cb: Option<MsgCallback>);
    fn SSL_key_update(ssl: *mut SSL, updatetype: c_int) -> c_int;
    fn SSL_renegotiate(ssl: *mut SSL) -> c_int;
    fn SSL_set_post_handshake_auth(ssl: *mut SSL, val: c_int);
    fn SSL_verify_client_post_handshake(ssl: *mut SSL) -> c_int;
    fn SSL_new_session_ticket(ssl: *mut SSL) -> c_int;
    fn SSL_get1_supported_ciphers(ssl: *mut SSL) -> *mut openssl_sys::stack_st_SSL_CIPHER;
    fn BIO_set_callback_ex(bio: *mut BIO, cb: Option<BioCallback>);
    fn BIO_set_callback_arg(bio: *mut BIO, arg: *mut c_char);
    fn BIO_get_callback_arg(bio: *const BIO) -> *mut c_char;
    fn BIO_test_flags(bio: *const BIO, flags: c_int) -> c_int;
}

type BioCallback = unsafe extern "C" fn(
    bio: *mut BIO,
    oper: c_int,
    argp: *const c_char,
    len: usize,
    argi: c_int,
    argl: c_long,
    ret: c_int,
    processed: *mut usize,
) -> c_long;

const BIO_NOCLOSE: c_int = 0;
const BIO_CB_READ: c_int = 0x02;
const BIO_CB_WRITE: c_int = 0x03;
const BIO_CB_RETURN: c_int = 0x80;
const BIO_FLAGS_SHOULD_RETRY: c_int = 0x08;

/// An OpenSSL client over its own socket BIO on a non-blocking TCP socket, exactly as after
/// `SSL_set_fd` (so `SSL_get_error` reports what any program on a plain socket would see, e.g.
/// `SSL_ERROR_SSL` "unexpected eof while reading"), with a BIO callback that reports every
/// socket read and write to the tap.
///
/// Fields drop in order: the SSL (and its BIO, which does not close the socket) first, then
/// the socket, then the tap the BIO callback points to.
pub struct SocketTls {
    ssl: Ssl,
    socket: TcpStream,
    tap: Box<TapState>,
}

impl SocketTls {
    pub fn new(ssl: Ssl, socket: TcpStream) -> Result<SocketTls, ErrorStack> {
        let tap = Box::<TapState>::default();
        let fd = socket.as_raw_fd();
        // SAFETY: BIO_new_socket returns a new BIO (or null) on our fd without taking it over
        // (BIO_NOCLOSE): the socket stays owned by `socket`, which outlives the SSL (field
        // order). The callback argument points into the heap allocation of `tap`, which does not
        // move and is freed only after the SSL and its BIO (field order); the callback only
        // reads it through a shared reference to `Cell`s. SSL_set_bio with the same BIO twice
        // takes over our one reference, so the BIO is freed with the SSL.
        unsafe {
            let bio = openssl_sys::BIO_new_socket(fd, BIO_NOCLOSE);
            if bio.is_null() {
                return Err(ErrorStack::get());
            }
            let arg: *const TapState = &*tap;
            BIO_set_callback_arg(bio, arg.cast_mut().cast::<c_char>());
            BIO_set_callback_ex(bio, Some(bio_callback));
            openssl_sys::SSL_set_bio(ssl.as_ptr(), bio, bio);
        }
        Ok(SocketTls { ssl, socket, tap })
    }

    pub fn ssl(&self) -> &SslRef {
        &self.ssl
    }

    pub fn tap(&self) -> &TapState {
        &self.tap
    }

    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    pub fn socket_mut(&mut self) -> &mut TcpStream {
        &mut self.socket
    }

    /// `SSL_do_handshake`; returns its result (1 done, else see [`get_error`]).
    pub fn do_handshake(&mut self) -> i32 {
        clear_error_queue();
        // SAFETY: the SSL is valid and has its BIO.
        unsafe { openssl_sys::SSL_do_handshake(self.ssl.as_ptr()) }
    }

    /// `SSL_read` into `buf` (at most `i32::MAX` bytes asked).
    pub fn read(&mut self, buf: &mut [u8]) -> i32 {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        clear_error_queue();
        // SAFETY: `buf` is writable for `len` bytes for the duration of the call.
        unsafe { openssl_sys::SSL_read(self.ssl.as_ptr(), buf.as_mut_ptr().cast(), len) }
    }

    /// `SSL_write` of `buf` (at most `i32::MAX` bytes handed over).
    pub fn write(&mut self, buf: &[u8]) -> i32 {
        let len = c_int::try_from(buf.len()).unwrap_or(c_int::MAX);
        clear_error_queue();
        // SAFETY: `buf` is readable for `len` bytes; OpenSSL keeps no pointer to it after the
        // call unless it returned WANT_WRITE, and then it is retried with the same bytes.
        unsafe { openssl_sys::SSL_write(self.ssl.as_ptr(), buf.as_ptr().cast(), len) }
    }

    /// `SSL_shutdown`: 0 close_notify sent, 1 both exchanged, < 0 see [`get_error`].
    pub fn shutdown(&mut self) -> i32 {
        clear_error_queue();
        // SAFETY: the SSL is valid and has its BIO.
        unsafe { openssl_sys::SSL_shutdown(self.ssl.as_ptr()) }
    }
}

/// Empties this thread's OpenSSL error queue (SSL_get_error needs it empty before a call).
fn clear_error_queue() {
    // SAFETY: no arguments; only touches this thread's error queue.
    unsafe { openssl_sys::ERR_clear_error() }
}

/// The BIO callback: after each socket read or write (`BIO_CB_RETURN`), reports it to the tap.
/// Returns `ret` unchanged for every operation, so the BIO behaves as without a callback.
unsafe extern "C" fn bio_callback(
    bio: *mut BIO,
    oper: c_int,
    argp: *const c_char,
    len: usize,
    _argi: c_int,
    _argl: c_long,
    ret: c_int,
    processed: *mut usize,
) -> c_long {
    // Read before anything else can overwrite errno.
    let errno = std::io::Error::last_os_error().raw_os_error();
    let dir = match oper {
        o if o == BIO_CB_READ | BIO_CB_RETURN => Dir::Read,
        o if o == BIO_CB_WRITE | BIO_CB_RETURN => Dir::Write,
        _ => return c_long::from(ret),
    };
    // SAFETY: OpenSSL passes the BIO the callback is set on; its callback argument is null or
    // the `TapState` of the `SocketTls` owning this BIO, alive as long as the BIO (see `new`).
    // With BIO_CB_RETURN, `processed` is null or points to the bytes moved, and for a read
    // `argp` holds that many bytes.
    unsafe {
        let Some(tap) = BIO_get_callback_arg(bio)
            .cast::<TapState>()
            .cast_const()
            .as_ref()
        else {
            return c_long::from(ret);
        };
        let got = if ret > 0 && !processed.is_null() {
            *processed
        } else {
            0
        };
        let would_block = ret <= 0 && BIO_test_flags(bio, BIO_FLAGS_SHOULD_RETRY) != 0;
        let os_error = if ret < 0 && !would_block { errno } else { None };
        let data: &[u8] = if dir == Dir::Read && got > 0 && !argp.is_null() {
            std::slice::from_raw_parts(argp.cast::<u8>(), got)
        } else {
            &[]
        };
        tap.note(dir, len, got, would_block, os_error, data);
    }
    c_long::from(ret)
}

const SSL_CTRL_CLEAR_MODE: c_int = 78;
const SSL_MODE_AUTO_RETRY: c_long = 0x4;
const SSL_KEY_UPDATE_REQUESTED: c_int = 1;
const SSL_KEY_UPDATE_NOT_REQUESTED: c_int = 0;

/// Routes this connection's info and message callbacks into the recorder.
pub fn install_callbacks(ssl: &mut SslRef) {
    // SAFETY: `ssl` is a valid SSL for the duration of the call; the callbacks are plain
    // functions that live for the whole program and never unwind (see their bodies).
    unsafe {
        SSL_set_info_callback(ssl.as_ptr(), Some(info_callback));
        SSL_set_msg_callback(ssl.as_ptr(), Some(msg_callback));
    }
}

/// Clears SSL_MODE_AUTO_RETRY, so SSL_read returns WANT_READ after processing a
/// non-application record instead of reading on.
pub fn clear_auto_retry(ssl: &mut SslRef) {
    // SAFETY: SSL_CTRL_CLEAR_MODE takes an integer argument and no pointer; `ssl` is valid.
    unsafe {
        openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            SSL_CTRL_CLEAR_MODE,
            SSL_MODE_AUTO_RETRY,
            std::ptr::null_mut(),
        );
    }
}

/// Offers TLS 1.3 post-handshake client authentication.
pub fn enable_post_handshake_auth(ssl: &mut SslRef) {
    // SAFETY: `ssl` is valid; the call only sets a flag.
    unsafe { SSL_set_post_handshake_auth(ssl.as_ptr(), 1) }
}

/// `SSL_key_update`: schedules a KeyUpdate (sent by the next write or SSL_do_handshake).
pub fn key_update(ssl: &SslRef, request_peer_update: bool) -> i32 {
    let kind = if request_peer_update {
        SSL_KEY_UPDATE_REQUESTED
    } else {
        SSL_KEY_UPDATE_NOT_REQUESTED
    };
    // SAFETY: `ssl` is valid and `kind` is one of the two values OpenSSL accepts.
    unsafe { SSL_key_update(ssl.as_ptr(), kind) }
}

/// `SSL_renegotiate`: schedules a TLS 1.2 renegotiation (driven by SSL_do_handshake/SSL_read).
pub fn renegotiate(ssl: &SslRef) -> i32 {
    // SAFETY: `ssl` is valid.
    unsafe { SSL_renegotiate(ssl.as_ptr()) }
}

/// Server side: schedules a TLS 1.3 post-handshake CertificateRequest (sent by the next
/// SSL_do_handshake or SSL_write). True when OpenSSL accepted it.
pub fn verify_client_post_handshake(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is valid; the function checks the connection's state and returns 0 if the
    // request cannot be made.
    unsafe { SSL_verify_client_post_handshake(ssl.as_ptr()) == 1 }
}

/// Server side: schedules one more TLS 1.3 NewSessionTicket (sent by the next SSL_do_handshake or
/// SSL_write). True when OpenSSL accepted it.
pub fn new_session_ticket(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is valid; the function checks the connection's state and returns 0 if it
    // cannot send a ticket now.
    unsafe { SSL_new_session_ticket(ssl.as_ptr()) == 1 }
}

/// The cipher suites this SSL would offer in its ClientHello (`SSL_get1_supported_ciphers`:
/// its cipher list filtered by the enabled versions and the security level), counted as
/// (TLS 1.2 and below, TLS 1.3).
pub fn supported_cipher_counts(ssl: &SslRef) -> (u32, u32) {
    let (mut old, mut tls13) = (0u32, 0u32);
    // SAFETY: `ssl` is valid; SSL_get1_supported_ciphers returns a new stack (or null) that we
    // own and free with sk_free (its entries are borrowed from OpenSSL's static cipher table,
    // not owned by the stack); each entry is read while the stack is alive.
    unsafe {
        let stack = SSL_get1_supported_ciphers(ssl.as_ptr());
        if stack.is_null() {
            return (0, 0);
        }
        let all = stack.cast::<openssl_sys::OPENSSL_STACK>();
        for i in 0..openssl_sys::OPENSSL_sk_num(all).max(0) {
            let cipher = openssl_sys::OPENSSL_sk_value(all, i).cast::<openssl_sys::SSL_CIPHER>();
            if cipher.is_null() {
                continue;
            }
            let version = openssl_sys::SSL_CIPHER_get_version(cipher);
            if !version.is_null() && CStr::from_ptr(version).to_bytes() == b"TLSv1.3" {
                tls13 += 1;
            } else {
                old += 1;
            }
        }
        openssl_sys::OPENSSL_sk_free(all);
    }
    (old, tls13)
}

/// `SSL_get_error` for a raw return value (used for the calls rust-openssl does not wrap).
pub fn get_error(ssl: &SslRef, ret: i32) -> i32 {
    // SAFETY: `ssl` is valid; SSL_get_error only inspects its state and the thread's error queue.
    unsafe { openssl_sys::SSL_get_error(ssl.as_ptr(), ret) }
}

unsafe extern "C" fn info_callback(ssl: *const SSL, where_: c_int, ret: c_int) {
    // SAFETY: OpenSSL passes the SSL the callback was installed on; SSL_state_string_long returns
    // a pointer to a string constant inside libssl, which stays loaded for the whole process,
    // so borrowing it as 'static is sound.
    let text: &'static str = unsafe {
        let ptr: *const c_char = openssl_sys::SSL_state_string_long(ssl);
        if ptr.is_null() {
            "unknown state"
        } else {
            CStr::from_ptr(ptr).to_str().unwrap_or("unknown state")
        }
    };
    record::in_call(|call| {
        EventKind::State(State {
            call,
            text,
            where_: where_ as u32,
            ret,
        })
    });
    if where_ as u32 & crate::trace::names::WHERE_HANDSHAKE_DONE != 0 {
        record::note_handshake_done();
    }
}

unsafe extern "C" fn msg_callback(
    write_p: c_int,
    _version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: usize,
    _ssl: *mut SSL,
    _arg: *mut c_void,
) {
    // 256 (record header) and 257 (TLS 1.3 inner content type) are pseudo content types.
    if !(0..=255).contains(&content_type) {
        return;
    }
    let content = content_type as u8;
    // SAFETY: OpenSSL passes `len` readable bytes at `buf` for the duration of the callback.
    let bytes: &[u8] = if buf.is_null() || len == 0 {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) }
    };
    let (level, msg_type) = match content {
        21 => (
            bytes.first().copied().unwrap_or(0),
            bytes.get(1).copied().unwrap_or(0),
        ),
        22 => (0, bytes.first().copied().unwrap_or(0)),
        _ => (0, 0),
    };
    let dir = if write_p != 0 {
        MsgDir::Out
    } else {
        MsgDir::In
    };
    if dir == MsgDir::Out && content == 22 && msg_type == 1 {
        record::note_hello_sent();
    }
    // KeyUpdate: type(1) length(3) request_update(1).
    let request_update = if content == 22 && msg_type == 24 {
        bytes.get(4).copied().unwrap_or(0)
    } else {
        0
    };
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    record::in_call(|call| {
        EventKind::Msg(Msg {
            call,
            dir,
            content,
            msg_type,
            level,
            request_update,
            len,
        })
    });
}

/// Kernel queue levels of a socket: (unread in receive queue, unacked in send queue, unsent).
pub fn queue_levels(fd: RawFd) -> (u32, u32, u32) {
    const SIOCOUTQNSD: libc::c_ulong = 0x894B;
    let mut inq: c_int = 0;
    let mut outq: c_int = 0;
    let mut notsent: c_int = 0;
    // SAFETY: each ioctl writes one c_int through a pointer to a live local; on failure the
    // value stays 0, which is what we report.
    unsafe {
        libc::ioctl(fd, libc::FIONREAD, &mut inq);
        libc::ioctl(fd, libc::TIOCOUTQ, &mut outq);
        libc::ioctl(fd, SIOCOUTQNSD, &mut notsent);
    }
    (inq.max(0) as u32, outq.max(0) as u32, notsent.max(0) as u32)
}

/// TCP_INFO round-trip time, congestion window and the peer's advertised window.
///
/// Read from the kernel's `struct tcp_info` by byte offset: the libc crate declares only its
/// first 104 bytes, and tcpi_snd_wnd (Linux 5.4+) sits at offset 228.
pub fn tcp_info(fd: RawFd) -> Option<TcpInfo> {
    const RTT: usize = 68;
    const SND_CWND: usize = 80;
    const SND_WND: usize = 228;
    #[repr(C, align(8))]
    struct Buf([u8; 256]);
    let mut buf = Buf([0; 256]);
    let mut len = buf.0.len() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` (256) bytes into `buf`, a live, 8-byte aligned
    // local of that size, and stores the length it wrote in `len`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            buf.0.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    let len = len as usize;
    let bytes = &buf.0;
    let field = |offset: usize| -> u32 {
        if len < offset + 4 {
            return 0;
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[offset..offset + 4]);
        u32::from_ne_bytes(word)
    };
    Some(TcpInfo {
        rtt_us: field(RTT),
        snd_cwnd: field(SND_CWND),
        snd_wnd: field(SND_WND),
    })
}

/// CPU time (user + system) this process has used, in nanoseconds (the benchmark's measure of
/// what recording costs, steadier than wall-clock throughput on a busy machine).
pub fn process_cpu_time() -> u64 {
    // SAFETY: rusage is plain old data, so all-zero is a valid value; getrusage fills it in.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return 0;
        }
        usage
    };
    let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1_000;
    ns(usage.ru_utime) + ns(usage.ru_stime)
}

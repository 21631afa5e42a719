//! OpenSSL over its own socket BIO, with a BIO callback reporting every socket read and write
//! to the engine's tap.

use crate::probe::tap::TapState;
use crate::trace::Dir;
use foreign_types::ForeignTypeRef;
use mio::net::TcpStream;
use openssl::error::ErrorStack;
use openssl::ssl::{Ssl, SslRef};
use openssl_sys::BIO;
use std::ffi::{c_char, c_int, c_long};
use std::mem::ManuallyDrop;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;

// Declared against the libcrypto that openssl-sys links (OpenSSL 3.x).
extern "C" {
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
/// The SSL (and its BIO, which does not close the socket) is freed first, then the tap the BIO
/// callback points to (both in `Drop`), then the socket.
pub struct SocketTls {
    ssl: ManuallyDrop<Ssl>,
    /// Owned (from `Box::into_raw`); a raw pointer rather than a `Box`, so that moving this
    /// value never invalidates the pointer the BIO callback holds.
    tap: NonNull<TapState>,
    socket: TcpStream,
}

// SAFETY: the SSL, the tap and the socket are owned exclusively by this value and only used
// through it (the BIO callback runs inside calls made through `&mut self`), so moving it to
// another thread moves all of them together; it is not `Sync`.
unsafe impl Send for SocketTls {}

impl SocketTls {
    pub fn new(ssl: Ssl, socket: TcpStream) -> Result<SocketTls, ErrorStack> {
        let fd = socket.as_raw_fd();
        // SAFETY: BIO_new_socket returns a new BIO (or null) on our fd without taking it over
        // (BIO_NOCLOSE): the socket stays owned by `socket`, which is closed only after the SSL
        // is freed (see `Drop`). SSL_set_bio with the same BIO twice takes over our one
        // reference, so the BIO is freed with the SSL.
        let bio = unsafe { openssl_sys::BIO_new_socket(fd, BIO_NOCLOSE) };
        if bio.is_null() {
            return Err(ErrorStack::get());
        }
        let tap = NonNull::from(Box::leak(Box::<TapState>::default()));
        // SAFETY: `bio` is the valid BIO created above. The callback argument is the tap's
        // allocation, freed only after the SSL and its BIO (see `Drop`); the callback only
        // reads it through a shared reference (its state is in `Cell`s).
        unsafe {
            BIO_set_callback_arg(bio, tap.as_ptr().cast::<c_char>());
            BIO_set_callback_ex(bio, Some(bio_callback));
            openssl_sys::SSL_set_bio(ssl.as_ptr(), bio, bio);
        }
        Ok(SocketTls {
            ssl: ManuallyDrop::new(ssl),
            tap,
            socket,
        })
    }

    pub fn ssl(&self) -> &SslRef {
        &self.ssl
    }

    pub fn tap(&self) -> &TapState {
        // SAFETY: the tap is alive until `drop` and only ever shared (its state is in `Cell`s).
        unsafe { self.tap.as_ref() }
    }

    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    pub fn socket_mut(&mut self) -> &mut TcpStream {
        &mut self.socket
    }

    /// `SSL_do_handshake`; returns its result (1 done, else see [`super::get_error`]).
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

    /// `SSL_shutdown`: 0 close_notify sent, 1 both exchanged, < 0 see [`super::get_error`].
    pub fn shutdown(&mut self) -> i32 {
        clear_error_queue();
        // SAFETY: the SSL is valid and has its BIO.
        unsafe { openssl_sys::SSL_shutdown(self.ssl.as_ptr()) }
    }
}

impl Drop for SocketTls {
    fn drop(&mut self) {
        // SAFETY: the SSL is dropped exactly once, here, before the tap its BIO callback points
        // to; the tap came from `Box::leak` in `new` and nothing refers to it afterwards (the
        // BIO went with the SSL). The socket is closed after this, as a field.
        unsafe {
            ManuallyDrop::drop(&mut self.ssl);
            drop(Box::from_raw(self.tap.as_ptr()));
        }
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
    // With BIO_CB_RETURN, `processed` is null or points to the bytes moved, and `argp` holds
    // that many bytes: those read into the caller's buffer, or the start of the buffer written.
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
        let data: &[u8] = if got > 0 && got <= len && !argp.is_null() {
            std::slice::from_raw_parts(argp.cast::<u8>(), got)
        } else {
            &[]
        };
        tap.note(dir, len, got, would_block, os_error, data);
    }
    c_long::from(ret)
}

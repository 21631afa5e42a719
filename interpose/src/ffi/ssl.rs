//! The OpenSSL hooks: each forwards to the real function and records the call.

use super::{real, unresolved, SslIntFn};
use crate::record;
use crate::wire::{op, Kind};
use libc::{c_int, c_void, size_t};

type SslRead = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int;
type SslWrite = unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int;
type SslReadEx = unsafe extern "C" fn(*mut c_void, *mut c_void, size_t, *mut size_t) -> c_int;
type SslWriteEx = unsafe extern "C" fn(*mut c_void, *const c_void, size_t, *mut size_t) -> c_int;
type SslOnly = unsafe extern "C" fn(*mut c_void) -> c_int;

fn moved(out: *mut size_t, ok: c_int) -> u64 {
    if ok != 1 || out.is_null() {
        return 0;
    }
    // SAFETY: OpenSSL wrote the count through this caller-supplied pointer on success.
    unsafe { *out as u64 }
}

macro_rules! ssl_io_hook {
    // SSL_read, SSL_peek, SSL_write: the count is the return value.
    ($name:ident, $op:expr, $buf:ty, $fn:ty) => {
        /// # Safety
        /// The caller's contract of the OpenSSL function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name(ssl: *mut c_void, buf: $buf, num: c_int) -> c_int {
            let Some(f) = real!(stringify!($name), $fn) else {
                return unresolved();
            };
            record::ssl_call($op, ssl as usize, num.max(0) as u64, buf as usize, || {
                // SAFETY: the caller's arguments, unchanged.
                let r = unsafe { f(ssl, buf, num) };
                (i64::from(r), r.max(0) as u64)
            }) as c_int
        }
    };
    // SSL_read_ex, SSL_write_ex: 1 or 0, the count passed out through `moved`.
    ($name:ident, $op:expr, $buf:ty, $fn:ty, ex) => {
        /// # Safety
        /// The caller's contract of the OpenSSL function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            ssl: *mut c_void,
            buf: $buf,
            num: size_t,
            count: *mut size_t,
        ) -> c_int {
            let Some(f) = real!(stringify!($name), $fn) else {
                return unresolved();
            };
            record::ssl_call($op, ssl as usize, num as u64, buf as usize, || {
                // SAFETY: the caller's arguments, unchanged.
                let r = unsafe { f(ssl, buf, num, count) };
                (i64::from(r), moved(count, r))
            }) as c_int
        }
    };
}

ssl_io_hook!(SSL_read, op::SSL_READ, *mut c_void, SslRead);
ssl_io_hook!(SSL_peek, op::SSL_PEEK, *mut c_void, SslRead);
ssl_io_hook!(SSL_write, op::SSL_WRITE, *const c_void, SslWrite);
ssl_io_hook!(SSL_read_ex, op::SSL_READ_EX, *mut c_void, SslReadEx, ex);
ssl_io_hook!(
    SSL_write_ex,
    op::SSL_WRITE_EX,
    *const c_void,
    SslWriteEx,
    ex
);

macro_rules! ssl_only_hook {
    ($name:ident, $op:expr) => {
        /// # Safety
        /// The caller's contract of the OpenSSL function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name(ssl: *mut c_void) -> c_int {
            let Some(f) = real!(stringify!($name), SslOnly) else {
                return unresolved();
            };
            record::ssl_call($op, ssl as usize, 0, 0, || {
                // SAFETY: the caller's argument, unchanged.
                (i64::from(unsafe { f(ssl) }), 0)
            }) as c_int
        }
    };
}

ssl_only_hook!(SSL_do_handshake, op::SSL_DO_HANDSHAKE);
ssl_only_hook!(SSL_connect, op::SSL_CONNECT);
ssl_only_hook!(SSL_accept, op::SSL_ACCEPT);
ssl_only_hook!(SSL_shutdown, op::SSL_SHUTDOWN);

/// # Safety
/// The caller's contract of OpenSSL's `SSL_get_error`.
#[no_mangle]
pub unsafe extern "C" fn SSL_get_error(ssl: *const c_void, ret: c_int) -> c_int {
    let Some(f) = real!(
        "SSL_get_error",
        unsafe extern "C" fn(*const c_void, c_int) -> c_int
    ) else {
        return 1; // SSL_ERROR_SSL
    };
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(ssl, ret) };
    record::lifecycle(Kind::GetError, ssl as usize, -1, i64::from(ret), r);
    r
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_pending`.
#[no_mangle]
pub unsafe extern "C" fn SSL_pending(ssl: *const c_void) -> c_int {
    let Some(f) = real!("SSL_pending", SslIntFn) else {
        return 0;
    };
    // SAFETY: the caller's argument, unchanged.
    let r = unsafe { f(ssl) };
    record::lifecycle(Kind::Pending, ssl as usize, -1, i64::from(r), 0);
    r
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_new`.
#[no_mangle]
pub unsafe extern "C" fn SSL_new(ctx: *mut c_void) -> *mut c_void {
    let Some(f) = real!("SSL_new", unsafe extern "C" fn(*mut c_void) -> *mut c_void) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the caller's argument, unchanged.
    let ssl = unsafe { f(ctx) };
    if !ssl.is_null() {
        super::callbacks::install(ssl, ctx);
        record::lifecycle(Kind::New, ssl as usize, -1, 0, 0);
    }
    ssl
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_free`.
#[no_mangle]
pub unsafe extern "C" fn SSL_free(ssl: *mut c_void) {
    let Some(f) = real!("SSL_free", unsafe extern "C" fn(*mut c_void)) else {
        return;
    };
    if !ssl.is_null() {
        super::callbacks::forget(ssl);
        record::lifecycle(Kind::Free, ssl as usize, -1, 0, 0);
    }
    // SAFETY: the caller's argument, unchanged.
    unsafe { f(ssl) }
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_set_fd`.
#[no_mangle]
pub unsafe extern "C" fn SSL_set_fd(ssl: *mut c_void, fd: c_int) -> c_int {
    let Some(f) = real!(
        "SSL_set_fd",
        unsafe extern "C" fn(*mut c_void, c_int) -> c_int
    ) else {
        return 0;
    };
    // SAFETY: the caller's arguments, unchanged.
    let r = unsafe { f(ssl, fd) };
    if r == 1 {
        record::lifecycle(Kind::SetFd, ssl as usize, fd, 1, 0);
    }
    r
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_set_bio`.
#[no_mangle]
pub unsafe extern "C" fn SSL_set_bio(ssl: *mut c_void, rbio: *mut c_void, wbio: *mut c_void) {
    let Some(f) = real!(
        "SSL_set_bio",
        unsafe extern "C" fn(*mut c_void, *mut c_void, *mut c_void)
    ) else {
        return;
    };
    // SAFETY: the caller's arguments, unchanged.
    unsafe { f(ssl, rbio, wbio) };
    record::lifecycle(Kind::SetFd, ssl as usize, -1, 1, 0);
}

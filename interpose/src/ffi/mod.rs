//! Every exported symbol and every `unsafe` block of the interposer.
//!
//! Each hook finds the real function once (`dlsym(RTLD_NEXT, ..)`, or in an already loaded
//! libssl when the program opened it privately, as Python's `_ssl` module does), calls it with
//! the caller's arguments unchanged, and hands what happened to `record` (safe code). The
//! result and `errno` the program sees are the real function's. libssl is never linked: the
//! OpenSSL functions the recorder itself calls are found the same way.
#![allow(unsafe_code)]
// The hooks are `pub` because they are exported C symbols, not Rust API.
#![allow(unreachable_pub)]

use crate::record;
use crate::wire;
use libc::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The address of `name` (NUL-terminated) in the next object after this one, cached in `slot`.
pub(crate) fn resolve(slot: &AtomicUsize, name: &[u8]) -> usize {
    let cached = slot.load(Ordering::Acquire);
    if cached != 0 {
        return cached;
    }
    // SAFETY: `name` is a NUL-terminated literal; dlsym only reads it.
    let mut found = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr().cast()) } as usize;
    if found == 0 && name.starts_with(b"SSL_") {
        found = from_loaded_libssl(name);
    }
    if found != 0 {
        slot.store(found, Ordering::Release);
    }
    found
}

/// `name` in a libssl the program loaded with RTLD_LOCAL (not reachable with RTLD_NEXT).
fn from_loaded_libssl(name: &[u8]) -> usize {
    for lib in [&b"libssl.so.3\0"[..], &b"libssl.so\0"[..]] {
        // SAFETY: NUL-terminated names; RTLD_NOLOAD never loads anything, it only returns a
        // handle (with a reference) to a library already loaded, which dlclose gives back.
        unsafe {
            let handle = libc::dlopen(lib.as_ptr().cast(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
            if !handle.is_null() {
                let f = libc::dlsym(handle, name.as_ptr().cast()) as usize;
                libc::dlclose(handle);
                if f != 0 {
                    return f;
                }
            }
        }
    }
    0
}

/// The real function `$name`, of type `$ty`, or `None` when no object defines it.
macro_rules! real_fn {
    ($name:expr, $ty:ty) => {{
        static SLOT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        match $crate::ffi::resolve(&SLOT, concat!($name, "\0").as_bytes()) {
            0 => None,
            // SAFETY: the address dlsym gave for this symbol, whose C declaration is `$ty`.
            p => Some(unsafe { std::mem::transmute::<usize, $ty>(p) }),
        }
    }};
}

pub(crate) use real_fn as real;

mod callbacks;
mod levels;
mod sock;
mod ssl;

pub(crate) use levels::levels;

/// What a hook returns when the real function does not exist (never in practice: a program
/// calling SSL_read has libssl loaded).
pub(crate) fn unresolved() -> c_int {
    set_errno(libc::ENOSYS);
    -1
}

// ---------------------------------------------------------------------------------------------
// Small system services for `record`.

pub(crate) fn now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer; CLOCK_MONOTONIC always exists (vDSO, no errno on success).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

pub(crate) fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot, always valid.
    unsafe { *libc::__errno_location() }
}

pub(crate) fn set_errno(value: i32) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = value };
}

pub(crate) fn pid() -> u32 {
    // SAFETY: getpid has no preconditions (glibc does not cache it, so a forked child is right).
    unsafe { libc::getpid() as u32 }
}

pub(crate) fn ppid() -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::getppid() as u32 }
}

pub(crate) fn tid() -> u32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// Writes the path of this process's executable into `out`; returns its length.
pub(crate) fn exe_path(out: &mut [u8]) -> usize {
    // SAFETY: `out` is writable for its length; readlink does not NUL-terminate.
    let n = unsafe {
        libc::readlink(
            c"/proc/self/exe".as_ptr(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    usize::try_from(n).unwrap_or(0)
}

/// The connection to the listener (kept at a high descriptor, shared with forked children,
/// closed on exec, after which the new program connects again) and its inode, to notice that
/// the program closed it and reused the number.
struct Target {
    fd: c_int,
    ino: u64,
}

static TARGET: OnceLock<Option<Target>> = OnceLock::new();

fn target() -> Option<&'static Target> {
    TARGET.get_or_init(open_target).as_ref()
}

fn open_target() -> Option<Target> {
    let path = std::env::var_os(wire::SOCK_ENV)?;
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
    // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.is_empty() || bytes.len() >= addr.sun_path.len() {
        return None;
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as c_char;
    }
    let len = (std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1) as libc::socklen_t;
    // SAFETY: plain system calls on a descriptor we own and valid pointers to `addr` and the
    // option value; close is the raw system call so the program's `close` hook is not involved.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return None;
        }
        let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
        if libc::connect(fd, sa, len) != 0 {
            libc::syscall(libc::SYS_close, fd);
            return None;
        }
        // Room for bursts (the kernel caps it at net.core.wmem_max).
        let size: c_int = 4 << 20;
        let opt = (&size as *const c_int).cast::<c_void>();
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            opt,
            std::mem::size_of::<c_int>() as libc::socklen_t,
        );
        // Out of the way of the program's own descriptors.
        let high = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 700);
        let fd = if high >= 0 {
            libc::syscall(libc::SYS_close, fd);
            high
        } else {
            fd
        };
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return None;
        }
        Some(Target { fd, ino: st.st_ino })
    }
}

/// True when this process was started by `tlsscope run` (the socket's path is set).
pub(crate) fn configured() -> bool {
    target().is_some()
}

/// One `send` system call (the raw call: the program's `send` is hooked).
fn send_raw(fd: c_int, bytes: &[u8], flags: c_int) -> isize {
    // SAFETY: `bytes` is valid for its length; no address.
    unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd,
            bytes.as_ptr(),
            bytes.len(),
            flags | libc::MSG_NOSIGNAL,
            std::ptr::null::<libc::sockaddr>(),
            0,
        ) as isize
    }
}

/// The descriptor is still our socket (the program may have closed it and reused the number).
fn ours(t: &Target) -> bool {
    // SAFETY: fstat on a descriptor number with a valid out-pointer: at worst EBADF.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(t.fd, &mut st) == 0 && st.st_ino == t.ino
    }
}

/// Sends one record, waiting for room as long as it takes (the exit record).
pub(crate) fn send_blocking(record: &[u8]) {
    let Some(t) = target().filter(|t| ours(t)) else {
        return;
    };
    let mut frame = [0u8; 2 + wire::HEADER];
    let n = record.len().min(wire::HEADER);
    frame[..2].copy_from_slice(&(n as u16).to_le_bytes());
    frame[2..2 + n].copy_from_slice(&record[..n]);
    let mut off = 0;
    while off < 2 + n {
        let sent = send_raw(t.fd, &frame[off..2 + n], 0);
        if sent <= 0 && errno() != libc::EINTR {
            return;
        }
        off += sent.max(0) as usize;
    }
}

/// Sends one record (a 2-byte length, then the record) without blocking for long; false when
/// it was lost.
pub(crate) fn send(record: &[u8]) -> bool {
    let Some(t) = target() else {
        return false;
    };
    if !ours(t) {
        return false; // the program closed our socket (and may reuse the number): never write to it
    }
    let mut frame = [0u8; 2 + wire::HEADER + wire::MAX_TAIL];
    let n = record.len().min(wire::HEADER + wire::MAX_TAIL);
    frame[..2].copy_from_slice(&(n as u16).to_le_bytes());
    frame[2..2 + n].copy_from_slice(&record[..n]);
    let frame = &frame[..2 + n];
    // A full buffer (the listener is behind): yield a little, then count the record as lost.
    // While records are being lost (tlsscope stopped or far behind) each is tried once, so
    // the program does not slow down by the yields of every record.
    let tries = if BACKLOGGED.load(Ordering::Relaxed) {
        1
    } else {
        200
    };
    for _ in 0..tries {
        let sent = send_raw(t.fd, frame, libc::MSG_DONTWAIT);
        if sent == frame.len() as isize {
            BACKLOGGED.store(false, Ordering::Relaxed);
            return true;
        }
        if sent > 0 {
            // Never seen with records this small, but the stream must stay framed: finish it.
            let mut off = sent as usize;
            while off < frame.len() {
                let more = send_raw(t.fd, &frame[off..], 0);
                if more <= 0 && errno() != libc::EINTR {
                    return false;
                }
                off += more.max(0) as usize;
            }
            return true;
        }
        if errno() != libc::EAGAIN && errno() != libc::EINTR {
            return false;
        }
        // SAFETY: no arguments.
        unsafe { libc::sched_yield() };
    }
    BACKLOGGED.store(true, Ordering::Relaxed);
    false
}

/// The last record could not be sent for want of room.
static BACKLOGGED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Appends the local and peer address of socket `fd` to a record's tail: `None` when `fd` is
/// not a socket, else whether it has a peer (is connected).
pub(crate) fn sock_names(
    fd: c_int,
    tail: &mut [u8; wire::MAX_TAIL],
    used: &mut usize,
) -> Option<bool> {
    let mut connected = false;
    for peer in [false, true] {
        // SAFETY: sockaddr_storage is plain data; the out-pointers are valid for `len`.
        let (rc, storage, len) = unsafe {
            let mut storage: libc::sockaddr_storage = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            let p = (&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>();
            let rc = if peer {
                libc::getpeername(fd, p, &mut len)
            } else {
                libc::getsockname(fd, p, &mut len)
            };
            (rc, storage, len)
        };
        if rc != 0 && !peer {
            return None;
        }
        connected = peer && rc == 0;
        let n = if rc == 0 {
            (len as usize).min(std::mem::size_of::<libc::sockaddr_storage>())
        } else {
            0
        };
        // SAFETY: `storage` is initialised plain data of at least `n` bytes.
        let raw = unsafe {
            std::slice::from_raw_parts((&storage as *const libc::sockaddr_storage).cast::<u8>(), n)
        };
        wire::push_part(tail, used, raw);
    }
    Some(connected)
}

pub(crate) type SslIntFn = unsafe extern "C" fn(*const c_void) -> c_int;
type SslStrFn = unsafe extern "C" fn(*const c_void) -> *const c_char;

fn cstr<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        return b"";
    }
    // SAFETY: OpenSSL returns NUL-terminated static or SSL-owned strings, valid while `ssl` is.
    unsafe { std::ffi::CStr::from_ptr(p).to_bytes() }
}

/// SSL_get_error(ssl, ret), made for the recorder (the program's own calls go through the hook).
pub(crate) fn ssl_get_error(ssl: usize, ret: i64) -> i32 {
    match real_fn!(
        "SSL_get_error",
        unsafe extern "C" fn(*const c_void, c_int) -> c_int
    ) {
        // SAFETY: `ssl` is the object the program just passed to an OpenSSL call on this thread.
        Some(f) => unsafe { f(ssl as *const c_void, ret as c_int) },
        None => -1,
    }
}

pub(crate) fn ssl_pending(ssl: usize) -> i32 {
    match real_fn!("SSL_pending", SslIntFn) {
        // SAFETY: as in `ssl_get_error`.
        Some(f) => unsafe { f(ssl as *const c_void) },
        None => 0,
    }
}

pub(crate) fn ssl_get_fd(ssl: usize) -> i32 {
    match real_fn!("SSL_get_fd", SslIntFn) {
        // SAFETY: as in `ssl_get_error`; -1 when the SSL object has no socket BIO.
        Some(f) => unsafe { f(ssl as *const c_void) },
        None => -1,
    }
}

/// The reason of the newest error on this thread's OpenSSL error queue (left on the queue).
pub(crate) fn ssl_error_reason() -> &'static [u8] {
    let (Some(peek), Some(reason)) = (
        real_fn!(
            "ERR_peek_last_error",
            unsafe extern "C" fn() -> libc::c_ulong
        ),
        real_fn!(
            "ERR_reason_error_string",
            unsafe extern "C" fn(libc::c_ulong) -> *const c_char
        ),
    ) else {
        return b"";
    };
    // SAFETY: both only read this thread's error queue and OpenSSL's static string table.
    cstr(unsafe { reason(peek()) })
}

/// SSL_is_init_finished: the handshake is complete.
pub(crate) fn ssl_init_finished(ssl: usize) -> bool {
    match real_fn!("SSL_is_init_finished", SslIntFn) {
        // SAFETY: as in `ssl_get_error`.
        Some(f) => (unsafe { f(ssl as *const c_void) }) == 1,
        None => false,
    }
}

/// SSL_get_verify_result: 0 (X509_V_OK) when the peer's certificate verified.
pub(crate) fn ssl_verify_result(ssl: usize) -> i64 {
    match real_fn!(
        "SSL_get_verify_result",
        unsafe extern "C" fn(*const c_void) -> libc::c_long
    ) {
        // SAFETY: as in `ssl_get_error`.
        Some(f) => unsafe { f(ssl as *const c_void) },
        None => -1,
    }
}

/// Version, cipher, server name and whether the session was resumed, after a handshake.
pub(crate) fn tls_params(ssl: usize) -> (&'static [u8], &'static [u8], &'static [u8], bool) {
    let s = ssl as *const c_void;
    let version = real_fn!("SSL_get_version", SslStrFn)
        // SAFETY: as in `ssl_get_error`; a static string.
        .map_or(&b""[..], |f| cstr(unsafe { f(s) }));
    let cipher = match (
        real_fn!(
            "SSL_get_current_cipher",
            unsafe extern "C" fn(*const c_void) -> *const c_void
        ),
        real_fn!("SSL_CIPHER_get_name", SslStrFn),
    ) {
        // SAFETY: the current cipher of a live SSL object (or NULL, which OpenSSL accepts and
        // answers with "(NONE)"); its name is a static string.
        (Some(cur), Some(name)) => cstr(unsafe { name(cur(s)) }),
        _ => b"",
    };
    let sni = real_fn!(
        "SSL_get_servername",
        unsafe extern "C" fn(*const c_void, c_int) -> *const c_char
    )
    // SAFETY: as in `ssl_get_error`; the name lives as long as the session, and is copied
    // into the record before the hook returns.
    .map_or(&b""[..], |f| cstr(unsafe { f(s, 0) }));
    let resumed = real_fn!("SSL_session_reused", SslIntFn)
        // SAFETY: as in `ssl_get_error`.
        .is_some_and(|f| unsafe { f(s) } == 1);
    (version, cipher, sni, resumed)
}

// ---------------------------------------------------------------------------------------------
// The load-time hello.

extern "C" fn at_load() {
    record::hello();
}

extern "C" fn at_exit() {
    record::bye();
}

#[used]
#[link_section = ".fini_array"]
static AT_EXIT: extern "C" fn() = at_exit;

#[used]
#[link_section = ".init_array"]
static AT_LOAD: extern "C" fn() = at_load;

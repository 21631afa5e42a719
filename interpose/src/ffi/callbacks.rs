//! The info and message callbacks `tlsscope run` adds to every SSL object the program creates:
//! they record handshake states and TLS messages, then call the program's own callback with the
//! same arguments, following OpenSSL's precedence (the SSL object's info callback, else its
//! context's; the message callback the SSL object got from its context at `SSL_new` or was
//! given later). The message callback's argument stays the program's: OpenSSL passes it to
//! ours and ours passes it on. The program's `SSL_set_*_callback` calls are hooked so that a
//! callback set later is chained too, and `SSL_get_info_callback` answers with the program's.

use super::real;
use crate::record;
use libc::{c_char, c_int, c_void, size_t};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

type InfoCb = unsafe extern "C" fn(*const c_void, c_int, c_int);
type MsgCb =
    unsafe extern "C" fn(c_int, c_int, c_int, *const c_void, size_t, *mut c_void, *mut c_void);
type SetInfo = unsafe extern "C" fn(*mut c_void, Option<InfoCb>);
type SetMsg = unsafe extern "C" fn(*mut c_void, Option<MsgCb>);

/// Objects whose program callback is known (a few: only programs that set their own).
const SLOTS: usize = 256;

/// A small lock-free map from an object's address to a callback address (fork-safe, no
/// allocation). Lookups are skipped while it is empty, the usual case.
struct Table {
    keys: [AtomicUsize; SLOTS],
    vals: [AtomicUsize; SLOTS],
    used: AtomicUsize,
}

impl Table {
    const fn new() -> Table {
        Table {
            keys: [const { AtomicUsize::new(0) }; SLOTS],
            vals: [const { AtomicUsize::new(0) }; SLOTS],
            used: AtomicUsize::new(0),
        }
    }

    fn get(&self, key: usize) -> usize {
        if self.used.load(Ordering::Acquire) == 0 {
            return 0;
        }
        (0..SLOTS)
            .find(|&i| self.keys[i].load(Ordering::Acquire) == key)
            .map_or(0, |i| self.vals[i].load(Ordering::Acquire))
    }

    /// False when the table is full (the caller then leaves the program's callback in place).
    fn set(&self, key: usize, val: usize) -> bool {
        if let Some(i) = (0..SLOTS).find(|&i| self.keys[i].load(Ordering::Acquire) == key) {
            self.vals[i].store(val, Ordering::Release);
            return true;
        }
        if val == 0 {
            return true;
        }
        for i in 0..SLOTS {
            if self.keys[i]
                .compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                self.vals[i].store(val, Ordering::Release);
                self.used.fetch_add(1, Ordering::AcqRel);
                return true;
            }
        }
        false
    }

    fn remove(&self, key: usize) {
        if self.used.load(Ordering::Acquire) == 0 {
            return;
        }
        if let Some(i) = (0..SLOTS).find(|&i| self.keys[i].load(Ordering::Acquire) == key) {
            self.vals[i].store(0, Ordering::Release);
            self.keys[i].store(0, Ordering::Release);
            self.used.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The program's SSL-level info callback per SSL object.
static SSL_INFO: Table = Table::new();
/// The program's message callback per SSL object.
static SSL_MSG: Table = Table::new();
/// The program's message callback per SSL_CTX (copied into each SSL at `SSL_new`).
static CTX_MSG: Table = Table::new();
/// A context's message callback could not be kept: stop adding ours (theirs must win).
static CTX_MSG_LOST: AtomicBool = AtomicBool::new(false);

fn info_cb_addr() -> usize {
    on_info as InfoCb as usize
}

fn msg_cb_addr() -> usize {
    on_msg as MsgCb as usize
}

/// Called from the `SSL_new` hook: our callbacks on a new SSL object of `ctx`.
pub(crate) fn install(ssl: *mut c_void, ctx: *mut c_void) {
    if !super::configured() {
        return;
    }
    let (Some(set_info), Some(set_msg)) = (
        real!("SSL_set_info_callback", SetInfo),
        real!("SSL_set_msg_callback", SetMsg),
    ) else {
        return;
    };
    // SAFETY: a valid SSL object just created; a fresh SSL has no SSL-level info callback, so
    // ours only adds one (the context's stays reachable, ours calls it).
    unsafe { set_info(ssl, Some(on_info)) };
    if CTX_MSG_LOST.load(Ordering::Relaxed) {
        return;
    }
    let theirs = CTX_MSG.get(ctx as usize);
    if SSL_MSG.set(ssl as usize, theirs) {
        // SAFETY: as above; the argument OpenSSL copied from the context is left alone.
        unsafe { set_msg(ssl, Some(on_msg)) };
    }
}

/// Called from the `SSL_free` hook.
pub(crate) fn forget(ssl: *mut c_void) {
    SSL_INFO.remove(ssl as usize);
    SSL_MSG.remove(ssl as usize);
}

unsafe extern "C" fn on_info(ssl: *const c_void, where_: c_int, ret: c_int) {
    if let Some(text) = real!(
        "SSL_state_string_long",
        unsafe extern "C" fn(*const c_void) -> *const c_char
    ) {
        // SAFETY: OpenSSL passes the SSL object the callback is installed on; the text is a
        // constant inside libssl.
        let ptr = unsafe { text(ssl) };
        let bytes = if ptr.is_null() {
            &[][..]
        } else {
            // SAFETY: a NUL-terminated constant string (see above).
            unsafe { std::ffi::CStr::from_ptr(ptr) }.to_bytes()
        };
        record::state(ssl as usize, where_, ret, bytes);
    }
    let mut theirs = SSL_INFO.get(ssl as usize);
    if theirs == 0 {
        if let (Some(get_ctx), Some(ctx_info)) = (
            real!(
                "SSL_get_SSL_CTX",
                unsafe extern "C" fn(*const c_void) -> *mut c_void
            ),
            real!(
                "SSL_CTX_get_info_callback",
                unsafe extern "C" fn(*const c_void) -> usize
            ),
        ) {
            // SAFETY: a valid SSL object; its context lives at least as long.
            theirs = unsafe { ctx_info(get_ctx(ssl)) };
        }
    }
    if theirs != 0 && theirs != info_cb_addr() {
        // SAFETY: an info callback the program gave OpenSSL, called as OpenSSL would.
        let f = unsafe { std::mem::transmute::<usize, InfoCb>(theirs) };
        // SAFETY: the arguments OpenSSL gave us, unchanged.
        unsafe { f(ssl, where_, ret) };
    }
}

unsafe extern "C" fn on_msg(
    write_p: c_int,
    version: c_int,
    content_type: c_int,
    buf: *const c_void,
    len: size_t,
    ssl: *mut c_void,
    arg: *mut c_void,
) {
    // 256 (record header) and 257 (TLS 1.3 inner content type) are pseudo content types.
    if (0..=255).contains(&content_type) {
        let mut head = [0u8; 8];
        let n = len.min(8);
        if !buf.is_null() && n > 0 {
            // SAFETY: OpenSSL passes `len` readable bytes at `buf` for the callback's duration.
            let bytes = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n) };
            head[..n].copy_from_slice(bytes);
        }
        record::msg(
            ssl as usize,
            write_p != 0,
            content_type as u8,
            u64::from_le_bytes(head),
            len as u64,
        );
    }
    let theirs = SSL_MSG.get(ssl as usize);
    if theirs != 0 && theirs != msg_cb_addr() {
        // SAFETY: a message callback the program gave OpenSSL, called as OpenSSL would, with
        // the program's own argument.
        let f = unsafe { std::mem::transmute::<usize, MsgCb>(theirs) };
        // SAFETY: the arguments OpenSSL gave us, unchanged.
        unsafe { f(write_p, version, content_type, buf, len, ssl, arg) };
    }
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_set_info_callback`.
#[no_mangle]
pub unsafe extern "C" fn SSL_set_info_callback(ssl: *mut c_void, cb: Option<InfoCb>) {
    let Some(f) = real!("SSL_set_info_callback", SetInfo) else {
        return;
    };
    let addr = cb.map_or(0, |c| c as usize);
    let ours = super::configured() && addr != info_cb_addr() && SSL_INFO.set(ssl as usize, addr);
    // SAFETY: the caller's SSL object; either ours (which calls theirs) or theirs.
    unsafe { f(ssl, if ours { Some(on_info) } else { cb }) };
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_get_info_callback`.
#[no_mangle]
pub unsafe extern "C" fn SSL_get_info_callback(ssl: *const c_void) -> Option<InfoCb> {
    let f = real!(
        "SSL_get_info_callback",
        unsafe extern "C" fn(*const c_void) -> Option<InfoCb>
    )?;
    // SAFETY: the caller's argument, unchanged.
    let got = unsafe { f(ssl) };
    if got.map(|c| c as usize) != Some(info_cb_addr()) {
        return got;
    }
    match SSL_INFO.get(ssl as usize) {
        0 => None,
        // SAFETY: the program's own callback, as it set it.
        p => Some(unsafe { std::mem::transmute::<usize, InfoCb>(p) }),
    }
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_set_msg_callback`.
#[no_mangle]
pub unsafe extern "C" fn SSL_set_msg_callback(ssl: *mut c_void, cb: Option<MsgCb>) {
    let Some(f) = real!("SSL_set_msg_callback", SetMsg) else {
        return;
    };
    let addr = cb.map_or(0, |c| c as usize);
    let ours = super::configured() && addr != msg_cb_addr() && SSL_MSG.set(ssl as usize, addr);
    // SAFETY: the caller's SSL object; either ours (which calls theirs) or theirs.
    unsafe { f(ssl, if ours { Some(on_msg) } else { cb }) };
}

/// # Safety
/// The caller's contract of OpenSSL's `SSL_CTX_set_msg_callback`.
#[no_mangle]
pub unsafe extern "C" fn SSL_CTX_set_msg_callback(ctx: *mut c_void, cb: Option<MsgCb>) {
    let Some(f) = real!("SSL_CTX_set_msg_callback", SetMsg) else {
        return;
    };
    if !CTX_MSG.set(ctx as usize, cb.map_or(0, |c| c as usize)) {
        CTX_MSG_LOST.store(true, Ordering::Relaxed);
    }
    // SAFETY: the caller's arguments, unchanged (SSL objects made later copy it; ours wraps it).
    unsafe { f(ctx, cb) };
}

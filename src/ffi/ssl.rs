//! OpenSSL functions rust-openssl does not expose, and the info and message callbacks that
//! report states and messages to the engine's recorder.

use crate::probe::record;
use crate::trace::{EventKind, Msg, MsgDir, State, StateText};
use foreign_types::ForeignTypeRef;
use openssl::ssl::SslRef;
use openssl_sys::SSL;
use std::ffi::{c_char, c_int, c_long, c_void, CStr};

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
        EventKind::State(State::new(
            call,
            StateText::of_static(text),
            where_ as u32,
            ret,
        ))
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
    // KeyUpdate: type(1) length(3) request_update(1). A ServerHello may be a HelloRetryRequest.
    let flag = match (content, msg_type) {
        (22, 24) => bytes.get(4).copied().unwrap_or(0),
        (22, 2) => u8::from(crate::trace::is_hello_retry_random(bytes)),
        _ => 0,
    };
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    record::in_call(|call| {
        EventKind::Msg(Msg::new(call, dir, content, msg_type, level, flag, len))
    });
}

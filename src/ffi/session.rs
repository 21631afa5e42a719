//! Session resumption calls rust-openssl marks unsafe or lacks: offering a saved session on a
//! new client, and what a session holds (a ticket, whether it can be resumed, its server name).

use foreign_types::{ForeignType, ForeignTypeRef};
use openssl::ssl::{SslRef, SslSession, SslSessionRef};
use openssl_sys::{
    BIO_ctrl, BIO_free_all, BIO_new, BIO_new_mem_buf, BIO_s_mem, BIO, SSL, SSL_SESSION,
};
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

// Declared against the libssl that openssl-sys links; all exist in OpenSSL 1.1.1 and 3.x.
extern "C" {
    fn SSL_SESSION_is_resumable(s: *const SSL_SESSION) -> c_int;
    fn SSL_SESSION_has_ticket(s: *const SSL_SESSION) -> c_int;
    fn SSL_SESSION_get0_hostname(s: *const SSL_SESSION) -> *const c_char;
    fn SSL_set_session(ssl: *mut SSL, session: *mut SSL_SESSION) -> c_int;
    fn PEM_write_bio_SSL_SESSION(bio: *mut BIO, session: *const SSL_SESSION) -> c_int;
    fn PEM_read_bio_SSL_SESSION(
        bio: *mut BIO,
        out: *mut *mut SSL_SESSION,
        cb: *mut c_void,
        arg: *mut c_void,
    ) -> *mut SSL_SESSION;
}

const BIO_CTRL_INFO: c_int = 3;

/// The session as `s_client -sess_out` writes it (`PEM_write_bio_SSL_SESSION`: an
/// `SSL SESSION PARAMETERS` block). It holds the session's master secret.
pub fn session_to_pem(session: &SslSessionRef) -> Result<Vec<u8>, String> {
    // SAFETY: a fresh memory BIO, written by PEM_write_bio_SSL_SESSION from a valid session;
    // BIO_CTRL_INFO (BIO_get_mem_data) points into the BIO's buffer for `len` bytes, copied
    // before the BIO is freed; the BIO is freed on every path.
    unsafe {
        let bio = BIO_new(BIO_s_mem());
        if bio.is_null() {
            return Err("OpenSSL: cannot allocate a memory BIO".into());
        }
        let written = PEM_write_bio_SSL_SESSION(bio, session.as_ptr());
        let mut data: *mut c_char = std::ptr::null_mut();
        let len = BIO_ctrl(
            bio,
            BIO_CTRL_INFO,
            0,
            (&mut data as *mut *mut c_char).cast(),
        );
        let out = (written == 1 && !data.is_null() && len > 0)
            .then(|| std::slice::from_raw_parts(data.cast::<u8>(), len as usize).to_vec());
        BIO_free_all(bio);
        out.ok_or_else(|| "OpenSSL could not write the session as PEM".into())
    }
}

/// Reads a session written by [`session_to_pem`] or `s_client -sess_out`.
pub fn session_from_pem(pem: &[u8]) -> Result<SslSession, String> {
    let len = c_int::try_from(pem.len()).map_err(|_| "the session file is too large")?;
    // SAFETY: BIO_new_mem_buf reads `len` bytes of `pem`, which outlives the BIO (freed before
    // returning); PEM_read_bio_SSL_SESSION returns a new session (one reference, owned by the
    // SslSession from here on) or null; no password callback (a session is never encrypted).
    unsafe {
        let bio = BIO_new_mem_buf(pem.as_ptr().cast(), len);
        if bio.is_null() {
            return Err("OpenSSL: cannot allocate a memory BIO".into());
        }
        let session = PEM_read_bio_SSL_SESSION(
            bio,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        BIO_free_all(bio);
        // Drain what the failed parse left on this thread's error queue.
        let _ = openssl::error::ErrorStack::get();
        if session.is_null() {
            Err("not an SSL session PEM file (BEGIN SSL SESSION PARAMETERS)".into())
        } else {
            Ok(SslSession::from_ptr(session))
        }
    }
}

/// Offers `session` in the next ClientHello of `ssl` (`SSL_set_session`). A session from another
/// context or from a file is fine for a client: OpenSSL copies what it needs and checks the
/// version and cipher itself when building the ClientHello (as `s_client -sess_in` does).
pub fn offer_session(ssl: &mut SslRef, session: &SslSessionRef) -> Result<(), String> {
    // SAFETY: both pointers are valid for the call; SSL_set_session takes its own reference to
    // the session (SSL_SESSION_up_ref), so `session` may be dropped afterwards. rust-openssl
    // marks its wrapper unsafe only because a server's session must come from the same context
    // (its session-id context); on a client the session only supplies what is offered.
    let ok = unsafe { SSL_set_session(ssl.as_ptr(), session.as_ptr()) };
    if ok == 1 {
        Ok(())
    } else {
        Err(format!(
            "OpenSSL refused the session: {}",
            openssl::error::ErrorStack::get()
        ))
    }
}

/// Whether the session can be offered: it has a session id or a ticket and is not marked
/// unresumable (`SSL_SESSION_is_resumable`).
pub fn session_resumable(session: &SslSessionRef) -> bool {
    // SAFETY: a valid session pointer, only read.
    unsafe { SSL_SESSION_is_resumable(session.as_ptr()) == 1 }
}

/// Whether the session holds a ticket (TLS 1.2 RFC 5077 or a TLS 1.3 PSK).
pub fn session_has_ticket(session: &SslSessionRef) -> bool {
    // SAFETY: a valid session pointer, only read.
    unsafe { SSL_SESSION_has_ticket(session.as_ptr()) == 1 }
}

/// The server name the session was made for, if any.
pub fn session_hostname(session: &SslSessionRef) -> Option<String> {
    // SAFETY: a valid session pointer; the returned string (or null) is owned by the session,
    // which outlives this borrow, and is NUL-terminated. It is copied before returning.
    unsafe {
        let p = SSL_SESSION_get0_hostname(session.as_ptr());
        (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

//! The few server-side OpenSSL functions rust-openssl does not expose, declared against the
//! linked libssl (OpenSSL 3). This is the lab's only `unsafe`; each call passes a pointer taken
//! from a live `&SslRef`, which is how rust-openssl's own `ForeignTypeRef::as_ptr` works.

use std::os::raw::c_int;

use openssl::ssl::SslRef;
use openssl_sys::SSL;

extern "C" {
    fn SSL_key_update(s: *mut SSL, updatetype: c_int) -> c_int;
    fn SSL_renegotiate(s: *mut SSL) -> c_int;
    fn SSL_verify_client_post_handshake(s: *mut SSL) -> c_int;
    fn SSL_new_session_ticket(s: *mut SSL) -> c_int;
}

/// `SSL_KEY_UPDATE_REQUESTED`: the peer must update its sending keys too.
pub const KEY_UPDATE_REQUESTED: c_int = 1;

fn ptr(ssl: &SslRef) -> *mut SSL {
    // An `&SslRef` is the `SSL*` itself (foreign-types' zero-sized reference pattern).
    ssl as *const SslRef as *mut SSL
}

/// Schedules a TLS 1.3 KeyUpdate; it is sent by the next `SSL_do_handshake` or `SSL_write`.
pub fn key_update(ssl: &SslRef, updatetype: c_int) -> bool {
    // SAFETY: `ptr(ssl)` is a valid SSL* for the duration of the borrow; SSL_key_update only
    // sets fields of that SSL and checks its arguments.
    unsafe { SSL_key_update(ptr(ssl), updatetype) == 1 }
}

/// Schedules a TLS 1.2 renegotiation; the HelloRequest is sent by the next `SSL_do_handshake`.
pub fn renegotiate(ssl: &SslRef) -> bool {
    // SAFETY: as above; SSL_renegotiate only sets state on the SSL.
    unsafe { SSL_renegotiate(ptr(ssl)) == 1 }
}

/// Schedules a TLS 1.3 post-handshake CertificateRequest (sent by the next `SSL_do_handshake`
/// or `SSL_write`). Requires a client that offered post-handshake auth and a verify mode with
/// `SSL_VERIFY_PEER`.
pub fn verify_client_post_handshake(ssl: &SslRef) -> bool {
    // SAFETY: as above; the function checks the connection's state and returns 0 if it cannot.
    unsafe { SSL_verify_client_post_handshake(ptr(ssl)) == 1 }
}

/// Schedules one more TLS 1.3 NewSessionTicket (sent by the next `SSL_do_handshake` or
/// `SSL_write`).
pub fn new_session_ticket(ssl: &SslRef) -> bool {
    // SAFETY: as above; the function checks the connection's state and returns 0 if it cannot.
    unsafe { SSL_new_session_ticket(ptr(ssl)) == 1 }
}

//! The only `unsafe` code of tlsscope: thin safe wrappers over the OpenSSL functions
//! rust-openssl does not expose (the socket BIO with its callback, info and message callbacks,
//! KeyUpdate, renegotiation, mode bits, post-handshake auth, session tickets, the ciphers a
//! ClientHello offers) and over the Linux socket ioctls / getsockopt behind the buffer levels.
//! Callbacks are trampolines into the engine's recorder (`probe::record`, `probe::tap`). Used by
//! the engine (`probe`) and by the lab's server-side peers. Every `unsafe` block says why it is
//! sound in a `// SAFETY:` comment.

mod bio;
mod gl;
mod session;
mod sock;
mod ssl;
mod x509;

pub use bio::SocketTls;
pub(crate) use gl::clear_rect;
pub use session::{
    offer_session, session_from_pem, session_has_ticket, session_hostname, session_resumable,
    session_to_pem,
};
pub use sock::{
    buffer_sizes, monotonic_ns, peer_sent_fin, process_cpu_time, queue_levels, tcp_info,
    thread_cpu_time,
};
pub use ssl::*;
pub use x509::{key_usage, ocsp_produced_at, ocsp_responder};

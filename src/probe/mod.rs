//! The engine: a background I/O thread that drives real OpenSSL client connections over
//! non-blocking sockets and records every call, socket operation, state, message and buffer level.

mod certs;
mod conn;
mod ctx_cache;
mod engine;
mod errors;
mod http;
pub mod pretls;
pub(crate) mod record;
mod session;
mod sockstat;
pub mod spec;
pub(crate) mod tap;
mod tls;
mod tls_setup;

/// The FFI wrappers, re-exported where `cli::bench` still looks for them.
pub use crate::ffi;
pub use conn::Action;
pub use engine::{follow_one, trace_one, Engine, EngineOptions};
pub use pretls::proxy::{Proxy, ProxyKind};
pub use pretls::Starttls;
pub use session::{Offer, SessionPlan};
pub use spec::*;

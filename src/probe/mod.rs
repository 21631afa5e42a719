//! The engine: a background I/O thread that drives real OpenSSL client connections over
//! non-blocking sockets and records every call, socket operation, state, message and buffer level.

mod conn;
mod engine;
mod errors;
pub mod ffi;
mod http;
mod record;
mod sockstat;
pub mod spec;
mod tap;
mod tls;
mod tls_setup;

pub use conn::Action;
pub use engine::{trace_one, Engine, EngineOptions};
pub use spec::*;

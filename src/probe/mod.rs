//! The engine: a background I/O thread that drives real OpenSSL client connections over
//! non-blocking sockets and records every call, socket operation, state, message and buffer level.

pub mod spec;

pub use spec::*;

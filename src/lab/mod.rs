//! The lab: embedded TLS peers on loopback, each misbehaving in one named way, so that every
//! WANT_READ / WANT_WRITE situation can be reproduced on demand.
//!
//! - [`Pki`]: certificates generated at runtime (a small CA, leaves, a client identity).
//! - [`Scenario`]: the catalogue, one definition per scenario: name, texts, trace signature,
//!   client-side defaults, and which peer serves it.
//! - [`LabServer`]: a running peer for one scenario.
//! - `peers` (private): what one connection does, scenario by scenario.
//!
//! Each peer is driven by its own OpenSSL calls (a blocking rust-openssl server), except
//! `not-tls` and `handshake-stall`, which never speak TLS, and `latency`'s proxy, which relays
//! bytes to an `ok` server. The few OpenSSL functions rust-openssl lacks come from
//! [`crate::probe::ffi`], tlsscope's one FFI file.

mod peers;
pub mod pki;
pub mod scenario;
pub mod server;

pub use pki::Pki;
pub use scenario::Scenario;
pub use server::LabServer;

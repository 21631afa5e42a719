//! tlsscope: an oscilloscope for TLS connections.
//!
//! - [`trace`]: the event model and its formats (pure data).
//! - [`probe`]: the engine that drives real OpenSSL client connections and records them.
//! - [`ffi`]: safe wrappers over the raw OpenSSL and socket calls (the one module with FFI).
//! - [`lab`]: embedded misbehaving TLS peers that reproduce each stall class on loopback.
//! - [`options`]: the connection options a user can set, shared by the command line and the app.
//! - [`export`]: key logs and pcapng captures for Wireshark and other tools.
//! - [`cli`]: the command line.
//! - [`export`]: the trace for outside tlsscope (the HTML report).
//! - [`ui`]: the desktop app (eframe / egui).

pub mod cli;
pub mod export;
// The one module allowed raw FFI code (`unsafe_code` is denied elsewhere, see Cargo.toml).
#[allow(unsafe_code)]
pub mod ffi;
pub mod lab;
pub mod options;
pub mod probe;
pub mod runner;
pub mod trace;
pub mod ui;

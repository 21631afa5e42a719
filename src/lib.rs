//! tlsscope: an oscilloscope for TLS connections.
//!
//! - [`trace`]: the event model and its formats (pure data).
//! - [`probe`]: the engine that drives real OpenSSL client connections and records them.
//! - [`ffi`]: the only `unsafe` code: safe wrappers over OpenSSL and socket calls.
//! - [`lab`]: embedded misbehaving TLS peers that reproduce each stall class on loopback.
//! - [`options`]: the connection options a user can set, shared by the command line and the app.
//! - [`cli`]: the command line.
//! - [`ui`]: the desktop app (eframe / egui).

pub mod cli;
// The one module allowed `unsafe` (denied everywhere else in Cargo.toml's [lints]).
#[allow(unsafe_code)]
pub mod ffi;
pub mod lab;
pub mod options;
pub mod probe;
pub mod trace;
pub mod ui;

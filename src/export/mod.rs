//! Exports of what a trace saw, for people and tools outside tlsscope: the session secrets as an
//! NSS key log ([`keylog`], for `--keylog` and `SSLKEYLOGFILE`), a pcapng capture that Wireshark
//! opens decrypted ([`pcapng`], for `--pcapng`), both made from the `secret` and `wire` events a
//! connection records when its spec asks for them (`probe::Capture`), and the self-contained
//! HTML report ([`report`]).

mod conn;
pub mod files;
pub mod keylog;
pub mod pcapng;
pub mod report;
mod tcp;
#[cfg(test)]
mod tests;

pub use files::{ExportError, ExportFiles};
pub use keylog::{KeylogTarget, KeylogWriter};
pub use pcapng::{write_capture, CaptureSummary, PcapngWriter};

//! The trace: what tlsscope records about a TLS connection, independent of how it was recorded
//! (the probe) or shown (command line, GUI). Pure data, formatting and queries; no OpenSSL, no I/O.

pub mod binary;
pub mod cert_time;
pub mod chain;
mod chain_json;
pub mod chain_text;
mod compact;
pub mod diagnosis;
pub mod escape;
pub mod event;
pub mod explain;
pub mod format;
pub mod fuzzing;
mod hot;
pub mod jsonl;
mod jsonl_fast;
pub mod jsonl_parallel;
pub mod jsonl_read;
mod jsonl_scan;
pub mod jsonl_stream;
mod kinds;
pub mod many;
pub mod misuse;
pub mod names;
mod payloads;
mod plain;
pub mod resumption;
pub mod store;
pub mod text;
pub mod ticks;
pub mod timing;
mod timing_json;
pub mod timing_text;
pub mod verdict;
mod verdict_json;

pub use event::*;

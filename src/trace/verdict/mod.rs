//! The verdict: what is wrong with a connection (or that nothing is), who waits for whom and on
//! what, the evidence it rests on, and what to do next. Pure analysis of the events; the command
//! line, the JSONL trace and the app all show this one result.
//!
//! - [`types`]: the verdict, its classes (a stable, documented vocabulary) and time breakdown.
//! - `facts`: a bounded, streaming summary of a connection's events (fed one event at a time).
//! - `rules`: from the facts to one verdict.

mod types;

pub use types::*;

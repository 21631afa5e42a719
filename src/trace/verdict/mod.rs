//! The verdict: what is wrong with a connection (or that nothing is), who waits for whom and on
//! what, the evidence it rests on, and what to do next. Pure analysis of the events; the command
//! line, the JSONL trace and the app all show this one result.
//!
//! - `types`: the verdict, its classes (a stable, documented vocabulary) and time breakdown.
//! - `facts`: a bounded, streaming summary of a connection's events (fed one event at a time).
//! - `rules`: from the facts to one verdict.
//! - `render`: the verdict as text lines (the trace's closing `diagnosis:` section).

mod facts;
mod render;
mod rules;
mod types;

pub use facts::Facts;
pub use render::{breakdown, lines};
pub use rules::verdict;
pub use types::*;

use super::event::{ConnId, Event};

/// The verdict on connection `conn` from all its events (at the time of its last event).
pub fn judge(events: &[Event], conn: ConnId) -> Verdict {
    let mut facts = Facts::new(conn);
    for e in events {
        facts.feed(e);
    }
    verdict(&facts, facts.last_t)
}

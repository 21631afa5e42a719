//! Per-connection columnar store of a trace, fed batch by batch, with the queries the views need:
//! derived status, nested details of a call, hit testing, and visible-range queries aggregated
//! per pixel bucket.
//!
//! A column holds indices into the connection's events (about 2 bytes each, [`Indices`]), not
//! copies of their times: a call costs the store its 24-byte [`Stored`] event plus about 3 bytes.
//! Every column is sorted by time (calls, waits, socket operations of one connection happen one
//! after the other), so a query binary-searches its range, and per-class prefix counts and a
//! min/max pyramid answer "what happened in this bucket" without walking the events in it: the
//! cost of a frame depends on its width in pixels, not on how many events were recorded.

mod buckets;
mod classes;
mod conn;
mod filter;
mod gallop;
mod grid;
mod heads;
mod hit;
mod indices;
mod ingest;
mod memo;
mod minmax;
mod queries;
mod runs;
mod series;
mod spans;
mod status;
mod stored;
mod timed;

pub use classes::{CallClass, IoClass, IoOutcome, SpanClass, WaitClass};
pub use conn::ConnTrace;
pub use filter::EventFilter;
pub use grid::{Grid, Part, SlideKey, Sliding};
pub use hit::{Hit, Lane};
pub use indices::Indices;
pub use memo::{Memo, ViewKey};
pub use runs::RunView;
pub use series::Series;
pub use spans::{aggregate, aggregate_part, Mark, SpanView, Spans};
pub use status::{Status, STALL_NANOS};
pub use stored::Stored;
pub use timed::{first, Timed};

use super::event::{ConnId, Event, EventKind, Nanos};
use std::collections::HashMap;

/// All connections of a session.
#[derive(Debug, Default)]
pub struct Store {
    pub conns: Vec<ConnTrace>,
    index: HashMap<ConnId, usize>,
    /// The connection of the last event and its place: a batch's events mostly belong to one
    /// connection after another, so most events skip the hash lookup.
    last: Option<(ConnId, usize)>,
    pub total_events: u64,
    pub dropped: u64,
    pub last_t: Nanos,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds one batch of events from the engine, copying them (see [`Store::take_batch`]).
    pub fn push_batch(&mut self, batch: &[Event]) {
        for e in batch {
            self.push_owned(e.clone());
        }
    }

    /// Adds one batch the caller is done with: its events are moved in, so the heap payloads
    /// of the boxed kinds are kept rather than copied and freed (the load of a file, the
    /// engine's batches).
    pub fn take_batch(&mut self, batch: Vec<Event>) {
        for e in batch {
            self.push_owned(e);
        }
    }

    pub fn push(&mut self, e: &Event) {
        self.push_owned(e.clone());
    }

    /// Adds one event, moved in.
    pub fn push_owned(&mut self, e: Event) {
        self.total_events += 1;
        self.last_t = self.last_t.max(e.t);
        if let EventKind::Dropped { count } = e.kind {
            self.dropped += count;
        }
        let i = match self.last {
            Some((id, i)) if id == e.conn => i,
            _ => {
                let i = *self.index.entry(e.conn).or_insert_with(|| {
                    self.conns.push(ConnTrace::new(e.conn));
                    self.conns.len() - 1
                });
                self.last = Some((e.conn, i));
                i
            }
        };
        self.conns[i].push(e);
    }

    /// Forgets connection `id` (a replay that starts over); the session's counts stay.
    pub fn remove(&mut self, id: ConnId) -> Option<ConnTrace> {
        let i = self.index.remove(&id)?;
        self.last = None;
        let c = self.conns.remove(i);
        for j in self.index.values_mut() {
            if *j > i {
                *j -= 1;
            }
        }
        Some(c)
    }

    pub fn conn(&self, id: ConnId) -> Option<&ConnTrace> {
        self.index.get(&id).map(|&i| &self.conns[i])
    }

    pub fn memory(&self) -> usize {
        self.conns.iter().map(ConnTrace::memory).sum()
    }
}

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod query_tests;
#[cfg(test)]
mod slide_tests;
#[cfg(test)]
mod tests;

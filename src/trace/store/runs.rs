//! Runs of retries read from the calls: a run is its first call and how many attempts it has,
//! and its span goes from that call's start to the last attempt's end (no times kept but
//! every 64th run's start, for the bucket searches).

use super::classes::CallClass;
use super::heads::Heads;
use super::spans::SpanView;
use super::timed::Timed;
use crate::trace::event::Nanos;

/// The runs of retries of one connection, with the calls they are made of.
#[derive(Debug, Clone, Copy)]
pub struct RunView<'a> {
    pub(super) calls: SpanView<'a, CallClass>,
    /// Per run: index of its first call, and how many attempts it has so far.
    pub(super) first: &'a [u32],
    pub(super) attempts: &'a [u32],
    /// Every 64th run's start (the start of its first call).
    pub(super) heads: &'a Heads,
}

impl Timed for RunView<'_> {
    type Class = ();

    fn len(&self) -> usize {
        self.first.len()
    }

    fn start(&self, r: usize) -> Nanos {
        self.calls.start(self.first[r] as usize)
    }

    fn end(&self, r: usize) -> Nanos {
        let last = self.first[r] as usize + (self.attempts[r] as usize).max(1) - 1;
        self.calls.end(last.min(self.calls.len().saturating_sub(1)))
    }

    fn class(&self, _: usize) {}

    fn worst(&self, _: usize, _: usize) {}

    fn heads(&self) -> Option<&Heads> {
        Some(self.heads)
    }
}

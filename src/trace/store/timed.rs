//! Sorted spans read through their times: the searches every lane shares (what overlaps a
//! range, what contains an instant, what is nearest), whatever holds the times.
//!
//! The columns keep no times of their own: a span's start and end are read from its event
//! ([`span_start`], [`span_end`]), so a span costs an index into the events, not two `u64`s.

use super::classes::SpanClass;
use super::stored::Stored;
use crate::trace::event::{EventKind, Nanos};

/// When the event at `index` began (0 for an index past the end, which the store never makes).
pub(crate) fn span_start(events: &[Stored], index: u32) -> Nanos {
    events.get(index as usize).map_or(0, |e| e.t)
}

/// When the event at `index` ended: a call or a wait lasts its duration, the rest are instants.
pub(crate) fn span_end(events: &[Stored], index: u32) -> Nanos {
    events.get(index as usize).map_or(0, |e| {
        e.t + match &e.kind {
            EventKind::Call(c) => c.dur(),
            EventKind::Wait(w) => w.dur,
            _ => 0,
        }
    })
}

/// The first `i` in `0..n` for which `past(i)` holds, where `past` is false then true (a binary
/// search over indices, like `partition_point` over a slice).
pub fn first(n: usize, past: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if past(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Spans sorted by start and by end (they follow one another), with a class each.
pub trait Timed {
    type Class: SpanClass;

    fn len(&self) -> usize;
    /// Start and end of span `i` (`i < len()`).
    fn start(&self, i: usize) -> Nanos;
    fn end(&self, i: usize) -> Nanos;
    fn class(&self, i: usize) -> Self::Class;
    /// The most notable class among the spans `a..b`.
    fn worst(&self, a: usize, b: usize) -> Self::Class;

    /// [`Timed::worst`] of each range `bounds[k]..bounds[k + 1]` (a view's buckets).
    fn worsts(&self, bounds: &[usize]) -> Vec<Self::Class> {
        bounds.windows(2).map(|w| self.worst(w[0], w[1])).collect()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every 64th span's start, when the column keeps them: the bucket searches
    /// ([`super::buckets`]) then walk those and run side by side.
    fn heads(&self) -> Option<&super::heads::Heads> {
        None
    }

    /// Start and end of span `i`, if there is one.
    fn get(&self, i: usize) -> Option<(Nanos, Nanos)> {
        (i < self.len()).then(|| (self.start(i), self.end(i)))
    }

    /// Index range of the spans that overlap `t0..=t1`.
    fn overlapping(&self, t0: Nanos, t1: Nanos) -> (usize, usize) {
        let a = first(self.len(), |i| self.end(i) >= t0);
        let b = first(self.len(), |i| self.start(i) > t1);
        (a, b.max(a))
    }

    /// How many spans start at or before `t`.
    fn started_by(&self, t: Nanos) -> usize {
        first(self.len(), |i| self.start(i) > t)
    }

    /// The span containing `t`, if any.
    fn at(&self, t: Nanos) -> Option<usize> {
        let i = self.started_by(t).checked_sub(1)?;
        (self.end(i) >= t).then_some(i)
    }

    /// The span containing `t`, else the one starting nearest to `t` within `tol`.
    fn near(&self, t: Nanos, tol: Nanos) -> Option<usize> {
        self.at(t).or_else(|| self.nearest_start(t, tol))
    }

    /// The span starting nearest to `t` among those overlapping `t ± tol`.
    fn nearest_start(&self, t: Nanos, tol: Nanos) -> Option<usize> {
        let (a, b) = self.overlapping(t.saturating_sub(tol), t.saturating_add(tol));
        (a..b).min_by_key(|&i| self.start(i).abs_diff(t))
    }

    /// The span (of spans that follow one another) nearest to `t` within `tol`: the one
    /// containing `t`, else the one whose nearer end is closest. `tol` is the minimum hit width
    /// (a few pixels of time), so a span far shorter than a pixel can still be hovered, and of
    /// several tiny ones in those pixels the one nearest the pointer wins, not the first.
    fn nearest(&self, t: Nanos, tol: Nanos) -> Option<usize> {
        let (a, b) = self.overlapping(t.saturating_sub(tol), t.saturating_add(tol));
        let distance = |i: usize| {
            let (s, e) = (self.start(i), self.end(i));
            if s > t {
                s - t
            } else {
                t.saturating_sub(e)
            }
        };
        (a..b).min_by_key(|&i| distance(i))
    }

    /// Length of span `i`.
    fn duration(&self, i: usize) -> Nanos {
        self.end(i).saturating_sub(self.start(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spans given by their times, as the tests write them.
    struct Plain<'a>(&'a [Nanos], &'a [Nanos]);

    impl Timed for Plain<'_> {
        type Class = ();
        fn len(&self) -> usize {
            self.0.len()
        }
        fn start(&self, i: usize) -> Nanos {
            self.0[i]
        }
        fn end(&self, i: usize) -> Nanos {
            self.1[i]
        }
        fn class(&self, _: usize) {}
        fn worst(&self, _: usize, _: usize) {}
    }

    #[test]
    fn the_nearest_span_wins_within_the_hit_width() {
        // A long call, then three calls of 1 ns, 10 ns apart.
        let s = Plain(&[0, 1000, 1010, 1020], &[900, 1001, 1011, 1021]);
        assert_eq!(s.nearest(450, 5), Some(0));
        // Just past the long call's end, nearer to it than to the tiny call.
        assert_eq!(s.nearest(920, 100), Some(0));
        assert_eq!(s.nearest(990, 100), Some(1));
        // Between tiny calls, the nearest one, not the first in the tolerance.
        assert_eq!(s.nearest(1009, 30), Some(2));
        assert_eq!(s.nearest(1019, 30), Some(3));
        // Nothing within the tolerance.
        assert_eq!(s.nearest(950, 10), None);
        assert_eq!(s.nearest(5000, 10), None);
        assert_eq!(Plain(&[], &[]).nearest(5, 10), None);
    }

    #[test]
    fn the_search_finds_the_first_index_past() {
        let v = [1, 3, 3, 7];
        for t in 0..9 {
            assert_eq!(first(v.len(), |i| v[i] > t), v.partition_point(|&x| x <= t));
        }
        assert_eq!(first(0, |_| true), 0);
    }
}

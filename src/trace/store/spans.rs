//! Sorted spans with a typed class each, per-class prefix counts, and their aggregation into at
//! most a few marks per pixel bucket.

use super::classes::SpanClass;
use super::gallop::first_at_or_after;
use crate::trace::event::Nanos;

/// Spans per checkpoint of the per-class counts: a count scans at most this many classes at each
/// end of its range, and the checkpoints cost 4 bytes per class per this many spans.
const BLOCK: usize = 64;

/// The most classes a [`SpanClass`] may have (counts are fixed-size arrays).
const MAX_CLASSES: usize = 8;

/// Sorted spans (start, end) with a class per span and per-class counts every [`BLOCK`] spans,
/// so the classes present in any index range are known in O([`BLOCK`]).
#[derive(Debug, Clone)]
pub struct Spans<C: SpanClass> {
    pub start: Vec<Nanos>,
    /// Empty for spans made with [`Spans::points`], whose ends are their starts (see
    /// [`Spans::ends`]).
    pub end: Vec<Nanos>,
    pub class: Vec<C>,
    /// Every span is an instant (socket operations): `end` is not kept.
    points: bool,
    /// checkpoints[k * C::ALL.len() + c] = spans of class index c among the first k * BLOCK.
    checkpoints: Vec<u32>,
    /// Spans of each class so far.
    totals: [u32; MAX_CLASSES],
}

impl<C: SpanClass> Default for Spans<C> {
    fn default() -> Spans<C> {
        assert!(C::ALL.len() <= MAX_CLASSES, "too many span classes");
        Spans {
            start: Vec::new(),
            end: Vec::new(),
            class: Vec::new(),
            points: false,
            checkpoints: vec![0; C::ALL.len()],
            totals: [0; MAX_CLASSES],
        }
    }
}

impl<C: SpanClass> Spans<C> {
    /// Spans that are all instants (start = end), which keep no `end` column.
    pub(crate) fn points() -> Spans<C> {
        Spans {
            points: true,
            ..Spans::default()
        }
    }

    /// The ends of the spans, sorted (their starts, for points).
    pub fn ends(&self) -> &[Nanos] {
        if self.points {
            &self.start
        } else {
            &self.end
        }
    }

    pub(crate) fn push(&mut self, start: Nanos, end: Nanos, class: C) {
        self.start.push(start);
        if self.points {
            debug_assert_eq!(start, end, "a point has no length");
        } else {
            self.end.push(end);
        }
        self.class.push(class);
        self.totals[class.index()] += 1;
        if self.class.len().is_multiple_of(BLOCK) {
            let n = C::ALL.len();
            self.checkpoints.extend_from_slice(&self.totals[..n]);
        }
    }

    pub fn len(&self) -> usize {
        self.start.len()
    }

    pub fn is_empty(&self) -> bool {
        self.start.is_empty()
    }

    /// Per class, the spans among the first `i`.
    fn counts_before(&self, i: usize) -> [u32; MAX_CLASSES] {
        let n = C::ALL.len();
        let k = i / BLOCK;
        let mut out = [0; MAX_CLASSES];
        out[..n].copy_from_slice(&self.checkpoints[k * n..k * n + n]);
        for c in &self.class[k * BLOCK..i] {
            out[c.index()] += 1;
        }
        out
    }

    /// How many spans of `class` lie in the index range `a..b`.
    pub fn count(&self, class: C, a: usize, b: usize) -> u32 {
        let k = class.index();
        self.counts_before(b)[k] - self.counts_before(a)[k]
    }

    /// The most notable class among the spans `a..b` (the first class when the range is empty).
    fn worst(&self, a: usize, b: usize) -> C {
        let none = C::ALL[0];
        if b <= a + 2 * BLOCK {
            return self.class[a..b]
                .iter()
                .copied()
                .max_by_key(|c| c.index())
                .unwrap_or(none);
        }
        let (hi, lo) = (self.counts_before(b), self.counts_before(a));
        (0..C::ALL.len())
            .rev()
            .find(|&k| hi[k] > lo[k])
            .map_or(none, |k| C::ALL[k])
    }

    /// Gives back the room vectors grew into while the connection was recorded.
    pub(crate) fn shrink(&mut self) {
        self.start.shrink_to_fit();
        self.end.shrink_to_fit();
        self.class.shrink_to_fit();
        self.checkpoints.shrink_to_fit();
    }

    /// Bytes held per span, counting what the vectors hold (not their spare room).
    pub(crate) fn bytes_per_span(&self) -> f64 {
        use std::mem::size_of;
        let times = if self.points { 1 } else { 2 };
        (times * size_of::<Nanos>() + size_of::<C>()) as f64
            + (C::ALL.len() * size_of::<u32>()) as f64 / BLOCK as f64
    }

    /// Index range of the spans that overlap `t0..=t1`.
    pub fn overlapping(&self, t0: Nanos, t1: Nanos) -> (usize, usize) {
        let a = self.ends().partition_point(|&e| e < t0);
        let b = self.start.partition_point(|&s| s <= t1);
        (a, b.max(a))
    }

    /// Moves the end of the last span later (a span still growing, like a run of retries).
    pub(crate) fn extend_last(&mut self, end: Nanos) {
        if let Some(last) = self.end.last_mut() {
            *last = (*last).max(end);
        }
    }

    /// The span containing `t`, if any.
    pub fn at(&self, t: Nanos) -> Option<usize> {
        let i = self.start.partition_point(|&s| s <= t).checked_sub(1)?;
        (self.ends()[i] >= t).then_some(i)
    }

    /// The span containing `t`, else the one starting nearest to `t` within `tol`.
    pub fn near(&self, t: Nanos, tol: Nanos) -> Option<usize> {
        self.at(t).or_else(|| self.nearest_start(t, tol))
    }

    /// The span starting nearest to `t` among those overlapping `t ± tol`.
    pub fn nearest_start(&self, t: Nanos, tol: Nanos) -> Option<usize> {
        let (a, b) = self.overlapping(t.saturating_sub(tol), t.saturating_add(tol));
        (a..b).min_by_key(|&i| self.start[i].abs_diff(t))
    }

    /// Length of span `i`.
    pub fn duration(&self, i: usize) -> Nanos {
        self.ends()[i] - self.start[i]
    }
}

/// One mark in a lane after aggregation: a single span, or several merged into one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark<C> {
    pub start: Nanos,
    pub end: Nanos,
    /// Index of the first span in the mark.
    pub first: usize,
    /// Number of spans merged into this mark.
    pub count: usize,
    /// The most notable class in the mark.
    pub class: C,
}

/// Merges the spans overlapping `t0..=t1` so that at most about `buckets` marks come out.
pub fn aggregate<C: SpanClass>(
    spans: &Spans<C>,
    t0: Nanos,
    t1: Nanos,
    buckets: usize,
) -> Vec<Mark<C>> {
    let (a, b) = spans.overlapping(t0, t1);
    let buckets = buckets.max(1);
    if b - a <= buckets * 2 {
        return (a..b)
            .map(|i| Mark {
                start: spans.start[i],
                end: spans.ends()[i],
                first: i,
                count: 1,
                class: spans.class[i],
            })
            .collect();
    }
    let width = (t1.saturating_sub(t0) / buckets as u64).max(1);
    let mut marks = Vec::with_capacity(buckets + 2);
    let mut i = a;
    while i < b {
        // Everything starting before the end of the bucket that holds span i joins its mark.
        let bucket_end = t0 + (spans.start[i].saturating_sub(t0) / width + 1) * width;
        let j = first_at_or_after(&spans.start, i, b, bucket_end).max(i + 1);
        marks.push(Mark {
            start: spans.start[i],
            end: spans.ends()[j - 1].max(spans.start[i]),
            first: i,
            count: j - i,
            class: spans.worst(i, j),
        });
        i = j;
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::store::classes::WaitClass;

    fn waits() -> Spans<WaitClass> {
        let mut s = Spans::default();
        s.push(0, 10, WaitClass::Readable);
        s.push(20, 30, WaitClass::Writable);
        s.push(100, 150, WaitClass::Readable);
        s
    }

    #[test]
    fn counts_and_lookups_follow_the_classes() {
        let s = waits();
        assert_eq!(s.count(WaitClass::Readable, 0, 3), 2);
        assert_eq!(s.count(WaitClass::Writable, 0, 1), 0);
        assert_eq!(s.count(WaitClass::Either, 0, 3), 0);
        assert_eq!(s.worst(0, 3), WaitClass::Writable);
        assert_eq!(s.at(25), Some(1));
        assert_eq!(s.at(50), None);
        // Near a span but outside it: the nearest start within the tolerance.
        assert_eq!(s.near(95, 10), Some(2));
        assert_eq!(s.near(60, 10), None);
        assert_eq!(s.duration(2), 50);
    }

    /// Counts across checkpoints agree with counting the classes one by one.
    #[test]
    fn counts_across_checkpoints_match_a_plain_count() {
        let mut s = Spans::default();
        let class = |i: usize| WaitClass::ALL[(i * i + i / 7) % 3];
        for i in 0..1000usize {
            s.push(i as u64, i as u64, class(i));
        }
        for (a, b) in [
            (0, 1000),
            (3, 64),
            (63, 65),
            (64, 128),
            (100, 900),
            (999, 1000),
            (7, 7),
        ] {
            for c in WaitClass::ALL {
                let plain = (a..b).filter(|&i| class(i) == c).count() as u32;
                assert_eq!(s.count(c, a, b), plain, "{c:?} {a}..{b}");
            }
            let worst = (a..b).map(class).max_by_key(|c| c.index());
            assert_eq!(
                s.worst(a, b),
                worst.unwrap_or(WaitClass::Readable),
                "{a}..{b}"
            );
        }
    }

    #[test]
    fn aggregation_merges_into_buckets_keeping_the_worst_class() {
        let mut s = Spans::default();
        for i in 0..1000u64 {
            let class = if i == 500 {
                WaitClass::Either
            } else {
                WaitClass::Readable
            };
            s.push(i * 10, i * 10 + 5, class);
        }
        let marks = aggregate(&s, 0, 10_000, 10);
        assert!(marks.len() <= 12, "{}", marks.len());
        assert_eq!(marks.iter().map(|m| m.count).sum::<usize>(), 1000);
        let either: Vec<_> = marks
            .iter()
            .filter(|m| m.class == WaitClass::Either)
            .collect();
        assert_eq!(either.len(), 1);
        assert!((either[0].first..either[0].first + either[0].count).contains(&500));
    }
}

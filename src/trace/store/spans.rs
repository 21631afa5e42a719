//! Sorted spans with a typed class each, per-class prefix counts, and their aggregation into at
//! most a few marks per pixel bucket.

use super::buckets::bounds;
use super::classes::SpanClass;
use super::grid::Part;
use super::heads::Heads;
use super::indices::Indices;
use super::stored::Stored;
use super::timed::{first, span_end, span_start, Timed};
use crate::trace::event::Nanos;

/// Spans per checkpoint of the per-class counts: a count scans at most this many classes at each
/// end of its range, and the checkpoints cost 4 bytes per class per this many spans.
const BLOCK: usize = 64;

/// The most classes a [`SpanClass`] may have (counts are fixed-size arrays).
const MAX_CLASSES: usize = 8;

/// A column of spans: per span the index of its event (whose times it has, see
/// [`super::timed`]) and its class, and per-class counts every [`BLOCK`] spans, so the classes
/// present in any index range are known in O([`BLOCK`]).
#[derive(Debug, Clone)]
pub struct Spans<C: SpanClass> {
    /// Index of each span's event in the connection's events.
    pub event: Indices,
    /// Each span's class, as its index in `C::ALL` (one byte whatever `C` is).
    pub(super) class: Vec<u8>,
    _class: std::marker::PhantomData<C>,
    /// checkpoints[k * C::ALL.len() + c] = spans of class index c among the first k * BLOCK.
    checkpoints: Vec<u32>,
    /// Spans of each class so far.
    totals: [u32; MAX_CLASSES],
    /// Every 64th span's start, for finding where a pixel bucket ends.
    heads: Heads,
}

impl<C: SpanClass> Default for Spans<C> {
    fn default() -> Spans<C> {
        assert!(C::ALL.len() <= MAX_CLASSES, "too many span classes");
        Spans {
            event: Indices::default(),
            class: Vec::new(),
            _class: std::marker::PhantomData,
            checkpoints: vec![0; C::ALL.len()],
            totals: [0; MAX_CLASSES],
            heads: Heads::default(),
        }
    }
}

impl<C: SpanClass> Spans<C> {
    /// Appends the span of event `event`, which starts at `start` (its event's time as kept:
    /// starts never decrease).
    pub(crate) fn push(&mut self, event: u32, class: C, start: Nanos) {
        self.heads.push(self.event.len(), start);
        self.event.push(event);
        self.class.push(class.index() as u8);
        self.totals[class.index()] += 1;
        if self.class.len().is_multiple_of(BLOCK) {
            let n = C::ALL.len();
            self.checkpoints.extend_from_slice(&self.totals[..n]);
        }
    }

    pub fn len(&self) -> usize {
        self.event.len()
    }

    pub fn is_empty(&self) -> bool {
        self.event.is_empty()
    }

    /// Per class, the spans among the first `i`.
    fn counts_before(&self, i: usize) -> [u32; MAX_CLASSES] {
        let n = C::ALL.len();
        let k = i / BLOCK;
        let mut out = [0; MAX_CLASSES];
        // From the nearer checkpoint: the one after `i`, less what lies between, when `i` is
        // in the second half of a complete block.
        let next = (k + 1) * n;
        if i % BLOCK > BLOCK / 2 && next + n <= self.checkpoints.len() {
            out[..n].copy_from_slice(&self.checkpoints[next..next + n]);
            for &c in &self.class[i..(k + 1) * BLOCK] {
                out[c as usize] -= 1;
            }
            return out;
        }
        out[..n].copy_from_slice(&self.checkpoints[k * n..k * n + n]);
        for &c in &self.class[k * BLOCK..i] {
            out[c as usize] += 1;
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
                .max()
                .map_or(none, |&k| C::ALL[k as usize]);
        }
        let (hi, lo) = (self.counts_before(b), self.counts_before(a));
        (0..C::ALL.len())
            .rev()
            .find(|&k| hi[k] > lo[k])
            .map_or(none, |k| C::ALL[k])
    }

    /// [`Spans::worst`] of each range `bounds[k]..bounds[k + 1]` (a view's buckets): the counts
    /// at a bound are read once for the two buckets that share it.
    fn worsts(&self, bounds: &[usize]) -> Vec<C> {
        let mut out = Vec::with_capacity(bounds.len().saturating_sub(1));
        let mut shared: Option<[u32; MAX_CLASSES]> = None;
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a + 2 * BLOCK {
                out.push(self.worst(a, b));
                shared = None;
                continue;
            }
            let lo = shared.take().unwrap_or_else(|| self.counts_before(a));
            let hi = self.counts_before(b);
            let worst = (0..C::ALL.len()).rev().find(|&k| hi[k] > lo[k]);
            out.push(worst.map_or(C::ALL[0], |k| C::ALL[k]));
            shared = Some(hi);
        }
        out
    }

    /// The class of span `i` (`i < len()`).
    pub fn class(&self, i: usize) -> C {
        C::ALL[self.class[i] as usize]
    }

    /// Gives back the room vectors grew into while the connection was recorded.
    pub(crate) fn shrink(&mut self) {
        self.event.shrink();
        self.class.shrink_to_fit();
        self.checkpoints.shrink_to_fit();
        self.heads.shrink();
    }

    /// Bytes held, counting what the vectors hold (not their spare room).
    pub(crate) fn bytes(&self) -> usize {
        self.event.bytes()
            + self.class.len()
            + self.checkpoints.len() * std::mem::size_of::<u32>()
            + self.heads.bytes()
    }

    /// The column read with the events its times come from.
    pub fn view<'a>(&'a self, events: &'a [Stored]) -> SpanView<'a, C> {
        SpanView { col: self, events }
    }
}

/// A column of spans with the events it reads its times from: what the lanes query.
#[derive(Debug, Clone, Copy)]
pub struct SpanView<'a, C: SpanClass> {
    pub col: &'a Spans<C>,
    events: &'a [Stored],
}

impl<C: SpanClass> Timed for SpanView<'_, C> {
    type Class = C;

    fn len(&self) -> usize {
        self.col.len()
    }

    fn start(&self, i: usize) -> Nanos {
        span_start(self.events, self.col.event.at(i))
    }

    fn end(&self, i: usize) -> Nanos {
        span_end(self.events, self.col.event.at(i))
    }

    fn class(&self, i: usize) -> C {
        self.col.class(i)
    }

    fn worst(&self, a: usize, b: usize) -> C {
        self.col.worst(a, b)
    }

    fn worsts(&self, bounds: &[usize]) -> Vec<C> {
        self.col.worsts(bounds)
    }

    fn heads(&self) -> Option<&Heads> {
        Some(&self.col.heads)
    }
}

impl<C: SpanClass> SpanView<'_, C> {
    /// How many spans of `class` lie in the index range `a..b`.
    pub fn count(&self, class: C, a: usize, b: usize) -> u32 {
        self.col.count(class, a, b)
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
pub fn aggregate<S: Timed>(spans: &S, t0: Nanos, t1: Nanos, buckets: usize) -> Vec<Mark<S::Class>> {
    let (a, b) = spans.overlapping(t0, t1);
    let buckets = buckets.max(1);
    if b - a <= buckets * 2 {
        return (a..b)
            .map(|i| Mark {
                start: spans.start(i),
                end: spans.end(i),
                first: i,
                count: 1,
                class: spans.class(i),
            })
            .collect();
    }
    let width = (t1.saturating_sub(t0) / buckets as u64).max(1);
    group(spans, (a, b), t0, width)
}

/// [`aggregate`] of the cells `part` of a view on a fixed grid, every cell's spans joined into
/// one mark (a cell of one span gives that span's own mark): spans starting in the cells, and
/// in a leading part also those that began before it and last into it.
pub fn aggregate_part<S: Timed>(spans: &S, part: Part) -> Vec<Mark<S::Class>> {
    let (t0, end) = (part.grid.t0(), part.grid.end());
    let a = if part.leading {
        first(spans.len(), |i| spans.end(i) >= t0)
    } else {
        first(spans.len(), |i| spans.start(i) >= t0)
    };
    let b = first(spans.len(), |i| spans.start(i) >= end).max(a);
    group(spans, (a, b), t0, part.grid.width)
}

/// The spans `a..b` joined into one mark per bucket of `width` from `t0` (spans before `t0`
/// join the first).
fn group<S: Timed>(
    spans: &S,
    (a, b): (usize, usize),
    t0: Nanos,
    width: Nanos,
) -> Vec<Mark<S::Class>> {
    let bounds = bounds(spans.heads(), (a, b), t0, width, |k| spans.start(k));
    bounds
        .windows(2)
        .zip(spans.worsts(&bounds))
        .map(|(w, class)| {
            let (i, j) = (w[0], w[1]);
            let start = spans.start(i);
            Mark {
                start,
                end: spans.end(j - 1).max(start),
                first: i,
                count: j - i,
                class,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::{EventKind, Interest, Wait, Woke};
    use crate::trace::store::classes::WaitClass;

    /// Waits from `start` to `end`, as events and the column over them.
    fn waits(times: &[(Nanos, Nanos, WaitClass)]) -> (Vec<Stored>, Spans<WaitClass>) {
        let mut events = Vec::new();
        let mut s = Spans::default();
        for &(start, end, class) in times {
            s.push(events.len() as u32, class, start);
            let wait = Wait {
                interest: Interest::Read,
                dur: end - start,
                woke: Woke::Readable,
            };
            events.push(Stored {
                t: start,
                kind: EventKind::Wait(wait),
            });
        }
        (events, s)
    }

    #[test]
    fn counts_and_lookups_follow_the_classes() {
        let (events, s) = waits(&[
            (0, 10, WaitClass::Readable),
            (20, 30, WaitClass::Writable),
            (100, 150, WaitClass::Readable),
        ]);
        assert_eq!(s.count(WaitClass::Readable, 0, 3), 2);
        assert_eq!(s.count(WaitClass::Writable, 0, 1), 0);
        assert_eq!(s.count(WaitClass::Either, 0, 3), 0);
        assert_eq!(s.worst(0, 3), WaitClass::Writable);
        let v = s.view(&events);
        assert_eq!(v.at(25), Some(1));
        assert_eq!(v.at(50), None);
        // Near a span but outside it: the nearest start within the tolerance.
        assert_eq!(v.near(95, 10), Some(2));
        assert_eq!(v.near(60, 10), None);
        assert_eq!(v.duration(2), 50);
        assert_eq!((v.start(1), v.end(1)), (20, 30));
    }

    /// Counts across checkpoints agree with counting the classes one by one.
    #[test]
    fn counts_across_checkpoints_match_a_plain_count() {
        let class = |i: usize| WaitClass::ALL[(i * i + i / 7) % 3];
        let times: Vec<_> = (0..1000usize)
            .map(|i| (i as u64, i as u64, class(i)))
            .collect();
        let (_, s) = waits(&times);
        // Counted from either checkpoint of a block (or the last, incomplete one).
        for i in 0..=1000 {
            for c in WaitClass::ALL {
                let plain = (0..i).filter(|&j| class(j) == c).count() as u32;
                assert_eq!(s.counts_before(i)[c.index()], plain, "{c:?} before {i}");
            }
        }
        // Buckets side by side, small and large, from one read of each bound.
        let bounds = [0, 5, 140, 141, 300, 301, 700, 999, 1000];
        let each: Vec<_> = bounds.windows(2).map(|w| s.worst(w[0], w[1])).collect();
        assert_eq!(s.worsts(&bounds), each);
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
        let times: Vec<_> = (0..1000u64)
            .map(|i| {
                let class = if i == 500 {
                    WaitClass::Either
                } else {
                    WaitClass::Readable
                };
                (i * 10, i * 10 + 5, class)
            })
            .collect();
        let (events, s) = waits(&times);
        let marks = aggregate(&s.view(&events), 0, 10_000, 10);
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

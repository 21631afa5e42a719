//! One level series (a buffer level, rtt, the peer's window) sorted by time, and its per-bucket
//! min/max envelope for a visible range. A sample's time is its event's (read from the
//! connection's events, passed to each query), its value is kept here for the min/max pyramid.

use super::buckets::bounds;
use super::grid::Part;
use super::heads::Heads;
use super::indices::Indices;
use super::minmax::MinMax;
use super::stored::Stored;
use super::timed::span_start;
use crate::trace::event::Nanos;

/// One level series, sorted by time.
#[derive(Debug, Default, Clone)]
pub struct Series {
    /// Index of each sample's event in the connection's events (its time).
    pub event: Indices,
    pub v: Vec<u32>,
    minmax: MinMax,
    /// Every 64th sample's time, for the searches by time.
    heads: Heads,
}

impl Series {
    /// Appends the value `v` of event `event`, at time `t` (its event's time as kept: times
    /// never decrease).
    pub(crate) fn push(&mut self, event: u32, v: u32, t: Nanos) {
        self.heads.push(self.v.len(), t);
        self.event.push(event);
        self.v.push(v);
        self.minmax.push(v);
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }

    /// Time of sample `i` (`i < len()`).
    pub fn time(&self, events: &[Stored], i: usize) -> Nanos {
        span_start(events, self.event.at(i))
    }

    /// How many samples are before `t` (`strict`) or at or before it.
    pub fn before(&self, events: &[Stored], t: Nanos, strict: bool) -> usize {
        let past = |at: Nanos| if strict { at >= t } else { at > t };
        self.heads
            .first_past(0, self.len(), |i| self.time(events, i), past)
    }

    /// Points to draw for `t0..=t1`: every sample when few, else per bucket its min and max
    /// (the envelope keeps spikes visible at any zoom). Includes one sample on each side so the
    /// line reaches the edges.
    pub fn envelope(
        &self,
        events: &[Stored],
        t0: Nanos,
        t1: Nanos,
        buckets: usize,
    ) -> Vec<(Nanos, u32)> {
        let [out] = Series::envelopes([self], events, t0, t1, buckets);
        out
    }

    /// [`Series::envelope`] of series sampled together (the three buffer levels: a value of
    /// each per `sock` event), the buckets found once, from the first one's times. A series
    /// sampled otherwise (another length) gets its own.
    pub fn envelopes<const N: usize>(
        series: [&Series; N],
        events: &[Stored],
        t0: Nanos,
        t1: Nanos,
        buckets: usize,
    ) -> [Vec<(Nanos, u32)>; N] {
        let Some(first) = series.first() else {
            return series.map(|_| Vec::new());
        };
        let t = |i: usize| first.time(events, i);
        let a = first.before(events, t0, true).saturating_sub(1);
        let b = (first.before(events, t1, false) + 1).min(first.len());
        let buckets = buckets.max(1);
        let width = (t1.saturating_sub(t0) / buckets as u64).max(1);
        let bounds = if b > a + buckets * 2 {
            bounds(Some(&first.heads), (a, b), t0, width, t)
        } else {
            Vec::new()
        };
        series.map(|s| {
            if s.len() != first.len() || s.event.last() != first.event.last() {
                return s.envelope(events, t0, t1, buckets);
            }
            if b <= a {
                return Vec::new();
            }
            if b - a <= buckets * 2 {
                return (a..b).map(|i| (t(i), s.v[i])).collect();
            }
            let mut out = Vec::with_capacity(bounds.len() * 2);
            for w in bounds.windows(2) {
                let (i, j) = (w[0], w[1]);
                if let Some((lo, hi)) = s.minmax.range(&s.v, i, j) {
                    let start = t(i);
                    let mid = start + t(j - 1).saturating_sub(start) / 2;
                    out.push((start, lo));
                    out.push((mid, hi));
                }
            }
            out
        })
    }

    /// Whether the series were sampled together (the same samples' events: the three buffer
    /// levels of each `sock` event, the rtt and the window of each TCP_INFO), so one series'
    /// bucket bounds are every one's.
    pub fn sampled_together(series: &[&Series]) -> bool {
        series.split_first().is_some_and(|(first, rest)| {
            rest.iter()
                .all(|s| s.len() == first.len() && s.event.last() == first.event.last())
        })
    }

    /// [`Series::envelopes`] of the cells `part` of a view on a fixed grid, for series
    /// [sampled together](Series::sampled_together) (empty otherwise): per cell, the first
    /// sample's time with each series' minimum there, then the middle of the cell's samples
    /// with each maximum. A leading part's first cell also holds the sample in force at its
    /// start; a trailing part ends with the first sample after it (so the line reaches the
    /// edges).
    pub fn envelopes_part<const N: usize>(
        series: [&Series; N],
        events: &[Stored],
        part: Part,
    ) -> Vec<(Nanos, [u32; N])> {
        let Some(first) = series.first().filter(|_| Series::sampled_together(&series)) else {
            return Vec::new();
        };
        let t = |i: usize| first.time(events, i);
        let (t0, end) = (part.grid.t0(), part.grid.end());
        let a = first.before(events, t0, true);
        let a = if part.leading { a.saturating_sub(1) } else { a };
        let b = first.before(events, end, true);
        let b = if part.trailing {
            (b + 1).min(first.len())
        } else {
            b
        };
        if b <= a {
            return Vec::new();
        }
        let bounds = bounds(Some(&first.heads), (a, b), t0, part.grid.width, t);
        let mut out = Vec::with_capacity(bounds.len() * 2);
        for w in bounds.windows(2) {
            let (i, j) = (w[0], w[1]);
            let (mut lo, mut hi) = ([0; N], [0; N]);
            for (k, s) in series.iter().enumerate() {
                (lo[k], hi[k]) = s.minmax.range(&s.v, i, j).unwrap_or((s.v[i], s.v[i]));
            }
            let start = t(i);
            out.push((start, lo));
            out.push((start + t(j - 1).saturating_sub(start) / 2, hi));
        }
        out
    }

    /// Gives back the room the vectors grew into.
    pub(crate) fn shrink(&mut self) {
        self.event.shrink();
        self.v.shrink_to_fit();
        self.minmax.shrink();
        self.heads.shrink();
    }

    /// Bytes held: the indices, the values, the min/max pyramid (about a byte per value) and
    /// the heads.
    pub(crate) fn bytes(&self) -> usize {
        self.event.bytes() + self.len() * (std::mem::size_of::<u32>() + 1) + self.heads.bytes()
    }

    /// The last value at or before `t`.
    pub fn at(&self, events: &[Stored], t: Nanos) -> Option<u32> {
        let i = self.before(events, t, false).checked_sub(1)?;
        Some(self.v[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::EventKind;

    /// Samples `(t, v)` as events (of any kind: only their times are read) and the series.
    fn series(samples: impl Iterator<Item = (Nanos, u32)>) -> (Vec<Stored>, Series) {
        let mut events = Vec::new();
        let mut s = Series::default();
        for (t, v) in samples {
            s.push(events.len() as u32, v, t);
            let kind = EventKind::Dropped { count: 0 };
            events.push(Stored { t, kind });
        }
        (events, s)
    }

    #[test]
    fn envelope_keeps_spikes() {
        let (ev, s) = series((0..100_000u64).map(|i| (i, if i == 50_000 { 999 } else { 1 })));
        let pts = s.envelope(&ev, 0, 100_000, 200);
        assert!(pts.len() <= 404, "{}", pts.len());
        assert!(pts.iter().any(|p| p.1 == 999));
        assert_eq!(s.at(&ev, 50_000), Some(999));
    }

    #[test]
    fn series_sampled_together_give_their_own_envelopes() {
        let (ev, a) = series((0..50_000u64).map(|i| (i * 3, (i * 7919 % 1013) as u32)));
        let mut b = Series::default();
        let mut odd = Series::default();
        for i in 0..50_000usize {
            b.push(i as u32, a.v[i] / 3 + (i % 17) as u32, a.time(&ev, i));
            if i % 2 == 0 {
                odd.push(i as u32, a.v[i], a.time(&ev, i));
            }
        }
        for (t0, t1, n) in [(0, 150_000, 300), (1_000, 20_000, 64), (7, 9, 10)] {
            let [ea, eb, eo] = Series::envelopes([&a, &b, &odd], &ev, t0, t1, n);
            assert_eq!(ea, a.envelope(&ev, t0, t1, n));
            assert_eq!(eb, b.envelope(&ev, t0, t1, n));
            assert_eq!(eo, odd.envelope(&ev, t0, t1, n));
            assert_ne!(ea, eb);
        }
    }

    #[test]
    fn few_samples_come_back_whole_with_their_neighbours() {
        let (ev, s) = series([(10, 1), (20, 2), (30, 3), (40, 4)].into_iter());
        assert_eq!(
            s.envelope(&ev, 25, 35, 100),
            vec![(20, 2), (30, 3), (40, 4)]
        );
        assert_eq!(s.at(&ev, 5), None);
        assert_eq!(s.at(&ev, 39), Some(3));
    }
}

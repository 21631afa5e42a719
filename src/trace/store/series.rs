//! One level series (a buffer level, rtt, the peer's window) sorted by time, and its per-bucket
//! min/max envelope for a visible range.

use super::gallop::first_at_or_after;
use super::minmax::MinMax;
use crate::trace::event::Nanos;

/// One level series, sorted by time.
#[derive(Debug, Default, Clone)]
pub struct Series {
    pub t: Vec<Nanos>,
    pub v: Vec<u32>,
    minmax: MinMax,
}

impl Series {
    pub(crate) fn push(&mut self, t: Nanos, v: u32) {
        self.t.push(t);
        self.v.push(v);
        self.minmax.push(v);
    }

    /// Points to draw for `t0..=t1`: every sample when few, else per bucket its min and max
    /// (the envelope keeps spikes visible at any zoom). Includes one sample on each side so the
    /// line reaches the edges.
    pub fn envelope(&self, t0: Nanos, t1: Nanos, buckets: usize) -> Vec<(Nanos, u32)> {
        let a = self.t.partition_point(|&t| t < t0).saturating_sub(1);
        let b = (self.t.partition_point(|&t| t <= t1) + 1).min(self.t.len());
        let buckets = buckets.max(1);
        if b <= a {
            return Vec::new();
        }
        if b - a <= buckets * 2 {
            return (a..b).map(|i| (self.t[i], self.v[i])).collect();
        }
        let width = (t1.saturating_sub(t0) / buckets as u64).max(1);
        let mut out = Vec::with_capacity(buckets * 2 + 2);
        let mut i = a;
        while i < b {
            let bucket_end = t0 + (self.t[i].saturating_sub(t0) / width + 1) * width;
            let j = first_at_or_after(&self.t, i, b, bucket_end).max(i + 1);
            if let Some((lo, hi)) = self.minmax.range(&self.v, i, j) {
                let mid = self.t[i] + (self.t[j - 1] - self.t[i]) / 2;
                out.push((self.t[i], lo));
                out.push((mid.max(self.t[i]), hi));
            }
            i = j;
        }
        out
    }

    /// Gives back the room the vectors grew into.
    pub(crate) fn shrink(&mut self) {
        self.t.shrink_to_fit();
        self.v.shrink_to_fit();
        self.minmax.shrink();
    }

    /// The last value at or before `t`.
    pub fn at(&self, t: Nanos) -> Option<u32> {
        let i = self.t.partition_point(|&x| x <= t).checked_sub(1)?;
        Some(self.v[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keeps_spikes() {
        let mut s = Series::default();
        for i in 0..100_000u64 {
            s.push(i, if i == 50_000 { 999 } else { 1 });
        }
        let pts = s.envelope(0, 100_000, 200);
        assert!(pts.len() <= 404, "{}", pts.len());
        assert!(pts.iter().any(|p| p.1 == 999));
        assert_eq!(s.at(50_000), Some(999));
    }

    #[test]
    fn few_samples_come_back_whole_with_their_neighbours() {
        let mut s = Series::default();
        for (t, v) in [(10, 1), (20, 2), (30, 3), (40, 4)] {
            s.push(t, v);
        }
        assert_eq!(s.envelope(25, 35, 100), vec![(20, 2), (30, 3), (40, 4)]);
        assert_eq!(s.at(5), None);
        assert_eq!(s.at(39), Some(3));
    }
}

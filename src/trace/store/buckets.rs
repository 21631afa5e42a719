//! Where a sorted column splits into pixel buckets: for the spans (or samples) `a..b` and buckets
//! of `width` from `t0`, the first index of each non-empty bucket. Every bucket's end is its own
//! search for a time, independent of the others, so the searches run side by side: first each
//! one's block from the column's [`Heads`] (a small array, in cache), then one probe of every
//! search after another, the first where a line through the block's two heads crosses. The events the steps read are far apart in memory (a cache miss
//! each); searched one bucket after another each miss waits for the previous one, side by side
//! the processor has many in flight at once.

use super::gallop::first_from;
use super::heads::{Heads, BLOCK};
use crate::trace::event::Nanos;

/// The most bucket ends searched side by side (a view has about one bucket per two pixels).
const SIDE_BY_SIDE: usize = 1 << 13;

/// The indices where the entries `a..b` (times from `time`, never decreasing) enter a new bucket
/// `[t0 + k·width, t0 + (k+1)·width)` (entries before `t0` count in the first), then `b`:
/// `[a, …, b]`, each bucket's entries between two neighbours. Empty buckets have no entry.
pub(crate) fn bounds(
    heads: Option<&Heads>,
    (a, b): (usize, usize),
    t0: Nanos,
    width: Nanos,
    time: impl Fn(usize) -> Nanos,
) -> Vec<usize> {
    let width = width.max(1);
    let mut out = vec![a];
    // One search after another from entry `i` (the start of a bucket), each galloping from the
    // previous bucket's end.
    let one_by_one = |mut i: usize, out: &mut Vec<usize>| {
        while i < b {
            let start = time(i);
            let end = t0 + (start.saturating_sub(t0) / width + 1) * width;
            i = first_from(i, b, |k| time(k) >= end).max(i + 1);
            out.push(i);
        }
    };
    let Some(heads) = heads.filter(|_| a < b) else {
        one_by_one(a, &mut out);
        return out;
    };
    // Bucket k ends where the first entry at or after t0 + (k + 1)·width is; the last entry
    // is in bucket `all`. A level's range ends with the sample after the view, which may be
    // long after it: the buckets side by side stop at the one before last's bucket (and at
    // [`SIDE_BY_SIDE`]), the rest are found one by one.
    let bucket = |i: usize| (time(i).saturating_sub(t0) / width) as usize;
    let all = bucket(b - 1);
    let last = bucket((b - 1).saturating_sub(1).max(a)).min(SIDE_BY_SIDE);
    let limit = |k: usize| t0.saturating_add((k as u64 + 1).saturating_mul(width));
    // Per bucket end, the entries it may be (from a head not past it to the next head), and
    // where between them a straight line through the two heads crosses the limit.
    let mut base = Vec::with_capacity(last);
    let mut len = Vec::with_capacity(last);
    let mut guess = Vec::with_capacity(last);
    let heads = heads.times();
    let nk = b.div_ceil(BLOCK).min(heads.len());
    let mut h = a / BLOCK + 1;
    for k in 0..last {
        let l = limit(k);
        // The first head after `h - 1` that is past the limit (galloping: a bucket's heads are
        // few and near).
        let mut step = 1;
        let hi = loop {
            let probe = h + step - 1;
            if probe >= nk {
                break nk;
            }
            if heads[probe] >= l {
                break probe;
            }
            h = probe + 1;
            step *= 2;
        };
        h = h.min(hi) + heads[h.min(hi)..hi].partition_point(|&t| t < l);
        let lo = a.max((h - 1) * BLOCK);
        let hi = if h < nk { h * BLOCK } else { b };
        let n = hi.saturating_sub(lo);
        let line = match (heads.get(h - 1), heads.get(h).filter(|_| h < nk)) {
            (Some(&t_lo), Some(&t_hi)) if t_hi > t_lo => {
                let d = (l.saturating_sub(t_lo)).saturating_mul(BLOCK as u64);
                (h - 1) * BLOCK + d.div_ceil(t_hi - t_lo) as usize
            }
            _ => lo + n / 2,
        };
        base.push(lo);
        len.push(n);
        guess.push(line.clamp(lo, (lo + n).saturating_sub(1)));
    }
    // One probe of every search per round, so the reads of a round do not wait for each other:
    // first where the line crossed, then its neighbour on the side the answer is (times that
    // grow evenly end there), then halving what is left.
    let mut right = vec![false; last];
    for round in 0.. {
        let mut open = false;
        for k in 0..last {
            let n = len[k];
            if n == 0 {
                continue;
            }
            open = true;
            let mid = match round {
                0 => guess[k],
                1 if right[k] => base[k],
                1 => base[k] + n - 1,
                _ => base[k] + n / 2,
            };
            right[k] = time(mid) < limit(k);
            if right[k] {
                len[k] = base[k] + n - mid - 1;
                base[k] = mid + 1;
            } else {
                len[k] = mid - base[k];
            }
        }
        if !open {
            break;
        }
    }
    for &p in &base {
        if p > *out.last().unwrap_or(&a) && p < b {
            out.push(p);
        }
    }
    if last == all {
        out.push(b);
    } else {
        let from = *out.last().unwrap_or(&a);
        one_by_one(from, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// The buckets by grouping each entry with its bucket number, one by one.
    fn plain(v: &[Nanos], a: usize, b: usize, t0: Nanos, width: Nanos) -> Vec<usize> {
        let bucket = |t: Nanos| t.saturating_sub(t0) / width.max(1);
        let mut out = vec![a];
        for i in a + 1..b {
            if bucket(v[i]) != bucket(v[i - 1]) {
                out.push(i);
            }
        }
        if b > a {
            out.push(b);
        }
        out
    }

    #[test]
    fn bounds_match_a_plain_grouping_with_and_without_heads() {
        let mut seed = 0x2545_f491_4f6c_dd1d;
        for n in [1, 2, 50, 64, 65, 200, 1_000, 20_000] {
            // Runs of equal times, small steps and big jumps (empty buckets).
            let mut t = 1_000;
            let v: Vec<Nanos> = (0..n)
                .map(|_| {
                    t += match xorshift(&mut seed) % 10 {
                        0..=2 => 0,
                        3..=8 => xorshift(&mut seed) % 40,
                        _ => xorshift(&mut seed) % 20_000,
                    };
                    t
                })
                .collect();
            let mut heads = Heads::default();
            v.iter().enumerate().for_each(|(i, &t)| heads.push(i, t));
            for _ in 0..60 {
                let a = (xorshift(&mut seed) as usize) % n;
                let b = a + 1 + (xorshift(&mut seed) as usize) % (n - a);
                // The range may start before t0 (a span that began earlier) or at it.
                let t0 = v[a].saturating_sub(xorshift(&mut seed) % 100);
                let width = 1 + xorshift(&mut seed) % ((v[b - 1] - t0) / 50 + 2);
                let want = plain(&v, a, b, t0, width);
                let fast = bounds(Some(&heads), (a, b), t0, width, |i| v[i]);
                let slow = bounds(None, (a, b), t0, width, |i| v[i]);
                assert_eq!(fast, want, "n {n} a {a} b {b} t0 {t0} width {width}");
                assert_eq!(slow, want, "n {n} a {a} b {b} t0 {t0} width {width}");
            }
        }
        assert_eq!(bounds(None, (3, 3), 0, 10, |i| i as u64), vec![3]);
        // A last sample far after the others (a level's sample after the view): more buckets
        // than are searched side by side.
        let mut v: Vec<Nanos> = (0..300).map(|i| i * 3).collect();
        v.push(1 << 40);
        let mut heads = Heads::default();
        v.iter().enumerate().for_each(|(i, &t)| heads.push(i, t));
        for (a, width) in [(0, 1), (5, 2), (0, 1000), (299, 1)] {
            let want = plain(&v, a, v.len(), 0, width);
            let got = bounds(Some(&heads), (a, v.len()), 0, width, |i| v[i]);
            assert_eq!(got, want, "a {a} width {width}");
        }
    }
}

//! Every [`BLOCK`]th time of a sorted column, kept whole in one small dense array, so a search
//! for a time (where a pixel bucket ends, where the visible range starts) walks that array and
//! then bisects a single block, instead of probing events all over the visible range: a column
//! reads its times through its events (far apart in memory), and each probe of those cost a
//! cache miss per lane and per bucket every frame. About 1/8 byte per entry.

use super::timed::first;
use crate::trace::event::Nanos;

/// Entries per head: a search bisects at most this many entries after walking the heads.
pub(crate) const BLOCK: usize = 64;

/// The time of entries 0, [`BLOCK`], 2·[`BLOCK`], … of a column whose times never decrease.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Heads {
    t: Vec<Nanos>,
}

impl Heads {
    /// Notes entry `i`'s time `t`, for each entry pushed in order (`i` the column's length
    /// before the push): only every [`BLOCK`]th is kept.
    pub(crate) fn push(&mut self, i: usize, t: Nanos) {
        if i.is_multiple_of(BLOCK) {
            self.t.push(t);
        }
    }

    /// The first `j` in `from..to` for which `past(time(j))` holds (`to` when none does), where
    /// `time(j)` is entry `j`'s time (the one noted here for every [`BLOCK`]th entry) and
    /// `past` is false then true over increasing times. Walks the heads from `from`'s block by
    /// doubling steps (a pixel bucket's end is near its start), then bisects one block.
    pub(crate) fn first_past(
        &self,
        from: usize,
        to: usize,
        time: impl Fn(usize) -> Nanos,
        past: impl Fn(Nanos) -> bool,
    ) -> usize {
        if from >= to || past(time(from)) {
            return from.min(to);
        }
        // The heads of the blocks that start before `to`; head `kb` is at or before `from`,
        // so it is not past.
        let kb = from / BLOCK;
        let nk = to.div_ceil(BLOCK).min(self.t.len());
        let (mut lo, mut step) = (kb + 1, 1);
        let hi = loop {
            let probe = lo + step - 1;
            if probe >= nk {
                break nk;
            }
            if past(self.t[probe]) {
                break probe;
            }
            lo = probe + 1;
            step *= 2;
        };
        // Head k is the first past (or there is none before `to`): the answer is after head
        // k - 1 and at or before head k.
        let k = lo.min(hi) + self.t[lo.min(hi)..hi].partition_point(|&h| !past(h));
        let a = from.max(k.saturating_sub(1) * BLOCK) + 1;
        let b = if k < nk { k * BLOCK } else { to };
        a + first(b.saturating_sub(a), |j| past(time(a + j)))
    }

    /// The times kept: entry `k·BLOCK`'s at `k`.
    pub(crate) fn times(&self) -> &[Nanos] {
        &self.t
    }

    pub(crate) fn bytes(&self) -> usize {
        self.t.len() * std::mem::size_of::<Nanos>()
    }

    pub(crate) fn shrink(&mut self) {
        self.t.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the test needs no crate and repeats.
    fn xorshift(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// Non-decreasing times with runs of equal ones and jumps, as columns have.
    fn times(n: usize, seed: &mut u64) -> Vec<Nanos> {
        let mut t = 0;
        (0..n)
            .map(|_| {
                t += match xorshift(seed) % 10 {
                    0..=2 => 0,
                    3..=8 => xorshift(seed) % 50,
                    _ => xorshift(seed) % 100_000,
                };
                t
            })
            .collect()
    }

    #[test]
    fn heads_answer_as_a_plain_scan_on_random_columns() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for n in [0, 1, 2, 63, 64, 65, 127, 128, 129, 1_000, 5_000] {
            let v = times(n, &mut seed);
            let mut h = Heads::default();
            for (i, &t) in v.iter().enumerate() {
                h.push(i, t);
            }
            // Bounded: one head per block begun.
            assert_eq!(h.t.len(), n.div_ceil(BLOCK));
            assert_eq!(h.bytes(), n.div_ceil(BLOCK) * 8);
            let last = v.last().copied().unwrap_or(0);
            for _ in 0..400 {
                let from = (xorshift(&mut seed) as usize) % (n + 2);
                let to = (xorshift(&mut seed) as usize) % (n + 2);
                let to = to.min(n);
                let limit = xorshift(&mut seed) % (last + 2);
                let strict = xorshift(&mut seed).is_multiple_of(2);
                let past = |t: Nanos| if strict { t > limit } else { t >= limit };
                let want = if from >= to {
                    from.min(to)
                } else {
                    from + v[from..to].iter().take_while(|&&t| !past(t)).count()
                };
                let got = h.first_past(from, to, |j| v[j], past);
                assert_eq!(got, want, "n {n} from {from} to {to} limit {limit}");
            }
        }
    }

    #[test]
    fn a_search_reads_one_block_of_the_column() {
        // Evenly spaced times; count the column reads of a far search.
        let v: Vec<Nanos> = (0..100_000u64).map(|i| i * 10).collect();
        let mut h = Heads::default();
        for (i, &t) in v.iter().enumerate() {
            h.push(i, t);
        }
        let reads = std::cell::Cell::new(0);
        let time = |j: usize| {
            reads.set(reads.get() + 1);
            v[j]
        };
        assert_eq!(h.first_past(5, v.len(), time, |t| t >= 731_234), 73_124);
        // The first entry, then a bisection of one block (log2 64 = 6, plus one).
        assert!(reads.get() <= 8, "{} reads", reads.get());
    }
}

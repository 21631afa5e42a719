//! Range minimum / maximum over an append-only series in O(log n), so a pixel bucket of a level
//! plot costs the same however many samples fall in it; about one byte per value.

/// Values per leaf of the pyramid: a range scans at most this many values at each end, and the
/// pyramid costs about 16 bytes per this many values.
const LEAF: usize = 16;

/// A pyramid of pairwise min/max levels over the complete leaves of [`LEAF`] values pushed so
/// far (the values themselves are the caller's, passed to [`MinMax::range`]).
#[derive(Debug, Default, Clone)]
pub(crate) struct MinMax {
    levels: Vec<Vec<(u32, u32)>>,
    /// Min and max of the leaf being filled, and how many values it has.
    leaf: (u32, u32),
    in_leaf: usize,
}

impl MinMax {
    pub(crate) fn push(&mut self, v: u32) {
        self.leaf = if self.in_leaf == 0 {
            (v, v)
        } else {
            (self.leaf.0.min(v), self.leaf.1.max(v))
        };
        self.in_leaf += 1;
        if self.in_leaf < LEAF {
            return;
        }
        self.in_leaf = 0;
        let mut item = self.leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let l = &mut self.levels[level];
            l.push(item);
            if l.len() % 2 == 1 {
                break;
            }
            let (x, y) = (l[l.len() - 2], l[l.len() - 1]);
            item = (x.0.min(y.0), x.1.max(y.1));
            level += 1;
        }
    }

    /// Gives back the room the levels grew into.
    pub(crate) fn shrink(&mut self) {
        self.levels.iter_mut().for_each(Vec::shrink_to_fit);
        self.levels.shrink_to_fit();
    }

    /// Min and max of `values[a..b]` (None when empty); `values` are the ones pushed, in order.
    pub(crate) fn range(&self, values: &[u32], a: usize, b: usize) -> Option<(u32, u32)> {
        let b = b.min(values.len());
        let fold = |acc: Option<(u32, u32)>, v: (u32, u32)| {
            Some(acc.map_or(v, |o: (u32, u32)| (o.0.min(v.0), o.1.max(v.1))))
        };
        let scan =
            |acc, r: std::ops::Range<usize>| values[r].iter().fold(acc, |o, &v| fold(o, (v, v)));
        // The leaves wholly inside a..b come from the pyramid, the values at the ends one by one.
        let (la, lb) = (a.div_ceil(LEAF), b / LEAF);
        if la >= lb {
            return scan(None, a..b);
        }
        let out = scan(scan(None, a..la * LEAF), lb * LEAF..b);
        let (mut a, mut b) = (la, lb);
        let mut out = out;
        let mut level = 0;
        while a < b {
            let Some(l) = self.levels.get(level) else {
                break;
            };
            if a % 2 == 1 {
                out = fold(out, l[a]);
                a += 1;
            }
            if b % 2 == 1 && a < b {
                b -= 1;
                out = fold(out, l[b]);
            }
            a /= 2;
            b /= 2;
            level += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_pyramid_answers_ranges() {
        let mut mm = MinMax::default();
        let values: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % 1013).collect();
        for &v in &values {
            mm.push(v);
        }
        for (a, b) in [
            (0, 1000),
            (3, 4),
            (17, 600),
            (999, 1000),
            (5, 5),
            (16, 32),
            (15, 33),
            (0, 992),
            (31, 999),
        ] {
            let expect = values[a..b]
                .iter()
                .fold(None, |acc: Option<(u32, u32)>, &v| {
                    Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
                });
            assert_eq!(mm.range(&values, a, b), expect, "{a}..{b}");
        }
    }
}

//! Range minimum / maximum over an append-only series in O(log n), so a pixel bucket of a level
//! plot costs the same however many samples fall in it.

/// A pyramid of pairwise min/max levels over the values pushed so far.
#[derive(Debug, Default, Clone)]
pub(crate) struct MinMax {
    levels: Vec<Vec<(u32, u32)>>,
}

impl MinMax {
    pub(crate) fn push(&mut self, v: u32) {
        let mut item = (v, v);
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

    /// Min and max of the values at indices `a..b` (None when empty).
    pub(crate) fn range(&self, mut a: usize, mut b: usize) -> Option<(u32, u32)> {
        let mut out: Option<(u32, u32)> = None;
        let mut merge = |v: (u32, u32)| {
            out = Some(out.map_or(v, |o| (o.0.min(v.0), o.1.max(v.1))));
        };
        let mut level = 0;
        while a < b {
            let Some(l) = self.levels.get(level) else {
                break;
            };
            if a % 2 == 1 {
                merge(l[a]);
                a += 1;
            }
            if b % 2 == 1 && a < b {
                b -= 1;
                merge(l[b]);
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
        for (a, b) in [(0, 1000), (3, 4), (17, 600), (999, 1000), (5, 5)] {
            let expect = values[a..b]
                .iter()
                .fold(None, |acc: Option<(u32, u32)>, &v| {
                    Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
                });
            assert_eq!(mm.range(a, b), expect, "{a}..{b}");
        }
    }
}

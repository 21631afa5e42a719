//! The statistics of the bulk bench's off/on pairs: the CPU per byte of each mode over all pairs
//! (total off / total on) and the median of the per-pair ratios with its interquartile range,
//! each with a bootstrap 90 % interval (pairs resampled with a fixed seed, so the same pairs
//! always give the same interval).

/// A sample summarised: its median, quartiles and a 90 % bootstrap interval of the median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spread {
    pub(super) median: f64,
    pub(super) q1: f64,
    pub(super) q3: f64,
    /// 5th and 95th percentiles of the medians of resamples (with replacement).
    pub(super) low: f64,
    pub(super) high: f64,
}

/// Resamples for the bootstrap interval.
const RESAMPLES: usize = 2000;

impl Spread {
    /// None for no values (or any NaN: a ratio of a run that measured nothing).
    pub(super) fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut resample = Vec::with_capacity(sorted.len());
        let (low, high) = bootstrap(sorted.len(), |picks| {
            resample.clear();
            resample.extend(picks.iter().map(|&i| sorted[i]));
            resample.sort_by(f64::total_cmp);
            quantile(&resample, 0.5)
        });
        Some(Spread {
            median: quantile(&sorted, 0.5),
            q1: quantile(&sorted, 0.25),
            q3: quantile(&sorted, 0.75),
            low,
            high,
        })
    }
}

/// Total CPU off / total CPU on over all pairs: the CPU per byte of the two modes compared
/// (every run moves the same bytes). Unlike the median of the per-pair ratios it weighs every
/// run by its CPU time, which is what "CPU per byte" means, and it uses every pair's
/// difference, not only the middle one's, so its interval narrows faster as pairs are added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TotalsRatio {
    pub(super) ratio: f64,
    /// 5th and 95th percentiles of the ratio over resampled pairs.
    pub(super) low: f64,
    pub(super) high: f64,
}

impl TotalsRatio {
    /// `pairs` are (CPU off, CPU on); None for none, a NaN, or no CPU time on either side.
    pub(super) fn of(pairs: &[(f64, f64)]) -> Option<TotalsRatio> {
        let ratio_of = |picks: &mut dyn Iterator<Item = &(f64, f64)>| {
            let (off, on) = picks.fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
            off / on
        };
        let ratio = ratio_of(&mut pairs.iter());
        if pairs.is_empty() || !ratio.is_finite() || ratio <= 0.0 {
            return None;
        }
        let (low, high) = bootstrap(pairs.len(), |picks| {
            ratio_of(&mut picks.iter().map(|&i| &pairs[i]))
        });
        Some(TotalsRatio { ratio, low, high })
    }
}

/// The 5th and 95th percentiles of `stat` over [`RESAMPLES`] resamples of `n` items (indices
/// drawn with replacement, from a fixed seed).
fn bootstrap(n: usize, mut stat: impl FnMut(&[usize]) -> f64) -> (f64, f64) {
    let mut rng = SplitMix(0x7153_5c09_e5b1_0001);
    let mut picks = vec![0; n];
    let mut stats: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            for slot in picks.iter_mut() {
                *slot = rng.below(n);
            }
            stat(&picks)
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    (quantile(&stats, 0.05), quantile(&stats, 0.95))
}

/// The `p` quantile of sorted values, interpolated between neighbours (so the median of an
/// even count is the mean of the middle two).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n => {
            let at = p.clamp(0.0, 1.0) * (n - 1) as f64;
            let (below, frac) = (at.floor() as usize, at.fract());
            let above = (below + 1).min(n - 1);
            sorted[below] + (sorted[above] - sorted[below]) * frac
        }
    }
}

/// SplitMix64: a small, well-known generator; good enough to pick resample indices.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0; the modulo bias is far below what a bench can see).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quartiles_interpolate() {
        let s = Spread::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!(s.q1, 1.75);
        assert_eq!(s.q3, 3.25);
        let s = Spread::of(&[0.9, 1.1, 1.0]).unwrap();
        assert_eq!(s.median, 1.0);
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn the_interval_holds_the_median_narrows_with_more_pairs_and_is_repeatable() {
        // Ratios spread like a noisy machine's: around 0.99 with a wide tail.
        let few: Vec<f64> = (0..8)
            .map(|i| 0.99 + 0.02 * ((i * 7 % 8) as f64 - 3.5))
            .collect();
        let many: Vec<f64> = (0..64)
            .map(|i| 0.99 + 0.02 * ((i * 37 % 8) as f64 - 3.5))
            .collect();
        let (a, b) = (Spread::of(&few).unwrap(), Spread::of(&many).unwrap());
        for s in [a, b] {
            assert!(s.low <= s.median && s.median <= s.high, "{s:?}");
            assert!(s.q1 <= s.median && s.median <= s.q3, "{s:?}");
        }
        assert!(b.high - b.low < a.high - a.low, "{a:?} {b:?}");
        assert_eq!(Spread::of(&few), Some(a), "same pairs, same interval");
        // All pairs equal: no spread at all.
        let flat = Spread::of(&[0.98; 10]).unwrap();
        assert_eq!(
            (flat.low, flat.high, flat.q1, flat.q3),
            (0.98, 0.98, 0.98, 0.98)
        );
    }

    #[test]
    fn the_totals_ratio_weighs_runs_by_their_cpu_and_its_interval_narrows_with_more_pairs() {
        // One pair with a large CPU time dominates the total, not the median of the ratios.
        let t = TotalsRatio::of(&[(1.0, 1.0), (1.0, 1.0), (8.0, 10.0)]).unwrap();
        assert_eq!(t.ratio, 10.0 / 12.0);
        assert!(t.low <= t.ratio && t.ratio <= t.high, "{t:?}");
        let noisy = |n: usize| -> Vec<(f64, f64)> {
            (0..n)
                .map(|i| {
                    let wobble = 0.1 * ((i * 37 % 11) as f64 - 5.0) / 5.0;
                    (1.0 + wobble, 1.01 - wobble)
                })
                .collect()
        };
        let (few, many) = (
            TotalsRatio::of(&noisy(10)).unwrap(),
            TotalsRatio::of(&noisy(400)).unwrap(),
        );
        assert!(
            many.high - many.low < few.high - few.low,
            "{few:?} {many:?}"
        );
        assert_eq!(
            TotalsRatio::of(&noisy(10)),
            Some(few),
            "same pairs, same interval"
        );
        assert_eq!(TotalsRatio::of(&[]), None);
        assert_eq!(TotalsRatio::of(&[(1.0, 0.0)]), None, "no CPU time on");
        assert_eq!(TotalsRatio::of(&[(f64::NAN, 1.0)]), None);
    }
}

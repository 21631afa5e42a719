//! Finding the end of a pixel bucket by galloping from where the bucket starts: a bucket's spans
//! sit next to each other, so the search reads a few neighbouring events instead of bisecting
//! the whole visible range (which touched far-away memory once per bucket and made the
//! aggregation of 10^6 events cost milliseconds per frame).

use super::timed::first;

/// The first `j` in `from..to` for which `past(j)` holds (`to` when none does), where `past` is
/// false then true over `from..to`.
pub(super) fn first_from(from: usize, to: usize, past: impl Fn(usize) -> bool) -> usize {
    if from >= to || past(from) {
        return from.min(to);
    }
    // past(lo) is false: double the step until a probe is past, then bisect the last step.
    let mut lo = from;
    let mut step = 1;
    let hi = loop {
        let probe = lo + step;
        if probe >= to {
            break to;
        }
        if past(probe) {
            break probe;
        }
        lo = probe;
        step *= 2;
    };
    // Bisect lo+1..hi, the last step, with the store's one binary search.
    let lo = lo + 1;
    lo + first(hi - lo, |k| past(lo + k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_plain_bisection_everywhere() {
        let times: Vec<u64> = (0..500u64).map(|i| i / 3 * 7).collect();
        for from in [0, 1, 2, 17, 250, 499, 500] {
            for to in [from, (from + 1).min(500), 300, 500] {
                for limit in [0, 1, 7, 8, 100, 581, 1162, 1163, 5000] {
                    let want = if from >= to {
                        to
                    } else {
                        from + times[from..to].partition_point(|&t| t < limit)
                    };
                    let got = first_from(from, to, |j| times[j] >= limit);
                    assert_eq!(got, want, "from {from} to {to} limit {limit}");
                }
            }
        }
    }
}

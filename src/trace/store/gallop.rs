//! Finding the end of a pixel bucket in a sorted time column by galloping from where the bucket
//! starts: a bucket's spans sit next to each other, so the search stays in a few cache lines
//! instead of bisecting the whole visible range (which touched far-away memory once per bucket
//! and made the aggregation of 10^6 events cost milliseconds per frame).

use crate::trace::event::Nanos;

/// The first index `j` in `from..to` with `times[j] >= limit` (`to` when there is none), for
/// `times` sorted ascending.
pub(super) fn first_at_or_after(times: &[Nanos], from: usize, to: usize, limit: Nanos) -> usize {
    let to = to.min(times.len());
    if from >= to {
        return to;
    }
    // Double the step until it passes the limit, then bisect the last step.
    let mut lo = from;
    let mut step = 1;
    let hi = loop {
        let probe = lo + step;
        if probe >= to {
            break to;
        }
        if times[probe] >= limit {
            break probe;
        }
        lo = probe;
        step *= 2;
    };
    if times[lo] >= limit {
        return lo;
    }
    // times[lo] < limit, and hi is `to` or the first probe found at or past the limit.
    lo + 1 + times[lo + 1..hi].partition_point(|&t| t < limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_plain_bisection_everywhere() {
        let times: Vec<Nanos> = (0..500u64).map(|i| i / 3 * 7).collect();
        for from in [0, 1, 2, 17, 250, 499, 500] {
            for to in [from, from + 1, 300, 500, 600] {
                for limit in [0, 1, 7, 8, 100, 581, 1162, 1163, 5000] {
                    let end = to.min(times.len());
                    let want = if from >= end {
                        end
                    } else {
                        from + times[from..end].partition_point(|&t| t < limit)
                    };
                    assert_eq!(
                        first_at_or_after(&times, from, to, limit),
                        want,
                        "from {from} to {to} limit {limit}"
                    );
                }
            }
        }
    }
}

//! A view's pixel buckets on a grid fixed in time (cells of one width counted from time 0), so
//! a view that pans keeps its cells, and [`Sliding`] answers it from the last view's answer:
//! only the cells that came into view (and the two edge cells, whose content depends on what
//! lies beyond them) are searched again.
//!
//! A cell's content depends only on the spans or samples that start in it, so the answer for
//! cells both views share is the same; the first cell also holds what began before the view
//! and lasts into it, and a level's answer ends with the first sample after the view. Those
//! are the parts made again each time ([`Part::leading`], [`Part::trailing`]).

use crate::trace::event::{ConnId, Nanos};

/// Cells `first..=last` of `width` nanoseconds each: cell `k` is `[k·width, (k+1)·width)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub width: Nanos,
    pub first: u64,
    pub last: u64,
}

/// Widths per doubling a grid may have: rounding a width up to one of them makes it at most
/// 1/8 coarser, and keeps it when the view's width in nanoseconds wobbles by one as it pans.
const STEPS_PER_DOUBLING: u32 = 8;

impl Grid {
    /// The cells covering `t0..=t1` with about `buckets` of them (a few fewer: the width is
    /// rounded up to the next of [`STEPS_PER_DOUBLING`] steps).
    pub fn covering(t0: Nanos, t1: Nanos, buckets: usize) -> Grid {
        let raw = (t1.saturating_sub(t0) / buckets.max(1) as u64).max(1);
        let shift =
            (Nanos::BITS - raw.leading_zeros()).saturating_sub(STEPS_PER_DOUBLING.ilog2() + 1);
        let width = raw.div_ceil(1 << shift) << shift;
        Grid {
            width,
            first: t0 / width,
            last: t1.max(t0) / width,
        }
    }

    /// Where the first cell begins.
    pub fn t0(&self) -> Nanos {
        self.first.saturating_mul(self.width)
    }

    /// Where the last cell ends (the first instant after it).
    pub fn end(&self) -> Nanos {
        self.last.saturating_add(1).saturating_mul(self.width)
    }

    /// The cell holding instant `t`.
    pub fn cell(&self, t: Nanos) -> u64 {
        t / self.width
    }

    fn cells(&self) -> u64 {
        self.last - self.first + 1
    }

    fn with(&self, first: u64, last: u64) -> Grid {
        Grid {
            first,
            last,
            ..*self
        }
    }
}

/// Cells of a view to answer, and whether they are its first or its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub grid: Grid,
    /// The view's first cells: what began before them and lasts into them (a span, or the
    /// level sample in force) joins the first cell.
    pub leading: bool,
    /// The view's last cells: a level's answer ends with the first sample after them, so its
    /// line reaches the edge.
    pub trailing: bool,
}

impl Part {
    /// The whole view.
    pub fn whole(grid: Grid) -> Part {
        Part {
            grid,
            leading: true,
            trailing: true,
        }
    }
}

/// What a sliding answer is valid for besides its grid: the connection and how many events
/// the store had taken (it only grows, so no two states of a connection share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlideKey {
    pub conn: ConnId,
    pub generation: u64,
}

/// The last answer of a per-cell query, spliced to answer the next view on the same grid.
#[derive(Debug, Clone)]
pub struct Sliding<T> {
    last: Option<(SlideKey, Grid, Vec<T>)>,
    /// Cells searched so far (for tests: a pan searches few).
    pub searched: u64,
}

impl<T> Default for Sliding<T> {
    fn default() -> Sliding<T> {
        Sliding {
            last: None,
            searched: 0,
        }
    }
}

impl<T: Clone> Sliding<T> {
    /// The answer for the view `grid`, equal to `make(Part::whole(grid))`: made from the last
    /// answer's shared cells and `make` of the rest when the last view was on the same grid,
    /// else made whole. `time` is an item's time, whose cell says where it belongs; items
    /// come in time order.
    pub fn get_or(
        &mut self,
        key: SlideKey,
        grid: Grid,
        time: impl Fn(&T) -> Nanos,
        mut make: impl FnMut(Part) -> Vec<T>,
    ) -> &[T] {
        let shared = match &self.last {
            Some((k, old, _)) if *k == key && old.width == grid.width => {
                // Cells strictly inside both views, the new view's first and last excluded.
                let from = old.first.max(grid.first) + 1;
                let to = old.last.min(grid.last.saturating_sub(1));
                (from <= to && grid.cells() >= 3).then_some((from, to))
            }
            _ => None,
        };
        let items = match (shared, self.last.take()) {
            (Some((from, to)), Some((_, _, old))) => {
                let left = grid.with(grid.first, from - 1);
                let right = grid.with(to + 1, grid.last);
                self.searched += left.cells() + right.cells();
                let mut out = make(Part {
                    grid: left,
                    leading: true,
                    trailing: false,
                });
                let a = old.partition_point(|x| grid.cell(time(x)) < from);
                let b = old.partition_point(|x| grid.cell(time(x)) <= to);
                out.extend_from_slice(&old[a..b.max(a)]);
                out.extend(make(Part {
                    grid: right,
                    leading: false,
                    trailing: true,
                }));
                out
            }
            _ => {
                self.searched += grid.cells();
                make(Part::whole(grid))
            }
        };
        &self.last.insert((key, grid, items)).2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_covers_the_view_with_a_width_that_pans_unchanged() {
        for (t0, t1, n) in [
            (0, 1_000_000, 500),
            (123_456_789, 987_654_321, 640),
            (5, 9, 100),
            (0, 0, 1),
            (u64::MAX / 4, u64::MAX / 2, 960),
        ] {
            let g = Grid::covering(t0, t1, n);
            assert!(g.t0() <= t0 && g.end() > t1.max(t0), "{g:?} {t0} {t1}");
            let raw = ((t1 - t0) / n as u64).max(1);
            assert!(
                g.width >= raw && g.width <= raw + raw / 8,
                "{} {raw}",
                g.width
            );
            // Moved, and a nanosecond wider: the same width.
            let moved = Grid::covering(t0 + 777, t1 + 778, n);
            if (t1 - t0) / n as u64 > 64 {
                assert_eq!(moved.width, g.width, "{t0} {t1} {n}");
            }
        }
    }

    /// Items: (time, value) with several per cell; `make` answers a part as the items in it,
    /// with what began before a leading part and the next after a trailing part.
    #[test]
    fn a_sliding_answer_equals_the_answer_made_whole() {
        let times: Vec<Nanos> = (0..5_000u64).map(|i| i * 37 + (i * i) % 91).collect();
        let make = |p: Part| -> Vec<(Nanos, u64)> {
            let a = times.partition_point(|&t| t < p.grid.t0());
            let b = times.partition_point(|&t| t < p.grid.end());
            let a = if p.leading { a.saturating_sub(1) } else { a };
            let b = if p.trailing {
                (b + 1).min(times.len())
            } else {
                b
            };
            (a..b).map(|i| (times[i], i as u64)).collect()
        };
        let key = SlideKey {
            conn: 1,
            generation: 9,
        };
        let mut sliding = Sliding::default();
        let mut t0 = 20_000;
        for step in [0i64, 30, -45, 200, 5, -1_000, 17, 40_000, -3, 0] {
            t0 = (t0 as i64 + step) as u64;
            let grid = Grid::covering(t0, t0 + 60_000, 300);
            let got = sliding.get_or(key, grid, |x| x.0, make).to_vec();
            assert_eq!(got, make(Part::whole(grid)), "t0 {t0}");
        }
        // Small moves searched a few cells each, not whole views.
        assert!(sliding.searched < 300 * 5, "{}", sliding.searched);
        // Another generation is made whole.
        let before = sliding.searched;
        let grid = Grid::covering(t0, t0 + 60_000, 300);
        let key = SlideKey {
            generation: 10,
            ..key
        };
        sliding.get_or(key, grid, |x| x.0, make);
        assert_eq!(sliding.searched - before, grid.cells());
    }
}

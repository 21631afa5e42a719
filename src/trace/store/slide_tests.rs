//! Unit tests of the per-cell queries on a fixed grid: a view made whole matches a plain
//! grouping of the spans and samples by cell, and a view answered by sliding the last one's
//! answer equals it made whole, through pans, jumps and zooms.

use super::fixtures::writes_with_levels;
use super::*;
use crate::trace::event::Nanos;

fn store(n: u32) -> Store {
    let mut s = Store::new();
    s.push_batch(&writes_with_levels(n));
    s
}

/// Marks by grouping each overlapping span with its cell one by one (spans from before the
/// view in the first cell).
fn plain_marks<S: Timed>(spans: &S, grid: Grid) -> Vec<Mark<S::Class>> {
    let (a, b) = spans.overlapping(grid.t0(), grid.end() - 1);
    let cell = |i: usize| grid.cell(spans.start(i).max(grid.t0()));
    let mut out: Vec<Mark<S::Class>> = Vec::new();
    for i in a..b {
        match out.last_mut() {
            Some(m) if cell(m.first) == cell(i) => {
                m.count += 1;
                m.end = spans.end(i).max(m.start);
                if spans.class(i).index() > m.class.index() {
                    m.class = spans.class(i);
                }
            }
            _ => out.push(Mark {
                start: spans.start(i),
                end: spans.end(i),
                first: i,
                count: 1,
                class: spans.class(i),
            }),
        }
    }
    out
}

#[test]
fn a_whole_view_on_a_grid_groups_each_cells_spans() {
    let s = store(3_000);
    let c = &s.conns[0];
    let end = c.events.last().map_or(0, |e| e.t);
    for (t0, t1, n) in [(0, end, 100), (1_234, 40_000, 64), (50_000, 50_900, 300)] {
        let grid = Grid::covering(t0, t1, n);
        let whole = Part::whole(grid);
        assert_eq!(
            aggregate_part(&c.calls(), whole),
            plain_marks(&c.calls(), grid)
        );
        assert_eq!(aggregate_part(&c.io(), whole), plain_marks(&c.io(), grid));
        assert_eq!(
            aggregate_part(&c.waits(), whole),
            plain_marks(&c.waits(), grid)
        );
        assert_eq!(
            aggregate_part(&c.retries(), whole),
            plain_marks(&c.retries(), grid)
        );
    }
}

#[test]
fn a_whole_view_on_a_grid_gives_each_cells_levels_with_their_neighbours() {
    let s = store(3_000);
    let c = &s.conns[0];
    let levels = [&c.inq, &c.outq, &c.pending];
    let grid = Grid::covering(10_000, 90_000, 120);
    let got = Series::envelopes_part(levels, &c.events, Part::whole(grid));
    // Plainly: the samples from the one before the view to the one after it, by cell.
    let times: Vec<Nanos> = (0..c.outq.len())
        .map(|i| c.outq.time(&c.events, i))
        .collect();
    let a = times.partition_point(|&t| t < grid.t0()) - 1;
    let b = times.partition_point(|&t| t < grid.end()) + 1;
    let mut want = Vec::new();
    let mut i = a;
    while i < b {
        let cell = grid.cell(times[i].max(grid.t0()));
        let j = (i..b)
            .find(|&j| grid.cell(times[j].max(grid.t0())) != cell)
            .unwrap_or(b);
        let lo = levels.map(|l| *l.v[i..j].iter().min().unwrap_or(&0));
        let hi = levels.map(|l| *l.v[i..j].iter().max().unwrap_or(&0));
        want.push((times[i], lo));
        want.push((times[i] + (times[j - 1] - times[i]) / 2, hi));
        i = j;
    }
    assert_eq!(got, want);
    assert!(got.len() > 100, "{}", got.len());
    // Series not sampled together get nothing this way.
    assert!(Series::envelopes_part([&c.outq, &c.rtt_us], &c.events, Part::whole(grid)).is_empty());
}

#[test]
fn a_sliding_view_equals_the_view_made_whole() {
    let s = store(20_000);
    let c = &s.conns[0];
    let key = SlideKey {
        conn: c.id,
        generation: s.total_events,
    };
    let (mut calls, mut waits) = (Sliding::default(), Sliding::default());
    let (mut levels, mut tcp) = (Sliding::default(), Sliding::default());
    let (mut t0, mut span) = (100_000u64, 300_000u64);
    // Pans of less than a cell, of a few cells, a jump, a zoom, back.
    for (shift, zoom) in [
        (0i64, 1.0),
        (90, 1.0),
        (-130, 1.0),
        (4_000, 1.0),
        (-700, 1.0),
        (250_000, 1.0),
        (0, 0.5),
        (333, 1.0),
        (-2_000_000, 1.0),
        (10, 2.0),
        (10, 1.0),
    ] {
        t0 = t0.saturating_add_signed(shift);
        span = (span as f64 * zoom) as u64;
        let grid = Grid::covering(t0, t0 + span, 400);
        let whole = Part::whole(grid);
        let got = calls.get_or(
            key,
            grid,
            |m: &Mark<_>| m.start,
            |p| aggregate_part(&c.calls(), p),
        );
        assert_eq!(got, aggregate_part(&c.calls(), whole), "calls at {t0}");
        let got = waits.get_or(
            key,
            grid,
            |m: &Mark<_>| m.start,
            |p| aggregate_part(&c.waits(), p),
        );
        assert_eq!(got, aggregate_part(&c.waits(), whole), "waits at {t0}");
        let three = [&c.inq, &c.outq, &c.pending];
        let got = levels.get_or(
            key,
            grid,
            |p: &(Nanos, _)| p.0,
            |p| Series::envelopes_part(three, &c.events, p),
        );
        assert_eq!(
            got,
            Series::envelopes_part(three, &c.events, whole),
            "levels at {t0}"
        );
        let two = [&c.rtt_us, &c.snd_wnd];
        let got = tcp.get_or(
            key,
            grid,
            |p: &(Nanos, _)| p.0,
            |p| Series::envelopes_part(two, &c.events, p),
        );
        assert_eq!(
            got,
            Series::envelopes_part(two, &c.events, whole),
            "tcp at {t0}"
        );
    }
    // The small pans searched a few cells, not whole views.
    assert!(calls.searched < 400 * 6, "{}", calls.searched);
}

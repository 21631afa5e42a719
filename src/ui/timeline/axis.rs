//! The x axis the timeline's plots share: the visible range in seconds and nanoseconds, its
//! pixel scale, the common plot setup (linked cursor, axis labels counting from the
//! connection's start; zoom and pan belong to the app, see `zoom.rs`), and level series drawn
//! as steps.

use crate::trace::ticks::AxisTicks;
use crate::trace::Nanos;
use crate::ui::model::{nanos, secs};
use egui_plot::{AxisHints, GridInput, GridMark, Plot, PlotTransform};
use std::cell::RefCell;
use std::rc::Rc;

/// The plot's smallest grid spacing in pixels; the grid spacer recovers the pixel scale from it.
const GRID_MIN_PX: f32 = 8.0;

/// Width of one character of an axis label in pixels (the body font's digits are about 7;
/// a little more so an estimate never lets two labels touch).
pub(super) const LABEL_CHAR_PX: f64 = 7.5;

/// The labelled ticks of the last axis drawn, shared by a plot's grid spacer (which chooses them
/// knowing the pixel width) and its label formatter (which only sees one value at a time).
pub(super) type AxisLabels = Rc<RefCell<Vec<(f64, String)>>>;

/// The visible time range and what it means in pixels.
#[derive(Debug, Clone)]
pub(super) struct Visible {
    /// In seconds on the engine's clock.
    pub(super) view: (f64, f64),
    /// The connection's start: the axis counts from here.
    pub(super) origin: Nanos,
    /// The labels of the x axis as last drawn.
    pub(super) labels: AxisLabels,
    pub(super) t0: Nanos,
    pub(super) t1: Nanos,
    /// Seconds per pixel.
    pub(super) px: f64,
    /// The shortest bar drawn, in seconds, so a short call stays visible.
    pub(super) min_len: f64,
    /// How far from the pointer a mark still counts as hovered.
    pub(super) tol: Nanos,
    /// Pixel buckets the queries aggregate to.
    pub(super) buckets: usize,
}

impl Visible {
    pub(super) fn new(view: (f64, f64), width_px: f32, origin: Nanos) -> Visible {
        let (v0, v1) = view;
        let width_px = width_px.max(100.0);
        let px = (v1 - v0) / width_px as f64;
        Visible {
            view,
            origin,
            labels: AxisLabels::default(),
            t0: nanos(v0),
            t1: nanos(v1).max(nanos(v0) + 1),
            px,
            min_len: px * 2.0,
            tol: nanos(px * HIT_PX).max(1),
            buckets: (width_px as usize / 2).max(50),
        }
    }

    /// Seconds of the pixel range a span takes, for deciding whether a label fits.
    pub(super) fn pixels(&self, start: Nanos, end: Nanos) -> f64 {
        (secs(end) - secs(start)) / self.px
    }
}

/// Half the width, in pixels, within which the pointer still hits a mark: a call shorter than a
/// pixel can still be hovered and clicked (the nearest one wins).
pub(super) const HIT_PX: f64 = 5.0;

/// A plot on the shared x axis: cursor linked with the others; its own zoom, scroll and drag
/// are off because the app owns the x range (linked axes re-fit under auto-bounds) and the
/// timeline turns wheel and drag into zoom and pan itself.
pub(super) fn linked_plot<'a>(id: &str, link: egui::Id, height: f32, vis: &Visible) -> Plot<'a> {
    let origin = secs(vis.origin);
    let shared = vis.labels.clone();
    let spacer = move |input: GridInput| grid(input, origin, &shared);
    let shared = vis.labels.clone();
    let formatter = move |mark: GridMark, _: &std::ops::RangeInclusive<f64>| {
        shared
            .borrow()
            .iter()
            .find(|(x, _)| *x == mark.value)
            .map_or(String::new(), |(_, l)| l.clone())
    };
    Plot::new(id)
        // Painted under it by a GL clear instead (`backdrop.rs`).
        .show_background(false)
        .height(height)
        .link_cursor(link, [true, false])
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .y_axis_min_width(90.0)
        .grid_spacing(egui::Rangef::new(GRID_MIN_PX, 300.0))
        .x_grid_spacer(spacer)
        // Labels as close as the ticks allow: the spacer already spaced them by their width.
        .custom_x_axes(vec![AxisHints::new_x()
            .formatter(formatter)
            .label_spacing(egui::Rangef::new(1.0, 2.0))])
}

/// The grid of the time axis for the plot bounds in `input`: labelled ticks counting from
/// `origin` (engine seconds), spaced by their labels' width, and lighter lines between them.
/// The labels are left in `shared` for the formatter.
fn grid(input: GridInput, origin: f64, shared: &AxisLabels) -> Vec<GridMark> {
    let (b0, b1) = input.bounds;
    if input.base_step_size <= 0.0 || b1 <= b0 {
        return Vec::new();
    }
    let width_px = (b1 - b0) * f64::from(GRID_MIN_PX) / input.base_step_size;
    let (r0, r1) = (b0 - origin, b1 - origin);
    let ticks = AxisTicks::choose(r0, r1, width_px, LABEL_CHAR_PX);
    let labelled: Vec<(f64, String)> = ticks
        .labelled(r0, r1, width_px, LABEL_CHAR_PX)
        .into_iter()
        .map(|(x, l)| (origin + x, l))
        .collect();
    let first = (r0 / ticks.step).ceil() as i64;
    let last = (r1 / ticks.step).floor() as i64;
    let mut marks: Vec<GridMark> = (first..=last.min(first + width_px as i64))
        .map(|k| {
            let value = origin + k as f64 * ticks.step;
            // A tick whose label was left out keeps its line; the formatter finds no label.
            let value = labelled
                .iter()
                .find(|(x, _)| (x - value).abs() < ticks.step * 1e-6)
                .map_or(value, |(x, _)| *x);
            GridMark {
                value,
                step_size: ticks.step,
            }
        })
        .collect();
    marks.extend(
        ticks
            .minor_ticks(r0, r1, width_px)
            .into_iter()
            .map(|x| GridMark {
                value: origin + x,
                step_size: ticks.minor,
            }),
    );
    *shared.borrow_mut() = labelled;
    marks
}

/// The x range a plot ended the frame with (after the user's pan or zoom).
pub(super) fn x_range(transform: &PlotTransform) -> (f64, f64) {
    let b = transform.bounds();
    (b.min()[0], b.max()[0])
}

/// Points of a level series drawn as steps (a level holds until the next sample), the last one
/// up to `end_t`.
pub(super) fn steps(v: &[(Nanos, u32)], end_t: Nanos) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(v.len() * 2 + 1);
    for (i, &(t, x)) in v.iter().enumerate() {
        if let Some(prev) = i.checked_sub(1).map(|p| v[p].1) {
            out.push([secs(t), prev as f64]);
        }
        out.push([secs(t), x as f64]);
    }
    if let Some(&(t, x)) = v.last() {
        if end_t > t {
            out.push([secs(end_t), x as f64]);
        }
    }
    out
}

/// The 1, 2 or 5 times a power of ten nearest above `x` (for axis steps).
pub(super) fn nice_step(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&s| s >= x)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_hold_until_the_next_sample_and_reach_the_end() {
        let pts = steps(&[(1_000_000_000, 5), (2_000_000_000, 7)], 3_000_000_000);
        assert_eq!(pts, vec![[1.0, 5.0], [2.0, 5.0], [2.0, 7.0], [3.0, 7.0]]);
        assert!(steps(&[], 10).is_empty());
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(130.0), 200.0);
        assert_eq!(nice_step(6000.0), 10_000.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
        assert_eq!(nice_step(-2.0), 1.0);
    }

    #[test]
    fn the_grid_counts_from_the_origin_and_shares_its_labels() {
        let shared = AxisLabels::default();
        // 100 s into the engine's clock, 0.5 s of a connection that started at 100 s, 1000 px.
        let input = GridInput {
            bounds: (99.99, 100.5),
            base_step_size: 0.51 / 1000.0 * f64::from(GRID_MIN_PX),
        };
        let marks = grid(input, 100.0, &shared);
        let labels = shared.borrow();
        assert!(
            labels.iter().any(|(x, l)| *x == 100.0 && l == "0 ms"),
            "{labels:?}"
        );
        // Milliseconds from the connection's start, not seconds of the engine's clock.
        assert!(labels.iter().all(|(_, l)| l.ends_with(" ms")), "{labels:?}");
        assert!(labels.len() >= 4, "{labels:?}");
        // Every label belongs to a mark at exactly its value (the formatter matches on it).
        assert!(labels
            .iter()
            .all(|(x, _)| marks.iter().any(|m| m.value == *x)));
    }

    #[test]
    fn the_visible_range_sets_the_scale() {
        let v = Visible::new((1.0, 2.0), 1000.0, 0);
        assert_eq!((v.t0, v.t1), (1_000_000_000, 2_000_000_000));
        assert!((v.px - 0.001).abs() < 1e-12);
        assert_eq!(v.buckets, 500);
        assert_eq!(v.tol, 5_000_000);
        // A zero-width view still spans one nanosecond.
        let v = Visible::new((1.0, 1.0), 1000.0, 0);
        assert_eq!(v.t1, v.t0 + 1);
    }
}

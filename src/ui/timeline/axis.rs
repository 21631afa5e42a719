//! The x axis the timeline's plots share: the visible range in seconds and nanoseconds, its
//! pixel scale, the common plot setup (linked cursor, x-only zoom and pan, axis labels), and
//! level series drawn as steps.

use crate::trace::format;
use crate::trace::Nanos;
use crate::ui::model::{nanos, secs};
use egui_plot::{Plot, PlotTransform};

/// The visible time range and what it means in pixels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Visible {
    /// In seconds on the engine's clock.
    pub(super) view: (f64, f64),
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
    pub(super) fn new(view: (f64, f64), width_px: f32) -> Visible {
        let (v0, v1) = view;
        let width_px = width_px.max(100.0);
        let px = (v1 - v0) / width_px as f64;
        Visible {
            view,
            t0: nanos(v0),
            t1: nanos(v1).max(nanos(v0) + 1),
            px,
            min_len: px * 2.0,
            tol: nanos(px * 5.0).max(1),
            buckets: (width_px as usize / 2).max(50),
        }
    }

    /// Seconds of the pixel range a span takes, for deciding whether a label fits.
    pub(super) fn pixels(&self, start: Nanos, end: Nanos) -> f64 {
        (secs(end) - secs(start)) / self.px
    }
}

/// A plot on the shared x axis: cursor linked with the others, zoom and pan on x only.
pub(super) fn linked_plot<'a>(id: &str, link: egui::Id, height: f32, vis: &Visible) -> Plot<'a> {
    let (v0, v1) = vis.view;
    Plot::new(id)
        .height(height)
        .link_cursor(link, [true, false])
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .allow_drag([true, false])
        .allow_double_click_reset(false)
        .y_axis_min_width(90.0)
        .x_axis_formatter(move |mark, _| format::axis_time(mark.value, v1 - v0))
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
    fn the_visible_range_sets_the_scale() {
        let v = Visible::new((1.0, 2.0), 1000.0);
        assert_eq!((v.t0, v.t1), (1_000_000_000, 2_000_000_000));
        assert!((v.px - 0.001).abs() < 1e-12);
        assert_eq!(v.buckets, 500);
        assert_eq!(v.tol, 5_000_000);
        // A zero-width view still spans one nanosecond.
        let v = Visible::new((1.0, 1.0), 1000.0);
        assert_eq!(v.t1, v.t0 + 1);
    }
}

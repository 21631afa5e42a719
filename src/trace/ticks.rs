//! Ticks of a time axis that counts from a connection's start: which step (1, 2 or 5 times a
//! power of ten, down to 1 ns), which unit (ns → µs → ms → s as the zoom changes), how many
//! decimals, and which ticks keep their label so that labels never overlap each other or the
//! edges. Pure arithmetic, so the timeline draws what these tests check.

/// Seconds per unit and its name, smallest first.
const UNITS: [(f64, &str); 4] = [(1e-9, "ns"), (1e-6, "µs"), (1e-3, "ms"), (1.0, "s")];

/// Pixels kept free between two labels, so neighbours never touch.
const GAP_PX: f64 = 14.0;

/// The fewest pixels between labelled ticks, so that short labels ("2 s") are not crowded.
const MIN_STEP_PX: f64 = 50.0;

/// The shortest step considered: the trace's resolution.
const MIN_STEP: f64 = 1e-9;

/// How the ticks of one view are spaced and written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisTicks {
    /// Seconds between labelled ticks.
    pub step: f64,
    /// Seconds between the unlabelled grid lines in between.
    pub minor: f64,
    /// Index into the units (0 = ns … 3 = s).
    unit: usize,
    decimals: usize,
}

/// The 1, 2 or 5 times a power of ten at or above `x` (at least 1 ns), and its leading digit.
fn nice_at_least(x: f64) -> (f64, u8) {
    let x = if x.is_finite() { x.max(MIN_STEP) } else { 1.0 };
    let p = 10f64.powf(x.log10().floor());
    for m in [1u8, 2, 5] {
        let s = f64::from(m) * p;
        // A little slack so that 0.3 * 10 / 3 style rounding does not skip a step.
        if s >= x * (1.0 - 1e-9) {
            return (s, m);
        }
    }
    (10.0 * p, 1)
}

/// The next nice step after `step`.
fn next_nice(step: f64) -> (f64, u8) {
    nice_at_least(step * 1.01)
}

impl AxisTicks {
    /// Units and decimals for ticks `step` apart on an axis reaching `extent` seconds from 0.
    /// The unit follows the zoom (a step of 20 ms reads in ms, 500 ns in ns) but moves up while
    /// the numbers would reach four digits ("1.25 s", not "1250 ms"), with enough decimals that
    /// neighbouring ticks always differ.
    fn with_step(step: f64, leading: u8, extent: f64) -> AxisTicks {
        let mut unit = UNITS
            .iter()
            .rposition(|&(u, _)| step >= u * 0.1 * (1.0 - 1e-9))
            .unwrap_or(0);
        while unit + 1 < UNITS.len() && extent / UNITS[unit].0 >= 1000.0 {
            unit += 1;
        }
        let q = step / UNITS[unit].0;
        let decimals = (-(q.log10() + 1e-9).floor()).max(0.0) as usize;
        let minor = step / if leading == 2 { 4.0 } else { 5.0 };
        AxisTicks {
            step,
            minor,
            unit,
            decimals,
        }
    }

    /// The ticks for the visible range `r0..r1` (seconds from the connection's start) drawn
    /// `width_px` wide, with labels `char_px` per character: the smallest step whose labels fit
    /// side by side with room between them.
    pub fn choose(r0: f64, r1: f64, width_px: f64, char_px: f64) -> AxisTicks {
        let (r0, r1) = if r0.is_finite() && r1.is_finite() && r1 > r0 {
            (r0, r1)
        } else {
            (0.0, 1.0)
        };
        let width_px = width_px.max(1.0);
        let px_per_s = width_px / (r1 - r0);
        let extent = r0.abs().max(r1.abs());
        let (mut step, mut leading) = nice_at_least(GAP_PX / px_per_s);
        for _ in 0..64 {
            let t = AxisTicks::with_step(step, leading, extent);
            // The widest label is at one of the ends of the range.
            let widest = [r0, r1, 0.0]
                .iter()
                .map(|&x| t.label_px(x, char_px))
                .fold(0.0, f64::max);
            if step * px_per_s >= (widest + GAP_PX).max(MIN_STEP_PX) {
                return t;
            }
            (step, leading) = next_nice(step);
        }
        AxisTicks::with_step(step, leading, extent)
    }

    /// The label of the tick at `x` seconds from the start: "0 s", "250 ms", "1.25 s", "-40 µs".
    pub fn label(&self, x: f64) -> String {
        let (u, name) = UNITS[self.unit];
        // The tick at the start reads as a plain zero, whatever the decimals.
        if x.abs() < self.step * 1e-3 {
            return format!("0 {name}");
        }
        format!("{:.*} {name}", self.decimals, x / u)
    }

    /// How wide the label of `x` is, estimated from its length.
    fn label_px(&self, x: f64, char_px: f64) -> f64 {
        self.label(x).chars().count() as f64 * char_px
    }

    /// The labelled ticks of `r0..r1` (in seconds from the start) with their labels: every
    /// multiple of the step whose label fits entirely inside the axis (none is cut at an edge).
    pub fn labelled(&self, r0: f64, r1: f64, width_px: f64, char_px: f64) -> Vec<(f64, String)> {
        if !(r0.is_finite() && r1.is_finite() && r1 > r0) {
            return Vec::new();
        }
        let px_per_s = width_px / (r1 - r0);
        let first = (r0 / self.step).ceil() as i64;
        let last = (r1 / self.step).floor() as i64;
        // Never more ticks than pixels, whatever the input.
        let last = last.min(first + width_px.max(0.0) as i64);
        (first..=last)
            .map(|k| k as f64 * self.step)
            .filter_map(|x| {
                let label = self.label(x);
                let half = label.chars().count() as f64 * char_px / 2.0;
                let at = (x - r0) * px_per_s;
                (at - half >= 0.0 && at + half <= width_px).then_some((x, label))
            })
            .collect()
    }

    /// The unlabelled grid lines of `r0..r1` between the labelled ticks.
    pub fn minor_ticks(&self, r0: f64, r1: f64, width_px: f64) -> Vec<f64> {
        if !(r0.is_finite() && r1.is_finite() && r1 > r0) {
            return Vec::new();
        }
        let first = (r0 / self.minor).ceil() as i64;
        let last = (r1 / self.minor).floor() as i64;
        let last = last.min(first + width_px.max(0.0) as i64);
        let per = (self.step / self.minor).round() as i64;
        (first..=last)
            .filter(|k| per == 0 || k % per != 0)
            .map(|k| k as f64 * self.minor)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roughly the body font's width of one character, in pixels.
    const CHAR: f64 = 7.5;

    fn labels(r0: f64, r1: f64, width: f64) -> Vec<String> {
        let t = AxisTicks::choose(r0, r1, width, CHAR);
        t.labelled(r0, r1, width, CHAR)
            .into_iter()
            .map(|(_, l)| l)
            .collect()
    }

    /// Labels never overlap and never leave the axis, and neighbours always differ.
    fn assert_readable(r0: f64, r1: f64, width: f64) {
        let t = AxisTicks::choose(r0, r1, width, CHAR);
        let ticks = t.labelled(r0, r1, width, CHAR);
        // A very narrow axis may have room for no label at all; a usual one has several.
        let fewest = match width {
            w if w >= 600.0 => 2,
            w if w >= 300.0 => 1,
            _ => 0,
        };
        assert!(
            ticks.len() >= fewest,
            "{r0}..{r1} at {width}px: {ticks:?} (step {})",
            t.step
        );
        let px = width / (r1 - r0);
        let spans: Vec<(f64, f64)> = ticks
            .iter()
            .map(|(x, l)| {
                let c = (x - r0) * px;
                let h = l.chars().count() as f64 * CHAR / 2.0;
                (c - h, c + h)
            })
            .collect();
        for (a, b) in spans.iter().zip(spans.iter().skip(1)) {
            assert!(a.1 + GAP_PX <= b.0 + 1e-6, "{ticks:?} overlap at {width}px");
        }
        assert!(spans.iter().all(|s| s.0 >= 0.0 && s.1 <= width));
        for (a, b) in ticks.iter().zip(ticks.iter().skip(1)) {
            assert_ne!(a.1, b.1, "{ticks:?}");
        }
    }

    #[test]
    fn the_axis_counts_from_zero_in_the_unit_of_the_zoom() {
        assert_eq!(
            labels(-0.3, 10.3, 1000.0),
            ["0 s", "1 s", "2 s", "3 s", "4 s", "5 s", "6 s", "7 s", "8 s", "9 s", "10 s"]
        );
        let ms = labels(-0.001, 0.05, 1000.0);
        assert_eq!(ms[0], "0 ms");
        assert!(ms.contains(&"20 ms".to_string()), "{ms:?}");
        let us = labels(-0.000_01, 0.000_2, 1000.0);
        assert_eq!(us[0], "0 µs");
        assert!(us.contains(&"100 µs".to_string()), "{us:?}");
        let ns = labels(0.0, 0.000_000_5, 1000.0);
        assert!(ns.contains(&"100 ns".to_string()), "{ns:?}");
    }

    #[test]
    fn large_numbers_move_up_a_unit_with_decimals() {
        // 1.2 s into the connection at a 20 ms step: seconds with two decimals.
        let l = labels(1.1, 1.3, 1000.0);
        assert!(l.contains(&"1.20 s".to_string()), "{l:?}");
        // Deep in a long connection, ticks 100 ns apart still differ.
        let l = labels(584.000_001, 584.000_002, 1000.0);
        assert!(l.iter().all(|s| s.starts_with("584.000001")), "{l:?}");
        assert_readable(584.000_001, 584.000_002, 1000.0);
    }

    #[test]
    fn labels_never_collide_or_leave_the_axis_at_any_width_or_zoom() {
        for width in [150.0, 300.0, 640.0, 900.0, 1200.0, 1800.0] {
            for (r0, r1) in [
                (0.0, 10.0),
                (-0.3, 10.3),
                (0.0, 0.002),
                (1.234_567, 1.234_568),
                (0.000_1, 0.000_100_5),
                (120.0, 3600.0),
                (59.99, 60.01),
                (583.9, 584.2),
            ] {
                assert_readable(r0, r1, width);
            }
        }
    }

    #[test]
    fn a_label_that_would_be_cut_at_an_edge_is_left_out() {
        // The tick at 0 sits on the left edge: half its label would be outside.
        let t = AxisTicks::choose(0.0, 10.0, 1000.0, CHAR);
        let ticks = t.labelled(-0.001, 10.0, 1000.0, CHAR);
        assert!(ticks[0].0 > 0.0, "{ticks:?}");
    }

    #[test]
    fn grid_lines_fall_between_the_labels() {
        let t = AxisTicks::choose(0.0, 10.0, 1000.0, CHAR);
        assert_eq!(t.step, 1.0);
        let minor = t.minor_ticks(0.0, 2.0, 1000.0);
        assert_eq!(minor.len(), 8);
        assert!(minor.iter().all(|x| (x / t.step).fract().abs() > 1e-9));
    }

    #[test]
    fn bad_input_gives_an_ordinary_axis() {
        let t = AxisTicks::choose(f64::NAN, 1.0, 1000.0, CHAR);
        assert!(t.step > 0.0);
        assert!(t.labelled(1.0, 1.0, 1000.0, CHAR).is_empty());
        assert_eq!(nice_at_least(0.0).0, MIN_STEP);
        assert_eq!(nice_at_least(3.0), (5.0, 5));
        assert_eq!(nice_at_least(f64::INFINITY).0, 1.0);
    }
}

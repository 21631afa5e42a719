//! The handshake lane: spans between handshake state transitions (labelled when wide enough)
//! and TLS messages as markers, named in two rows under them where there is room.

use super::axis::Visible;
use super::marks::{bar, bars, y};
use crate::trace::store::{ConnTrace, Lane};
use crate::trace::MsgDir;
use crate::ui::model::secs;
use crate::ui::style;
use egui::RichText;
use egui_plot::{MarkerShape, PlotPoint, PlotUi, Points, Text};

/// Record content type of application data: its messages are marked but not named.
const APPLICATION_DATA: u8 = 23;

pub(super) fn draw(pui: &mut PlotUi, c: &ConnTrace, vis: &Visible) {
    states(pui, c, vis);
    messages(pui, c, vis);
}

fn states(pui: &mut PlotUi, c: &ConnTrace, vis: &Visible) {
    let row = y(Lane::Handshake) + 0.2;
    let (a, b) = c.states_around(vis.t0, vis.t1);
    let step = ((b - a) / vis.buckets).max(1);
    let mut spans = Vec::new();
    let mut labels = Vec::new();
    for i in (a..b).step_by(step) {
        let (start, s) = c.states[i];
        let end = c.states.get(i + step).map_or(c.last_t, |n| n.0);
        let colour = if (i / step).is_multiple_of(2) {
            style::STATE_EVEN
        } else {
            style::STATE_ODD
        };
        spans.push(bar(row, start, end, 0.0, colour));
        if vis.pixels(start, end) > 120.0 {
            let at = PlotPoint::new(secs(start.max(vis.t0)), row);
            labels.push(
                Text::new("", at, RichText::new(s.text()).small())
                    .anchor(egui::Align2::LEFT_CENTER)
                    .color(style::STATE_LABEL),
            );
        }
    }
    pui.bar_chart(bars(
        "handshake state",
        style::STATE_EVEN,
        0.25,
        spans,
        vis.px,
    ));
    for l in labels {
        pui.text(l);
    }
}

/// Pixels: the spacing of label rows (small text: 9 px glyphs), the distance from the markers
/// to the first row, and how far a label reaches below its centre.
const ROW_PX: f64 = 10.0;
const BELOW_MARKER_PX: f64 = 9.0;
const HALF_TEXT_PX: f64 = 4.0;
/// Pixels per character of a small label, a little over the font's average, and padding.
const CHAR_PX: f64 = 6.5;
const PAD_PX: f64 = 8.0;

/// The centres of the label rows under markers at `marker_y`, spaced in pixels (so rows never
/// overlap however short the plot is) and only as many as fit above `bottom` (so none is cut
/// by the plot's edge); `units_per_px` is the plot's y scale.
fn label_rows(marker_y: f64, bottom: f64, units_per_px: f64) -> Vec<f64> {
    (0..2)
        .map(|r| marker_y - (BELOW_MARKER_PX + r as f64 * ROW_PX) * units_per_px)
        .take_while(|&y| y - HALF_TEXT_PX * units_per_px >= bottom)
        .collect()
}

/// Where a label of `width` (plot units) starts for a marker at `x`: at the marker, or moved
/// left so it ends at the visible range's right edge `right` instead of being cut there.
fn label_start(x: f64, width: f64, right: f64) -> f64 {
    x.min(right - width)
}

fn messages(pui: &mut PlotUi, c: &ConnTrace, vis: &Visible) {
    let lane = y(Lane::Handshake);
    let (a, b) = c.msgs_within(vis.t0, vis.t1);
    let step = ((b - a) / vis.buckets).max(1);
    let (mut inbound, mut outbound) = (Vec::new(), Vec::new());
    let marker_y = lane - 0.2;
    let bounds = pui.plot_bounds();
    let units_per_px = pui.transform().dvalue_dpos()[1].abs();
    let rows = label_rows(marker_y, bounds.min()[1], units_per_px);
    // Labels go in rows under the markers, each label only where it has room.
    let mut row_free = vec![f64::MIN; rows.len()];
    for (t, m) in c.msgs[a..b].iter().step_by(step) {
        let x = secs(*t);
        let p = [x, marker_y];
        if m.dir == MsgDir::In {
            inbound.push(p)
        } else {
            outbound.push(p)
        }
        if m.content == APPLICATION_DATA {
            continue;
        }
        let name = m.type_name();
        let width = vis.px * (name.len() as f64 * CHAR_PX);
        let start = label_start(x, width, vis.view.1);
        let Some(row) = (0..rows.len()).find(|&r| row_free[r] <= start) else {
            continue;
        };
        row_free[row] = start + width + vis.px * PAD_PX;
        pui.text(
            Text::new(
                "",
                PlotPoint::new(start, rows[row]),
                RichText::new(name).small(),
            )
            .anchor(egui::Align2::LEFT_CENTER)
            .color(style::MSG_LABEL),
        );
    }
    for (name, pts, shape, colour) in [
        ("message in", inbound, MarkerShape::Left, style::MSG_IN),
        ("message out", outbound, MarkerShape::Right, style::MSG_OUT),
    ] {
        pui.points(
            Points::new(name, pts)
                .shape(shape)
                .color(colour)
                .radius(5.0)
                .filled(true)
                .allow_hover(false),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_rows_fit_above_the_bottom_edge() {
        // Roomy: two rows, 10 px apart, the first 9 px under the markers.
        let rows = label_rows(0.8, 0.2, 0.01);
        assert_eq!(rows.len(), 2);
        assert!((rows[0] - 0.71).abs() < 1e-9 && (rows[1] - 0.61).abs() < 1e-9);
        // A short plot: only the row that is not cut by the edge.
        assert_eq!(label_rows(0.8, 0.2, 0.04).len(), 1);
        assert!(label_rows(0.8, 0.2, 0.1).is_empty());
    }

    #[test]
    fn a_label_at_the_right_edge_moves_left_to_stay_whole() {
        assert_eq!(label_start(1.0, 0.5, 10.0), 1.0);
        assert_eq!(label_start(9.8, 0.5, 10.0), 9.5);
    }
}

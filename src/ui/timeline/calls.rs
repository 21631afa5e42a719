//! The calls lane: one bar per OpenSSL call (or per pixel bucket of calls) in its result's
//! colour, the band behind the attempts of a retried operation, and the selected call's outline.

use super::axis::Visible;
use super::marks::{bar, bars, CALLS};
use super::queries::LaneMarks;
use crate::trace::store::{CallClass, ConnTrace, Timed};
use crate::ui::model::secs;
use crate::ui::style;
use egui_plot::{PlotUi, Polygon};

pub(super) fn draw(pui: &mut PlotUi, marks: &LaneMarks, vis: &Visible) {
    let runs = marks
        .runs
        .iter()
        .map(|m| {
            bar(CALLS, m.start, m.end, vis.min_len, style::RETRY_BAND)
                .fill(style::RETRY_BAND.gamma_multiply(0.25))
                .stroke(egui::Stroke::new(
                    1.0,
                    style::RETRY_BAND.gamma_multiply(0.8),
                ))
        })
        .collect();
    pui.bar_chart(bars(
        "retries of one operation",
        style::RETRY_BAND,
        0.85,
        runs,
        vis.px,
    ));
    // One chart per result class, so each class keeps its name and colour.
    let marks = &marks.calls;
    for class in CallClass::ALL {
        let colour = style::call(class);
        let b = marks
            .iter()
            .filter(|m| m.class == class)
            .map(|m| bar(CALLS, m.start, m.end, vis.min_len, colour))
            .collect();
        pui.bar_chart(bars(class.name(), colour, 0.6, b, vis.px));
    }
}

/// Outlines call `i`, a little wider than its bar so a short call's outline shows.
pub(super) fn outline(pui: &mut PlotUi, c: &ConnTrace, i: usize, vis: &Visible) {
    let Some((s, e)) = c.calls().get(i) else {
        return;
    };
    let x0 = secs(s) - vis.px * 3.0;
    let x1 = secs(e).max(secs(s) + vis.min_len) + vis.px * 3.0;
    let (y0, y1) = (CALLS - 0.45, CALLS + 0.45);
    pui.polygon(
        Polygon::new(
            "selected call",
            vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
        )
        .fill_color(style::SELECTED_FILL)
        .stroke(egui::Stroke::new(1.5, style::SELECTED_OUTLINE))
        .allow_hover(false),
    );
}

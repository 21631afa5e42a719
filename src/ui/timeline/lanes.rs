//! The lanes plot: calls, socket I/O, waits and the handshake on one time axis, and what the
//! pointer is over (asked of the store, not of what was drawn).

use super::axis::{linked_plot, Visible};
use super::marks::{lane_at, y};
use super::queries::LaneMarks;
use super::{calls, handshake, io, waits};
use crate::trace::store::{ConnTrace, Lane};
use crate::trace::{format, Nanos};
use crate::ui::model::nanos;
use egui::RichText;
use egui_plot::{PlotBounds, PlotTransform};

/// What the lanes plot did this frame.
pub(super) struct LanesResponse {
    pub(super) transform: PlotTransform,
    /// The call the user clicked.
    pub(super) clicked: Option<usize>,
}

pub(super) fn show(
    ui: &mut egui::Ui,
    c: &ConnTrace,
    vis: &Visible,
    link: egui::Id,
    selected: Option<usize>,
    now: Nanos,
    marks: &LaneMarks,
) -> LanesResponse {
    let (v0, v1) = vis.view;
    let height = (ui.available_height() * 0.4).max(160.0);
    let plot = linked_plot("lanes", link, height, vis)
        .show_y(false)
        .label_formatter(|_| None)
        .y_axis_formatter(|mark, _| {
            Lane::ALL
                .into_iter()
                .find(|&l| (y(l) - mark.value).abs() < 1e-6)
                .map_or(String::new(), |l| l.name().to_string())
        });
    let stalled = c.stalled_since(now);
    let response = super::backdrop::show(ui, plot, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.2], [v1, 4.6]));
        if let Some((since, error)) = stalled {
            waits::stall_band(pui, since, error, now);
        }
        if let Some(i) = selected {
            calls::outline(pui, c, i, vis);
        }
        calls::draw(pui, marks, vis);
        waits::draw(pui, c, &marks.waits, vis, now);
        handshake::draw(pui, c, vis);
        io::draw(pui, &marks.io);
        pui.pointer_coordinate()
    });
    let uncovered = super::zoom::pointer_over(ui, response.response.rect).is_some();
    let hit = response
        .inner
        .filter(|_| uncovered)
        .and_then(|p| c.hit(lane_at(p.y)?, nanos(p.x), vis.tol));
    let mut clicked = None;
    if let Some(hit) = hit {
        let mut text = hit.describe(c);
        // The same clock as the axis: from the connection's start.
        if let Some(t) = hit.time(c) {
            text = format!("at {} from the start\n{text}", format::since(t, c.first_t));
        }
        if hit.call().is_some() {
            text.push_str("\nclick for details");
        }
        let r = response.response.clone().on_hover_ui_at_pointer(|ui| {
            // Monospace: the trace's text uses arrows (→ ←) that only the monospace font has.
            ui.label(RichText::new(text).monospace());
        });
        if r.clicked() {
            clicked = hit.call();
        }
    }
    LanesResponse {
        transform: response.transform,
        clicked,
    }
}

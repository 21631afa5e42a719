//! The timeline: lanes of OpenSSL calls, socket I/O, readiness waits and handshake
//! states/messages on one time axis, and below it the buffer levels and the TCP plot, linked on
//! x. Everything drawn comes from per-pixel-bucket queries of the visible range (see
//! `trace::store`); each lane and plot has its own file.

mod axis;
mod backdrop;
mod buffers;
mod calls;
mod columns;
mod handshake;
mod io;
mod io_marks;
mod key;
mod lanes;
mod marks;
mod notes;
mod queries;
mod tcp;
mod waits;
mod zoom;
pub(crate) use zoom::pointer_over;

pub(crate) use backdrop::reserve_backdrops;
pub use marks::CALLS;

use super::model::Model;
use super::style;
use axis::Visible;
use egui::RichText;
use queries::Queries;

/// Draws the notes, the key, the lanes and the plots for the current connection.
pub fn ui(ui: &mut egui::Ui, model: &mut Model) {
    ui_with(ui, model, |_, _| false);
}

/// [`ui`] with `extra` controls at the end of the toolbar (the replay's); `extra` returns true
/// when it drew any (the toolbar then leaves out its hint, for room).
pub fn ui_with(
    ui: &mut egui::Ui,
    model: &mut Model,
    extra: impl FnOnce(&mut egui::Ui, &Model) -> bool,
) {
    let Some(c) = model.current() else {
        ui.centered_and_justified(|ui| ui.label("The timeline appears once a connection starts."));
        return;
    };
    let now = model.now_of(c.id);
    let jump = notes::show(ui, c, now);
    let tool = toolbar(ui, model.follow, |ui| extra(ui, model));
    key::show(ui);
    let vis = Visible::new(model.view, ui.available_width(), c.first_t);
    let link = egui::Id::unique("timeline-x");
    let selected = model.selection.filter(|s| s.conn == c.id).map(|s| s.call);
    let top = ui.cursor().top();
    let shared = Queries::shared(ui.ctx());
    let mut queries = Queries::lock(&shared);
    let key = Queries::key(c, model.store.total_events, &vis);
    let marks = queries.lanes(key, c, &vis);
    let lanes = lanes::show(ui, c, &vis, link, selected, now, marks);
    if c.inq.is_empty() {
        let note = "No buffer levels recorded (no socket was connected).";
        ui.label(RichText::new(note).color(style::MUTED));
    } else {
        let end_t = c.end_at(now);
        let tcp = queries.tcp(key, c, &vis);
        let (buf_height, tcp_height) = buffers::plot_heights(ui.available_height(), tcp.is_some());
        // The x range is the app's (their own zoom and drag are off), so the range they
        // return is the one they were given.
        let levels = queries.buffers(key, c, &vis);
        buffers::show(ui, c, &vis, levels, end_t, link, buf_height);
        if let Some(data) = tcp {
            tcp::show(ui, data, &vis, end_t, link, tcp_height);
        }
    }
    drop(queries);
    let conn = c.id;
    model.lanes = Some(lanes.transform);
    model.axis_labels = vis.labels.borrow().iter().map(|(_, l)| l.clone()).collect();
    // Wheel, drag and double-click anywhere over the plots, mapped through the lanes' x.
    let frame = lanes.transform.frame();
    let area = egui::Rect::from_x_y_ranges(frame.x_range(), top..=ui.min_rect().bottom());
    zoom::Gesture::read(ui, area).apply(model, &lanes.transform);
    match tool {
        Some(Tool::Fit) => model.fit(),
        Some(Tool::ZoomIn) => model.zoom(ZOOM_STEP, None),
        Some(Tool::ZoomOut) => model.zoom(1.0 / ZOOM_STEP, None),
        Some(Tool::Follow) => model.follow = !model.follow,
        None => {}
    }
    if let Some(i) = lanes.clicked {
        model.select_call(conn, i);
    }
    if let Some(call) = jump {
        model.jump_to(conn, call);
    }
}

/// How much one press of + or − (or the buttons) zooms.
pub const ZOOM_STEP: f64 = 1.5;

/// A control of the toolbar above the lanes.
enum Tool {
    Fit,
    ZoomIn,
    ZoomOut,
    Follow,
}

/// The view's controls: fit, zoom, follow; the keys are in the help (F1).
fn toolbar(
    ui: &mut egui::Ui,
    follow: bool,
    extra: impl FnOnce(&mut egui::Ui) -> bool,
) -> Option<Tool> {
    let mut tool = None;
    ui.horizontal(|ui| {
        if ui
            .small_button("Fit")
            .on_hover_text("Show the whole connection (F, Home, or double-click the plots)")
            .clicked()
        {
            tool = Some(Tool::Fit);
        }
        if ui.small_button("−").on_hover_text("Zoom out (−)").clicked() {
            tool = Some(Tool::ZoomOut);
        }
        if ui.small_button("+").on_hover_text("Zoom in (+)").clicked() {
            tool = Some(Tool::ZoomIn);
        }
        if ui
            .selectable_label(follow, "Follow live")
            .on_hover_text("Keep the newest events and the stall's start in view (Space)")
            .clicked()
        {
            tool = Some(Tool::Follow);
        }
        if extra(ui) {
            return;
        }
        ui.label(
            RichText::new("wheel zooms · drag pans · F1 keys")
                .small()
                .color(style::MUTED),
        );
    });
    tool
}

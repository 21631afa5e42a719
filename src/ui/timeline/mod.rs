//! The timeline: lanes of OpenSSL calls, socket I/O, readiness waits and handshake
//! states/messages on one time axis, and below it the buffer levels and the TCP plot, linked on
//! x. Everything drawn comes from per-pixel-bucket queries of the visible range (see
//! `trace::store`); each lane and plot has its own file.

mod axis;
mod buffers;
mod calls;
mod handshake;
mod io;
mod key;
mod lanes;
mod marks;
mod notes;
mod tcp;
mod waits;

pub use marks::CALLS;

use super::model::Model;
use super::style;
use axis::Visible;
use egui::RichText;
use tcp::TcpView;

/// Draws the notes, the key, the lanes and the plots for the current connection.
pub fn ui(ui: &mut egui::Ui, model: &mut Model) {
    let Some(c) = model.current() else {
        ui.centered_and_justified(|ui| ui.label("The timeline appears once a connection starts."));
        return;
    };
    let jump = notes::show(ui, c, model.now);
    key::show(ui);
    let vis = Visible::new(model.view, ui.available_width());
    let link = egui::Id::unique("timeline-x");
    let selected = model.selection.filter(|s| s.conn == c.id).map(|s| s.call);
    let lanes = lanes::show(ui, c, &vis, link, selected, model.now);
    let mut ranges = vec![lanes.range];
    if c.inq.t.is_empty() {
        let note = "No buffer levels recorded (no socket was connected).";
        ui.label(RichText::new(note).color(style::MUTED));
    } else {
        let end_t = c.end_at(model.now);
        let tcp = TcpView::query(c, vis.t0, vis.t1, vis.buckets);
        let (buf_height, tcp_height) = buffers::plot_heights(ui.available_height(), tcp.is_some());
        ranges.push(buffers::show(ui, c, &vis, end_t, link, buf_height));
        if let Some(data) = tcp {
            ranges.push(tcp::show(ui, data, &vis, end_t, link, tcp_height));
        }
    }
    let conn = c.id;
    model.lanes = Some(lanes.transform);
    // Whichever plot the user panned or zoomed sets the range for all of them next frame.
    let (v0, v1) = vis.view;
    let changed = |&(a, b): &(f64, f64)| (a - v0).abs() > 1e-12 || (b - v1).abs() > 1e-12;
    if let Some(r) = ranges.into_iter().find(changed) {
        model.view = r;
        model.follow = false;
    }
    if let Some(i) = lanes.clicked {
        model.select_call(conn, i);
    }
    if let Some(call) = jump {
        model.jump_to(conn, call);
    }
}

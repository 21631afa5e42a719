//! The buffer plot under the lanes: receive queue, send queue and SSL_pending over time, with
//! the socket buffer sizes, each aggregated to the pixel buckets of the visible range.

use super::axis::{linked_plot, steps, x_range, Visible};
use crate::trace::store::ConnTrace;
use crate::trace::{format, Nanos};
use crate::ui::model::nanos;
use crate::ui::style;
use egui_plot::{Corner, HLine, HoverPosition, Legend, Line, LineStyle, PlotBounds};

/// Draws the plot `height` points high; returns its x range after the user's pan or zoom.
pub(super) fn show(
    ui: &mut egui::Ui,
    c: &ConnTrace,
    vis: &Visible,
    end_t: Nanos,
    link: egui::Id,
    height: f32,
) -> (f64, f64) {
    let (v0, v1) = vis.view;
    let inq = c.inq.envelope(vis.t0, vis.t1, vis.buckets);
    let outq = c.outq.envelope(vis.t0, vis.t1, vis.buckets);
    let pending = c.pending.envelope(vis.t0, vis.t1, vis.buckets);
    let highest = inq.iter().chain(&outq).chain(&pending).map(|p| p.1).max();
    let ytop = y_top(c.sndbuf, c.rcvbuf, highest.unwrap_or(0));
    let plot = linked_plot("buffers", link, height, vis)
        .legend(Legend::default().position(Corner::RightTop))
        .y_axis_formatter(|mark, _| format::axis_bytes(mark.value))
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}: {} at {}",
                format::axis_bytes(position.y),
                format::clock(nanos(position.x))
            )),
            HoverPosition::Elsewhere { .. } => None,
        });
    let response = plot.show(ui, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.0], [v1, ytop]));
        for (name, points, colour) in [
            ("receive queue (unread)", &inq, style::RECV_QUEUE),
            ("send queue (unacked)", &outq, style::SEND_QUEUE),
            ("SSL_pending", &pending, style::SSL_PENDING),
        ] {
            pui.line(
                Line::new(name, steps(points, end_t))
                    .color(colour)
                    .allow_band(false),
            );
        }
        for (name, size, colour) in [
            ("SO_SNDBUF", c.sndbuf, style::sndbuf_line()),
            ("SO_RCVBUF", c.rcvbuf, style::rcvbuf_line()),
        ] {
            if let Some(size) = size {
                let label = format!("{name} {}", format::bytes(size.into()));
                pui.hline(
                    HLine::new(label, size as f64)
                        .color(colour)
                        .style(LineStyle::dashed_dense()),
                );
            }
        }
    });
    x_range(&response.transform)
}

/// The top of the y axis: the buffer sizes when the data come near them, else the data.
fn y_top(sndbuf: Option<u32>, rcvbuf: Option<u32>, highest: u32) -> f64 {
    let cap = sndbuf.max(rcvbuf).unwrap_or(0) as f64;
    let data = highest as f64;
    // Without a known buffer size (cap 0) the data alone set the scale, never a zero-high axis.
    if cap > 0.0 && data >= cap * 0.2 {
        cap.max(data) * 1.1
    } else {
        (data * 1.3).max(4096.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_shows_the_buffer_sizes_only_when_the_data_come_near() {
        let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(near(y_top(Some(100_000), Some(50_000), 50_000), 110_000.0));
        assert!(near(y_top(Some(100_000), None, 10_000), 13_000.0));
        assert!(near(y_top(None, None, 0), 4096.0));
        // Data above the buffer size stay in view.
        assert!(near(y_top(Some(1000), None, 2000), 2200.0));
    }
}

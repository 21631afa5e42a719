//! The TCP plot under the buffer levels: the kernel's smoothed rtt and the peer's advertised
//! receive window (snd_wnd) over time, on the timeline's x range, from TCP_INFO samples.

use super::axis::{linked_plot, nice_step, steps, x_range, Visible};
use crate::trace::store::ConnTrace;
use crate::trace::{format, Nanos};
use crate::ui::model::nanos;
use crate::ui::style;
use egui_plot::{uniform_grid_spacer, Corner, HoverPosition, Legend, Line, Plot, PlotBounds};

const RTT: &str = "smoothed rtt (y axis)";
const WND: &str = "snd_wnd (peer's window)";

/// A round-trip time given in µs.
fn rtt(us: f64) -> String {
    format::seconds(us / 1e6)
}

/// The visible part of the TCP series, each aggregated to the pixel buckets like the buffer
/// levels (so the cost does not grow with the trace). None when the kernel gave no TCP_INFO.
pub(super) struct TcpView {
    rtt: Vec<(Nanos, u32)>,
    wnd: Vec<(Nanos, u32)>,
}

impl TcpView {
    pub(super) fn query(c: &ConnTrace, t0: Nanos, t1: Nanos, buckets: usize) -> Option<TcpView> {
        if c.snd_wnd.t.is_empty() {
            return None;
        }
        Some(TcpView {
            rtt: c.rtt_us.envelope(t0, t1, buckets),
            wnd: c.snd_wnd.envelope(t0, t1, buckets),
        })
    }
}

/// Two units on one plot: the y axis is in rtt microseconds and the window is scaled so that
/// its largest visible value sits near the top, above the rtt line (which stays at about 60%
/// of the height), so the two never hide each other; the legend and the hover give bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    /// Top of the y axis, in µs.
    top: f64,
    /// y units per byte of window.
    per_byte: f64,
    /// The largest window visible, in bytes.
    wnd_top: f64,
}

impl Scale {
    fn of(data: &TcpView) -> Scale {
        let rtt_top = data.rtt.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
        let wnd_top = data.wnd.iter().map(|p| p.1).max().unwrap_or(0) as f64;
        let top = rtt_top * 1.6;
        let per_byte = if wnd_top > 0.0 {
            top * 0.9 / wnd_top
        } else {
            1.0
        };
        Scale {
            top,
            per_byte,
            wnd_top,
        }
    }
}

/// Draws the plot `height` points high; returns its x range after the user's pan or zoom.
pub(super) fn show(
    ui: &mut egui::Ui,
    data: TcpView,
    vis: &Visible,
    end_t: Nanos,
    link: egui::Id,
    height: f32,
) -> (f64, f64) {
    let (v0, v1) = vis.view;
    let scale = Scale::of(&data);
    let wnd_name = format!("{WND}, top {}", format::axis_bytes(scale.wnd_top));
    let wnd_points: Vec<[f64; 2]> = steps(&data.wnd, end_t)
        .into_iter()
        .map(|[x, y]| [x, y * scale.per_byte])
        .collect();
    let wnd_colour = if scale.wnd_top > 0.0 {
        style::PEER_WINDOW
    } else {
        style::NO_DATA
    };
    let resp = plot(link, height, vis, wnd_name.clone(), scale).show(ui, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.0], [v1, scale.top]));
        let rtt_points = steps(&data.rtt, end_t);
        pui.line(
            Line::new(RTT, rtt_points)
                .color(style::RTT)
                .allow_band(false),
        );
        pui.line(
            Line::new(wnd_name, wnd_points)
                .color(wnd_colour)
                .allow_band(false),
        );
    });
    x_range(&resp.transform)
}

/// The plot: rtt steps on the y axis, hover text in each series' own unit.
fn plot<'a>(
    link: egui::Id,
    height: f32,
    vis: &Visible,
    wnd_name: String,
    scale: Scale,
) -> Plot<'a> {
    linked_plot("tcp", link, height, vis)
        .legend(Legend::default().position(Corner::RightTop))
        .y_axis_formatter(|mark, _| rtt(mark.value))
        .y_grid_spacer(uniform_grid_spacer(|input| {
            // About three labelled steps: the default decade grid leaves a plot this short
            // with only its 0 label.
            let step = nice_step((input.bounds.1 - input.bounds.0) / 3.0);
            [step / 2.0, step, step * 10.0]
        }))
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } if *plot_name == wnd_name.as_str() => Some(format!(
                "peer's receive window: {} at {}",
                format::axis_bytes(position.y / scale.per_byte),
                format::clock(nanos(position.x))
            )),
            HoverPosition::NearDataPoint { position, .. } => Some(format!(
                "smoothed rtt: {} at {}",
                rtt(position.y),
                format::clock(nanos(position.x))
            )),
            HoverPosition::Elsewhere { .. } => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_scaled_to_sit_above_the_rtt() {
        let data = TcpView {
            rtt: vec![(0, 50), (10, 100)],
            wnd: vec![(0, 65_536), (10, 4096)],
        };
        let s = Scale::of(&data);
        assert_eq!(s.top, 160.0);
        assert_eq!(s.wnd_top, 65_536.0);
        // The largest window lands at 90% of the height, the rtt's top at about 60%.
        assert!((65_536.0 * s.per_byte - 144.0).abs() < 1e-9);
        // No window yet: nothing to scale, and the axis still has a height.
        let empty = TcpView {
            rtt: Vec::new(),
            wnd: Vec::new(),
        };
        assert_eq!(Scale::of(&empty).top, 1.6);
        assert_eq!(Scale::of(&empty).per_byte, 1.0);
    }
}

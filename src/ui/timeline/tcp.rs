//! The TCP plot under the buffer levels: the kernel's smoothed rtt and the peer's advertised
//! receive window (snd_wnd) over time, on the timeline's x range, from TCP_INFO samples.
//! Two units on one plot: each series is drawn against its own scale, and each scale has its
//! own axis beside the plot with tick labels in the series' colour, so both read in their unit
//! (the rtt in time, the window in bytes) and a window closing to 0 reaches the bottom.

use super::axis::{linked_plot, nice_step, steps, x_range, Visible};
use super::buffers::{step_index, KEY_ROW};
use super::columns::Columns;
use super::key;
use crate::trace::{format, Nanos};
use crate::ui::model::nanos;
use crate::ui::style;
use egui::{FontId, RichText};
use egui_plot::{uniform_grid_spacer, AxisHints, HoverPosition, PlotBounds};

const RTT: &str = "smoothed rtt";
const WND: &str = "snd_wnd (peer's window)";

/// The visible part of the TCP series, each aggregated to the pixel buckets like the buffer
/// levels (so the cost does not grow with the trace). None when the kernel gave no TCP_INFO.
#[derive(Clone)]
pub(super) struct TcpView {
    /// Microseconds.
    pub(super) rtt: Vec<(Nanos, u32)>,
    /// Bytes.
    pub(super) wnd: Vec<(Nanos, u32)>,
}

/// The top of each scale: the plot's y runs from 0 to 1, and 1 is `rtt_us` on the rtt's axis
/// and `wnd` bytes on the window's. Both are chosen so that quarters of them are round numbers
/// in their unit, since the two axes share the plot's four grid lines.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    rtt_us: f64,
    wnd: f64,
}

/// A top whose quarters are a round step (1, 2 or 5 times a power of ten) at or above `x`.
fn round_top(x: f64) -> f64 {
    nice_step(x / 4.0) * 4.0
}

impl Scale {
    fn of(data: &TcpView) -> Scale {
        let rtt = data.rtt.iter().map(|p| p.1).max().unwrap_or(0) as f64;
        let wnd = data.wnd.iter().map(|p| p.1).max().unwrap_or(0) as f64;
        Scale {
            // A millisecond when nothing was measured yet, so the axis has a readable unit.
            rtt_us: if rtt > 0.0 { round_top(rtt) } else { 1000.0 },
            // Bytes in powers of two (KiB, MiB), at least 1 KiB: a closed window lies at 0.
            wnd: wnd.max(1024.0).log2().ceil().exp2(),
        }
    }
}

/// A time for a tick label, short enough for a narrow axis ("250 µs", "1.5 ms", "2 s").
fn short_time(us: f64) -> String {
    let (v, unit) = if us < 1e3 {
        (us, "µs")
    } else if us < 1e6 {
        (us / 1e3, "ms")
    } else {
        (us / 1e6, "s")
    };
    format!("{} {unit}", trim(v))
}

/// A byte count for a tick label ("768 B", "1.5 KiB", "48 KiB", "2 MiB").
fn short_bytes(b: f64) -> String {
    let (v, unit) = if b < 1024.0 {
        (b, "B")
    } else if b < 1024.0 * 1024.0 {
        (b / 1024.0, "KiB")
    } else {
        (b / (1024.0 * 1024.0), "MiB")
    };
    format!("{} {unit}", trim(v))
}

/// Up to two decimals, without trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A tick label of one scale, only on the plot's grid from 0 to 1 (not the headroom above).
fn tick(value: f64, top: f64, label: fn(f64) -> String) -> String {
    if (-1e-9..=1.0 + 1e-9).contains(&value) {
        label(value.max(0.0) * top)
    } else {
        String::new()
    }
}

/// One axis beside the plot: `width` points, tick labels in `colour`.
fn axis<'a>(width: f32, colour: egui::Color32, fmt: impl Fn(f64) -> String + 'a) -> AxisHints<'a> {
    AxisHints::new_y()
        .min_thickness(width)
        .tick_label_color(colour)
        .tick_label_font(FontId::proportional(10.5))
        // Small labels can sit closer than the default 20 points: a short plot still shows
        // its quarters.
        .label_spacing(12.0..=16.0)
        .formatter(move |mark, _| fmt(mark.value))
}

/// Draws the key and the plot, `height` points in all; returns the plot's x range after the
/// user's pan or zoom.
pub(super) fn show(
    ui: &mut egui::Ui,
    data: TcpView,
    vis: &Visible,
    end_t: Nanos,
    link: egui::Id,
    height: f32,
) -> (f64, f64) {
    let (v0, v1) = vis.view;
    if height < KEY_ROW + 40.0 {
        let note = format!(
            "TCP_INFO: no room for the plot of {RTT} and {WND} (a taller window or a lower \
             table shows it)"
        );
        ui.label(RichText::new(note).small().color(style::MUTED));
        return vis.view;
    }
    let scale = Scale::of(&data);
    let top = ui.cursor().top();
    key::row(
        ui,
        "TCP_INFO:",
        &[
            key::Entry::new(style::RTT, format!("{RTT} (time, inner scale)")),
            key::Entry::new(style::PEER_WINDOW, format!("{WND} (bytes, outer scale)")),
        ],
    );
    let height = (height - (ui.cursor().top() - top)).max(30.0);
    let scaled = |v: &[(Nanos, u32)], top: f64| -> Vec<[f64; 2]> {
        let points = steps(v, end_t).into_iter();
        points.map(|[x, y]| [x, y / top]).collect()
    };
    let rtt_points = scaled(&data.rtt, scale.rtt_us);
    let wnd_points = scaled(&data.wnd, scale.wnd);
    let (rtt_index, wnd_index) = (step_index(&data.rtt, end_t), step_index(&data.wnd, end_t));
    let wnd_colour = if scale.wnd > 1024.0 || data.wnd.iter().any(|p| p.1 > 0) {
        style::PEER_WINDOW
    } else {
        style::NO_DATA
    };
    // The two axes together are as wide as the other plots' one, so the time axes line up.
    let axes = vec![
        axis(42.0, style::RTT, move |v| tick(v, scale.rtt_us, short_time)),
        axis(48.0, style::PEER_WINDOW, move |v| {
            tick(v, scale.wnd, short_bytes)
        }),
    ];
    let origin = vis.origin;
    let plot = linked_plot("tcp", link, height, vis)
        .custom_y_axes(axes)
        .y_grid_spacer(uniform_grid_spacer(|_| [0.05, 0.25, 1.0]))
        .label_formatter(move |pos| {
            let HoverPosition::NearDataPoint {
                plot_name,
                position,
                index,
            } = pos
            else {
                return None;
            };
            let text = if *plot_name == RTT {
                let us = data.rtt.get(*rtt_index.get(*index)?)?.1;
                format!("{RTT}: {}", format::seconds(us as f64 / 1e6))
            } else {
                let b = data.wnd.get(*wnd_index.get(*index)?)?.1;
                format!("{WND}: {}", format::bytes(b.into()))
            };
            Some(format!(
                "{text}\nat {} from the start",
                format::since(nanos(position.x), origin)
            ))
        });
    let response = super::backdrop::show(ui, plot, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.0], [v1, 1.08]));
        pui.add(Columns::new(RTT, rtt_points, style::RTT));
        pui.add(Columns::new(WND, wnd_points, wnd_colour));
    });
    x_range(&response.transform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scale_tops_out_at_a_round_number_in_its_unit() {
        let data = TcpView {
            rtt: vec![(0, 50), (10, 5800)],
            wnd: vec![(0, 65_483), (10, 0)],
        };
        let s = Scale::of(&data);
        assert_eq!(s.rtt_us, 8000.0);
        assert_eq!(s.wnd, 65_536.0);
        // The grid's quarters read as round values on both axes.
        assert_eq!(tick(0.25, s.rtt_us, short_time), "2 ms");
        assert_eq!(tick(0.5, s.wnd, short_bytes), "32 KiB");
        assert_eq!(tick(1.05, s.wnd, short_bytes), "");
        // Nothing measured yet: the axes still have units, and a closed window lies at 0.
        let empty = TcpView {
            rtt: Vec::new(),
            wnd: vec![(0, 0)],
        };
        assert_eq!(
            Scale::of(&empty),
            Scale {
                rtt_us: 1000.0,
                wnd: 1024.0
            }
        );
    }

    #[test]
    fn short_labels_fit_a_narrow_axis() {
        assert_eq!(short_time(250.0), "250 µs");
        assert_eq!(short_time(1500.0), "1.5 ms");
        assert_eq!(short_time(2e6), "2 s");
        assert_eq!(short_bytes(768.0), "768 B");
        assert_eq!(short_bytes(1536.0), "1.5 KiB");
        assert_eq!(short_bytes(4.0 * 1024.0 * 1024.0), "4 MiB");
        // Quarters of the rtt's top are steps of 1, 2 or 5 times a power of ten.
        assert_eq!(round_top(130.0), 200.0);
        assert_eq!(round_top(3000.0), 4000.0);
        assert_eq!(round_top(9000.0), 20_000.0);
    }
}

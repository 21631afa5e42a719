//! The buffer plot under the lanes: how full each buffer is — the receive queue of SO_RCVBUF,
//! the send queue of SO_SNDBUF, SSL_pending of one TLS record — as a fraction of its own size,
//! so a 128 KiB receive queue near full reads as near full next to a 3.8 MiB send buffer. The
//! levels come per pixel bucket (min/max envelopes) from the store; the hover gives the bytes.

use super::axis::{linked_plot, steps, x_range, Visible};
use super::columns::Columns;
use super::key;
use crate::trace::store::ConnTrace;
use crate::trace::{format, Nanos};
use crate::ui::model::nanos;
use crate::ui::style;
use egui::Color32;
use egui_plot::{uniform_grid_spacer, AxisHints, HLine, HoverPosition, LineStyle, PlotBounds};

/// The most SSL_pending can hold: the plaintext of one TLS record (2^14 bytes).
const RECORD: u32 = 16 * 1024;

/// One level as drawn: when, the bytes in the buffer and the buffer's size (0: unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fill {
    t: Nanos,
    bytes: u32,
    capacity: u32,
}

impl Fill {
    /// The fraction of its buffer the level fills; 0 while the size is unknown (nothing to
    /// compare with, and a 0 does not pretend to be full).
    fn fraction(&self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            self.bytes as f64 / self.capacity as f64
        }
    }
}

/// One queue of the plot: its name, what its capacity is called, and its visible levels.
struct Queue {
    name: &'static str,
    /// The name in the key, where the room is short.
    short: &'static str,
    capacity_name: &'static str,
    colour: Color32,
    fills: Vec<Fill>,
}

impl Queue {
    fn new(
        name: &'static str,
        capacity_name: &'static str,
        colour: Color32,
        levels: Vec<(Nanos, u32)>,
        capacity: u32,
    ) -> Queue {
        let fills = levels
            .into_iter()
            .map(|(t, bytes)| Fill { t, bytes, capacity })
            .collect();
        let short = name.split(" (").next().unwrap_or(name);
        Queue {
            name,
            short,
            capacity_name,
            colour,
            fills,
        }
    }

    /// The capacity the key names: the latest known.
    fn capacity(&self) -> u32 {
        self.fills.last().map_or(0, |f| f.capacity)
    }

    /// What the hover says about fill `i`.
    fn describe(&self, i: usize) -> Option<String> {
        let f = self.fills.get(i)?;
        if f.capacity == 0 {
            return Some(format!(
                "{}: {} ({} unknown)",
                self.name,
                format::bytes(f.bytes.into()),
                self.capacity_name
            ));
        }
        Some(format!(
            "{}: {} full\n{} of {} {}",
            self.name,
            percent(f.fraction()),
            format::bytes(f.bytes.into()),
            self.capacity_name,
            format::bytes(f.capacity.into())
        ))
    }
}

/// A fraction as a percentage for labels: whole percent, and "<1 %" for a level that is not
/// empty but rounds to nothing (an almost empty queue is still not empty).
fn percent(f: f64) -> String {
    let p = f * 100.0;
    if p > 0.0 && p < 0.5 {
        "<1 %".into()
    } else {
        format!("{p:.0} %")
    }
}

/// For each point of `steps(levels)` (see `axis::steps`), the index of the level it shows,
/// so the hover can name that level's exact values: a step's corner shows the level before.
pub(super) fn step_index(levels: &[(Nanos, u32)], end_t: Nanos) -> Vec<usize> {
    let mut index = Vec::with_capacity(levels.len() * 2 + 1);
    for i in 0..levels.len() {
        if i > 0 {
            index.push(i - 1);
        }
        index.push(i);
    }
    if levels.last().is_some_and(|&(t, _)| end_t > t) {
        index.push(levels.len() - 1);
    }
    index
}

/// The steps of a queue's fractions, and for each point the index of its fill.
fn fill_steps(q: &Queue, end_t: Nanos) -> (Vec<[f64; 2]>, Vec<usize>) {
    let levels: Vec<_> = q.fills.iter().map(|f| (f.t, f.bytes)).collect();
    let fraction = |bytes: f64| match q.capacity() {
        0 => 0.0,
        cap => bytes / cap as f64,
    };
    let points = steps(&levels, end_t)
        .into_iter()
        .map(|[x, y]| [x, fraction(y)])
        .collect();
    (points, step_index(&levels, end_t))
}

/// The top of the y axis: a little over full, or over the data if a queue holds more than
/// its buffer's nominal size (the kernel counts overhead differently from payload).
fn y_top(queues: &[Queue]) -> f64 {
    let highest = queues
        .iter()
        .flat_map(|q| q.fills.iter().map(Fill::fraction))
        .fold(0.0, f64::max);
    highest.max(1.0) * 1.08
}

/// The height of a key row (small text), which a plot too short to draw still shows.
pub(super) const KEY_ROW: f32 = 20.0;

/// Heights of the buffer plot and the TCP plot (each with its key) in the `available` height
/// under the lanes: the buffers get a little more (three series, and the stall's evidence).
/// When there is no room for both at a usable height, the buffers keep the room and the TCP
/// plot shrinks to its key row and a note, rather than both becoming unreadable slivers or the
/// TCP plot being pushed out of the window.
pub(super) fn plot_heights(available: f32, tcp: bool) -> (f32, f32) {
    // A key row and a plot frame that shows its 0 and 100 % labels.
    const LEAST: f32 = KEY_ROW + 45.0;
    const GAP: f32 = 6.0;
    if !tcp {
        return (available, 0.0);
    }
    let share = (available - GAP).max(0.0);
    if share < 2.0 * LEAST {
        return (share - KEY_ROW, KEY_ROW);
    }
    let buffers = (share * 0.55).max(LEAST);
    (buffers, share - buffers)
}

/// Draws the key and the plot, `height` points in all; returns the plot's x range after the
/// user's pan or zoom.
pub(super) fn show(
    ui: &mut egui::Ui,
    c: &ConnTrace,
    vis: &Visible,
    levels: &[Vec<(Nanos, u32)>; 3],
    end_t: Nanos,
    link: egui::Id,
    height: f32,
) -> (f64, f64) {
    let (v0, v1) = vis.view;
    let [inq, outq, pending] = levels.clone();
    let queues = [
        Queue::new(
            "receive queue (unread)",
            "SO_RCVBUF",
            style::RECV_QUEUE,
            inq,
            c.rcvbuf.unwrap_or(0),
        ),
        Queue::new(
            "send queue (unacked)",
            "SO_SNDBUF",
            style::SEND_QUEUE,
            outq,
            c.sndbuf.unwrap_or(0),
        ),
        Queue::new(
            "SSL_pending",
            "TLS record",
            style::SSL_PENDING,
            pending,
            RECORD,
        ),
    ];
    let top = ui.cursor().top();
    key::row(ui, "buffers, % full:", &key_entries(&queues));
    let height = (height - (ui.cursor().top() - top)).max(30.0);
    let ytop = y_top(&queues);
    let steps: Vec<_> = queues.iter().map(|q| fill_steps(q, end_t)).collect();
    let index: Vec<Vec<usize>> = steps.iter().map(|s| s.1.clone()).collect();
    let drawn: Vec<_> = queues.iter().map(|q| (q.name, q.colour)).collect();
    // The TCP plot right under this one repeats the time axis: its labels here would only
    // take rows from the data.
    let tcp_below = !c.snd_wnd.is_empty();
    let origin = vis.origin;
    let plot = linked_plot("buffers", link, height, vis)
        .show_axes([!tcp_below, true])
        .custom_y_axes(vec![AxisHints::new_y()
            // As wide as the other plots' axes, so the time axes line up.
            .min_thickness(90.0)
            .label_spacing(14.0..=20.0)
            .formatter(|mark, _| percent(mark.value))])
        // Quarters of a buffer: the grid reads as "a quarter / half / three quarters full".
        .y_grid_spacer(uniform_grid_spacer(|_| [0.05, 0.25, 1.0]))
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                index: at,
            } => {
                let q = queues.iter().position(|q| q.name == *plot_name)?;
                let text = queues[q].describe(*index[q].get(*at)?)?;
                Some(format!(
                    "{text}\nat {} from the start",
                    format::since(nanos(position.x), origin)
                ))
            }
            HoverPosition::Elsewhere { .. } => None,
        });
    let response = super::backdrop::show(ui, plot, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.0], [v1, ytop]));
        pui.hline(
            HLine::new("full", 1.0)
                .color(style::FULL_LINE)
                .style(LineStyle::dashed_dense())
                .allow_hover(false),
        );
        for ((name, colour), (points, _)) in drawn.into_iter().zip(steps) {
            pui.add(Columns::new(name, points, colour));
        }
    });
    x_range(&response.transform)
}

/// The key's entries: each queue with the size it is a fraction of.
fn key_entries(queues: &[Queue]) -> Vec<key::Entry> {
    let mut entries: Vec<key::Entry> = queues
        .iter()
        .map(|q| {
            let cap = match q.capacity() {
                0 => format!("{} unknown", q.capacity_name),
                n => format!("{} {}", q.capacity_name, format::bytes(n.into())),
            };
            key::Entry::new(q.colour, format!("{} of {cap}", q.short))
        })
        .collect();
    entries.push(key::Entry::dashed(style::FULL_LINE, "full"));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(t: Nanos, bytes: u32, capacity: u32) -> Fill {
        Fill { t, bytes, capacity }
    }

    #[test]
    fn a_fill_is_a_fraction_of_its_own_buffer() {
        // The write deadlock's evidence: 115 KB in a 128 KiB receive buffer is nearly full,
        // even when the send buffer beside it is 30 times larger.
        assert!((fill(0, 115_000, 131_072).fraction() - 0.877).abs() < 1e-3);
        assert!((fill(0, 32_768, 3_939_840).fraction() - 0.0083).abs() < 1e-4);
        assert_eq!(fill(0, 5, 0).fraction(), 0.0);
        assert_eq!(percent(0.877), "88 %");
        assert_eq!(percent(0.001), "<1 %");
        assert_eq!(percent(0.0), "0 %");
    }

    #[test]
    fn steps_hold_each_level_and_point_back_at_it() {
        let s = 1_000_000_000;
        let q = Queue::new("q", "cap", Color32::WHITE, vec![(s, 50), (2 * s, 100)], 100);
        let (points, index) = fill_steps(&q, 3 * s);
        assert_eq!(points, vec![[1.0, 0.5], [2.0, 0.5], [2.0, 1.0], [3.0, 1.0]]);
        assert_eq!(index, vec![0, 0, 1, 1]);
        assert_eq!(step_index(&[(s, 1)], s), vec![0]);
        assert!(step_index(&[], s).is_empty());
    }

    #[test]
    fn the_hover_names_the_bytes_and_the_capacity() {
        let q = Queue::new(
            "receive queue (unread)",
            "SO_RCVBUF",
            Color32::WHITE,
            vec![(0, 115_000)],
            131_072,
        );
        let text = q.describe(0).unwrap();
        assert!(text.contains("88 % full"), "{text}");
        assert!(text.contains("of SO_RCVBUF 128 KiB"), "{text}");
        assert_eq!(q.describe(1), None);
    }

    #[test]
    fn both_plots_share_the_height_and_keep_a_usable_one() {
        assert_eq!(plot_heights(406.0, true), (220.0, 180.0));
        let (b, t) = plot_heights(146.0, true);
        assert!(
            (b - 77.0).abs() < 0.01 && (t - 63.0).abs() < 0.01,
            "{b} {t}"
        );
        // Never more than there is: the TCP plot gives way rather than fall off the window.
        assert_eq!(plot_heights(126.0, true), (100.0, KEY_ROW));
        assert_eq!(plot_heights(300.0, false), (300.0, 0.0));
    }

    #[test]
    fn the_axis_shows_full_and_anything_over_it() {
        let q = |bytes| Queue::new("q", "cap", Color32::WHITE, vec![(0, bytes)], 100);
        assert!((y_top(&[q(50)]) - 1.08).abs() < 1e-9);
        assert!((y_top(&[q(50), q(200)]) - 2.16).abs() < 1e-9);
    }
}

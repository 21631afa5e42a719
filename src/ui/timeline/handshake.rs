//! The handshake lane: spans between handshake state transitions (labelled when wide enough)
//! and TLS messages as markers, named in two rows under them where there is room.

use super::axis::Visible;
use super::marks::{bar, bars, y};
use crate::trace::store::{ConnTrace, Lane};
use crate::trace::{names, MsgDir};
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
                Text::new("", at, RichText::new(s.text).small())
                    .anchor(egui::Align2::LEFT_CENTER)
                    .color(style::STATE_LABEL),
            );
        }
    }
    pui.bar_chart(bars("handshake state", style::STATE_EVEN, 0.25, spans));
    for l in labels {
        pui.text(l);
    }
}

fn messages(pui: &mut PlotUi, c: &ConnTrace, vis: &Visible) {
    let lane = y(Lane::Handshake);
    let (a, b) = c.msgs_within(vis.t0, vis.t1);
    let step = ((b - a) / vis.buckets).max(1);
    let (mut inbound, mut outbound) = (Vec::new(), Vec::new());
    // Labels go in two rows under the markers, each label only where it has room.
    let mut row_free = [f64::MIN; 2];
    for (t, m) in c.msgs[a..b].iter().step_by(step) {
        let x = secs(*t);
        let p = [x, lane - 0.2];
        if m.dir == MsgDir::In {
            inbound.push(p)
        } else {
            outbound.push(p)
        }
        let name = names::msg_type_name(m.content, m.msg_type);
        let Some(row) = (0..2).find(|&r| row_free[r] <= x) else {
            continue;
        };
        if m.content == APPLICATION_DATA {
            continue;
        }
        row_free[row] = x + vis.px * (name.len() as f64 * 6.5 + 8.0);
        let at = PlotPoint::new(x, lane - 0.42 - row as f64 * 0.22);
        pui.text(
            Text::new("", at, RichText::new(name).small())
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

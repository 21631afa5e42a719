//! The waits lane: readiness waits as bars by what they waited for, the wait going on now, and
//! the band over all lanes while the connection is stalled.

use super::axis::Visible;
use super::marks::{bar, bars, y};
use crate::trace::store::{ConnTrace, Lane, Mark as Bucket, Status, WaitClass};
use crate::trace::{Nanos, SslError};
use crate::ui::model::secs;
use crate::ui::style;
use egui_plot::{PlotUi, Polygon};

fn name(class: WaitClass) -> &'static str {
    match class {
        WaitClass::Readable => "wait for readable",
        WaitClass::Writable => "wait for writable",
        WaitClass::Either => "wait for either",
    }
}

pub(super) fn draw(
    pui: &mut PlotUi,
    c: &ConnTrace,
    marks: &[Bucket<WaitClass>],
    vis: &Visible,
    now: Nanos,
) {
    let lane = y(Lane::Waits);
    for class in WaitClass::ALL {
        let colour = style::wait(class);
        let b = marks
            .iter()
            .filter(|m| m.class == class)
            .map(|m| bar(lane, m.start, m.end, vis.min_len, colour))
            .collect();
        pui.bar_chart(bars(
            name(class),
            colour.gamma_multiply(0.6),
            0.4,
            b,
            vis.px,
        ));
    }
    // The wait going on now has no event yet (a wait is recorded when it ends): draw it.
    if let Status::Waiting { since, error, .. } = c.status() {
        let class = WaitClass::after(error);
        let name = match class {
            WaitClass::Writable => "waiting for writable now",
            _ => "waiting for readable now",
        };
        let colour = style::wait(class);
        let b = bar(lane, since, now.max(since), vis.min_len, colour);
        pui.bar_chart(bars(name, colour.gamma_multiply(0.6), 0.4, vec![b], vis.px));
    }
}

/// Shades every lane from when the stalled wait began until now.
pub(super) fn stall_band(pui: &mut PlotUi, since: Nanos, error: SslError, now: Nanos) {
    let colour = style::wait(WaitClass::after(error));
    let (x0, x1) = (secs(since), secs(now));
    pui.polygon(
        Polygon::new("stalled", vec![[x0, 0.4], [x1, 0.4], [x1, 4.6], [x0, 4.6]])
            .fill_color(colour.gamma_multiply(0.12))
            .stroke(egui::Stroke::new(1.0, style::STALL))
            .allow_hover(false),
    );
}

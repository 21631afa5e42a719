//! Where each lane sits on the lanes plot's y axis, and how a span becomes a bar there.

use crate::trace::store::Lane;
use crate::trace::Nanos;
use crate::ui::model::secs;
use egui::Color32;
use egui_plot::{Bar, BarChart};

/// The y of the calls lane (public so tests can aim at it).
pub const CALLS: f64 = 4.0;

/// The centre of `lane` on the y axis, top to bottom.
pub(super) fn y(lane: Lane) -> f64 {
    match lane {
        Lane::Calls => CALLS,
        Lane::Io => 3.0,
        Lane::Waits => 2.0,
        Lane::Handshake => 1.0,
    }
}

/// The lane at plot height `y`.
pub(super) fn lane_at(y: f64) -> Option<Lane> {
    Lane::ALL
        .into_iter()
        .find(|&l| (self::y(l) - y).abs() < 0.5)
}

/// A horizontal bar from `start` to `end` at `y`, at least `min_len` seconds long.
pub(super) fn bar(y: f64, start: Nanos, end: Nanos, min_len: f64, colour: Color32) -> Bar {
    let len = (secs(end) - secs(start)).max(min_len);
    Bar::new(y, len)
        .base_offset(secs(start))
        .fill(colour)
        .stroke(egui::Stroke::new(0.5, colour))
}

/// One chart of horizontal bars (the plot's own hover is off: hit testing asks the store).
pub(super) fn bars(name: &str, colour: Color32, width: f64, bars: Vec<Bar>) -> BarChart {
    BarChart::new(name, bars)
        .color(colour)
        .width(width)
        .horizontal()
        .allow_hover(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lane_is_found_at_its_own_height() {
        for lane in Lane::ALL {
            assert_eq!(lane_at(y(lane)), Some(lane));
            assert_eq!(lane_at(y(lane) + 0.4), Some(lane));
        }
        assert_eq!(lane_at(5.0), None);
        assert_eq!(lane_at(0.4), None);
    }
}

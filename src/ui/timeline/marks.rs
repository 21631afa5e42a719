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
/// Bars of one look less than a pixel (`px` seconds) apart are drawn as one: they look the
/// same, and on software GL each bar's triangles cost (README, "In a real window").
pub(super) fn bars(name: &str, colour: Color32, width: f64, bars: Vec<Bar>, px: f64) -> BarChart {
    BarChart::new(name, merge(bars, px))
        .color(colour)
        .width(width)
        .horizontal()
        .allow_hover(false)
}

/// Joins each run of bars with the same lane, fill and stroke whose gaps are at most `px`.
fn merge(mut bars: Vec<Bar>, px: f64) -> Vec<Bar> {
    let start = |b: &Bar| b.base_offset.unwrap_or(0.0);
    bars.sort_by(|a, b| start(a).total_cmp(&start(b)));
    let mut out: Vec<Bar> = Vec::with_capacity(bars.len());
    for b in bars {
        if let Some(last) = out.last_mut() {
            let end = start(last) + last.value;
            let alike =
                last.argument == b.argument && last.fill == b.fill && last.stroke == b.stroke;
            if alike && start(&b) <= end + px {
                last.value = (start(&b) + b.value).max(end) - start(last);
                continue;
            }
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_less_than_a_pixel_apart_are_drawn_as_one() {
        let px = 1e-6;
        let b = |s: u64, e: u64, c: Color32| bar(CALLS, s, e, 1e-9, c);
        let red = Color32::RED;
        let merged = merge(
            vec![
                b(7_000, 8_000, red),
                b(0, 1_000, red),
                b(1_500, 2_000, red),           // 0.5 px after the first: joined
                b(2_000, 3_000, Color32::BLUE), // another colour: its own bar
                b(4_000, 4_500, red),           // 2 px after 2_000: its own bar
                b(4_200, 4_300, red),           // inside the previous one
                b(5_000, 5_500, red),           // 0.5 px after it: joined
            ],
            px,
        );
        let spans: Vec<(f64, f64, Color32)> = merged
            .iter()
            .map(|m| {
                let s = m.base_offset.unwrap_or(0.0);
                ((s * 1e9).round(), ((s + m.value) * 1e9).round(), m.fill)
            })
            .collect();
        assert_eq!(
            spans,
            vec![
                (0.0, 2000.0, red),
                (2000.0, 3000.0, Color32::BLUE),
                (4000.0, 5500.0, red),
                (7000.0, 8000.0, red),
            ]
        );
    }

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

//! The Timings view: every connection's phase waterfall (`trace::timing`), one row each, like a
//! browser's network panel. All rows share one time scale, so connections and reconnects
//! compare at a glance: each from its own start, or (Align: absolute time) where it began on
//! the engine's clock. Bars are coloured by step; hovering one tells its numbers. Each row's
//! timing is folded from its connection's events as they arrive (O(1) per new event).

use super::model::{secs, Model};
use super::style;
use crate::trace::format::{bytes, duration};
use crate::trace::ticks::AxisTicks;
use crate::trace::timing::{Step, Timing, TimingFold};
use crate::trace::{ConnId, Nanos};
use egui::{Align2, FontId, Rect, RichText, Sense, Stroke};
use std::collections::HashMap;

/// Height of one connection's row, and of its bars inside it.
const ROW_H: f32 = 22.0;
const BAR_H: f32 = 12.0;
/// Width of the column naming each row (less in a narrow panel).
const NAME_W: f32 = 210.0;

fn name_w(width: f32) -> f32 {
    NAME_W.min(width * 0.35)
}

/// The view's state: each connection's fold and how far into its events it got, and the
/// alignment the user picked.
#[derive(Debug, Default)]
pub struct Waterfall {
    folds: HashMap<ConnId, (usize, TimingFold)>,
    /// Rows placed on the engine's clock instead of each from its own start.
    pub absolute: bool,
    /// The connection selected when the rows were last drawn: a new one is scrolled to.
    shown_selection: Option<ConnId>,
    /// The steps of the rows drawn last, for the legend.
    legend: Vec<Step>,
    /// The legend changed in the last frame (the rows moved).
    settling: bool,
}

/// Where each row's time 0 sits on the shared axis (ns after the axis's 0), and how long the
/// axis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    pub shifts: Vec<Nanos>,
    pub span: Nanos,
}

/// The shared scale of rows that began at `start` and lasted `total` (each pair): each from its
/// own start (the longest sets the span), or on the engine's clock from the earliest start to
/// the latest end.
pub fn scale(extents: &[(Nanos, Nanos)], absolute: bool) -> Scale {
    let first = extents.iter().map(|e| e.0).min().unwrap_or(0);
    let shifts: Vec<Nanos> = extents
        .iter()
        .map(|e| if absolute { e.0 - first } else { 0 })
        .collect();
    let span = extents
        .iter()
        .zip(&shifts)
        .map(|(e, s)| s.saturating_add(e.1))
        .max()
        .unwrap_or(0)
        .max(1);
    Scale { shifts, span }
}

/// The x extent of a bar from `start` for `dur` ns (after the axis's 0) on an axis `span` ns
/// long drawn from `left` over `width` points: at least one point wide, inside the axis.
pub fn bar_x(start: Nanos, dur: Nanos, span: Nanos, left: f32, width: f32) -> (f32, f32) {
    let at = |t: Nanos| left + (t.min(span) as f64 / span.max(1) as f64 * width as f64) as f32;
    let x0 = at(start).min(left + width - 1.0);
    let x1 = at(start.saturating_add(dur)).max(x0 + 1.0);
    (x0, x1)
}

/// The accessible name of a row (what a screen reader and the UI tests read).
pub fn row_text(title: &str, t: &Timing) -> String {
    let steps: Vec<String> = t
        .steps
        .iter()
        .map(|s| format!("{} {}", s.step.label(), duration(s.dur)))
        .collect();
    format!(
        "timing of {title}: total {}; {}",
        duration(t.total),
        steps.join(", ")
    )
}

impl Waterfall {
    /// Brings each connection's fold up to its newest event (O(new events)) and returns, in
    /// the order of the connection list, each one's id and extent (start, total).
    fn update(&mut self, model: &Model) -> Vec<(ConnId, (Nanos, Nanos))> {
        let mut out = Vec::with_capacity(model.store.conns.len());
        for c in &model.store.conns {
            let (seen, fold) = self.folds.entry(c.id).or_default();
            if *seen > c.events.len() {
                (*seen, *fold) = (0, TimingFold::new());
            }
            for e in &c.events[*seen..] {
                fold.feed_at(e.t, &e.kind);
            }
            *seen = c.events.len();
            out.push((c.id, fold.extent(model.now_of(c.id))));
        }
        if self.folds.len() > out.len() {
            self.folds.retain(|id, _| model.store.conn(*id).is_some());
        }
        out
    }

    /// Connection `id`'s waterfall as of its clock.
    pub fn timing(&self, model: &Model, id: ConnId) -> Option<Timing> {
        let (_, fold) = self.folds.get(&id)?;
        Some(fold.timing(model.now_of(id)))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        let rows = self.update(model);
        ui.horizontal_wrapped(|ui| {
            ui.label("Align:");
            ui.radio_value(&mut self.absolute, false, "each from its own start")
                .on_hover_text("Every connection from 0, to compare how long each step took");
            ui.radio_value(&mut self.absolute, true, "absolute time")
                .on_hover_text("Where each connection ran on the engine's clock");
            ui.separator();
            for &step in &self.legend {
                swatch(ui, step);
            }
        });
        if rows.is_empty() {
            ui.label(RichText::new("No connections yet.").color(style::MUTED));
            return;
        }
        let extents: Vec<(Nanos, Nanos)> = rows.iter().map(|r| r.1).collect();
        let scale = scale(&extents, self.absolute);
        let width = ui.available_width();
        let names = name_w(width);
        let axis_left = ui.max_rect().left() + names;
        let axis_w = (width - names - 8.0).max(40.0);
        let grid = axis(ui, &scale, axis_left, axis_w);
        let mut picked = None;
        let mut area = egui::ScrollArea::vertical()
            .id_salt("waterfall-rows")
            .auto_shrink([false, true]);
        // A newly selected connection is scrolled to, again while the layout above the rows
        // settles (the legend follows the rows in view).
        let scroll = self.shown_selection != model.selected_conn || self.settling;
        self.shown_selection = model.selected_conn;
        if scroll {
            let at = rows
                .iter()
                .position(|(id, _)| Some(*id) == model.selected_conn);
            if let Some(i) = at {
                let pitch = ROW_H + ui.spacing().item_spacing.y;
                area = area.vertical_scroll_offset(i as f32 * pitch);
            }
        }
        // Only the rows in view are built and drawn; the legend names their steps.
        let mut legend: Vec<Step> = Vec::new();
        area.show_rows(ui, ROW_H, rows.len(), |ui, range| {
            for i in range {
                let id = rows[i].0;
                let Some(t) = self.timing(model, id) else {
                    continue;
                };
                for s in &t.steps {
                    if !legend.contains(&s.step) {
                        legend.push(s.step);
                    }
                }
                let title = model.title(id);
                let place = (scale.shifts[i], scale.span, names, axis_w);
                let selected = model.selected_conn == Some(id);
                if row(ui, (&title, selected), &t, place, &grid) {
                    picked = Some(id);
                }
            }
        });
        legend.sort_unstable();
        self.settling = legend != self.legend;
        if self.settling {
            self.legend = legend;
            ui.ctx().request_repaint();
        }
        if let Some(id) = picked {
            model.selected_conn = Some(id);
            model.selection = None;
        }
    }
}

/// A step's colour and name as one widget, so a wrapping line never parts them.
fn swatch(ui: &mut egui::Ui, step: Step) {
    let font = FontId::proportional(11.0);
    let text = ui.visuals().text_color();
    let galley = ui
        .painter()
        .layout_no_wrap(step.label().to_string(), font, text);
    let size = egui::vec2(14.0 + galley.size().x, galley.size().y.max(10.0));
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let square = Rect::from_center_size(
        egui::pos2(rect.left() + 5.0, rect.center().y),
        egui::vec2(10.0, 10.0),
    );
    ui.painter()
        .rect_filled(square, 1.0, style::timing_step(step));
    let at = egui::pos2(rect.left() + 14.0, rect.center().y - galley.size().y / 2.0);
    ui.painter().galley(at, galley, text);
}

/// The time axis over the bars: labelled ticks from the shared scale. Returns the ticks' offsets
/// from the bars' left edge, for the rows' grid lines.
fn axis(ui: &mut egui::Ui, scale: &Scale, left: f32, width: f32) -> Vec<f32> {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 16.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let font = FontId::proportional(11.0);
    let char_px = 6.5;
    let span = secs(scale.span);
    let ticks = AxisTicks::choose(0.0, span, width as f64, char_px);
    let mut grid = Vec::new();
    for (x, label) in ticks.labelled(0.0, span, width as f64, char_px) {
        let at = left + (x / span * width as f64) as f32;
        grid.push(at - left);
        painter.text(
            egui::pos2(at, rect.center().y),
            Align2::CENTER_CENTER,
            label,
            font.clone(),
            style::MUTED,
        );
    }
    grid
}

/// One connection's row: its title and total, then its bars, `place`d as (shift, span, names
/// column width, bars width); shaded when it is the connection the other views show. Returns
/// true when clicked.
fn row(
    ui: &mut egui::Ui,
    (title, selected): (&str, bool),
    t: &Timing,
    place: (Nanos, Nanos, f32, f32),
    grid: &[f32],
) -> bool {
    let (shift, span, names, w) = place;
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_H), Sense::click());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::accesskit::Role::Row, true, row_text(title, t))
    });
    let painter = ui.painter_at(rect);
    if selected {
        painter.rect_filled(
            rect,
            2.0,
            ui.visuals().selection.bg_fill.gamma_multiply(0.35),
        );
    }
    // The total at the right of the names column; the title, cut if it must, before it.
    let name_rect = Rect::from_min_size(rect.min, egui::vec2(names - 8.0, ROW_H));
    let font = FontId::proportional(12.0);
    let text_colour = ui.visuals().text_color();
    let total = ui.painter_at(name_rect).text(
        name_rect.right_center(),
        Align2::RIGHT_CENTER,
        duration(t.total),
        font.clone(),
        style::MUTED,
    );
    let title_rect = name_rect.with_max_x(total.left() - 6.0);
    ui.painter_at(title_rect).text(
        title_rect.left_center(),
        Align2::LEFT_CENTER,
        title,
        font,
        text_colour,
    );
    let left = rect.left() + names;
    let (y0, y1) = (rect.center().y - BAR_H / 2.0, rect.center().y + BAR_H / 2.0);
    for x in grid {
        painter.line_segment(
            [
                egui::pos2(left + x, rect.top()),
                egui::pos2(left + x, rect.bottom()),
            ],
            Stroke::new(1.0, style::TIMING_GRID),
        );
    }
    let (x0, x1) = bar_x(shift, t.total, span, left, w);
    painter.line_segment(
        [
            egui::pos2(x0, rect.center().y),
            egui::pos2(x1, rect.center().y),
        ],
        Stroke::new(1.0, style::TIMING_EXTENT),
    );
    let mut hovered: Option<String> = None;
    let pointer = response.hover_pos();
    for s in &t.steps {
        let (a, b) = bar_x(shift + s.start, s.dur, span, left, w);
        let bar = Rect::from_x_y_ranges(a..=b, y0..=y1);
        let colour = style::timing_step(s.step);
        // A step that never finished is drawn faint.
        let fill = if s.done {
            colour
        } else {
            colour.gamma_multiply(0.45)
        };
        painter.rect_filled(bar, 1.0, fill);
        if pointer.is_some_and(|p| bar.expand2(egui::vec2(1.0, 4.0)).contains(p)) {
            hovered = Some(step_hover(t, s));
        }
    }
    if t.step(Step::Handshake).is_some() {
        for (i, r) in t.round_trips.iter().enumerate() {
            let (a, b) = bar_x(shift + r.start, r.dur, span, left, w);
            let line = Rect::from_x_y_ranges(a..=b, (y1 - 3.0)..=y1);
            painter.rect_filled(line, 0.0, style::ROUND_TRIP.gamma_multiply(0.8));
            if pointer.is_some_and(|p| line.expand2(egui::vec2(1.0, 2.0)).contains(p)) {
                hovered = Some(format!(
                    "handshake round trip {}: our flight out at {}, the answer {} later",
                    i + 1,
                    duration(r.start),
                    duration(r.dur)
                ));
            }
        }
    }
    let clicked = response.clicked();
    let summary = format!(
        "{title}\ntotal {}{}, {} handshake round trip(s), sent {}, received {}",
        duration(t.total),
        if t.closed { "" } else { " so far" },
        t.round_trip_count,
        bytes(t.app_out),
        bytes(t.app_in)
    );
    let text = match hovered {
        Some(h) => format!("{h}\n\n{summary}"),
        None => summary,
    };
    response.on_hover_text_at_pointer(text);
    clicked
}

/// What the pointer over step `s` tells.
fn step_hover(t: &Timing, s: &crate::trace::timing::Span) -> String {
    let state = match (s.done, t.closed) {
        (true, _) => "",
        (false, true) => " (did not finish: the connection ended in it)",
        (false, false) => " (under way)",
    };
    format!(
        "{}: from {} to {} after the start, {}{state}",
        s.step.label(),
        duration(s.start),
        duration(s.end()),
        duration(s.dur)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_one_scale_from_their_own_start_or_on_the_clock() {
        let (a, b) = ((1_000, 50), (1_100, 200));
        let own = scale(&[a, b], false);
        assert_eq!(
            own,
            Scale {
                shifts: vec![0, 0],
                span: 200
            }
        );
        let clock = scale(&[a, b], true);
        assert_eq!(
            clock,
            Scale {
                shifts: vec![0, 100],
                span: 300
            }
        );
        assert_eq!(scale(&[], true).span, 1, "never a zero span");
    }

    #[test]
    fn bars_are_proportional_at_least_a_point_and_inside_the_axis() {
        assert_eq!(bar_x(0, 50, 100, 10.0, 200.0), (10.0, 110.0));
        assert_eq!(bar_x(50, 0, 100, 10.0, 200.0), (110.0, 111.0));
        assert_eq!(
            bar_x(100, 10, 100, 10.0, 200.0),
            (209.0, 210.0),
            "at the end"
        );
        let (x0, x1) = bar_x(u64::MAX, u64::MAX, 100, 0.0, 50.0);
        assert!((49.0..=50.0).contains(&x0) && x1 >= x0 + 1.0);
    }
}

//! The compare view: two or more connections stacked, each timed from its own start (0 s), on
//! one x axis the app owns (pan or zoom one strip and all follow). Each strip is the verdict as
//! its title over the calls (coloured by result) and the readiness waits, queried for the
//! visible range and aggregated per pixel bucket like the timeline.

use super::model::{nanos, secs, Model};
use super::style;
use crate::trace::store::{aggregate, CallClass, ConnTrace, Lane, Mark, SpanClass, WaitClass};
use crate::trace::{format, ConnId, Nanos};
use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Plot, PlotBounds};

/// The calls row and the waits row of a strip on its y axis.
const CALLS_Y: f64 = 1.0;
const WAITS_Y: f64 = 0.0;

/// The connections being compared and the range shown, in seconds from each one's start.
#[derive(Debug, Default)]
pub struct Compare {
    /// Connections picked for comparing, in the order they were picked.
    pub conns: Vec<ConnId>,
    /// `None` fits the longest connection.
    pub view: Option<(f64, f64)>,
}

/// What the visible range means for one strip: engine times and pixel scale.
struct Window {
    t0: Nanos,
    t1: Nanos,
    min_len: f64,
    tol: Nanos,
    buckets: usize,
}

impl Compare {
    /// True when enough connections are picked to compare.
    pub fn active(&self) -> bool {
        self.conns.len() >= 2
    }

    /// The range that shows the longest picked connection whole.
    pub fn fit(&self, model: &Model) -> (f64, f64) {
        let longest = self
            .conns
            .iter()
            .filter_map(|&id| model.store.conn(id))
            .map(|c| secs(c.end_at(model.now_of(c.id)).saturating_sub(c.first_t)))
            .fold(0.002_f64, f64::max);
        let pad = longest * 0.03;
        (-pad, longest + pad)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        let view = self.view.unwrap_or_else(|| self.fit(model));
        ui.horizontal(|ui| {
            ui.heading(format!("Compare {} connections", self.conns.len()));
            if ui
                .button("Fit")
                .on_hover_text("Show the longest one whole")
                .clicked()
            {
                self.view = None;
            }
            if ui
                .button("Done")
                .on_hover_text("Back to the timeline of one connection")
                .clicked()
            {
                self.conns.clear();
            }
            ui.label(
                RichText::new("each from its own start (0 s); drag to pan, wheel to zoom")
                    .color(style::MUTED),
            );
        });
        if !self.active() {
            return;
        }
        key(ui);
        let link = egui::Id::unique("compare-x");
        let strips = self.conns.len() as f32;
        // Title and axis take about 40 points per strip; the rest is the plot.
        let height = ((ui.available_height() - 8.0) / strips - 40.0).clamp(60.0, 240.0);
        let mut moved = None;
        let mut picked = None;
        egui::ScrollArea::vertical()
            .id_salt("compare-strips")
            .show(ui, |ui| {
                for &id in &self.conns {
                    let Some(c) = model.store.conn(id) else {
                        continue;
                    };
                    let (range, clicked) = strip(ui, model, c, view, link, height);
                    if (range.0 - view.0).abs() > 1e-12 || (range.1 - view.1).abs() > 1e-12 {
                        moved = Some(range);
                    }
                    if let Some(i) = clicked {
                        picked = Some((id, i));
                    }
                }
            });
        if let Some(r) = moved {
            self.view = Some(r);
        }
        if let Some((conn, i)) = picked {
            model.select_call(conn, i);
        }
    }
}

/// One connection's strip: its verdict as the title, then calls and waits. Returns the x range
/// after the user's pan or zoom, and the call clicked.
fn strip(
    ui: &mut egui::Ui,
    model: &Model,
    c: &ConnTrace,
    view: (f64, f64),
    link: egui::Id,
    height: f32,
) -> ((f64, f64), Option<usize>) {
    let now = model.now_of(c.id);
    let v = c.verdict(now);
    let (word, colour) = style::verdict(v.severity());
    let took = format::duration(c.end_at(now).saturating_sub(c.first_t));
    ui.horizontal(|ui| {
        let title = model.title(c.id);
        ui.label(RichText::new(title).strong());
        ui.label(
            RichText::new(format!("{word}: {}", v.class.name()))
                .color(colour)
                .strong(),
        );
        ui.label(RichText::new(format!("({took})")).color(style::MUTED));
        ui.add(egui::Label::new(RichText::new(&v.summary).color(colour)).truncate())
            .on_hover_text(&v.summary);
    });
    let width = ui.available_width().max(100.0);
    let px = (view.1 - view.0) / width as f64;
    let w = Window {
        t0: c.first_t + nanos(view.0),
        t1: (c.first_t + nanos(view.1)).max(c.first_t + nanos(view.0) + 1),
        min_len: px * 2.0,
        tol: nanos(px * 5.0).max(1),
        buckets: (width as usize / 2).max(50),
    };
    let first = c.first_t;
    let span = view.1 - view.0;
    let response = Plot::new(("compare", c.id))
        .height(height)
        .link_cursor(link, [true, false])
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .allow_drag([true, false])
        .allow_double_click_reset(false)
        .show_y(false)
        .label_formatter(|_| None)
        .y_axis_min_width(60.0)
        .y_axis_formatter(|mark, _| {
            if (mark.value - CALLS_Y).abs() < 1e-6 {
                "calls".into()
            } else if (mark.value - WAITS_Y).abs() < 1e-6 {
                "waits".into()
            } else {
                String::new()
            }
        })
        .x_axis_formatter(move |mark, _| format::axis_time(mark.value, span))
        .show(ui, |pui| {
            pui.set_plot_bounds(PlotBounds::from_min_max([view.0, -0.6], [view.1, 1.6]));
            // One query per row for the visible range; one chart per class (its colour).
            let waits = aggregate(&c.waits(), w.t0, w.t1, w.buckets);
            let calls = aggregate(&c.calls(), w.t0, w.t1, w.buckets);
            for class in WaitClass::ALL {
                let b = bars_of(&waits, class, first, &w, WAITS_Y, style::wait(class));
                pui.bar_chart(chart(b, style::wait(class).gamma_multiply(0.6), 0.45));
            }
            for class in CallClass::ALL {
                let b = bars_of(&calls, class, first, &w, CALLS_Y, style::call(class));
                pui.bar_chart(chart(b, style::call(class), 0.7));
            }
            pui.pointer_coordinate()
        });
    let b = response.transform.bounds();
    let range = (b.min()[0], b.max()[0]);
    let uncovered = crate::ui::timeline::pointer_over(ui, response.response.rect).is_some();
    let hit = response.inner.filter(|_| uncovered).and_then(|p| {
        let lane = if p.y > 0.5 { Lane::Calls } else { Lane::Waits };
        c.hit(lane, first + nanos(p.x), w.tol)
    });
    let mut clicked = None;
    if let Some(hit) = hit {
        let text = hit.describe(c);
        let r = response.response.clone().on_hover_ui_at_pointer(|ui| {
            // Monospace: the trace's text uses arrows that only the monospace font has.
            ui.label(RichText::new(text).monospace());
        });
        if r.clicked() {
            clicked = hit.call();
        }
    }
    (range, clicked)
}

/// Bars of the marks of `class`, timed from the connection's start.
fn bars_of<C: SpanClass + PartialEq>(
    marks: &[Mark<C>],
    class: C,
    first: Nanos,
    w: &Window,
    y: f64,
    colour: Color32,
) -> Vec<Bar> {
    marks
        .iter()
        .filter(|m| m.class == class)
        .map(|m| {
            let start = secs(m.start.saturating_sub(first));
            let len = (secs(m.end) - secs(m.start)).max(w.min_len);
            Bar::new(y, len)
                .base_offset(start)
                .fill(colour)
                .stroke(egui::Stroke::new(0.5, colour))
        })
        .collect()
}

fn chart(bars: Vec<Bar>, colour: Color32, width: f64) -> BarChart {
    BarChart::new("", bars)
        .color(colour)
        .width(width)
        .horizontal()
        .allow_hover(false)
}

/// The colours of the strips, in one line.
fn key(ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("calls:").color(style::MUTED));
        for class in CallClass::ALL {
            ui.label(RichText::new(class.name()).color(style::call(class)));
        }
        ui.label(RichText::new("waits:").color(style::MUTED));
        for (class, name) in [
            (WaitClass::Readable, "readable"),
            (WaitClass::Writable, "writable"),
        ] {
            ui.label(RichText::new(name).color(style::wait(class)));
        }
    });
}

//! The colour keys: one for the lanes and one above each plot, outside the plots (a legend
//! inside a plot covers its data). The lanes' key is collapsible, since at small window
//! heights its rows are better spent on the plots.

use crate::trace::store::CallClass;
use crate::ui::style;
use egui::{Color32, RichText};

/// How an entry's swatch is drawn, like the mark it stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Swatch {
    Block,
    /// Two blocks: the alternating colours of neighbouring spans.
    Pair(Color32),
    Dashed,
}

/// One entry of a key: a swatch and what it means.
pub(super) struct Entry {
    colour: Color32,
    swatch: Swatch,
    text: String,
}

impl Entry {
    pub(super) fn new(colour: Color32, text: impl Into<String>) -> Entry {
        Entry {
            colour,
            swatch: Swatch::Block,
            text: text.into(),
        }
    }

    pub(super) fn dashed(colour: Color32, text: impl Into<String>) -> Entry {
        Entry {
            swatch: Swatch::Dashed,
            ..Entry::new(colour, text)
        }
    }

    fn pair(a: Color32, b: Color32, text: impl Into<String>) -> Entry {
        Entry {
            swatch: Swatch::Pair(b),
            ..Entry::new(a, text)
        }
    }
}

/// One entry: its swatch and its text as one widget, so a wrapped key never parts them.
fn entry(ui: &mut egui::Ui, e: &Entry) {
    let swatch = match e.swatch {
        Swatch::Block => egui::vec2(10.0, 10.0),
        Swatch::Pair(_) | Swatch::Dashed => egui::vec2(18.0, 10.0),
    };
    // Text in the normal colour: some meanings' colours are too dark to read as text.
    let galley = egui::WidgetText::from(RichText::new(&e.text).small()).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Small,
    );
    let gap = 4.0;
    let size = egui::vec2(
        swatch.x + gap + galley.size().x,
        swatch.y.max(galley.size().y),
    );
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Label, true, &e.text));
    let s = egui::Rect::from_min_size(
        egui::pos2(rect.left(), rect.center().y - swatch.y / 2.0),
        swatch,
    );
    let p = ui.painter();
    match e.swatch {
        Swatch::Block => {
            p.rect_filled(s, 2.0, e.colour);
        }
        Swatch::Pair(other) => {
            let (a, b) = s.split_left_right_at_fraction(0.5);
            p.rect_filled(a, 1.0, e.colour);
            p.rect_filled(b, 1.0, other);
        }
        Swatch::Dashed => {
            let y = s.center().y;
            let stroke = egui::Stroke::new(2.0, e.colour);
            for i in 0..3 {
                let x = s.left() + i as f32 * 7.0;
                p.line_segment([egui::pos2(x, y), egui::pos2(x + 4.0, y)], stroke);
            }
        }
    }
    let text_pos = egui::pos2(s.right() + gap, rect.center().y - galley.size().y / 2.0);
    p.galley(text_pos, galley, ui.visuals().text_color());
}

fn heading(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).small().color(style::MUTED));
}

/// A key on one (wrapped) line above a plot: a heading and its entries.
pub(super) fn row(ui: &mut egui::Ui, title: &str, entries: &[Entry]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(4.0, 0.0);
        heading(ui, title);
        for e in entries {
            entry(ui, e);
        }
    });
}

/// The groups of the lanes' key, each a heading and every mark drawn in that lane.
fn lanes_key() -> Vec<(&'static str, Vec<Entry>)> {
    let mut calls: Vec<Entry> = CallClass::ALL
        .into_iter()
        .map(|class| Entry::new(style::call(class), class.name()))
        .collect();
    calls.push(Entry::new(style::RETRY_BAND, "retried operation (band)"));
    vec![
        ("calls:", calls),
        (
            "socket:",
            vec![
                Entry::new(style::IO_DONE, "read / write (triangles)"),
                Entry::new(style::IO_WOULD_BLOCK, "would block (x)"),
                Entry::new(style::IO_EOF_OR_ERROR, "EOF / error (*)"),
            ],
        ),
        (
            "waits:",
            vec![
                Entry::new(style::WAIT_READABLE, "for readable"),
                Entry::new(style::WAIT_WRITABLE, "for writable"),
                Entry::new(style::WAIT_EITHER, "for either"),
                Entry::new(style::STALL, "stalled (outline)"),
            ],
        ),
        (
            "handshake:",
            vec![
                Entry::pair(
                    style::STATE_EVEN,
                    style::STATE_ODD,
                    "state (bars, from one transition to the next)",
                ),
                Entry::new(style::MSG_IN, "message in"),
                Entry::new(style::MSG_OUT, "message out"),
            ],
        ),
    ]
}

/// The lanes' key, open by default when the window is tall enough to spare its rows (below
/// 800 points they go to the plots).
pub(super) fn show(ui: &mut egui::Ui) {
    let roomy = ui.ctx().content_rect().height() >= 800.0;
    egui::CollapsingHeader::new(RichText::new("Key").small())
        .id_salt("timeline-key")
        .default_open(roomy)
        .show_unindented(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.spacing_mut().item_spacing = egui::vec2(4.0, 2.0);
                for (i, (title, entries)) in lanes_key().iter().enumerate() {
                    if i > 0 {
                        ui.separator();
                    }
                    heading(ui, title);
                    for e in entries {
                        entry(ui, e);
                    }
                }
            });
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_covers_every_lane_including_the_handshake_states() {
        let key = lanes_key();
        let titles: Vec<_> = key.iter().map(|g| g.0).collect();
        assert_eq!(titles, ["calls:", "socket:", "waits:", "handshake:"]);
        let texts: Vec<&str> = key.iter().flat_map(|g| &g.1).map(|e| &*e.text).collect();
        for class in CallClass::ALL {
            assert!(texts.contains(&class.name()));
        }
        assert!(texts.iter().any(|t| t.starts_with("state (bars")));
    }
}

//! The list of connections: each card with its target, state, duration and one-line verdict; a
//! connection whose verdict is a stall keeps its red frame, even after it closed.

use super::model::Model;
use super::style;
use crate::trace::store::{ConnTrace, Status};
use crate::trace::verdict::{Class, Severity};
use crate::trace::{format, Nanos};
use egui::{Color32, RichText};

/// The words and colour for a connection's state at `now`.
pub fn describe(c: &ConnTrace, now: Nanos) -> (String, Color32) {
    match c.status() {
        Status::Connecting => ("connecting".into(), style::STATUS_STARTING),
        Status::Handshaking => ("handshaking".into(), style::STATUS_STARTING),
        Status::Open => ("open".into(), style::STATUS_OPEN),
        Status::Waiting { op, error, since } => {
            let dir = if error == crate::trace::SslError::WantWrite {
                "write"
            } else {
                "read"
            };
            let text = format!(
                "{} waiting on {dir} for {}",
                op.name(),
                format::duration(now.saturating_sub(since))
            );
            let colour = if c.is_stalled(now) {
                style::STALL
            } else {
                style::STATUS_WAITING
            };
            (text, colour)
        }
        Status::Closed(reason) => (format!("closed ({})", reason.name()), style::STATUS_CLOSED),
        // The card's verdict line says why; the error is not repeated here.
        Status::Failed(_) => ("failed".into(), style::STATUS_FAILED),
    }
}

pub fn ui(ui: &mut egui::Ui, model: &mut Model) {
    ui.heading("Connections");
    if model.store.conns.is_empty() {
        ui.label("None yet: type a target above and press Connect, or pick a lab scenario.");
        return;
    }
    let current = model.current().map(|c| c.id);
    let mut clicked = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        for c in model.store.conns.iter().rev() {
            let (text, colour) = describe(c, model.now);
            let verdict = c.verdict(model.now);
            let stalled = verdict.severity() == Severity::Stall;
            let frame = egui::Frame::group(ui.style()).fill(if stalled {
                style::STALL_CARD
            } else {
                Color32::TRANSPARENT
            });
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                let title = format!("#{} {}", c.id, model.label(c.id));
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().circle_filled(rect.center(), 5.0, colour);
                    let r = ui.selectable_label(
                        current == Some(c.id),
                        RichText::new(title).color(colour).strong(),
                    );
                    if r.clicked() {
                        clicked = Some(c.id);
                    }
                });
                let mut status = RichText::new(text).color(colour);
                if stalled {
                    status = status.strong();
                }
                ui.label(status);
                if verdict.class != Class::InProgress {
                    let (word, colour) = style::verdict(verdict.severity());
                    ui.label(
                        RichText::new(format!("{word}: {}", verdict.class.name()))
                            .color(colour)
                            .strong(),
                    )
                    .on_hover_text(&verdict.summary);
                }
                let took = c.end_at(model.now).saturating_sub(c.first_t.min(c.last_t));
                ui.label(
                    RichText::new(format!(
                        "{}, {} events, {} calls",
                        format::duration(took),
                        c.events.len(),
                        c.calls.len()
                    ))
                    .small()
                    .color(style::MUTED),
                );
            });
        }
    });
    if let Some(id) = clicked {
        if model.selected_conn != Some(id) {
            model.selection = None;
        }
        model.selected_conn = Some(id);
    }
}

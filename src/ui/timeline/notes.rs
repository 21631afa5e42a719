//! The lines above the lanes: why the connection failed, and the stall worth pointing out with
//! what the call's result means.

use crate::trace::explain::explain;
use crate::trace::store::{stall, ConnTrace, Status};
use crate::trace::Nanos;
use crate::ui::style;
use egui::RichText;

pub(super) fn show(ui: &mut egui::Ui, c: &ConnTrace, now: Nanos) {
    if let Status::Failed(reason) = c.status() {
        let text = RichText::new(format!("Failed: {reason}"));
        ui.label(text.color(style::ERROR_TEXT).strong());
    }
    let Some(note) = stall(c, now) else {
        return;
    };
    ui.label(RichText::new(note.text).color(style::STALL).strong());
    if let Some((op, error)) = note.after.filter(|a| a.1.is_want()) {
        ui.label(RichText::new(explain(op, error, -1, &[])).italics());
    }
}

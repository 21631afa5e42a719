//! The colour key of the lanes, above them (a legend inside the plot would cover the data).

use crate::trace::store::CallClass;
use crate::ui::style;
use egui::{Color32, RichText};

fn swatch(ui: &mut egui::Ui, colour: Color32, text: &str) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, colour);
    ui.label(RichText::new(text).color(colour));
}

fn heading(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).color(style::MUTED));
}

pub(super) fn show(ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 5.0;
        heading(ui, "calls:");
        for class in CallClass::ALL {
            swatch(ui, style::call(class), class.name());
        }
        swatch(ui, style::RETRY_BAND, "retried operation (band)");
        ui.separator();
        heading(ui, "socket:");
        swatch(ui, style::IO_DONE, "read / write");
        swatch(ui, style::IO_WOULD_BLOCK, "would block (x)");
        swatch(ui, style::IO_EOF_OR_ERROR, "EOF / error (*)");
        ui.separator();
        heading(ui, "waits:");
        swatch(ui, style::WAIT_READABLE, "readable");
        swatch(ui, style::WAIT_WRITABLE, "writable");
        ui.separator();
        swatch(ui, style::MSG_IN, "message in");
        swatch(ui, style::MSG_OUT, "message out");
    });
}

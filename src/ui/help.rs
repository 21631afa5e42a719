//! The help overlay (F1 or ?): every key and mouse action, in a modal over the window.

use super::keys::HELP;
use super::model::Model;

/// Shows the overlay while `model.help` is set; a click outside or its button closes it.
pub fn show(ctx: &egui::Context, model: &mut Model) {
    if !model.help {
        return;
    }
    let response = egui::Modal::new(egui::Id::unique("help-overlay")).show(ctx, |ui| {
        ui.heading("Keys and mouse");
        ui.add_space(4.0);
        egui::Grid::new("help-keys")
            .num_columns(2)
            .spacing([16.0, 4.0])
            .striped(true)
            .show(ui, |ui| {
                for (keys, what) in HELP {
                    ui.label(egui::RichText::new(keys).monospace().strong());
                    ui.label(what);
                    ui.end_row();
                }
            });
        ui.add_space(6.0);
        ui.label(
            "Keys other than F1, Esc, Ctrl+O and Ctrl+S do nothing while a text field has focus.",
        );
        ui.button("Close").clicked()
    });
    if response.inner || response.backdrop_response.clicked() {
        model.help = false;
    }
}

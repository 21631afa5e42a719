//! The banner above the lanes: the live verdict on the connection (what is wrong, or that
//! nothing is), its evidence and what to do, and a control that jumps to the call it names.

use crate::trace::store::ConnTrace;
use crate::trace::verdict::{self, Class};
use crate::trace::{CallId, Nanos};
use crate::ui::style;
use egui::RichText;

/// Draws the banner; returns the call to jump to when the user asked for it.
pub(super) fn show(ui: &mut egui::Ui, c: &ConnTrace, now: Nanos) -> Option<CallId> {
    let v = c.verdict(now);
    if v.class == Class::InProgress {
        ui.label(RichText::new(&v.summary).color(style::MUTED));
        return None;
    }
    let (word, colour) = style::verdict(v.severity());
    let mut jump = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!("{word}: {}", v.class.name()))
                .color(colour)
                .strong(),
        )
        .on_hover_text(v.class.meaning());
        ui.label(RichText::new(&v.summary).color(colour));
        if let Some(call) = v.focus {
            let button = ui
                .small_button("Jump to cause")
                .on_hover_text(format!("Select call #{call} and frame it on the timeline"));
            if button.clicked() {
                jump = Some(call);
            }
        }
    });
    egui::CollapsingHeader::new("Evidence and what to do")
        .id_salt(("verdict", c.id))
        .show(ui, |ui| {
            for e in &v.evidence {
                let at = e.call.map_or(String::new(), |id| format!("  (call #{id})"));
                ui.label(format!("• {}{at}", e.text));
            }
            for n in &v.next_user {
                ui.label(RichText::new(format!("Next: {n}")).strong());
            }
            for n in &v.next_code {
                ui.label(RichText::new(format!("In your code: {n}")).italics());
            }
            ui.label(
                RichText::new(verdict::breakdown(&v))
                    .small()
                    .color(style::MUTED),
            );
        });
    jump
}

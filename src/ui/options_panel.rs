//! The options window: every connection option of the table, grouped (server name & protocol,
//! trust & identity, socket, workload, OpenSSL & actions), a label and a field of useful width
//! per row, greyed hints, the command-line name in each tooltip, and a file picker for the PEM
//! files. It edits the form of the current target only (see [`Forms`]).

use super::file_picker::FilePicker;
use crate::options::{FieldDef, Form, FormKey, Forms, Group, Input, Kind};
use egui::{Id, RichText, TextEdit};

/// Width kept for the labels of a group; the field takes the rest of the column.
const LABEL_WIDTH: f32 = 124.0;
/// Narrowest useful group column (label and field).
const COLUMN_WIDTH: f32 = 300.0;
/// The widest the window gets, so fields stay a readable length on a wide screen.
const MAX_WIDTH: f32 = 1560.0;

/// The tooltip of a field: its help, and how the command line spells it.
pub(crate) fn tooltip(def: &FieldDef) -> String {
    format!("{}\n\nCommand line: --{}", def.help, def.name)
}

/// What the form of `target` applies to, in a sentence.
fn scope(target: &str) -> String {
    match FormKey::of(target) {
        FormKey::Plain => "These options apply to HOST:PORT targets. Each lab scenario keeps its \
                           own client settings and options of its own."
            .into(),
        FormKey::Lab(s) => format!(
            "These options apply to lab:{} only. Blank fields keep the scenario's own client \
             settings.",
            s.name()
        ),
    }
}

/// Draws the options window while `open`; edits `target`'s form in `forms`.
pub(crate) fn window(
    ctx: &egui::Context,
    open: &mut bool,
    target: &str,
    forms: &mut Forms,
    picker: &mut FilePicker,
) {
    let screen = ctx.content_rect();
    let width = (screen.width() - 48.0).clamp(COLUMN_WIDTH, MAX_WIDTH);
    let columns = ((width / COLUMN_WIDTH) as usize).clamp(1, Group::ALL.len());
    let form = forms.form_mut(target);
    egui::Window::new("Connection options")
        .id(Id::unique("options-window"))
        .open(open)
        .collapsible(false)
        .resizable(false)
        .default_pos(screen.left_top() + egui::vec2(24.0, 56.0))
        .show(ctx, |ui| {
            ui.set_width(width);
            ui.label(RichText::new(scope(target)).weak());
            ui.add_space(4.0);
            for row in Group::ALL.chunks(columns) {
                ui.columns(columns, |cols| {
                    for (col, group) in cols.iter_mut().zip(row) {
                        group_ui(col, *group, form, picker);
                    }
                });
                ui.add_space(8.0);
            }
        });
}

/// One group: its heading, then a label and a field per row.
fn group_ui(ui: &mut egui::Ui, group: Group, form: &mut Form, picker: &mut FilePicker) {
    ui.label(RichText::new(group.title()).strong());
    let field_width = (ui.available_width() - LABEL_WIDTH - 12.0).max(120.0);
    egui::Grid::new(("options-group", group.title()))
        .num_columns(2)
        .min_col_width(0.0)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for &field in group.fields() {
                let def = field.def();
                let tip = tooltip(def);
                let Some(input) = form.input_mut(field) else {
                    continue;
                };
                match input {
                    Input::Text(text) => {
                        let label = ui.label(def.label).on_hover_text(&tip);
                        ui.horizontal(|ui| {
                            let file = def.kind == Kind::File;
                            let width = if file {
                                field_width - 34.0
                            } else {
                                field_width
                            };
                            ui.add(
                                TextEdit::singleline(text)
                                    .hint_text(RichText::new(def.hint).italics())
                                    .desired_width(width),
                            )
                            .labelled_by(label.id)
                            .on_hover_text(&tip);
                            let choose = format!("Choose the {} file…", def.label);
                            if file && ui.button("…").on_hover_text(choose).clicked() {
                                picker.open(field, text);
                            }
                        });
                    }
                    Input::Flag(on) => {
                        ui.label("");
                        ui.checkbox(on, def.label).on_hover_text(&tip);
                    }
                }
                ui.end_row();
            }
        });
}

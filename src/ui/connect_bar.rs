//! The connect bar: target, Connect / Stop, the options of `tlsscope trace`, the lab's scenario
//! menu, and live actions. The option panel is drawn from the options table. Typing mistakes are
//! caught here; the rest (files, units) when the app prepares the connection. A problem shows
//! under the bar.

use super::model::{Model, Request};
use crate::lab::scenario::Scenario;
use crate::options::{ConnectOptions, Form, Input};
use crate::probe::{Action, Target};
use egui::{Color32, RichText};

/// The connect form: the target and every option, kept as typed. Checking the options fully
/// (files, units) happens once, when the app prepares the connection off the UI thread.
#[derive(Debug, Default)]
pub struct ConnectBar {
    pub target: String,
    pub show_options: bool,
    pub(crate) form: Form,
    /// The last problem with the input or the connection request.
    pub error: Option<String>,
}

impl ConnectBar {
    /// The typed options as the command line's option set.
    pub fn options(&self) -> ConnectOptions {
        self.form.to_options()
    }

    /// Fills the form from a target and command-line options.
    pub fn set_from(&mut self, target: &str, options: &ConnectOptions) {
        self.target = target.to_string();
        self.form = Form::from_options(options);
    }

    /// Checks what can be checked without touching files or the network, so a typing mistake
    /// is shown at once.
    pub fn validate(&self) -> Result<(), String> {
        let target = self.target.trim();
        if target.is_empty() {
            return Err("enter a target: HOST:PORT (e.g. example.com:443) or lab:NAME".into());
        }
        match target.strip_prefix("lab:") {
            Some(name) if Scenario::from_name(name).is_none() => {
                return Err(format!(
                    "no lab scenario {name:?}: pick one from the Scenarios menu"
                ))
            }
            Some(_) => {}
            None => {
                Target::parse(target)?;
            }
        }
        self.options().check_combinations()
    }

    /// Asks for a connection to the typed target, or explains why not.
    pub fn connect(&mut self, model: &mut Model) {
        match self.validate() {
            Ok(()) => {
                self.error = None;
                model.requests.push(Request::Connect {
                    target: self.target.trim().to_string(),
                    options: Box::new(self.options()),
                });
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("tlsscope").strong());
            let label = ui.label("Target");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.target)
                        .hint_text("HOST:PORT or lab:NAME")
                        .desired_width(260.0),
                )
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Connect").clicked() || enter {
                self.connect(model);
            }
            let live = model
                .current()
                .map(|c| (c.id, c.status().is_live()))
                .filter(|c| c.1);
            if ui
                .add_enabled(live.is_some(), egui::Button::new("Stop"))
                .clicked()
            {
                if let Some((id, _)) = live {
                    model.requests.push(Request::Stop(id));
                }
            }
            self.scenario_menu(ui);
            ui.toggle_value(&mut self.show_options, "Options");
            ui.separator();
            for (action, text) in [
                (Action::KeyUpdate, "Key update"),
                (Action::Renegotiate, "Renegotiate"),
            ] {
                if ui
                    .add_enabled(live.is_some(), egui::Button::new(text))
                    .on_hover_text("ask the live connection for it now")
                    .clicked()
                {
                    if let Some((id, _)) = live {
                        model.requests.push(Request::Action(id, action));
                    }
                }
            }
        });
        // On a line of its own, right under the field, so a long reason is never cut off.
        if let Some(e) = &self.error {
            ui.label(RichText::new(format!("Problem: {e}")).color(Color32::from_rgb(255, 110, 90)));
        }
        if self.show_options {
            self.options_ui(ui);
        }
    }

    fn scenario_menu(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Scenarios", |ui| {
            ui.set_max_width(520.0);
            for s in Scenario::ALL {
                let r = ui
                    .button(format!("lab:{}  -  {}", s.name(), s.summary()))
                    .on_hover_text(s.explanation());
                if r.clicked() {
                    self.target = format!("lab:{}", s.name());
                    self.error = None;
                    ui.close();
                }
            }
        });
    }

    /// The option panel, drawn from the table: text fields three to a row, then the flags.
    fn options_ui(&mut self, ui: &mut egui::Ui) {
        egui::Grid::new("connect-options")
            .num_columns(6)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let texts = self
                    .form
                    .inputs_mut()
                    .filter_map(|(def, input)| match input {
                        Input::Text(text) => Some((def, text)),
                        Input::Flag(_) => None,
                    });
                for (i, (def, text)) in texts.enumerate() {
                    let l = ui.label(def.label);
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .hint_text(def.hint)
                            .desired_width(140.0),
                    )
                    .labelled_by(l.id)
                    .on_hover_text(format!("--{}: {}", def.name, def.help));
                    if i % 3 == 2 {
                        ui.end_row();
                    }
                }
                ui.end_row();
            });
        ui.horizontal(|ui| {
            for (def, input) in self.form.inputs_mut() {
                if let Input::Flag(on) = input {
                    ui.checkbox(on, def.label)
                        .on_hover_text(format!("--{}: {}", def.name, def.help));
                }
            }
        });
    }
}

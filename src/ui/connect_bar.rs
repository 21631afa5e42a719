//! The connect bar: target (HOST:PORT, lab:NAME, or `run: CMD ARGS…` for a program run under
//! the interposer), Connect / Stop, the Options button (with how many are set, and
//! Reset), the lab's scenario menu, and live actions. The options window is `options_panel`.
//! Typing mistakes are caught here; the rest (files, units) when the app prepares the
//! connection. A problem shows under the bar, in the app's words.

use super::file_picker::FilePicker;
use super::model::{Model, Request};
use super::options_panel;
use crate::lab::scenario::Scenario;
use crate::options::{in_app_words, ConnectOptions, Forms, Input};
use crate::probe::{Action, Target};
use egui::{Color32, RichText};

/// The connect form: the target and the options typed for it, kept as typed (one form per kind
/// of target: see [`Forms`]). Checking the options fully (files, units) happens once, when the
/// app prepares the connection off the UI thread.
#[derive(Debug, Default)]
pub struct ConnectBar {
    pub target: String,
    pub show_options: bool,
    pub(crate) forms: Forms,
    pub(crate) picker: FilePicker,
    /// The last problem with the input or the connection request.
    pub error: Option<String>,
}

impl ConnectBar {
    /// The options typed for the current target, as the command line's option set.
    pub fn options(&self) -> ConnectOptions {
        self.forms.options(&self.target)
    }

    /// How many options are set for the current target.
    pub fn options_set(&self) -> usize {
        self.forms.count(&self.target)
    }

    /// Clears the options set for the current target.
    pub fn reset_options(&mut self) {
        self.forms.reset(&self.target);
    }

    /// Fills the form from a target and command-line options.
    pub fn set_from(&mut self, target: &str, options: &ConnectOptions) {
        self.target = target.to_string();
        self.forms.set(target, options);
    }

    /// Shows `problem` under the bar, naming options by their labels in the app.
    pub fn show_problem(&mut self, problem: &str) {
        self.error = Some(in_app_words(problem));
    }

    /// Checks what can be checked without touching files or the network, so a typing mistake
    /// is shown at once.
    pub fn validate(&self) -> Result<(), String> {
        let target = self.target.trim();
        if target.is_empty() {
            return Err(
                "enter a target: HOST:PORT (e.g. example.com:443), lab:NAME or run: CMD ARGS…"
                    .into(),
            );
        }
        if let Some(command) = run_command(target) {
            return crate::runner::split_command(command).map(|_| ());
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
                if let Some(command) = run_command(&self.target) {
                    model.requests.push(Request::Run {
                        command: command.trim().to_string(),
                    });
                    return;
                }
                model.requests.push(Request::Connect {
                    target: self.target.trim().to_string(),
                    options: Box::new(self.options()),
                });
            }
            Err(e) => self.show_problem(&e),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        self.ui_with(ui, model, |ui, _| {
            ui.label(RichText::new("tlsscope").strong());
        });
    }

    /// The bar with `lead` drawn at its start (the app's File and Copy menus).
    pub fn ui_with(
        &mut self,
        ui: &mut egui::Ui,
        model: &mut Model,
        lead: impl FnOnce(&mut egui::Ui, &Model),
    ) {
        ui.horizontal(|ui| {
            lead(ui, model);
            let label = ui.label("Target");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.target)
                        .hint_text("HOST:PORT, lab:NAME or run: CMD")
                        .desired_width(260.0),
                )
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let go = if run_command(&self.target).is_some() {
                "Run"
            } else {
                "Connect"
            };
            if ui.button(go).clicked() || enter {
                self.connect(model);
            }
            // Only a connection of the engine's or of a program (not an opened trace, not a
            // replay); with none, the programs still running (one may not have connected yet).
            let live = model
                .current()
                .map(|c| (c.id, c.status().is_live()))
                .filter(|c| c.1 && !model.sources.contains_key(&c.0));
            let programs = !model.programs.is_empty();
            let stop = ui
                .add_enabled(live.is_some() || programs, egui::Button::new("Stop"))
                .on_hover_text(match (live, programs) {
                    (Some((id, _)), _) if model.is_run(id) => "stop the program",
                    (Some(_), _) => "stop the connection",
                    _ => "stop the programs still running",
                });
            if stop.clicked() {
                model.requests.push(match live {
                    Some((id, _)) => Request::Stop(id),
                    None => Request::StopPrograms,
                });
            }
            // Live actions are the engine's: a program's connection cannot be asked.
            let live = live.filter(|(id, _)| !model.is_run(*id));
            self.scenario_menu(ui);
            self.options_button(ui);
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
        self.options_windows(ui.ctx());
    }
}

/// The command of a `run: CMD ARGS…` target.
pub fn run_command(target: &str) -> Option<&str> {
    target.trim().strip_prefix("run:")
}

impl ConnectBar {
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

    /// "Options", or "Options (N)" when N are set for this target, and Reset.
    fn options_button(&mut self, ui: &mut egui::Ui) {
        let set = self.options_set();
        let text = match set {
            0 => "Options".to_string(),
            n => format!("Options ({n})"),
        };
        let target = match self.target.trim() {
            "" => "the target".to_string(),
            t => t.to_string(),
        };
        ui.toggle_value(&mut self.show_options, text)
            .on_hover_text(format!("Connection options for {target}: {set} set"));
        if ui
            .add_enabled(set > 0, egui::Button::new("Reset"))
            .on_hover_text(format!("Clear the options set for {target}"))
            .clicked()
        {
            self.reset_options();
        }
    }

    /// The options window and its file picker.
    fn options_windows(&mut self, ctx: &egui::Context) {
        if self.show_options {
            options_panel::window(
                ctx,
                &mut self.show_options,
                &self.target,
                &mut self.forms,
                &mut self.picker,
            );
        }
        if let Some((field, path)) = self.picker.show(ctx) {
            if let Some(Input::Text(text)) = self.forms.form_mut(&self.target).input_mut(field) {
                *text = path.display().to_string();
            }
        }
    }
}

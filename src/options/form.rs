//! The options as typed into the app: one text box or checkbox per row of [`FIELDS`], kept as
//! typed and mapped to [`ConnectOptions`] by field, never by position.

use super::fields::{Field, FieldDef, Kind, FIELDS};
use super::typed::{ConnectOptions, Slot};
use std::path::PathBuf;

/// What the user put into one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    Text(String),
    Flag(bool),
}

/// The app's option form: every field of the table with its input.
#[derive(Debug, Clone)]
pub(crate) struct Form {
    inputs: Vec<(&'static FieldDef, Input)>,
}

impl Default for Form {
    fn default() -> Form {
        let inputs = FIELDS
            .iter()
            .map(|def| {
                let input = match def.kind {
                    Kind::Text | Kind::File => Input::Text(String::new()),
                    Kind::Flag => Input::Flag(false),
                };
                (def, input)
            })
            .collect();
        Form { inputs }
    }
}

fn trimmed(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl Form {
    /// A form showing `options` (e.g. those given on the app's command line).
    pub(crate) fn from_options(options: &ConnectOptions) -> Form {
        let mut form = Form::default();
        for (def, input) in &mut form.inputs {
            let value = options.text(def.field);
            *input = match input {
                Input::Text(_) => Input::Text(value.unwrap_or_default()),
                Input::Flag(_) => Input::Flag(value.is_some()),
            };
        }
        form
    }

    /// The typed options (blank text means "not given").
    pub(crate) fn to_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::default();
        for (def, input) in &self.inputs {
            match (options.slot(def.field), input) {
                (Slot::Text(slot), Input::Text(text)) => *slot = trimmed(text),
                (Slot::File(slot), Input::Text(text)) => *slot = trimmed(text).map(PathBuf::from),
                (Slot::Flag(slot), Input::Flag(on)) => *slot = *on,
                // The input was made from the table's kind and the slot has that kind (both
                // unit-tested); a mismatch would be a bug in the table, and drops the value.
                _ => {}
            }
        }
        options
    }

    /// How many options are set: non-blank text fields and flags that are on.
    pub(crate) fn count_set(&self) -> usize {
        self.inputs
            .iter()
            .filter(|(_, input)| match input {
                Input::Text(text) => !text.trim().is_empty(),
                Input::Flag(on) => *on,
            })
            .count()
    }

    /// The input of `field`.
    pub(crate) fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        self.inputs
            .iter_mut()
            .find(|(def, _)| def.field == field)
            .map(|(_, input)| input)
    }

    /// Types `text` into `field` (or turns a flag on for any non-empty text).
    #[cfg(test)]
    pub(crate) fn set(&mut self, field: Field, text: &str) {
        if let Some(input) = self.input_mut(field) {
            *input = match input {
                Input::Text(_) => Input::Text(text.to_string()),
                Input::Flag(_) => Input::Flag(!text.is_empty()),
            };
        }
    }
}

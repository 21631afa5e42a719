//! The app's option forms, one per kind of target: one for every `HOST:PORT` (they all start
//! from the same plain defaults) and one for each lab scenario (each starts from its own client
//! settings). Options typed for one target so never silently apply to a scenario: a scenario's
//! form holds only what the user changed for that scenario.

use super::form::Form;
use super::typed::ConnectOptions;
use crate::lab::Scenario;
use std::collections::HashMap;

/// Which form a target's options live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FormKey {
    /// `HOST:PORT`, or text that is not (yet) a known scenario.
    Plain,
    /// `lab:NAME` of a known scenario.
    Lab(Scenario),
}

impl FormKey {
    /// The form for `target` as typed.
    pub(crate) fn of(target: &str) -> FormKey {
        match target
            .trim()
            .strip_prefix("lab:")
            .and_then(Scenario::from_name)
        {
            Some(scenario) => FormKey::Lab(scenario),
            None => FormKey::Plain,
        }
    }
}

/// Every form the user has touched, by [`FormKey`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Forms {
    forms: HashMap<FormKey, Form>,
}

impl Forms {
    /// The form for `target`, created empty on first use.
    pub(crate) fn form_mut(&mut self, target: &str) -> &mut Form {
        self.forms.entry(FormKey::of(target)).or_default()
    }

    /// The options typed for `target` (none when its form was never touched).
    pub(crate) fn options(&self, target: &str) -> ConnectOptions {
        self.forms
            .get(&FormKey::of(target))
            .map(Form::to_options)
            .unwrap_or_default()
    }

    /// How many options are set for `target`.
    pub(crate) fn count(&self, target: &str) -> usize {
        self.forms
            .get(&FormKey::of(target))
            .map_or(0, Form::count_set)
    }

    /// Clears the options of `target`'s form.
    pub(crate) fn reset(&mut self, target: &str) {
        self.forms.remove(&FormKey::of(target));
    }

    /// Puts `options` into `target`'s form (e.g. those given on the app's command line).
    pub(crate) fn set(&mut self, target: &str, options: &ConnectOptions) {
        self.forms
            .insert(FormKey::of(target), Form::from_options(options));
    }
}

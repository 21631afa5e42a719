//! The connection options a user can set, shared by the command line and the app: the options
//! as typed ([`ConnectOptions`]), one table that names and explains each (`fields`), the app's
//! form over that table, kept per kind of target (`per_target`: options typed for one target
//! never apply to a lab scenario), their validation into the engine's
//! [`ConnectSpec`](crate::probe::ConnectSpec) (units, versions, PEM files), and targets
//! (`HOST:PORT` or `lab:NAME`) prepared into a spec ([`prepare`]). `cli` and `ui` both use
//! this module; neither uses the other.

mod fields;
pub(crate) mod files;
mod form;
mod key;
mod per_target;
mod prepare;
mod reproduce;
mod session;
mod typed;
pub(crate) mod units;
mod validate;

#[cfg(test)]
mod tests;

pub(crate) use fields::{in_app_words, Field, FieldDef, Group, Kind};
pub(crate) use form::{Form, Input};
pub(crate) use per_target::{FormKey, Forms};
pub use prepare::{prepare, Prepared};
pub(crate) use prepare::{scenario, Background};
pub(crate) use reproduce::PemFiles;
pub use typed::ConnectOptions;

//! The connection options a user can set, shared by the command line and the app: the options
//! as typed ([`ConnectOptions`]), one table that names and explains each (`fields`), the app's
//! form over that table, their validation into the engine's [`ConnectSpec`](crate::probe::ConnectSpec)
//! (units, versions, PEM files), and targets (`HOST:PORT` or `lab:NAME`) prepared into a spec
//! ([`prepare`]). `cli` and `ui` both use this module; neither uses the other.

mod fields;
mod form;
mod prepare;
mod reproduce;
mod typed;
pub(crate) mod units;
mod validate;

#[cfg(test)]
mod tests;

pub(crate) use form::{Form, Input};
pub use prepare::{prepare, Prepared};
pub(crate) use prepare::{scenario, Background};
pub(crate) use reproduce::PemFiles;
pub use typed::ConnectOptions;

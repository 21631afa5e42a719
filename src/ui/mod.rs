//! The desktop app: an eframe window that plots, live, what each traced connection is doing.
//! Views live one per file and only draw; the state they share is [`model::Model`].

pub mod app;
pub mod connect_bar;
pub mod connections;
pub mod details;
pub mod events_table;
pub mod help;
pub mod keys;
pub mod model;
pub mod status_line;
pub(crate) mod style;
pub mod summary;
pub mod timeline;

pub use app::{run, App, GuiArgs};

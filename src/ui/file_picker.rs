//! The file picker of the options panel's file fields (CA, client cert, key): `egui_file`'s
//! dialog, drawn with egui itself, so it works wherever the window does (also under Xvfb, with no
//! desktop portal). It only lists directories; the chosen PEM file is read when the connection
//! is prepared, off the UI thread.

use crate::options::Field;
use egui_file::{FileDialog, State};
use std::path::{Path, PathBuf};

/// At most one open dialog, and the field it fills.
#[derive(Debug, Default)]
pub(crate) struct FilePicker {
    open: Option<(Field, FileDialog)>,
}

/// Where the dialog starts: the folder of the path already typed, else the working directory.
fn start_dir(current: &str) -> Option<PathBuf> {
    let typed = Path::new(current.trim());
    if current.trim().is_empty() {
        return None;
    }
    if typed.is_dir() {
        return Some(typed.to_path_buf());
    }
    typed
        .parent()
        .filter(|dir| dir.is_dir())
        .map(Path::to_path_buf)
}

impl FilePicker {
    /// Opens the dialog for `field`, whose text is `current`.
    pub(crate) fn open(&mut self, field: Field, current: &str) {
        let mut dialog = FileDialog::open_file()
            .title(&format!("Choose the {}", field.def().label))
            .id(egui::Id::unique("options-file-picker"))
            .show_rename(false)
            .show_new_folder(false)
            .keep_on_top(true);
        if let Some(dir) = start_dir(current) {
            dialog = dialog.initial_path(dir);
        }
        dialog.open();
        self.open = Some((field, dialog));
    }

    /// Draws the open dialog; gives the field and the path once the user chose a file.
    pub(crate) fn show(&mut self, ctx: &egui::Context) -> Option<(Field, PathBuf)> {
        let (field, dialog) = self.open.as_mut()?;
        match dialog.show(ctx).state() {
            State::Open => None,
            State::Selected => {
                let chosen = dialog.path().map(|p| (*field, p.to_path_buf()));
                self.open = None;
                chosen
            }
            State::Closed | State::Cancelled => {
                self.open = None;
                None
            }
        }
    }
}

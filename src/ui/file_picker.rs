//! The file picker of the options window's file fields (CA, client cert, key): a small dialog
//! drawn with egui widgets (so it works wherever the window does, also under Xvfb with no desktop
//! portal). It lists one directory at a time, read once when entered, never per frame; the
//! chosen PEM file is only read when the connection is prepared, off the UI thread.
//! (`egui_file` 0.29 targets egui 0.37 but labels its buttons with emoji that egui 0.37's
//! bundled fonts no longer have, so it draws empty boxes.)

use crate::options::Field;
use egui::{RichText, ScrollArea};
use std::path::{Path, PathBuf};

/// One directory's entries: sub-directories first, then files, each sorted by name.
#[derive(Debug, Default)]
struct Listing {
    dir: PathBuf,
    dirs: Vec<String>,
    files: Vec<String>,
    /// Why the directory could not be read, if it could not.
    problem: Option<String>,
}

impl Listing {
    fn read(dir: &Path) -> Listing {
        let mut listing = Listing {
            dir: dir.to_path_buf(),
            ..Listing::default()
        };
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue;
                    }
                    if entry.path().is_dir() {
                        listing.dirs.push(name);
                    } else {
                        listing.files.push(name);
                    }
                }
                listing.dirs.sort();
                listing.files.sort();
            }
            Err(e) => listing.problem = Some(format!("cannot list {}: {e}", dir.display())),
        }
        listing
    }
}

/// An open dialog: the field it fills and the directory shown.
#[derive(Debug)]
struct Open {
    field: Field,
    listing: Listing,
}

/// At most one open dialog.
#[derive(Debug, Default)]
pub(crate) struct FilePicker {
    open: Option<Open>,
}

/// Where the dialog starts: the folder of the path already typed, else the working directory.
fn start_dir(current: &str) -> PathBuf {
    let typed = Path::new(current.trim());
    let here = || std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    if current.trim().is_empty() {
        return here();
    }
    if typed.is_dir() {
        return typed.to_path_buf();
    }
    typed
        .parent()
        .filter(|dir| dir.is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(here)
}

/// What the user did in the dialog this frame.
enum Choice {
    Enter(PathBuf),
    File(PathBuf),
    Close,
}

impl FilePicker {
    /// Opens the dialog for `field`, whose text is `current`.
    pub(crate) fn open(&mut self, field: Field, current: &str) {
        self.open = Some(Open {
            field,
            listing: Listing::read(&start_dir(current)),
        });
    }

    /// Draws the open dialog; gives the field and the path once the user chose a file.
    pub(crate) fn show(&mut self, ctx: &egui::Context) -> Option<(Field, PathBuf)> {
        let open = self.open.as_mut()?;
        let mut choice = None;
        let mut keep_open = true;
        egui::Window::new(format!("Choose the {}", open.field.def().label))
            .id(egui::Id::unique("options-file-picker"))
            .open(&mut keep_open)
            .collapsible(false)
            .default_size([520.0, 420.0])
            .show(ctx, |ui| choice = listing_ui(ui, &open.listing));
        if !keep_open {
            choice = Some(Choice::Close);
        }
        match choice? {
            Choice::Enter(dir) => {
                open.listing = Listing::read(&dir);
                None
            }
            Choice::File(path) => {
                let field = open.field;
                self.open = None;
                Some((field, path))
            }
            Choice::Close => {
                self.open = None;
                None
            }
        }
    }
}

/// The directory, an Up button, its entries, and Cancel.
fn listing_ui(ui: &mut egui::Ui, listing: &Listing) -> Option<Choice> {
    let mut choice = None;
    ui.horizontal(|ui| {
        if let Some(parent) = listing.dir.parent() {
            if ui.button("Up").on_hover_text("The parent folder").clicked() {
                choice = Some(Choice::Enter(parent.to_path_buf()));
            }
        }
        ui.label(RichText::new(listing.dir.display().to_string()).monospace());
    });
    if let Some(problem) = &listing.problem {
        ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
    }
    ui.separator();
    ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
        for name in &listing.dirs {
            if ui.selectable_label(false, format!("{name}/")).clicked() {
                choice = Some(Choice::Enter(listing.dir.join(name)));
            }
        }
        for name in &listing.files {
            if ui.selectable_label(false, name).clicked() {
                choice = Some(Choice::File(listing.dir.join(name)));
            }
        }
        if listing.dirs.is_empty() && listing.files.is_empty() && listing.problem.is_none() {
            ui.label(RichText::new("(empty folder)").weak());
        }
    });
    ui.separator();
    if ui.button("Cancel").clicked() {
        choice = Some(Choice::Close);
    }
    choice
}

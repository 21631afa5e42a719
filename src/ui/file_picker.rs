//! The app's file dialog, for the options window's file fields (CA, client cert, key) and for
//! opening, saving and exporting traces: a small dialog drawn with egui widgets (so it works
//! wherever the window does, also under Xvfb with no desktop portal). It lists one directory at a
//! time, read once when entered, never per frame; the chosen PEM file is only read when the
//! connection is prepared, off the UI thread. To save, it also takes a file name.
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

/// Whether the dialog chooses a file to read or names one to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    Open,
    /// Save under the typed `name` (in the folder shown, unless it is a whole path).
    Save {
        name: String,
    },
}

/// An open dialog: what it is for (`key`), its title and mode, and the directory shown.
#[derive(Debug)]
struct Open<K> {
    key: K,
    title: String,
    id: &'static str,
    mode: Mode,
    listing: Listing,
}

/// At most one open dialog; `K` says what the chosen file is for.
#[derive(Debug)]
pub(crate) struct FilePicker<K = Field> {
    open: Option<Open<K>>,
}

impl<K> Default for FilePicker<K> {
    fn default() -> Self {
        FilePicker { open: None }
    }
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
    /// Save mode: a listed file's name was clicked (it fills the name field).
    Name(String),
    Close,
}

impl FilePicker<Field> {
    /// Opens the dialog for `field`, whose text is `current`.
    pub(crate) fn open(&mut self, field: Field, current: &str) {
        let title = format!("Choose the {}", field.def().label);
        self.open_for(field, title, "options-file-picker", Mode::Open, current);
    }
}

impl<K: Copy> FilePicker<K> {
    /// Opens the dialog for `key` (titled `title`, window id `id`), starting in the folder of
    /// `current` (a path) or the working directory.
    pub(crate) fn open_for(
        &mut self,
        key: K,
        title: String,
        id: &'static str,
        mode: Mode,
        current: &str,
    ) {
        self.open = Some(Open {
            key,
            title,
            id,
            mode,
            listing: Listing::read(&start_dir(current)),
        });
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Draws the open dialog; gives the key and the path once the user chose a file (or, to
    /// save, named one).
    pub(crate) fn show(&mut self, ctx: &egui::Context) -> Option<(K, PathBuf)> {
        let open = self.open.as_mut()?;
        let mut choice = None;
        let mut keep_open = true;
        egui::Window::new(&open.title)
            .id(egui::Id::unique(open.id))
            .open(&mut keep_open)
            .collapsible(false)
            .default_size([520.0, 420.0])
            .show(ctx, |ui| {
                choice = listing_ui(ui, &open.listing, &open.mode);
                if let Mode::Save { name } = &mut open.mode {
                    if let Some(c) = name_ui(ui, &open.listing.dir, name) {
                        choice = Some(c);
                    }
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(Choice::Close);
                }
            });
        if !keep_open {
            choice = Some(Choice::Close);
        }
        match choice? {
            Choice::Enter(dir) => {
                open.listing = Listing::read(&dir);
                None
            }
            Choice::Name(picked) => {
                if let Mode::Save { name } = &mut open.mode {
                    *name = picked;
                }
                None
            }
            Choice::File(path) => {
                let key = open.key;
                self.open = None;
                Some((key, path))
            }
            Choice::Close => {
                self.open = None;
                None
            }
        }
    }
}

/// Where a typed name saves: a whole path as typed, else in the folder shown.
fn save_path(dir: &Path, name: &str) -> PathBuf {
    let typed = Path::new(name.trim());
    if typed.is_absolute() {
        typed.to_path_buf()
    } else {
        dir.join(typed)
    }
}

/// The file name to save under, with Save; says when it would replace a file.
fn name_ui(ui: &mut egui::Ui, dir: &Path, name: &mut String) -> Option<Choice> {
    let mut choice = None;
    ui.horizontal(|ui| {
        let label = ui.label("File name");
        let edit = ui
            .add(egui::TextEdit::singleline(name).desired_width(300.0))
            .labelled_by(label.id);
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let named = !name.trim().is_empty();
        if (ui.add_enabled(named, egui::Button::new("Save")).clicked() || enter) && named {
            choice = Some(Choice::File(save_path(dir, name)));
        }
    });
    if !name.trim().is_empty() && save_path(dir, name).exists() {
        let warn = "A file of this name exists: Save replaces it.";
        ui.label(RichText::new(warn).color(ui.visuals().warn_fg_color));
    }
    choice
}

/// The directory, an Up button and its entries.
fn listing_ui(ui: &mut egui::Ui, listing: &Listing, mode: &Mode) -> Option<Choice> {
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
                choice = Some(match mode {
                    Mode::Open => Choice::File(listing.dir.join(name)),
                    Mode::Save { .. } => Choice::Name(name.clone()),
                });
            }
        }
        if listing.dirs.is_empty() && listing.files.is_empty() && listing.problem.is_none() {
            ui.label(RichText::new("(empty folder)").weak());
        }
    });
    ui.separator();
    choice
}

#[cfg(test)]
mod tests {
    use super::save_path;
    use std::path::Path;

    #[test]
    fn a_typed_name_saves_in_the_folder_shown_unless_it_is_a_whole_path() {
        assert_eq!(
            save_path(Path::new("/tmp/a"), " x.jsonl "),
            Path::new("/tmp/a/x.jsonl")
        );
        assert_eq!(
            save_path(Path::new("/tmp/a"), "/srv/y.png"),
            Path::new("/srv/y.png")
        );
        assert_eq!(
            save_path(Path::new("/tmp/a"), "sub/z"),
            Path::new("/tmp/a/sub/z")
        );
    }
}

//! Traces being opened: each file read (and parsed) on a thread of its own, so a large trace
//! never freezes the window; and the hint shown while a file is dragged over the window.

use super::files::load_trace;
use crate::trace::Event;
use std::path::PathBuf;
use std::thread::JoinHandle;

/// A trace being read on a thread of its own.
type Reading = JoinHandle<Result<Vec<Event>, String>>;

/// The files being read.
#[derive(Default)]
pub(crate) struct Readings {
    jobs: Vec<(PathBuf, Reading)>,
}

impl Readings {
    /// Starts reading the trace at `path`; `ctx` is woken when it is done.
    pub(crate) fn start(&mut self, ctx: &egui::Context, path: PathBuf) {
        let wake = ctx.clone();
        let reading = path.clone();
        let handle = std::thread::spawn(move || {
            let read = load_trace(&reading);
            wake.request_repaint();
            read
        });
        self.jobs.push((path, handle));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// The reads that finished: each file's name and its events, or why it could not be read.
    pub(crate) fn finished(&mut self) -> Vec<(String, Result<Vec<Event>, String>)> {
        let (done, going): (Vec<_>, Vec<_>) = std::mem::take(&mut self.jobs)
            .into_iter()
            .partition(|(_, h)| h.is_finished());
        self.jobs = going;
        done.into_iter()
            .map(|(path, handle)| {
                let read = handle
                    .join()
                    .unwrap_or_else(|_| Err(format!("{}: reading it failed", path.display())));
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                (name, read)
            })
            .collect()
    }
}

/// While a file is dragged over the window, says what dropping it does.
pub(crate) fn drop_hint(ctx: &egui::Context) {
    if ctx.input(|i| i.raw.hovered_files.is_empty()) {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop-hint"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(170));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop a JSONL trace to open it",
        egui::FontId::proportional(24.0),
        egui::Color32::WHITE,
    );
}

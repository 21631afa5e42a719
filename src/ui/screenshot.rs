//! `--screenshot`: waits until the trace settled (or nothing more is coming), selects a call
//! worth explaining, saves a PNG of the window and closes it.

use super::files::save_png;
use super::model::Model;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the trace must be quiet to count as settled, and the most a screenshot waits.
const SETTLE: Duration = Duration::from_secs(2);
const SCREENSHOT_LIMIT: Duration = Duration::from_secs(20);

/// Where the saved screenshot's outcome goes (read once the window closed).
pub(super) type ShotResult = Arc<Mutex<Option<Result<(), String>>>>;

pub(super) struct Screenshot {
    path: PathBuf,
    started: Instant,
    last_count: u64,
    last_change: Instant,
    /// Frames drawn since the trace settled (a few, so the window shows the final state).
    settled_frames: u32,
    requested: bool,
    result: ShotResult,
}

impl Screenshot {
    pub(super) fn new(path: PathBuf, result: ShotResult) -> Screenshot {
        Screenshot {
            path,
            started: Instant::now(),
            last_count: 0,
            last_change: Instant::now(),
            settled_frames: 0,
            requested: false,
            result,
        }
    }

    /// One frame: `done` when nothing more is coming (every connection closed, or nothing
    /// could start); else the trace counts as settled once quiet for a while.
    pub(super) fn step(&mut self, ctx: &egui::Context, model: &mut Model, done: bool) {
        if self.requested {
            return;
        }
        let total = model.store.total_events;
        if total != self.last_count {
            self.last_count = total;
            self.last_change = Instant::now();
        }
        let quiet = total > 0 && self.last_change.elapsed() >= SETTLE;
        if done || quiet || self.started.elapsed() >= SCREENSHOT_LIMIT {
            self.settled_frames += 1;
        }
        if self.settled_frames == 1 && model.selection.is_none() {
            // A screenshot explains more with a call selected.
            if let Some(c) = model.current() {
                if let Some(i) = c.interesting_call() {
                    let id = c.id;
                    model.select_call(id, i);
                }
            }
        }
        if self.settled_frames < 4 {
            ctx.request_repaint_after(Duration::from_millis(100));
            return;
        }
        self.requested = true;
        let path = self.path.clone();
        let result = self.result.clone();
        let close = ctx.clone();
        ctx.request_screenshot(move |image| {
            let saved = save_png(&path, &image);
            if let Ok(mut slot) = result.lock() {
                *slot = Some(saved);
            }
            close.send_viewport_cmd(egui::ViewportCommand::Close);
        });
        ctx.request_repaint();
    }
}

//! PNGs of the window or of the timeline, asked for from the File menu: the same viewport
//! screenshot as `--screenshot`, taken a few frames later (once the menu and the dialog are
//! gone), the timeline cut out of it by the rect it was drawn in.

use super::files::save_png;
use super::model::Model;
use super::trace_file;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames drawn between the request and the screenshot.
const SETTLE_FRAMES: u8 = 3;
/// How long to wait for the window's pixels before saying they did not come.
const CAPTURE_LIMIT: Duration = Duration::from_secs(3);

/// A screenshot asked for.
struct Shot {
    path: PathBuf,
    timeline: bool,
    frames: u8,
}

type Slot = Arc<Mutex<Option<Result<String, String>>>>;

#[derive(Default)]
pub struct Shots {
    pending: Option<Shot>,
    /// How saving the last screenshot went (written by the screenshot's callback).
    done: Slot,
    /// Since when a screenshot's pixels are awaited (the callback's own repaint request can be
    /// lost, so the app keeps looking until they came).
    awaiting: Option<Instant>,
    /// Where the timeline (or the compare view) was drawn in the last frame.
    pub timeline_rect: Option<egui::Rect>,
}

impl Shots {
    /// Asks for a PNG of the window (or of the timeline) saved to `path`.
    pub fn ask(&mut self, ctx: &egui::Context, path: PathBuf, timeline: bool) {
        self.pending = Some(Shot {
            path,
            timeline,
            frames: SETTLE_FRAMES,
        });
        ctx.request_repaint();
    }

    pub fn idle(&self) -> bool {
        self.pending.is_none() && self.awaiting.is_none()
    }

    /// Once per frame: takes the screenshot once its frames have passed, and reports how saving
    /// the last one went.
    pub fn frame(&mut self, ctx: &egui::Context, model: &mut Model) {
        if let Some(done) = self.done.lock().ok().and_then(|mut d| d.take()) {
            self.awaiting = None;
            match done {
                Ok(line) => model.notify(line, false),
                Err(e) => model.notify(e, true),
            }
        }
        if let Some(since) = self.awaiting {
            if since.elapsed() > CAPTURE_LIMIT {
                self.awaiting = None;
                model.notify("the window's picture did not come: nothing saved", true);
            } else {
                ctx.request_repaint_after(Duration::from_millis(50));
            }
        }
        let Some(shot) = &mut self.pending else {
            return;
        };
        if shot.frames > 0 {
            shot.frames -= 1;
            ctx.request_repaint();
            return;
        }
        let Some(shot) = self.pending.take() else {
            return;
        };
        let area = shot.timeline.then_some(self.timeline_rect).flatten();
        if shot.timeline && area.is_none() {
            model.notify("no timeline is shown to save", true);
            return;
        }
        let ppp = ctx.pixels_per_point();
        let slot = self.done.clone();
        let wake = ctx.clone();
        ctx.request_screenshot(move |image| {
            let saved = match area {
                Some(rect) => match trace_file::crop(&image, rect, ppp) {
                    Some(part) => save_png(&shot.path, &part).map(|()| part.size),
                    None => Err("the timeline is outside the window".into()),
                },
                None => save_png(&shot.path, &image).map(|()| image.size),
            };
            let path = shot.path.display();
            let line = saved.map(|[w, h]| format!("saved a {w}×{h} PNG to {path}"));
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(line);
            }
            wake.request_repaint();
        });
        self.awaiting = Some(Instant::now());
        ctx.request_repaint();
    }
}

//! `TLSSCOPE_FRAME_LOG=1`: one line per frame on stderr with the CPU time the app's own code
//! took to build it and the time since the previous frame began (which includes egui's
//! tessellation and the GL painting). `TLSSCOPE_FRAME_LOG=busy` also asks for the next frame at
//! once, so that interval is the whole cost of a frame. For measuring, not for users.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct FrameLog {
    busy: bool,
    frames: u64,
    last: Option<Instant>,
}

impl FrameLog {
    /// The log the environment asks for, if any.
    pub(crate) fn from_env() -> Option<FrameLog> {
        let v = std::env::var("TLSSCOPE_FRAME_LOG").ok()?;
        (!v.is_empty() && v != "0").then(|| FrameLog {
            busy: v == "busy",
            frames: 0,
            last: None,
        })
    }

    /// Logs the frame that began at `began` and took `built` to build.
    pub(crate) fn frame(
        &mut self,
        ctx: &egui::Context,
        began: Instant,
        built: Duration,
        events: u64,
    ) {
        self.frames += 1;
        let since = self
            .last
            .replace(began)
            .map_or(0.0, |l| began.duration_since(l).as_secs_f64() * 1e3);
        eprintln!(
            "frame {}: built in {:.2} ms, {since:.2} ms since the previous frame, {events} events",
            self.frames,
            built.as_secs_f64() * 1e3,
        );
        if self.busy {
            ctx.request_repaint();
        }
    }
}

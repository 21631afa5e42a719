//! `TLSSCOPE_FRAME_LOG=1`: one line per frame on stderr with the CPU time the app's own code
//! took to build it and the time since the previous frame began (which includes egui's
//! tessellation and the GL painting). `TLSSCOPE_FRAME_LOG=busy` also asks for the next frame at
//! once, so that interval is the whole cost of a frame. Each line also carries the CPU time the
//! whole process has used so far (every thread, Mesa's llvmpipe rasterisers included, from
//! `/proc/self/stat`): on a machine shared with other work the wall-clock interval is noisy, the
//! CPU spent between two frames is not. `TLSSCOPE_FRAME_LOG=pan` is `busy` with the view moved
//! by a thousandth of its width every frame, back and forth, so that every frame asks its
//! queries again (as when a person pans: the grid answers them from the last frame's cells).
//! `TLSSCOPE_FRAME_LOG=zoom` is `busy` with the view zoomed in and out by a quarter every frame
//! (about a wheel notch), so the buckets' width changes every frame and nothing of the last
//! frame's answers can be reused. For measuring, not for users.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct FrameLog {
    busy: bool,
    pan: bool,
    zoom: bool,
    frames: u64,
    last: Option<Instant>,
}

impl FrameLog {
    /// The log the environment asks for, if any.
    pub(crate) fn from_env() -> Option<FrameLog> {
        let v = std::env::var("TLSSCOPE_FRAME_LOG").ok()?;
        (!v.is_empty() && v != "0").then(|| FrameLog {
            busy: v == "busy" || v == "pan" || v == "zoom",
            pan: v == "pan",
            zoom: v == "zoom",
            frames: 0,
            last: None,
        })
    }

    /// How far to pan the view before this frame (a fraction of its width), in `pan` mode.
    pub(crate) fn pan_step(&self) -> Option<f64> {
        let sign = if self.frames.is_multiple_of(2) {
            1.0
        } else {
            -1.0
        };
        self.pan.then_some(0.001 * sign)
    }

    /// How much to zoom the view before this frame (a factor), in `zoom` mode.
    pub(crate) fn zoom_step(&self) -> Option<f64> {
        let factor = if self.frames.is_multiple_of(2) {
            1.25
        } else {
            1.0 / 1.25
        };
        self.zoom.then_some(factor)
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
        let cpu = process_cpu_ms().map_or(String::new(), |ms| format!(", process CPU {ms} ms"));
        eprintln!(
            "frame {}: built in {:.2} ms, {since:.2} ms since the previous frame, {events} events{cpu}",
            self.frames,
            built.as_secs_f64() * 1e3,
        );
        if self.busy {
            ctx.request_repaint();
        }
    }
}

/// User plus system CPU time of the whole process, all threads, in milliseconds (clock ticks of
/// 10 ms on Linux: meant to be differenced over many frames). `None` where there is no procfs.
fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: the fields counted here follow its `)`.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // USER_HZ is 100 on every Linux architecture Rust targets.
    Some((utime + stime) * 10)
}

#[cfg(test)]
mod tests {
    use super::FrameLog;

    #[test]
    fn pan_and_zoom_modes_move_the_view_back_and_forth_and_the_others_never() {
        let mut log = FrameLog {
            busy: true,
            pan: true,
            zoom: false,
            frames: 0,
            last: None,
        };
        let first = log.pan_step();
        log.frames += 1;
        let second = log.pan_step();
        assert_eq!(first, Some(0.001));
        assert_eq!(second, Some(-0.001));
        log.pan = false;
        assert_eq!(log.pan_step(), None);
        assert_eq!(log.zoom_step(), None);
        log.zoom = true;
        let (a, b) = (log.zoom_step(), {
            log.frames += 1;
            log.zoom_step()
        });
        // In and out by the same factor, one frame after the other.
        let (a, b) = (a.unwrap_or(1.0), b.unwrap_or(1.0));
        assert!(
            a != 1.0 && b != 1.0 && (a * b - 1.0).abs() < 1e-12,
            "{a} {b}"
        );
    }

    #[test]
    fn process_cpu_grows_with_work() {
        let before = super::process_cpu_ms();
        assert!(before.is_some(), "no CPU time read from /proc/self/stat");
        let before = before.unwrap_or(0);
        // Spin until the count moves by a few ticks; the wall-clock bound only stops a broken
        // reading from spinning forever.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        let mut after = before;
        while after < before + 30 && start.elapsed() < std::time::Duration::from_secs(30) {
            for _ in 0..100_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            after = super::process_cpu_ms().unwrap_or(0);
        }
        std::hint::black_box(x);
        assert!(after >= before + 30, "{before} ms -> {after} ms");
    }
}

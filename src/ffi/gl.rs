//! A rectangle of the window cleared to a colour by GL itself, for the app's plot backgrounds:
//! on Mesa's software GL (llvmpipe) a clear costs almost nothing, while the same rectangle as
//! egui triangles runs egui's textured fragment shader on every pixel (README, "In a real
//! window").

use eframe::egui_glow::Painter;
use eframe::glow::{self, HasContext};

/// Clears the window's pixels `x..x+w` (from the left) × `y..y+h` (from the bottom) to `rgba`
/// (gamma-encoded, as egui's clear colour). Called from inside an `egui_glow` paint callback.
pub(crate) fn clear_rect(painter: &Painter, [x, y, w, h]: [i32; 4], rgba: [f32; 4]) {
    if w <= 0 || h <= 0 {
        return;
    }
    let gl = painter.gl();
    let [r, g, b, a] = rgba;
    // SAFETY: egui_glow runs paint callbacks on the painting thread with its GL context current
    // and the window's framebuffer bound; these calls take plain values (no pointers), and the
    // state they change (scissor box, clear colour) is set again by egui_glow after every
    // callback (`prepare_painting`, then each primitive's own scissor) and before each frame's
    // own clear.
    unsafe {
        gl.enable(glow::SCISSOR_TEST);
        gl.scissor(x, y, w, h);
        gl.clear_color(r, g, b, a);
        gl.clear(glow::COLOR_BUFFER_BIT);
    }
}

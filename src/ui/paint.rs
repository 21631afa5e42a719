//! Painting cheaply on software GL: the window's background is the GL clear, not a fill.
//!
//! On Mesa's llvmpipe (no GPU) every pixel a triangle covers costs CPU in the rasterisers,
//! while clearing the frame is nearly free. egui fills each panel with `panel_fill`; the panels
//! tile the whole window and the table's nested ones fill their area twice, so a 1280×800 frame
//! shaded 1.7 (window) to 2.6 (test harness, all layers) screens of triangles before drawing
//! anything of the trace: half of the 35 ms of CPU a frame of a tiny trace cost (README, "In a
//! real window"). The panels are therefore left unfilled and the frame is cleared to the colour
//! they would have had: the same pixels, 0.4–0.5 screens of triangles.
//!
//! Rounded corners are kept to [`MAX_CORNER`] points: egui draws a corner of radius up to 5 with
//! 5 vertices and one of 6 (its buttons' and menus') with 9, and each vertex of a filled,
//! feathered outline costs three triangles, so a button was 106 triangles and is now 58. The
//! corner looks the same a point smaller.

use egui::{Color32, Context, Visuals};

/// The largest corner radius, in points, that egui still draws with 5 vertices a corner.
pub(crate) const MAX_CORNER: u8 = 5;

/// Leaves the panels unfilled (in every theme), once, and keeps corners within
/// [`MAX_CORNER`]; [`clear_colour`] paints the panels' colour.
pub(crate) fn unfill_panels(ctx: &Context) {
    if ctx.global_style().visuals.panel_fill != Color32::TRANSPARENT {
        ctx.all_styles_mut(|s| {
            let v = &mut s.visuals;
            v.panel_fill = Color32::TRANSPARENT;
            let w = &mut v.widgets;
            for state in [
                &mut w.noninteractive,
                &mut w.inactive,
                &mut w.hovered,
                &mut w.active,
                &mut w.open,
            ] {
                state.corner_radius = state.corner_radius.at_most(MAX_CORNER);
            }
            v.window_corner_radius = v.window_corner_radius.at_most(MAX_CORNER);
            v.menu_corner_radius = v.menu_corner_radius.at_most(MAX_CORNER);
        });
    }
}

/// The colour the frame is cleared to: the panels' own fill in the theme shown, opaque.
pub(crate) fn clear_colour(visuals: &Visuals) -> [f32; 4] {
    let theme = if visuals.dark_mode {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    opaque_gamma(theme.panel_fill)
}

/// `colour` made opaque, as GL's clear takes it.
pub(crate) fn opaque_gamma(colour: Color32) -> [f32; 4] {
    colour.to_opaque().to_normalized_gamma_f32()
}

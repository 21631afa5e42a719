//! The timeline plots' background, painted by a GL clear instead of egui_plot's filled
//! rectangle.
//!
//! Each plot filled its frame with `extreme_bg_color`: three rectangles covering a quarter of a
//! 1280×800 window, and on software GL (llvmpipe) every pixel of a triangle runs egui's textured
//! fragment shader (README, "In a real window"). A scissored clear of the same pixels is cheaper,
//! but only first in the frame: llvmpipe finishes the drawing queued before a partial clear, so
//! the slots for the clears are kept at the start of the paint list ([`reserve_backdrops`]) and
//! filled when the plots know their frames. The frame's outline is drawn as egui_plot drew it.

use crate::ui::paint::opaque_gamma;
use eframe::egui_glow::CallbackFn;
use egui::layers::ShapeIdx;
use egui::{Id, LayerId, PaintCallback, Rect, Shape, StrokeKind, Ui};
use egui_plot::{Plot, PlotResponse, PlotUi};
use std::sync::Arc;

/// The timeline's plots: lanes, buffers, TCP.
const PLOTS: usize = 3;

/// egui_plot's corner radius for the plot's background.
const CORNER: u8 = 2;

fn slots_id() -> Id {
    Id::unique("timeline-backdrop-slots")
}

/// Keeps, first in the frame's paint list, the slots the plots' clears will take (an unused
/// slot paints nothing).
pub(crate) fn reserve_backdrops(ui: &Ui) {
    let painter = ui.painter();
    let slots: Vec<(LayerId, ShapeIdx)> = (0..PLOTS)
        .map(|_| (painter.layer_id(), painter.add(Shape::Noop)))
        .collect();
    ui.ctx().data_mut(|d| d.insert_temp(slots_id(), slots));
}

/// Shows `plot` (made with `show_background(false)`) over its backdrop.
pub(super) fn show<'a, R>(
    ui: &mut Ui,
    plot: Plot<'a>,
    build: impl FnOnce(&mut PlotUi<'a>) -> R + 'a,
) -> PlotResponse<R> {
    let early = ui.ctx().data_mut(|d| {
        let slots = d.get_temp_mut_or_default::<Vec<(LayerId, ShapeIdx)>>(slots_id());
        (!slots.is_empty()).then(|| slots.remove(0))
    });
    // Without an early slot (a plot drawn outside the app's frame) the clear goes just under
    // the plot: the same picture, at llvmpipe's cost of a partial clear.
    let painter = ui.painter();
    let fill = early.unwrap_or_else(|| (painter.layer_id(), painter.add(Shape::Noop)));
    let outline = ui.painter().add(Shape::Noop);
    let response = plot.show(ui, build);
    // The grid and the square bars need no feathering (`crisp.rs`).
    crate::ui::crisp::sharpen(ui.ctx(), ui.layer_id(), outline);
    paint(ui, *response.transform.frame(), fill, outline);
    response
}

/// Fills the slots for the plot's frame (`PlotTransform::frame`).
fn paint(ui: &Ui, frame: Rect, (layer, fill): (LayerId, ShapeIdx), outline: ShapeIdx) {
    let painter = ui.painter().with_clip_rect(frame);
    let clip = painter.clip_rect();
    if !clip.is_positive() {
        return;
    }
    let visuals = ui.visuals();
    let colour = opaque_gamma(visuals.extreme_bg_color);
    let clear = CallbackFn::new(move |info, painter| {
        let px = info.clip_rect_in_pixels();
        let rect = [px.left_px, px.from_bottom_px, px.width_px, px.height_px];
        crate::ffi::clear_rect(painter, rect, colour);
    });
    let callback = PaintCallback {
        rect: clip,
        callback: Arc::new(clear),
    };
    let under = ui.ctx().layer_painter(layer).with_clip_rect(clip);
    under.set(fill, Shape::Callback(callback));
    let stroke = visuals.widgets.noninteractive.bg_stroke;
    painter.set(
        outline,
        Shape::rect_stroke(frame, CORNER, stroke, StrokeKind::Inside),
    );
}

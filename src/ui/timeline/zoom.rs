//! Zoom and pan the way timeline tools do, over all the timeline's plots at once: the wheel
//! zooms around the pointer, Shift+wheel (a horizontal scroll) and dragging pan, a double-click
//! fits the connection. The plots' own zoom and drag are off: the app owns the x range.

use crate::ui::model::Model;
use egui_plot::PlotTransform;

/// Zoom factor per point of vertical scroll (one wheel notch is about 50 points: ×1.28).
const ZOOM_PER_POINT: f64 = 1.0 / 200.0;

/// What the pointer did over the plots this frame, in screen terms.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Gesture {
    /// Where the pointer is, in x points, if over the plots.
    pub(super) at: Option<f32>,
    /// Vertical scroll (zoom) and horizontal scroll (pan), in points.
    pub(super) scroll: egui::Vec2,
    /// Pinch or Ctrl+wheel zoom factor (1 = none).
    pub(super) pinch: f32,
    /// Pointer movement while dragging from inside the plots, in x points.
    pub(super) drag: f32,
    pub(super) double_click: bool,
}

/// Where the pointer is, when it is over `area` with nothing covering it there: a wheel turn or a
/// hover over the help overlay or a window above the plots is theirs, not the timeline's.
pub(crate) fn pointer_over(ui: &egui::Ui, area: egui::Rect) -> Option<egui::Pos2> {
    let pos = ui.input(|i| i.pointer.hover_pos())?;
    (area.contains(pos) && ui.ctx().layer_id_at(pos) == Some(ui.layer_id())).then_some(pos)
}

impl Gesture {
    /// Reads the gesture from this frame's input for the plots covering `area`.
    pub(super) fn read(ui: &egui::Ui, area: egui::Rect) -> Gesture {
        let over = pointer_over(ui, area);
        ui.input(|i| {
            let dragging = i.pointer.primary_down()
                && i.pointer.is_decidedly_dragging()
                && i.pointer.press_origin().is_some_and(|p| area.contains(p));
            Gesture {
                at: over.map(|p| p.x),
                scroll: if over.is_some() {
                    i.smooth_scroll_delta
                } else {
                    egui::Vec2::ZERO
                },
                pinch: if over.is_some() { i.zoom_delta() } else { 1.0 },
                drag: if dragging { i.pointer.delta().x } else { 0.0 },
                double_click: over.is_some()
                    && i.pointer
                        .button_double_clicked(egui::PointerButton::Primary),
            }
        })
    }

    /// Applies the gesture to the model's view; `transform` maps screen x to time.
    pub(super) fn apply(self, model: &mut Model, transform: &PlotTransform) {
        let secs_per_point = 1.0 / transform.dpos_dvalue_x();
        if !secs_per_point.is_finite() {
            return;
        }
        if self.double_click {
            model.fit();
            return;
        }
        let at = self
            .at
            .map(|x| transform.value_from_position(egui::pos2(x, 0.0)).x);
        let factor = (f64::from(self.scroll.y) * ZOOM_PER_POINT).exp() * f64::from(self.pinch);
        if (factor - 1.0).abs() > 1e-6 {
            model.zoom(factor, at);
        }
        // Content follows the hand: moving it right shows earlier times.
        let dx = f64::from(self.scroll.x + self.drag);
        if dx != 0.0 {
            let width = model.view.1 - model.view.0;
            model.pan(-dx * secs_per_point / width);
        }
    }
}

//! Axis-aligned lines and square-cornered rectangles painted without feathering.
//!
//! egui feathers every edge: a line becomes a core and two one-pixel ramps, six triangles long
//! and thin, each touching a column of 4×4 blocks that Mesa's software rasteriser (llvmpipe)
//! shades whole. A plot's grid is a few hundred such lines, and on two cores without a GPU they
//! cost more than anything else the timeline draws (README, "In a real window"). An edge on a
//! pixel boundary gains nothing from feathering: egui already rounds these shapes to pixels, so
//! the same pixels come out of a mesh tessellated with feathering off, at a third of the
//! triangles. Diagonal lines, curves, rounded corners and text keep egui's anti-aliasing.

use egui::epaint::{CornerRadius, Mesh, RectShape, Stroke, TessellationOptions, Tessellator};
use egui::layers::ShapeIdx;
use egui::{Context, LayerId, Rect, Shape};

/// Replaces the shapes of `layer` from `from` on that need no anti-aliasing by unfeathered
/// meshes, one per run of such shapes with the same clip rectangle, in paint order.
pub(crate) fn sharpen(ctx: &Context, layer: LayerId, from: ShapeIdx) {
    let pixel = 1.0 / ctx.pixels_per_point();
    let options = TessellationOptions {
        feathering: false,
        ..ctx.tessellation_options(|o| *o)
    };
    // No text is tessellated here, so the font atlas's size and discs are not needed.
    let mut tessellator = Tessellator::new(ctx.pixels_per_point(), options, [1, 1], Vec::new());
    ctx.graphics_mut(|layers| {
        let list = layers.entry(layer);
        let mut run: Option<Run> = None;
        for idx in from.0..list.next_idx().0 {
            let mut crisp = None;
            list.mutate_shape(ShapeIdx(idx), |clipped| {
                crisp = crisp_form(&clipped.shape, pixel).map(|shape| (clipped.clip_rect, shape));
                if crisp.is_some() {
                    clipped.shape = Shape::Noop;
                }
            });
            let Some((clip, shape)) = crisp else {
                flush(list, run.take());
                continue;
            };
            if run.as_ref().is_some_and(|r| r.clip != clip) {
                flush(list, run.take());
            }
            let run = run.get_or_insert_with(|| Run {
                at: ShapeIdx(idx),
                clip,
                mesh: Mesh::default(),
            });
            tessellator.set_clip_rect(clip);
            tessellator.tessellate_shape(shape, &mut run.mesh);
        }
        flush(list, run);
    });
}

/// Consecutive crisp shapes under one clip rectangle, tessellated into one mesh that takes the
/// first one's place.
struct Run {
    at: ShapeIdx,
    clip: Rect,
    mesh: Mesh,
}

fn flush(list: &mut egui::layers::PaintList, run: Option<Run>) {
    if let Some(run) = run.filter(|r| !r.mesh.is_empty()) {
        list.set(run.at, run.clip, Shape::mesh(run.mesh));
    }
}

/// `shape` as it is to be drawn unfeathered, if feathering adds nothing to it: axis-aligned
/// line segments, and rectangles with square corners, no blur, texture or rotation. A stroke
/// thinner than a pixel is drawn a pixel wide and fainter by as much, as feathering draws it,
/// so that it neither vanishes nor flickers between pixels.
fn crisp_form(shape: &Shape, pixel: f32) -> Option<Shape> {
    match shape {
        Shape::LineSegment {
            points: [a, b],
            stroke,
        } if a.x == b.x || a.y == b.y => Some(Shape::LineSegment {
            points: [*a, *b],
            stroke: at_least_a_pixel(*stroke, pixel),
        }),
        Shape::Rect(r)
            if r.corner_radius == CornerRadius::ZERO
                && r.blur_width == 0.0
                && r.brush.is_none()
                && r.angle == 0.0 =>
        {
            Some(Shape::Rect(RectShape {
                stroke: at_least_a_pixel(r.stroke, pixel),
                ..r.clone()
            }))
        }
        Shape::Vec(shapes) => shapes
            .iter()
            .map(|s| crisp_form(s, pixel))
            .collect::<Option<Vec<_>>>()
            .map(Shape::Vec),
        _ => None,
    }
}

fn at_least_a_pixel(stroke: Stroke, pixel: f32) -> Stroke {
    if stroke.width > 0.0 && stroke.width < pixel {
        Stroke::new(pixel, stroke.color.gamma_multiply(stroke.width / pixel))
    } else {
        stroke
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::epaint::ClippedShape;
    use egui::{pos2, vec2, Color32, Pos2, StrokeKind};

    /// Runs one frame that paints `shapes` into a layer, sharpens them, and returns what the
    /// layer then holds.
    fn sharpened(shapes: Vec<Shape>) -> Vec<ClippedShape> {
        let ctx = Context::default();
        let layer = LayerId::background();
        let mut out = Vec::new();
        let mut output = ctx.run_ui(Default::default(), |ui| {
            let painter = ui.ctx().layer_painter(layer);
            let from = painter.add(Shape::Noop);
            for s in shapes.clone() {
                painter.add(s);
            }
            sharpen(ui.ctx(), layer, from);
            out = shapes_from(ui.ctx(), layer, from.0 + 1);
        });
        // No renderer here takes the font atlas.
        output.textures_delta.clear();
        out
    }

    /// The shapes of `layer` from `from` on (for tests).
    fn shapes_from(ctx: &Context, layer: LayerId, from: usize) -> Vec<ClippedShape> {
        ctx.graphics(|g| {
            g.get(layer)
                .map(|l| l.all_entries().skip(from).cloned().collect())
                .unwrap_or_default()
        })
    }

    fn line(a: Pos2, b: Pos2, width: f32) -> Shape {
        Shape::line_segment([a, b], Stroke::new(width, Color32::WHITE))
    }

    fn triangles(s: &Shape) -> usize {
        match s {
            Shape::Mesh(m) => m.indices.len() / 3,
            _ => 0,
        }
    }

    #[test]
    fn a_grid_becomes_one_mesh_of_two_triangles_a_line() {
        let grid: Vec<Shape> = (0..10)
            .map(|i| {
                let x = 10.0 + 20.0 * i as f32;
                line(pos2(x, 0.0), pos2(x, 100.0), 1.0)
            })
            .collect();
        let out = sharpened(grid);
        assert_eq!(out.len(), 10, "each shape keeps its slot");
        assert_eq!(triangles(&out[0].shape), 20, "{:?}", out[0].shape);
        assert!(out[1..].iter().all(|c| matches!(c.shape, Shape::Noop)));
    }

    #[test]
    fn diagonals_and_rounded_corners_keep_their_feathering() {
        let rounded = Shape::Rect(RectShape::filled(
            Rect::from_min_size(pos2(0.0, 0.0), vec2(50.0, 20.0)),
            4.0,
            Color32::RED,
        ));
        let diagonal = line(pos2(0.0, 0.0), pos2(30.0, 40.0), 1.0);
        let out = sharpened(vec![rounded.clone(), diagonal.clone()]);
        assert!(matches!(out[0].shape, Shape::Rect(_)), "{:?}", out[0].shape);
        assert!(matches!(out[1].shape, Shape::LineSegment { .. }));
    }

    #[test]
    fn paint_order_is_kept_around_shapes_left_alone() {
        let square = |x: f32| {
            Shape::rect_stroke(
                Rect::from_min_size(pos2(x, 0.0), vec2(10.0, 10.0)),
                0.0,
                Stroke::new(1.0, Color32::GREEN),
                StrokeKind::Inside,
            )
        };
        let circle = Shape::circle_filled(pos2(50.0, 50.0), 5.0, Color32::BLUE);
        let out = sharpened(vec![square(0.0), circle, square(20.0)]);
        assert!(triangles(&out[0].shape) > 0, "{:?}", out[0].shape);
        assert!(matches!(out[1].shape, Shape::Circle(_)));
        assert!(triangles(&out[2].shape) > 0, "a new run after the circle");
    }

    #[test]
    fn a_hairline_is_drawn_a_pixel_wide_and_fainter() {
        let out = sharpened(vec![line(pos2(0.0, 10.0), pos2(100.0, 10.0), 0.25)]);
        let Shape::Mesh(mesh) = &out[0].shape else {
            panic!("not sharpened: {:?}", out[0].shape);
        };
        let ys: Vec<f32> = mesh.vertices.iter().map(|v| v.pos.y).collect();
        let width = ys.iter().cloned().fold(f32::MIN, f32::max)
            - ys.iter().cloned().fold(f32::MAX, f32::min);
        assert!((width - 1.0).abs() < 1e-3, "width {width}");
        let alpha = mesh.vertices[0].color.a();
        assert!(alpha > 0 && alpha < 255, "alpha {alpha}");
    }
}

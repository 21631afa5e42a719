//! A level series drawn as one mesh of pixel-column rectangles instead of a feathered line.
//!
//! At millions of events each level plot gets two points per pixel (the store's per-bucket
//! min/max envelope, drawn as steps); egui's line tessellates every segment into six feathered
//! triangles, about 13,000 per series a frame, and on software GL (llvmpipe) each costs CPU
//! (README, "In a real window"). What a person sees of such a line is, per pixel column, the
//! pixels between the lowest and highest level the column holds: that is drawn here as one
//! rectangle per column, and columns with the same extent as one wider rectangle, so a flat
//! stretch is two triangles. The hover is egui_plot's, on the same step points as before.

use egui::epaint::{Color32, Mesh, Pos2, Rect, Shape};
use egui_plot::{
    ClosestElem, PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform,
};
use std::ops::RangeInclusive;

/// The line width the plots drew with (egui_plot's default), in points.
const WIDTH: f32 = 1.5;

/// The most pixel columns one series is drawn over (far wider than any screen).
const MAX_COLUMNS: usize = 1 << 15;

/// A step series of the timeline's plots, drawn as pixel columns.
pub(super) struct Columns {
    base: PlotItemBase,
    points: Vec<PlotPoint>,
    colour: Color32,
}

impl Columns {
    /// `points` as `axis::steps` gives them: x never decreasing.
    pub(super) fn new(name: &str, points: Vec<[f64; 2]>, colour: Color32) -> Columns {
        Columns {
            base: PlotItemBase::new(name.to_string()),
            points: points
                .into_iter()
                .map(|[x, y]| PlotPoint::new(x, y))
                .collect(),
            colour,
        }
    }
}

/// Per physical pixel column from `first`, the lowest and highest y (physical pixels) the
/// polyline `px` reaches in it.
fn extents(px: &[Pos2], first: i64, columns: usize) -> Vec<Option<(f32, f32)>> {
    let mut out: Vec<Option<(f32, f32)>> = vec![None; columns];
    let last = first + columns as i64 - 1;
    for pair in px.windows(2) {
        let (a, b) = if pair[0].x <= pair[1].x {
            (pair[0], pair[1])
        } else {
            (pair[1], pair[0])
        };
        if !(a.is_finite() && b.is_finite()) {
            continue;
        }
        let k0 = (a.x.floor() as i64).max(first);
        let k1 = (b.x.floor() as i64).min(last);
        let y_at = |x: f32| {
            if b.x > a.x {
                a.y + (b.y - a.y) * ((x - a.x) / (b.x - a.x))
            } else {
                a.y
            }
        };
        for k in k0..=k1 {
            // The part of the segment inside column k, and the y it spans there.
            let (x0, x1) = (a.x.max(k as f32), b.x.min(k as f32 + 1.0));
            let (mut lo, mut hi) = (y_at(x0).min(y_at(x1)), y_at(x0).max(y_at(x1)));
            if b.x == a.x {
                (lo, hi) = (a.y.min(b.y), a.y.max(b.y));
            }
            let slot = &mut out[(k - first) as usize];
            *slot = Some(slot.map_or((lo, hi), |(l, h)| (l.min(lo), h.max(hi))));
        }
    }
    out
}

/// Rectangles (physical pixels) covering each column's extent widened by `thick` pixels,
/// snapped to whole pixels, neighbouring columns with the same rows joined.
fn rects(extents: &[Option<(f32, f32)>], first: i64, thick: f32) -> Vec<Rect> {
    let half = thick / 2.0;
    let mut out: Vec<Rect> = Vec::new();
    let mut prev_k = i64::MIN;
    for (i, e) in extents.iter().enumerate() {
        let Some((lo, hi)) = *e else { continue };
        let k = first + i as i64;
        let top = (lo - half).round();
        let bottom = (hi + half).round().max(top + 1.0);
        if let Some(r) = out.last_mut() {
            if prev_k + 1 == k && r.min.y == top && r.max.y == bottom {
                r.max.x = k as f32 + 1.0;
                prev_k = k;
                continue;
            }
        }
        out.push(Rect::from_min_max(
            Pos2::new(k as f32, top),
            Pos2::new(k as f32 + 1.0, bottom),
        ));
        prev_k = k;
    }
    out
}

impl PlotItem for Columns {
    fn shapes(&self, ui: &egui::Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let ppp = ui.ctx().pixels_per_point();
        let clip = ui.clip_rect().intersect(*transform.frame());
        if self.points.len() < 2 || !clip.is_positive() {
            return;
        }
        let first = (clip.min.x * ppp).floor() as i64;
        let columns = (((clip.max.x * ppp).ceil() as i64 - first).max(0) as usize).min(MAX_COLUMNS);
        let px: Vec<Pos2> = self
            .points
            .iter()
            .map(|p| (transform.position_from_point(p).to_vec2() * ppp).to_pos2())
            .collect();
        let mut thick = (WIDTH * ppp).round().max(1.0);
        if self.highlighted() {
            thick *= 2.0;
        }
        let mut mesh = Mesh::default();
        for r in rects(&extents(&px, first, columns), first, thick) {
            let r = Rect::from_min_max(
                (r.min.to_vec2() / ppp).to_pos2(),
                (r.max.to_vec2() / ppp).to_pos2(),
            );
            mesh.add_colored_rect(r, self.colour);
        }
        if !mesh.is_empty() {
            shapes.push(Shape::mesh(mesh));
        }
    }

    fn initialize(&mut self, _x_range: RangeInclusive<f64>) {}

    fn color(&self) -> Color32 {
        self.colour
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::Points(&self.points)
    }

    /// The point nearest the pointer along the line, as egui_plot's line finds it (not only
    /// near a corner: a level held for a second is hovered anywhere along it).
    fn find_closest(&self, point: Pos2, transform: &PlotTransform) -> Option<ClosestElem> {
        let pos = |i: usize| transform.position_from_point(&self.points[i]);
        if self.points.len() == 1 {
            let dist_sq = point.distance_sq(pos(0));
            return Some(ClosestElem { index: 0, dist_sq });
        }
        (1..self.points.len())
            .map(|i| {
                let (a, b) = (pos(i - 1), pos(i));
                let index = if point.distance_sq(a) <= point.distance_sq(b) {
                    i - 1
                } else {
                    i
                };
                let dist_sq = dist_sq_to_segment(point, a, b);
                ClosestElem { index, dist_sq }
            })
            .min_by(|x, y| x.dist_sq.total_cmp(&y.dist_sq))
    }

    fn bounds(&self) -> PlotBounds {
        let mut bounds = PlotBounds::NOTHING;
        for p in &self.points {
            bounds.extend_with(p);
        }
        bounds
    }

    fn base(&self) -> &PlotItemBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut PlotItemBase {
        &mut self.base
    }
}

/// Squared distance from `p` to the segment `a`–`b`.
fn dist_sq_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len_sq = ab.length_sq();
    if len_sq == 0.0 {
        return p.distance_sq(a);
    }
    let t = (ab.dot(p - a) / len_sq).clamp(0.0, 1.0);
    p.distance_sq(a + t * ab)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_spans_every_level_it_holds_and_flat_runs_join() {
        // A level at 10 px, a step up to 4 px inside column 3, flat again to column 9.
        let px = [
            Pos2::new(0.0, 10.0),
            Pos2::new(3.5, 10.0),
            Pos2::new(3.5, 4.0),
            Pos2::new(9.5, 4.0),
        ];
        let e = extents(&px, 0, 10);
        assert_eq!(e[1], Some((10.0, 10.0)));
        assert_eq!(e[3], Some((4.0, 10.0)));
        assert_eq!(e[5], Some((4.0, 4.0)));
        let r = rects(&e, 0, 2.0);
        let spans: Vec<_> = r
            .iter()
            .map(|r| (r.min.x, r.max.x, r.min.y, r.max.y))
            .collect();
        assert_eq!(
            spans,
            vec![
                (0.0, 3.0, 9.0, 11.0),
                (3.0, 4.0, 3.0, 11.0),
                (4.0, 10.0, 3.0, 5.0)
            ]
        );
    }

    #[test]
    fn columns_outside_the_range_are_left_out() {
        let px = [Pos2::new(-50.0, 1.0), Pos2::new(500.0, 1.0)];
        let e = extents(&px, 10, 5);
        assert!(e.iter().all(|c| *c == Some((1.0, 1.0))));
        assert_eq!(rects(&e, 10, 1.0).len(), 1);
    }
}

//! The socket lane's marks as one unfeathered mesh per class, runs of marks closer than a
//! bucket joined into one shape.
//!
//! At millions of events the lane has a mark every 2-pixel bucket, each egui_plot marker a
//! feathered polygon (about ten triangles, their anti-aliased rims shading whole 4×4 blocks) on
//! top of its neighbours, and on software GL (llvmpipe) each costs CPU (README, "In a real
//! window"). Triangles 2 pixels apart overlap into a band with a sawtooth edge a pixel or two
//! deep: drawn here as that band's outline (a trapezoid: the first mark's left side, the last
//! one's right side), two triangles, and a lone mark as the same triangle egui_plot drew.
//! Crosses and asterisks (would block, EOF or error) a bucket apart blur into a band of their
//! height, drawn as that rectangle; a lone one keeps egui_plot's thin strokes.

use egui::epaint::{Color32, Mesh, Pos2, Shape};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};
use std::ops::RangeInclusive;

/// Marks whose centres are at most this many points apart are drawn as one band.
const JOIN: f32 = 2.5;

/// How a class of the socket lane is marked (egui_plot's `MarkerShape`s it replaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// A filled triangle pointing up (reads).
    Up,
    /// A filled triangle pointing down (writes).
    Down,
    /// Two diagonal strokes.
    Cross,
    /// Three strokes.
    Asterisk,
}

/// One class of the socket lane.
pub(super) struct IoMarks {
    base: PlotItemBase,
    points: Vec<PlotPoint>,
    mark: Mark,
    radius: f32,
    colour: Color32,
}

impl IoMarks {
    /// `points` in time order, all at the lane's height.
    pub(super) fn new(
        name: &str,
        points: Vec<[f64; 2]>,
        mark: Mark,
        radius: f32,
        colour: Color32,
    ) -> IoMarks {
        IoMarks {
            base: PlotItemBase::new(name.to_string()),
            points: points
                .into_iter()
                .map(|[x, y]| PlotPoint::new(x, y))
                .collect(),
            mark,
            radius,
            colour,
        }
    }
}

/// Runs of centres (x on screen, in order) at most `join` apart: (first, last) of each.
pub(super) fn runs(xs: &[f32], join: f32) -> Vec<(f32, f32)> {
    let mut out: Vec<(f32, f32)> = Vec::new();
    for &x in xs {
        match out.last_mut() {
            Some((_, last)) if x - *last <= join => *last = x.max(*last),
            _ => out.push((x, x)),
        }
    }
    out
}

/// Adds the run's shape at `y`: egui_plot's marker geometry (apex a radius from the centre, the
/// base half a radius on the other side, √3/2 radius each way) stretched from `x0` to `x1`.
fn add_run(mesh: &mut Mesh, (x0, x1): (f32, f32), y: f32, r: f32, up: bool, c: Color32) {
    let dir = if up { -1.0 } else { 1.0 };
    let (apex_y, base_y) = (y + dir * r, y - dir * 0.5 * r);
    let half = 0.5 * 3f32.sqrt() * r;
    let at = mesh.vertices.len() as u32;
    let v = [
        Pos2::new(x0 - half, base_y),
        Pos2::new(x1 + half, base_y),
        Pos2::new(x0, apex_y),
        Pos2::new(x1, apex_y),
    ];
    if x1 > x0 {
        for p in v {
            mesh.colored_vertex(p, c);
        }
        mesh.add_triangle(at, at + 1, at + 2);
        mesh.add_triangle(at + 1, at + 3, at + 2);
    } else {
        for p in &v[..3] {
            mesh.colored_vertex(*p, c);
        }
        mesh.add_triangle(at, at + 1, at + 2);
    }
}

/// A lone cross or asterisk: egui_plot's strokes (a fifth of the radius wide, feathered).
fn strokes(shapes: &mut Vec<Shape>, c: Pos2, r: f32, mark: Mark, colour: Color32) {
    let stroke = egui::Stroke::new(r / 5.0, colour);
    let tf = |dx: f32, dy: f32| c + r * egui::vec2(dx, dy);
    let (d, h) = (std::f32::consts::FRAC_1_SQRT_2, 0.5 * 3f32.sqrt());
    let lines: &[[Pos2; 2]] = match mark {
        Mark::Cross => &[[tf(-d, -d), tf(d, d)], [tf(d, -d), tf(-d, d)]],
        _ => &[
            [tf(0.0, -1.0), tf(0.0, 1.0)],
            [tf(-h, 0.5), tf(h, -0.5)],
            [tf(-h, -0.5), tf(h, 0.5)],
        ],
    };
    shapes.extend(lines.iter().map(|l| Shape::line_segment(*l, stroke)));
}

/// How much of its band a run of crosses or asterisks covers.
const BAND_COVER: f32 = 0.8;

/// Half the height of a cross's or asterisk's band, in radii.
fn band_half(mark: Mark) -> f32 {
    match mark {
        Mark::Cross => std::f32::consts::FRAC_1_SQRT_2,
        _ => 1.0,
    }
}

impl PlotItem for IoMarks {
    fn shapes(&self, ui: &egui::Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let Some(first) = self.points.first() else {
            return;
        };
        let y = transform.position_from_point(first).y;
        let xs: Vec<f32> = self
            .points
            .iter()
            .map(|p| transform.position_from_point(p).x)
            .filter(|x| x.is_finite())
            .collect();
        let clip = ui.clip_rect().intersect(*transform.frame());
        let reach = self.radius;
        let mut mesh = Mesh::default();
        for run in runs(&xs, JOIN) {
            if run.1 + reach < clip.min.x || run.0 - reach > clip.max.x {
                continue;
            }
            match self.mark {
                Mark::Up | Mark::Down => {
                    let up = self.mark == Mark::Up;
                    add_run(&mut mesh, run, y, self.radius, up, self.colour);
                }
                _ if run.1 > run.0 => {
                    let (r, h) = (self.radius, self.radius * band_half(self.mark));
                    let band = egui::Rect::from_min_max(
                        Pos2::new(run.0 - h, y - h),
                        Pos2::new(run.1 + h, y + h),
                    );
                    // The strokes leave gaps in their band: the band a little dimmer than the colour.
                    let dim = self.colour.gamma_multiply(BAND_COVER);
                    mesh.add_colored_rect(band.expand2(egui::vec2(0.0, r / 10.0)), dim);
                }
                _ => strokes(
                    shapes,
                    Pos2::new(run.0, y),
                    self.radius,
                    self.mark,
                    self.colour,
                ),
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_a_bucket_apart_join_and_farther_ones_do_not() {
        let xs = [0.0, 2.0, 4.0, 10.0, 12.0, 30.0];
        assert_eq!(runs(&xs, 2.5), vec![(0.0, 4.0), (10.0, 12.0), (30.0, 30.0)]);
        assert_eq!(runs(&[], 2.5), vec![]);
    }

    #[test]
    fn a_lone_mark_is_one_triangle_and_a_run_two() {
        let mut m = Mesh::default();
        add_run(&mut m, (5.0, 5.0), 10.0, 4.0, true, Color32::RED);
        assert_eq!(m.indices.len(), 3);
        // Pointing up: the apex is above the centre (smaller y on screen).
        assert_eq!(m.vertices[2].pos, Pos2::new(5.0, 6.0));
        add_run(&mut m, (20.0, 40.0), 10.0, 4.0, false, Color32::RED);
        assert_eq!(m.indices.len(), 9);
        let apex_y: Vec<f32> = m.vertices[5..].iter().map(|v| v.pos.y).collect();
        assert_eq!(apex_y, vec![14.0, 14.0]);
    }
}

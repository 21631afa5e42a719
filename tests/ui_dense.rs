//! UI test of what a frame of a dense trace hands to GL: on software GL each triangle costs CPU
//! (README, "In a real window"), so the level plots must cost per pixel column, not per sample.

mod ui_common;

use egui::epaint::Primitive;
use egui::Rect;
use egui_kittest::kittest::Queryable;
use tlsscope::trace::{Call, Dir, Event, EventKind, Io, Op, Sock, SslError, TcpInfo};
use ui_common::*;

/// `n` socket writes, each with its call and a buffer sample (levels and TCP_INFO that change
/// every time), a few microseconds apart: far more samples than pixels.
fn dense(n: u32) -> Vec<Event> {
    let mut out = Vec::with_capacity(n as usize * 3);
    for id in 1..=n {
        let t = u64::from(id) * 3_000;
        let kind = |k| Event {
            t,
            conn: 1,
            kind: k,
        };
        out.push(kind(EventKind::Call(Call::new(
            id,
            Op::Write,
            16_384,
            SslError::None,
            800,
        ))));
        let io = Io::new(Some(id), Dir::Write, 16_406, 16_406, false, None);
        out.push(Event {
            t: t + 100,
            ..kind(EventKind::Io(io))
        });
        let sock = Sock {
            inq: (id * 7_919) % 131_072,
            outq: (id * 977) % 200_000,
            sndbuf: 262_144,
            rcvbuf: 131_072,
            ssl_pending: (id * 31) % 16_384,
            tcp: Some(TcpInfo {
                rtt_us: 1_000 + id % 500,
                snd_cwnd: 10,
                snd_wnd: (id * 4_099) % 65_536,
            }),
            ..Default::default()
        };
        out.push(Event {
            t: t + 200,
            ..kind(EventKind::Sock(Box::new(sock)))
        });
    }
    out
}

/// Triangles of the frame, per clip rectangle (each plot clips to its own frame).
fn triangles_by_clip(h: &egui_kittest::Harness<'static, tlsscope::ui::App>) -> Vec<(Rect, usize)> {
    let out = h.output();
    let prims = h.ctx.tessellate(out.shapes.clone(), out.pixels_per_point);
    let mut by: Vec<(Rect, usize)> = Vec::new();
    for p in &prims {
        let Primitive::Mesh(m) = &p.primitive else {
            continue;
        };
        let n = m.indices.len() / 3;
        match by.iter_mut().find(|(r, _)| *r == p.clip_rect) {
            Some((_, c)) => *c += n,
            None => by.push((p.clip_rect, n)),
        }
    }
    by
}

#[test]
fn the_level_plots_cost_per_pixel_column_not_per_sample() {
    let events = dense(60_000);
    let mut h = harness(app_with("dense", &events));
    h.run();
    let buffers = h.get_by_label("buffers, % full:").rect();
    let tcp = h.get_by_label("TCP_INFO:").rect();
    let by = triangles_by_clip(&h);
    let total: usize = by.iter().map(|(_, n)| n).sum();
    // The plots' frames: the buffer plot between its key and the TCP key, the TCP plot below.
    let plot = |top: f32, bottom: f32| -> usize {
        by.iter()
            .filter(|(r, _)| r.top() >= top && r.top() < bottom && r.width() > 600.0)
            .map(|(_, n)| n)
            .sum()
    };
    let buffer_plot = plot(buffers.bottom(), tcp.top());
    let tcp_plot = plot(tcp.bottom(), f32::INFINITY.min(800.0));
    eprintln!("triangles: frame {total}, buffer plot {buffer_plot}, TCP plot {tcp_plot}; {by:?}");
    // Three series of ~1,100 columns: at most two triangles a column each, plus the grid,
    // the full line and the axes. A feathered line of the same points took ~13,000 a series.
    assert!(buffer_plot > 100, "nothing drawn? {buffer_plot}");
    assert!(
        buffer_plot < 3 * 2 * 1_300 + 1_000,
        "buffer plot: {buffer_plot} triangles"
    );
    assert!(
        tcp_plot < 2 * 2 * 1_300 + 1_000,
        "TCP plot: {tcp_plot} triangles"
    );
}

/// The largest triangle of the frame whose clip rectangle overlaps `r`, in square points.
fn largest_triangle_at(prims: &[egui::ClippedPrimitive], r: Rect) -> f32 {
    let mut largest = 0.0f32;
    for p in prims {
        let Primitive::Mesh(m) = &p.primitive else {
            continue;
        };
        if !p.clip_rect.intersects(r) {
            continue;
        }
        for t in m.indices.chunks(3) {
            let [a, b, c] = [t[0], t[1], t[2]].map(|k| m.vertices[k as usize].pos);
            let area = ((b - a).x * (c - a).y - (b - a).y * (c - a).x).abs() / 2.0;
            largest = largest.max(area);
        }
    }
    largest
}

#[test]
fn the_plots_backgrounds_are_cleared_and_the_socket_lane_is_a_few_triangles() {
    let events = dense(60_000);
    let mut h = harness(app_with("dense", &events));
    h.run();
    let buffers = h.get_by_label("buffers, % full:").rect();
    let out = h.output();
    let prims = h.ctx.tessellate(out.shapes.clone(), out.pixels_per_point);
    // The three plots' backgrounds are GL clears (paint callbacks), not filled triangles.
    let backdrops: Vec<Rect> = prims
        .iter()
        .filter_map(|p| match &p.primitive {
            Primitive::Callback(c) => Some(c.rect),
            Primitive::Mesh(_) => None,
        })
        .collect();
    assert_eq!(backdrops.len(), 3, "backdrops: {backdrops:?}");
    for r in &backdrops {
        assert!(
            r.width() > 600.0 && r.height() > 20.0,
            "a backdrop of {r:?}"
        );
        // Filled, a plot's frame was two triangles of half its area each.
        let largest = largest_triangle_at(&prims, *r) / r.area();
        assert!(
            largest < 0.2,
            "a triangle of {largest:.2} of the plot at {r:?}"
        );
    }
    // The lanes plot (above the buffers' key): the socket lane's 60,000 writes, one triangle
    // marker per 2-pixel bucket, were ~440 feathered polygons (4,937 triangles in all); now
    // one trapezoid (1,740: the calls' and waits' bars, the grid, the axis labels).
    let lanes: usize = triangles_by_clip(&h)
        .iter()
        .filter(|(r, _)| r.bottom() <= buffers.top() && r.width() > 600.0)
        .map(|(_, n)| n)
        .sum();
    eprintln!("lanes plot: {lanes} triangles");
    assert!(lanes > 20, "nothing drawn? {lanes}");
    assert!(lanes < 2_500, "lanes plot: {lanes} triangles");
}

/// Every shape of the frame, with the clip rectangle it is drawn under, nested ones flattened.
fn shapes(h: &egui_kittest::Harness<'static, tlsscope::ui::App>) -> Vec<(Rect, egui::Shape)> {
    fn flatten(s: &egui::Shape, clip: Rect, out: &mut Vec<(Rect, egui::Shape)>) {
        match s {
            egui::Shape::Vec(v) => v.iter().for_each(|s| flatten(s, clip, out)),
            s => out.push((clip, s.clone())),
        }
    }
    let mut out = Vec::new();
    for c in &h.output().shapes {
        flatten(&c.shape, c.clip_rect, &mut out);
    }
    out
}

#[test]
fn the_plots_grid_lines_are_drawn_without_feathering() {
    // A feathered line is six thin triangles, each a column of blocks llvmpipe shades; the
    // grid's lines are on pixel boundaries and lose nothing as two (src/ui/crisp.rs).
    let events = slow_reader();
    let mut h = harness(app_with("lab:slow-reader", &events));
    h.run();
    let lanes = *h.state().model.lanes.expect("the lanes were drawn").frame();
    // The plots clip to their frames, which start where the lanes' frame does.
    let in_plots: Vec<egui::Shape> = shapes(&h)
        .into_iter()
        .filter(|(clip, _)| clip.width() > 600.0 && clip.left() >= lanes.left() - 0.5)
        .map(|(_, s)| s)
        .collect();
    let axis_lines = in_plots
        .iter()
        .filter(|s| match s {
            egui::Shape::LineSegment { points: [a, b], .. } => a.x == b.x || a.y == b.y,
            _ => false,
        })
        .count();
    assert_eq!(axis_lines, 0, "axis-aligned lines left to feather");
    let meshes = in_plots
        .iter()
        .filter(|s| matches!(s, egui::Shape::Mesh(_)))
        .count();
    assert!(meshes > 0, "no grid drawn: {in_plots:?}");
}

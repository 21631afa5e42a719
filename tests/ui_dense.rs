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

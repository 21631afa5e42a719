//! The timeline: lanes of OpenSSL calls, socket I/O, readiness waits and handshake
//! states/messages on one time axis, and below it the buffer levels, linked on x. Everything
//! drawn comes from per-pixel-bucket queries of the visible range (see `trace::store`).

use super::model::{nanos, secs, Model};
use super::style;
use super::tcp::{self, TcpView};
use crate::trace::store::{
    aggregate, stall, CallClass, IoClass, Lane, SpanClass, Status, WaitClass,
};
use crate::trace::{format, names, Dir, MsgDir, Nanos, SslError};
use egui::{Color32, RichText};
use egui_plot::{
    Bar, BarChart, HLine, Legend, Line, LineStyle, MarkerShape, Plot, PlotBounds, PlotPoint,
    Points, Polygon, Text,
};

/// The y of the calls lane (public so tests can aim at it).
pub const CALLS: f64 = 4.0;
const IO: f64 = 3.0;
const WAITS: f64 = 2.0;
const HANDSHAKE: f64 = 1.0;
const LANES: [(f64, &str); 4] = [
    (CALLS, "OpenSSL calls"),
    (IO, "socket I/O"),
    (WAITS, "waits"),
    (HANDSHAKE, "handshake"),
];

/// The lane at plot height `y`.
fn lane_at(y: f64) -> Option<Lane> {
    [
        (CALLS, Lane::Calls),
        (IO, Lane::Io),
        (WAITS, Lane::Waits),
        (HANDSHAKE, Lane::Handshake),
    ]
    .into_iter()
    .find(|l| (l.0 - y).abs() < 0.5)
    .map(|l| l.1)
}

fn bars(name: &str, colour: Color32, width: f64, bars: Vec<Bar>) -> BarChart {
    BarChart::new(name, bars)
        .color(colour)
        .width(width)
        .horizontal()
        .allow_hover(false)
}

fn bar(y: f64, start: Nanos, end: Nanos, min_len: f64, colour: Color32) -> Bar {
    let len = (secs(end) - secs(start)).max(min_len);
    Bar::new(y, len)
        .base_offset(secs(start))
        .fill(colour)
        .stroke(egui::Stroke::new(0.5, colour))
}

/// Draws the lanes and the buffer plot for the current connection.
pub fn ui(ui: &mut egui::Ui, model: &mut Model) {
    let Some(c) = model.current() else {
        ui.centered_and_justified(|ui| ui.label("The timeline appears once a connection starts."));
        return;
    };
    if let Status::Failed(reason) = c.status() {
        ui.label(
            RichText::new(format!("Failed: {reason}"))
                .color(style::ERROR_TEXT)
                .strong(),
        );
    }
    if let Some(note) = stall(c, model.now) {
        ui.label(RichText::new(note.text).color(style::STALL).strong());
        if let Some((op, error)) = note.after.filter(|c| c.1.is_want()) {
            let why = crate::trace::explain::explain(op, error, -1, &[]);
            ui.label(RichText::new(why).italics());
        }
    }
    key(ui);
    let (v0, v1) = model.view;
    let width_px = ui.available_width().max(100.0);
    let buckets = (width_px as usize / 2).max(50);
    let (t0, t1) = (nanos(v0), nanos(v1).max(nanos(v0) + 1));
    let px = (v1 - v0) / width_px as f64;
    let min_len = px * 2.0;
    let tol = nanos(px * 5.0).max(1);

    let mut items: Vec<BarChart> = Vec::new();
    // Calls, one chart per result class so the legend explains the colours.
    let marks = aggregate(&c.calls, t0, t1, buckets);
    for class in CallClass::ALL {
        let b: Vec<Bar> = marks
            .iter()
            .filter(|m| m.class == class)
            .map(|m| bar(CALLS, m.start, m.end, min_len, style::call(class)))
            .collect();
        items.push(bars(class.name(), style::call(class), 0.6, b));
    }
    // Retries of one operation: a shaded band behind the bars from its first to its last attempt.
    let runs: Vec<Bar> = aggregate(&c.retries, t0, t1, buckets)
        .iter()
        .map(|m| {
            bar(CALLS, m.start, m.end, min_len, style::RETRY_BAND)
                .fill(style::RETRY_BAND.gamma_multiply(0.25))
                .stroke(egui::Stroke::new(
                    1.0,
                    style::RETRY_BAND.gamma_multiply(0.8),
                ))
        })
        .collect();
    items.insert(
        0,
        bars("retries of one operation", style::RETRY_BAND, 0.85, runs),
    );
    // Waits.
    let wmarks = aggregate(&c.waits, t0, t1, buckets);
    for (class, name) in [
        (WaitClass::Readable, "wait for readable"),
        (WaitClass::Writable, "wait for writable"),
        (WaitClass::Either, "wait for either"),
    ] {
        let colour = style::wait(class);
        let b: Vec<Bar> = wmarks
            .iter()
            .filter(|m| m.class == class)
            .map(|m| bar(WAITS, m.start, m.end, min_len, colour))
            .collect();
        items.push(bars(name, colour.gamma_multiply(0.6), 0.4, b));
    }
    // States: spans between transitions, labelled when wide enough.
    let sa = c.states.partition_point(|s| s.0 < t0).saturating_sub(1);
    let sb = (c.states.partition_point(|s| s.0 <= t1) + 1).min(c.states.len());
    let step = ((sb - sa) / buckets).max(1);
    let mut state_bars = Vec::new();
    let mut labels: Vec<Text> = Vec::new();
    let mut i = sa;
    while i < sb {
        let (st, s) = c.states[i];
        let end = c.states.get(i + step).map_or(c.last_t, |n| n.0);
        let colour = if (i / step).is_multiple_of(2) {
            style::STATE_EVEN
        } else {
            style::STATE_ODD
        };
        state_bars.push(bar(HANDSHAKE + 0.2, st, end, 0.0, colour));
        if (secs(end) - secs(st)) / px > 120.0 {
            labels.push(
                Text::new(
                    "",
                    PlotPoint::new(secs(st.max(t0)), HANDSHAKE + 0.2),
                    RichText::new(s.text).small(),
                )
                .anchor(egui::Align2::LEFT_CENTER)
                .color(style::STATE_LABEL),
            );
        }
        i += step;
    }
    items.push(bars("handshake state", style::STATE_EVEN, 0.25, state_bars));
    // Messages and socket I/O as markers.
    let ma = c.msgs.partition_point(|m| m.0 < t0);
    let mb = c.msgs.partition_point(|m| m.0 <= t1);
    let mstep = ((mb - ma) / buckets).max(1);
    let mut msg_in = Vec::new();
    let mut msg_out = Vec::new();
    // Labels go in two rows under the markers, each label only where it has room.
    let mut row_free = [f64::MIN; 2];
    for (t, m) in c.msgs[ma..mb].iter().step_by(mstep) {
        let x = secs(*t);
        let p = [x, HANDSHAKE - 0.2];
        if m.dir == MsgDir::In {
            msg_in.push(p)
        } else {
            msg_out.push(p)
        }
        let name = names::msg_type_name(m.content, m.msg_type);
        let Some(row) = (0..2).find(|&r| row_free[r] <= x) else {
            continue;
        };
        if m.content == 23 {
            continue;
        }
        row_free[row] = x + px * (name.len() as f64 * 6.5 + 8.0);
        let y = HANDSHAKE - 0.42 - row as f64 * 0.22;
        labels.push(
            Text::new("", PlotPoint::new(x, y), RichText::new(name).small())
                .anchor(egui::Align2::LEFT_CENTER)
                .color(style::MSG_LABEL),
        );
    }
    let io_marks = aggregate(&c.io, t0, t1, buckets);
    let mut io_points: [Vec<[f64; 2]>; IoClass::ALL.len()] = Default::default();
    for m in &io_marks {
        let write = m.class.dir == Dir::Write;
        io_points[m.class.index()].push([secs(m.start), IO + if write { -0.15 } else { 0.15 }]);
    }
    let stalled_now = match c.status() {
        Status::Waiting { since, error, .. } if c.is_stalled(model.now) => Some((since, error)),
        _ => None,
    };
    // The wait going on now has no event yet (a wait is recorded when it ends): draw it.
    if let Status::Waiting { since, error, .. } = c.status() {
        let (name, colour) = if error == SslError::WantWrite {
            ("waiting for writable now", style::WAIT_WRITABLE)
        } else {
            ("waiting for readable now", style::WAIT_READABLE)
        };
        let b = bar(WAITS, since, model.now.max(since), min_len, colour);
        items.push(bars(name, colour.gamma_multiply(0.6), 0.4, vec![b]));
    }
    // The selected call, outlined.
    let selected = model
        .selection
        .filter(|s| s.conn == c.id)
        .and_then(|s| Some((*c.calls.start.get(s.call)?, c.calls.end[s.call])));
    let end_t = if c.close.is_some() {
        c.last_t
    } else {
        model.now.max(c.last_t)
    };
    let sndbuf = c.sndbuf;
    let rcvbuf = c.rcvbuf;
    let inq = c.inq.envelope(t0, t1, buckets);
    let outq = c.outq.envelope(t0, t1, buckets);
    let pending = c.pending.envelope(t0, t1, buckets);
    let now_s = secs(model.now);

    let link = egui::Id::unique("timeline-x");
    let lanes_height = (ui.available_height() * 0.4).max(160.0);
    let plot = Plot::new("lanes")
        .height(lanes_height)
        .link_cursor(link, [true, false])
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .allow_drag([true, false])
        .allow_double_click_reset(false)
        .show_y(false)
        .label_formatter(|_| None)
        .y_axis_formatter(|mark, _| {
            LANES
                .iter()
                .find(|l| (l.0 - mark.value).abs() < 1e-6)
                .map_or(String::new(), |l| l.1.to_string())
        })
        .y_axis_min_width(90.0)
        .x_axis_formatter(|mark, _| format::axis_time(mark.value, v1 - v0));
    let response = plot.show(ui, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.2], [v1, 4.6]));
        if let Some((since, error)) = stalled_now {
            let colour = style::wait(WaitClass::after(error));
            let x0 = secs(since);
            pui.polygon(
                Polygon::new(
                    "stalled",
                    vec![[x0, 0.4], [now_s, 0.4], [now_s, 4.6], [x0, 4.6]],
                )
                .fill_color(colour.gamma_multiply(0.12))
                .stroke(egui::Stroke::new(1.0, style::STALL))
                .allow_hover(false),
            );
        }
        if let Some((s, e)) = selected {
            let (x0, x1) = (
                secs(s) - px * 3.0,
                secs(e).max(secs(s) + min_len) + px * 3.0,
            );
            pui.polygon(
                Polygon::new(
                    "selected call",
                    vec![
                        [x0, CALLS - 0.45],
                        [x1, CALLS - 0.45],
                        [x1, CALLS + 0.45],
                        [x0, CALLS + 0.45],
                    ],
                )
                .fill_color(style::SELECTED_FILL)
                .stroke(egui::Stroke::new(1.5, style::SELECTED_OUTLINE))
                .allow_hover(false),
            );
        }
        for b in items {
            pui.bar_chart(b);
        }
        let shapes = [
            ("socket read", MarkerShape::Up),
            ("socket write", MarkerShape::Down),
            ("would block (read)", MarkerShape::Cross),
            ("would block (write)", MarkerShape::Cross),
            ("EOF / error (read)", MarkerShape::Asterisk),
            ("EOF / error (write)", MarkerShape::Asterisk),
        ];
        let io = io_points.into_iter().zip(shapes).zip(IoClass::ALL);
        for ((pts, (name, shape)), class) in io {
            let colour = style::io(class.outcome);
            pui.points(
                Points::new(name, pts)
                    .shape(shape)
                    .color(colour)
                    .radius(4.0)
                    .filled(true)
                    .allow_hover(false),
            );
        }
        pui.points(
            Points::new("message in", msg_in)
                .shape(MarkerShape::Left)
                .color(style::MSG_IN)
                .radius(5.0)
                .filled(true)
                .allow_hover(false),
        );
        pui.points(
            Points::new("message out", msg_out)
                .shape(MarkerShape::Right)
                .color(style::MSG_OUT)
                .radius(5.0)
                .filled(true)
                .allow_hover(false),
        );
        for l in labels {
            pui.text(l);
        }
        pui.pointer_coordinate()
    });
    let lanes_transform = response.transform;
    let bounds = response.transform.bounds();
    let (n0, n1) = (bounds.min()[0], bounds.max()[0]);
    let pointer = response.inner;
    let mut clicked_call = None;
    if let Some(p) = pointer {
        let t = nanos(p.x);
        if let Some(hit) = lane_at(p.y).and_then(|lane| c.hit(lane, t, tol)) {
            let mut text = hit.describe(c);
            if hit.call().is_some() {
                text.push_str("\nclick for details");
            }
            let call = hit.call();
            let r = response.response.clone().on_hover_ui_at_pointer(|ui| {
                // Monospace: the trace's text uses arrows (→ ←) that only the monospace font has.
                ui.label(RichText::new(text).monospace());
            });
            if r.clicked() {
                clicked_call = call;
            }
        }
    }
    let conn = c.id;
    if c.inq.t.is_empty() {
        ui.label(
            RichText::new("No buffer levels recorded (no socket was connected).")
                .color(style::MUTED),
        );
        model.lanes = Some(lanes_transform);
        if (n0 - v0).abs() > 1e-12 || (n1 - v1).abs() > 1e-12 {
            model.view = (n0, n1);
            model.follow = false;
        }
        if let Some(i) = clicked_call {
            model.select_call(conn, i);
        }
        return;
    }
    // The buffer levels, on the same x range.
    let tcp = TcpView::query(c, t0, t1, buckets);
    // The TCP plot, when there is one, gets a fixed strip under the buffers.
    let tcp_height = (ui.available_height() * 0.42).clamp(70.0, 120.0);
    let buf_height = if tcp.is_some() {
        (ui.available_height() - tcp_height - 6.0).max(80.0)
    } else {
        ui.available_height()
    };
    let buf = Plot::new("buffers")
        .height(buf_height)
        .link_cursor(link, [true, false])
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .allow_drag([true, false])
        .allow_double_click_reset(false)
        .legend(Legend::default().position(egui_plot::Corner::RightTop))
        .y_axis_min_width(90.0)
        .y_axis_formatter(|mark, _| format::axis_bytes(mark.value))
        .x_axis_formatter(|mark, _| format::axis_time(mark.value, v1 - v0))
        .label_formatter(|pos| match pos {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}: {} at {}",
                format::axis_bytes(position.y),
                format::clock(nanos(position.x))
            )),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        });
    let ycap = [sndbuf, rcvbuf].into_iter().flatten().max().unwrap_or(0) as f64;
    let ydata = inq
        .iter()
        .chain(&outq)
        .chain(&pending)
        .map(|p| p.1)
        .max()
        .unwrap_or(0) as f64;
    // Show the buffer sizes when the data come near them; otherwise scale to the data.
    let ytop = if ydata >= ycap * 0.2 {
        ycap.max(ydata) * 1.1
    } else {
        (ydata * 1.3).max(4096.0)
    };
    let bresp = buf.show(ui, |pui| {
        pui.set_plot_bounds(PlotBounds::from_min_max([v0, 0.0], [v1, ytop]));
        pui.line(
            Line::new("receive queue (unread)", steps(&inq, end_t))
                .color(style::RECV_QUEUE)
                .allow_band(false),
        );
        pui.line(
            Line::new("send queue (unacked)", steps(&outq, end_t))
                .color(style::SEND_QUEUE)
                .allow_band(false),
        );
        pui.line(
            Line::new("SSL_pending", steps(&pending, end_t))
                .color(style::SSL_PENDING)
                .allow_band(false),
        );
        if let Some(s) = sndbuf {
            pui.hline(
                HLine::new(format!("SO_SNDBUF {}", format::bytes(s.into())), s as f64)
                    .color(style::sndbuf_line())
                    .style(LineStyle::dashed_dense()),
            );
        }
        if let Some(r) = rcvbuf {
            pui.hline(
                HLine::new(format!("SO_RCVBUF {}", format::bytes(r.into())), r as f64)
                    .color(style::rcvbuf_line())
                    .style(LineStyle::dashed_dense()),
            );
        }
    });
    let bb = bresp.transform.bounds();
    let (b0, b1) = (bb.min()[0], bb.max()[0]);
    let tcp_view = tcp.map(|data| tcp::show(ui, data, (v0, v1), end_t, link, tcp_height));
    let changed = |(a, b): (f64, f64)| (a - v0).abs() > 1e-12 || (b - v1).abs() > 1e-12;
    // Whichever plot the user panned or zoomed sets the range for all three next frame.
    let new_view = [Some((n0, n1)), Some((b0, b1)), tcp_view]
        .into_iter()
        .flatten()
        .find(|&r| changed(r));
    model.lanes = Some(lanes_transform);
    if let Some(r) = new_view {
        model.view = r;
        model.follow = false;
    }
    if let Some(i) = clicked_call {
        model.select_call(conn, i);
    }
}

/// Points of a level series drawn as steps (a level holds until the next sample), the last one
/// up to `end_t`.
pub fn steps(v: &[(Nanos, u32)], end_t: Nanos) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(v.len() * 2 + 1);
    for (i, &(t, x)) in v.iter().enumerate() {
        if let Some(prev) = i.checked_sub(1).map(|p| v[p].1) {
            out.push([secs(t), prev as f64]);
        }
        out.push([secs(t), x as f64]);
    }
    if let Some(&(t, x)) = v.last() {
        if end_t > t {
            out.push([secs(end_t), x as f64]);
        }
    }
    out
}

/// The colour key of the lanes (a legend inside the plot would cover the data).
fn key(ui: &mut egui::Ui) {
    let swatch = |ui: &mut egui::Ui, colour: Color32, text: &str| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 2.0, colour);
        ui.label(RichText::new(text).color(colour));
    };
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 5.0;
        ui.label(RichText::new("calls:").color(style::MUTED));
        for class in CallClass::ALL {
            swatch(ui, style::call(class), class.name());
        }
        swatch(ui, style::RETRY_BAND, "retried operation (band)");
        ui.separator();
        ui.label(RichText::new("socket:").color(style::MUTED));
        swatch(ui, style::IO_DONE, "read / write");
        swatch(ui, style::IO_WOULD_BLOCK, "would block (x)");
        swatch(ui, style::IO_EOF_OR_ERROR, "EOF / error (*)");
        ui.separator();
        ui.label(RichText::new("waits:").color(style::MUTED));
        swatch(ui, style::WAIT_READABLE, "readable");
        swatch(ui, style::WAIT_WRITABLE, "writable");
        ui.separator();
        swatch(ui, style::MSG_IN, "message in");
        swatch(ui, style::MSG_OUT, "message out");
    });
}

//! The timeline picture of one connection as inline SVG: the app's lanes (OpenSSL calls by
//! result, socket reads and writes, readiness waits, handshake states and messages) and the
//! buffer levels over one time axis counted from the connection's start, in the app's colours.
//! Everything comes from the store's per-pixel-bucket queries and marks of one colour share one
//! `<path>`, so a trace of a million events still makes a picture of a few hundred KiB at most.

mod lanes;
mod levels;

use super::{escape, hex, palette};
use crate::trace::store::ConnTrace;
use crate::trace::ticks::AxisTicks;
use crate::trace::verdict::Verdict;
use crate::trace::Nanos;
use crate::ui::style;
use std::fmt::Write as _;

/// The picture's width in SVG units (it scales to the page's width).
const WIDTH: f64 = 1200.0;
/// Room for the lane names on the left, and a margin on the right.
const LEFT: f64 = 118.0;
const RIGHT: f64 = 16.0;
const PLOT: f64 = WIDTH - LEFT - RIGHT;
/// The band above the lanes where the verdict's call is named.
const TOP: f64 = 20.0;
/// Estimated width of one character of the axis labels (11 px sans-serif).
const CHAR_PX: f64 = 6.5;

/// The time range drawn and its mapping to x.
pub(super) struct Frame {
    t0: Nanos,
    t1: Nanos,
}

impl Frame {
    fn new(c: &ConnTrace) -> Frame {
        let t0 = if c.first_t == Nanos::MAX {
            0
        } else {
            c.first_t
        };
        // At least a microsecond, so a connection with one event still has an axis.
        let t1 = c.last_t.max(t0 + 1_000);
        Frame { t0, t1 }
    }

    /// How many pixel buckets the queries aggregate into.
    fn buckets(&self) -> usize {
        PLOT as usize
    }

    fn x(&self, t: Nanos) -> f64 {
        let t = t.clamp(self.t0, self.t1);
        LEFT + (t - self.t0) as f64 / (self.t1 - self.t0) as f64 * PLOT
    }

    fn span_s(&self) -> f64 {
        (self.t1 - self.t0) as f64 / 1e9
    }
}

/// Rectangles of one colour in one path; neighbours that touch (after rounding to pixels) are
/// merged, so a long run of calls of one result is a single rectangle.
pub(super) struct Bars {
    d: String,
    run: Option<(f64, f64)>,
    y: f64,
    h: f64,
}

impl Bars {
    pub(super) fn new(y: f64, h: f64) -> Bars {
        Bars {
            d: String::new(),
            run: None,
            y,
            h,
        }
    }

    /// Adds the span x0..x1 (at least one pixel wide).
    pub(super) fn push(&mut self, x0: f64, x1: f64) {
        let x1 = x1.max(x0 + 1.0);
        match &mut self.run {
            Some((_, end)) if x0 <= *end + 0.5 => *end = end.max(x1),
            _ => {
                self.flush();
                self.run = Some((x0, x1));
            }
        }
    }

    fn flush(&mut self) {
        if let Some((x0, x1)) = self.run.take() {
            let _ = write!(
                self.d,
                "M{x0:.1} {:.1}h{:.1}v{:.1}h{:.1}z",
                self.y,
                x1 - x0,
                self.h,
                x0 - x1
            );
        }
    }

    /// The path element, or nothing when there were no spans.
    pub(super) fn path(mut self, attributes: &str) -> String {
        self.flush();
        if self.d.is_empty() {
            return String::new();
        }
        format!("<path d=\"{}\" {attributes}/>\n", self.d)
    }
}

/// The SVG of connection `c`'s timeline; the verdict's call is outlined and named.
pub(super) fn timeline(c: &ConnTrace, verdict: &Verdict) -> String {
    let f = Frame::new(c);
    let mut body = String::new();
    let lanes_bottom = lanes::draw(&mut body, c, &f, verdict);
    let axis_y = levels::draw(&mut body, c, &f, lanes_bottom);
    let height = axis_y + 22.0;
    let grid = grid(&f, TOP - 4.0, axis_y);
    let label = format!("Timeline of connection {}", c.id);
    format!(
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-label=\"{label}\">\n\
         <title>{label}</title>\n\
         <rect width=\"{WIDTH}\" height=\"{height:.0}\" fill=\"#1b1b1b\"/>\n\
         <rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{PLOT}\" height=\"{:.1}\" fill=\"#141414\"/>\n\
         {grid}{body}</svg>\n",
        TOP - 4.0,
        axis_y - TOP + 4.0,
        label = escape::text(&label)
    )
}

/// The time axis under everything, and grid lines through every lane: labelled ticks from the
/// app's tick rules (counted from the connection's start), and fainter lines between them.
fn grid(f: &Frame, top: f64, axis_y: f64) -> String {
    let span = f.span_s();
    let ticks = AxisTicks::choose(0.0, span, PLOT, CHAR_PX);
    let x = |s: f64| LEFT + s / span * PLOT;
    let mut minor = String::new();
    for s in ticks.minor_ticks(0.0, span, PLOT) {
        let _ = write!(minor, "M{:.1} {top:.1}V{axis_y:.1}", x(s));
    }
    let mut major = String::new();
    let mut labels = String::new();
    for (s, label) in ticks.labelled(0.0, span, PLOT, CHAR_PX) {
        let _ = write!(major, "M{:.1} {top:.1}V{:.1}", x(s), axis_y + 4.0);
        let _ = writeln!(
            labels,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(s),
            axis_y + 16.0,
            escape::text(&label)
        );
    }
    let mut out = String::new();
    if !minor.is_empty() {
        let _ = writeln!(out, "<path d=\"{minor}\" stroke=\"#2c2c2c\"/>");
    }
    if !major.is_empty() {
        let _ = writeln!(out, "<path d=\"{major}\" stroke=\"#444\"/>");
    }
    let _ = writeln!(
        out,
        "<path d=\"M{LEFT} {axis_y:.1}H{:.1}\" stroke=\"#888\"/>",
        LEFT + PLOT
    );
    let _ = write!(
        out,
        "<g fill=\"#bbb\" font-size=\"11\" text-anchor=\"middle\">\n{labels}</g>\n"
    );
    out
}

/// The key under the picture: what each colour and shape means (HTML, with the same colours).
pub(super) fn legend(stalled: bool) -> String {
    use crate::trace::store::{CallClass, WaitClass};
    let swatch = |colour: egui::Color32, name: &str| {
        format!(
            "<span class=\"key\">{}{}</span>",
            palette::swatch(colour, None),
            escape::text(name)
        )
    };
    let mut calls: Vec<String> = CallClass::ALL
        .iter()
        .map(|&k| swatch(style::call(k), k.name()))
        .collect();
    calls.push(swatch(style::RETRY_BAND, "retried operation (band)"));
    let socket = [
        swatch(style::IO_DONE, "read ▲ / write ▼"),
        swatch(style::IO_WOULD_BLOCK, "would block ×"),
        swatch(style::IO_EOF_OR_ERROR, "EOF / error ✱"),
    ];
    let mut waits: Vec<String> = WaitClass::ALL
        .iter()
        .map(|&k| swatch(style::wait(k), &format!("for {}", k.adjective())))
        .collect();
    if stalled {
        waits.push(swatch(style::STALL, "the stalled wait (outline)"));
    }
    let handshake = [
        swatch(style::STATE_EVEN, "state (from one transition to the next)"),
        swatch(style::MSG_IN, "message in ◀"),
        swatch(style::MSG_OUT, "message out ▶"),
    ];
    let buffers = [
        swatch(style::RECV_QUEUE, "receive queue of SO_RCVBUF"),
        swatch(style::SEND_QUEUE, "send queue of SO_SNDBUF"),
        swatch(style::SSL_PENDING, "SSL_pending of one TLS record (16 KiB)"),
    ];
    let group = |name: &str, items: &[String]| {
        format!(
            "<div><b>{}</b> {}</div>\n",
            escape::text(name),
            items.concat()
        )
    };
    [
        group("calls:", &calls),
        group("socket:", &socket),
        group("waits:", &waits),
        group("handshake:", &handshake),
        group("buffers, % full:", &buffers),
    ]
    .concat()
}

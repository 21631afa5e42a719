//! The buffer plot under the lanes, as in the app: how full each buffer is — the receive queue
//! of SO_RCVBUF, the send queue of SO_SNDBUF, SSL_pending of one TLS record — as a fraction of
//! its own size, drawn as steps from the per-bucket min/max envelopes of the store.

use super::{hex, Frame, LEFT, PLOT};
use crate::trace::store::{ConnTrace, Series};
use crate::ui::style;
use std::fmt::Write as _;

/// The plot's height, and the gap above it.
const HEIGHT: f64 = 80.0;
const GAP: f64 = 14.0;
/// The most SSL_pending can hold: the plaintext of one TLS record (2^14 bytes).
const RECORD: u32 = 16 * 1024;

/// A stepped line through the levels of `series` as a fraction of `capacity` (the value holds
/// until the next sample), between `top` (100 %) and `bottom` (0 %).
fn steps(
    f: &Frame,
    c: &ConnTrace,
    series: &Series,
    capacity: u32,
    top: f64,
    bottom: f64,
) -> String {
    let points = series.envelope(&c.events, f.t0, f.t1, f.buckets());
    if points.is_empty() || capacity == 0 {
        return String::new();
    }
    // Over-full levels (Linux counts a little beyond the buffer size) stop at the plot's top.
    let y = |v: u32| bottom - (v as f64 / capacity as f64).min(1.05) * (bottom - top);
    let mut d = String::new();
    for (i, &(t, v)) in points.iter().enumerate() {
        let (x, y) = (f.x(t), y(v));
        if i == 0 {
            let _ = write!(d, "M{x:.1} {y:.1}");
        } else {
            let _ = write!(d, "H{x:.1}V{y:.1}");
        }
    }
    let _ = write!(d, "H{:.1}", f.x(f.t1));
    d
}

/// Draws the plot below `lanes_bottom`; returns the y of the time axis under it.
pub(super) fn draw(out: &mut String, c: &ConnTrace, f: &Frame, lanes_bottom: f64) -> f64 {
    let top = lanes_bottom + GAP;
    let bottom = top + HEIGHT;
    let _ = writeln!(
        out,
        "<g fill=\"#ddd\" font-size=\"12\" text-anchor=\"end\">\n\
         <text x=\"{x:.1}\" y=\"{:.1}\">buffers</text>\n\
         <text x=\"{x:.1}\" y=\"{:.1}\" fill=\"#999\" font-size=\"10\">100 %</text>\n\
         <text x=\"{x:.1}\" y=\"{:.1}\" fill=\"#999\" font-size=\"10\">0 %</text>\n</g>",
        top + HEIGHT / 2.0 + 4.0,
        top + 4.0,
        bottom + 3.0,
        x = LEFT - 10.0,
    );
    let _ = writeln!(
        out,
        "<path d=\"M{LEFT} {top:.1}H{r:.1}\" stroke=\"#777\" stroke-dasharray=\"4 3\"/>\n\
         <path d=\"M{LEFT} {bottom:.1}H{r:.1}\" stroke=\"#555\"/>",
        r = LEFT + PLOT
    );
    if c.inq.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#999\" font-size=\"12\">No buffer levels recorded (no socket was connected).</text>",
            LEFT + 8.0,
            top + HEIGHT / 2.0 + 4.0
        );
        return bottom;
    }
    let queues = [
        (&c.pending, RECORD, style::SSL_PENDING),
        (&c.outq, c.sndbuf.unwrap_or(0), style::SEND_QUEUE),
        (&c.inq, c.rcvbuf.unwrap_or(0), style::RECV_QUEUE),
    ];
    for (series, capacity, colour) in queues {
        let d = steps(f, c, series, capacity, top, bottom);
        if !d.is_empty() {
            let _ = writeln!(
                out,
                "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>",
                hex(colour)
            );
        }
    }
    bottom
}

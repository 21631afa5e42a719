//! The lanes of the picture, top to bottom: OpenSSL calls coloured by what `SSL_get_error`
//! said (retried operations as a band behind them, the verdict's call outlined), socket reads
//! and writes, readiness waits, handshake states and TLS messages.

use super::{escape, hex, Bars, Frame, LEFT, PLOT, TOP};
use crate::trace::store::{aggregate, CallClass, ConnTrace, IoClass, IoOutcome, SpanClass, Timed};
use crate::trace::verdict::{Severity, Verdict};
use crate::trace::{Dir, MsgDir};
use crate::ui::style;
use std::fmt::Write as _;

const LANE: f64 = 30.0;
/// The handshake lane is taller: its messages are named in two rows under the markers.
const HANDSHAKE_LANE: f64 = 58.0;
/// Record content type of application data: marked, not named.
const APPLICATION_DATA: u8 = 23;
/// Width of one character of the small labels (10 px sans-serif), and the room between two.
const SMALL_CHAR_PX: f64 = 5.8;
const LABEL_GAP_PX: f64 = 6.0;

/// Draws every lane from `TOP` down; returns where the last one ends.
pub(super) fn draw(out: &mut String, c: &ConnTrace, f: &Frame, verdict: &Verdict) -> f64 {
    let names = [
        ("OpenSSL calls", TOP + LANE / 2.0),
        ("socket I/O", TOP + LANE * 1.5),
        ("waits", TOP + LANE * 2.5),
        ("handshake", TOP + LANE * 3.0 + 14.0),
    ];
    let mut labels = String::new();
    for (name, y) in names {
        let _ = writeln!(
            labels,
            "<text x=\"{:.1}\" y=\"{:.1}\">{name}</text>",
            LEFT - 10.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        out,
        "<g fill=\"#ddd\" font-size=\"12\" text-anchor=\"end\">\n{labels}</g>"
    );
    calls(out, c, f, TOP, verdict);
    io(out, c, f, TOP + LANE);
    waits(out, c, f, TOP + LANE * 2.0, verdict);
    handshake(out, c, f, TOP + LANE * 3.0);
    TOP + LANE * 3.0 + HANDSHAKE_LANE
}

fn calls(out: &mut String, c: &ConnTrace, f: &Frame, top: f64, verdict: &Verdict) {
    let buckets = f.buckets();
    let mut band = Bars::new(top + 3.0, LANE - 6.0);
    for m in aggregate(&c.retries(), f.t0, f.t1, buckets) {
        band.push(f.x(m.start), f.x(m.end));
    }
    out.push_str(&band.path(&format!(
        "fill=\"{}\" fill-opacity=\"0.3\"",
        hex(style::RETRY_BAND)
    )));
    let mut bars: Vec<Bars> = CallClass::ALL
        .iter()
        .map(|_| Bars::new(top + 7.0, LANE - 14.0))
        .collect();
    for m in aggregate(&c.calls(), f.t0, f.t1, buckets) {
        bars[m.class.index()].push(f.x(m.start), f.x(m.end));
    }
    for (class, b) in CallClass::ALL.iter().zip(bars) {
        out.push_str(&b.path(&format!("fill=\"{}\"", hex(style::call(*class)))));
    }
    // The call the verdict is about: outlined, and named above the lane.
    let Some(i) = verdict.focus.and_then(|id| c.call_index(id)) else {
        return;
    };
    let (x0, x1) = (f.x(c.calls().start(i)), f.x(c.calls().end(i)));
    let x1 = x1.max(x0 + 1.0);
    let _ = writeln!(
        out,
        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#fff\" stroke-width=\"1.5\"/>",
        x0 - 2.0,
        top + 4.0,
        x1 - x0 + 4.0,
        LANE - 8.0
    );
    let text = format!(
        "▼ {} #{} (the verdict's call)",
        c.call(i).map_or("?", |k| k.op.name()),
        c.call(i).map_or(0, |k| k.id)
    );
    let width = text.chars().count() as f64 * SMALL_CHAR_PX;
    let at = x0.min(LEFT + PLOT - width).max(LEFT);
    let _ = writeln!(
        out,
        "<text x=\"{at:.1}\" y=\"{:.1}\" fill=\"#fff\" font-size=\"10\">{}</text>",
        top - 5.0,
        escape::text(&text)
    );
}

/// One marker's outline for a socket operation at x (centre y): ▲ read, ▼ write, × would
/// block, ✱ EOF or error.
fn marker(class: IoClass, x: f64, y: f64) -> String {
    match (class.outcome, class.dir) {
        (IoOutcome::Done, Dir::Read) => format!("M{x:.1} {:.1}l4 7h-8z", y - 4.0),
        (IoOutcome::Done, Dir::Write) => format!("M{x:.1} {:.1}l4 -7h-8z", y + 4.0),
        (IoOutcome::WouldBlock, _) => {
            format!("M{:.1} {:.1}l6 6m0 -6l-6 6", x - 3.0, y - 3.0)
        }
        (IoOutcome::EofOrError, _) => format!(
            "M{:.1} {:.1}l7 7m0 -7l-7 7M{x:.1} {:.1}v9",
            x - 3.5,
            y - 3.5,
            y - 4.5
        ),
    }
}

fn io(out: &mut String, c: &ConnTrace, f: &Frame, top: f64) {
    let mut paths: Vec<String> = IoClass::ALL.iter().map(|_| String::new()).collect();
    let mut last_x = vec![f64::MIN; IoClass::ALL.len()];
    for m in aggregate(&c.io(), f.t0, f.t1, f.buckets()) {
        let k = m.class.index();
        let x = f.x(m.start);
        // Markers are a few pixels wide: one per pixel and class is all that can be seen.
        if x - last_x[k] < 1.0 {
            continue;
        }
        last_x[k] = x;
        // Reads above the lane's centre, writes below, as in the app.
        let y = top + if m.class.dir == Dir::Read { 9.0 } else { 21.0 };
        paths[k].push_str(&marker(m.class, x, y));
    }
    for (class, d) in IoClass::ALL.iter().zip(paths) {
        if d.is_empty() {
            continue;
        }
        let colour = hex(style::io(class.outcome));
        let paint = match class.outcome {
            IoOutcome::Done => format!("fill=\"{colour}\""),
            _ => format!("fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.6\""),
        };
        let _ = writeln!(out, "<path d=\"{d}\" {paint}/>");
    }
}

fn waits(out: &mut String, c: &ConnTrace, f: &Frame, top: f64, verdict: &Verdict) {
    use crate::trace::store::WaitClass;
    let mut bars: Vec<Bars> = WaitClass::ALL
        .iter()
        .map(|_| Bars::new(top + 8.0, LANE - 16.0))
        .collect();
    for m in aggregate(&c.waits(), f.t0, f.t1, f.buckets()) {
        bars[m.class.index()].push(f.x(m.start), f.x(m.end));
    }
    for (class, b) in WaitClass::ALL.iter().zip(bars) {
        let colour = hex(style::wait(*class));
        out.push_str(&b.path(&format!("fill=\"{colour}\" fill-opacity=\"0.75\"")));
    }
    // A stall: the longest wait is the one it is about; outlined in the stall's red.
    if verdict.severity() != Severity::Stall {
        return;
    }
    if let Some(w) = c.longest_wait {
        let (x0, x1) = (f.x(c.waits().start(w)), f.x(c.waits().end(w)));
        let _ = writeln!(
            out,
            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            top + 6.0,
            (x1 - x0).max(2.0),
            LANE - 12.0,
            hex(style::STALL)
        );
    }
}

fn handshake(out: &mut String, c: &ConnTrace, f: &Frame, top: f64) {
    let buckets = f.buckets();
    // States: a span from each transition to the next, alternating two colours.
    let (a, b) = c.states_around(f.t0, f.t1);
    let step = ((b - a) / buckets).max(1);
    let mut spans = [Bars::new(top + 3.0, 15.0), Bars::new(top + 3.0, 15.0)];
    let mut labels = String::new();
    for (n, i) in (a..b).step_by(step).enumerate() {
        let (start, s) = c.states[i];
        let end = c.states.get(i + step).map_or(c.last_t, |next| next.0);
        let (x0, x1) = (f.x(start), f.x(end));
        spans[n % 2].push(x0, x1);
        // The state's name where its span has room for it (cut to fit, never overflowing).
        let room = ((x1 - x0 - 8.0) / SMALL_CHAR_PX).floor();
        if room >= 8.0 {
            let name: String = s.text().chars().take(room as usize).collect();
            let _ = writeln!(
                labels,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x0 + 4.0,
                top + 14.0,
                escape::text(&name)
            );
        }
    }
    let [even, odd] = spans;
    out.push_str(&even.path(&format!("fill=\"{}\"", hex(style::STATE_EVEN))));
    out.push_str(&odd.path(&format!("fill=\"{}\"", hex(style::STATE_ODD))));
    if !labels.is_empty() {
        let _ = writeln!(
            out,
            "<g fill=\"{}\" font-size=\"10\">\n{labels}</g>",
            hex(style::STATE_LABEL)
        );
    }
    messages(out, c, f, top + 26.0);
}

/// TLS messages as ◀ (in) and ▶ (out) markers at `y`, named in two rows under them where a
/// name has room.
fn messages(out: &mut String, c: &ConnTrace, f: &Frame, y: f64) {
    let (a, b) = c.msgs_within(f.t0, f.t1);
    let step = ((b - a) / f.buckets()).max(1);
    let (mut inbound, mut outbound) = (String::new(), String::new());
    let mut labels = String::new();
    let mut row_free = [f64::MIN; 2];
    let mut last_x = [f64::MIN; 2];
    for (t, m) in c.msgs[a..b].iter().step_by(step) {
        let x = f.x(*t);
        let k = usize::from(m.dir == MsgDir::Out);
        if x - last_x[k] >= 1.0 {
            last_x[k] = x;
            if m.dir == MsgDir::In {
                let _ = write!(inbound, "M{:.1} {:.1}v9l-7 -4.5z", x + 3.5, y - 4.5);
            } else {
                let _ = write!(outbound, "M{:.1} {:.1}v9l7 -4.5z", x - 3.5, y - 4.5);
            }
        }
        if m.content == APPLICATION_DATA {
            continue;
        }
        let name = m.type_name();
        let width = name.chars().count() as f64 * SMALL_CHAR_PX;
        let start = (x - 3.0).min(LEFT + PLOT - width).max(LEFT);
        let Some(row) = (0..2).find(|&r| row_free[r] <= start) else {
            continue;
        };
        row_free[row] = start + width + LABEL_GAP_PX;
        let _ = writeln!(
            labels,
            "<text x=\"{start:.1}\" y=\"{:.1}\">{}</text>",
            y + 15.0 + row as f64 * 11.0,
            escape::text(name)
        );
    }
    for (d, colour) in [(inbound, style::MSG_IN), (outbound, style::MSG_OUT)] {
        if !d.is_empty() {
            let _ = writeln!(out, "<path d=\"{d}\" fill=\"{}\"/>", hex(colour));
        }
    }
    if !labels.is_empty() {
        let _ = writeln!(
            out,
            "<g fill=\"{}\" font-size=\"10\">\n{labels}</g>",
            hex(style::MSG_LABEL)
        );
    }
}

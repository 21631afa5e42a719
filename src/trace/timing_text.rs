//! The waterfall as text: a one-line summary for the `timing` event's line, then one line per
//! step (and per handshake round trip) with its offset from the connection's start, its
//! duration and a bar of `=` on a scale from the start to the close, so the text trace reads
//! like a browser's network panel.

use super::format::{bytes, duration};
use super::timing::{Timing, MAX_ROUND_TRIPS};

/// Characters between the bar's brackets.
pub const BAR_WIDTH: usize = 40;

/// The cells `[from, to)` a span covers on a bar of `width` cells for `total` ns: at least one
/// cell, so a step of a few µs in a connection of seconds still shows.
pub fn cells(start: u64, dur: u64, total: u64, width: usize) -> (usize, usize) {
    if width == 0 {
        return (0, 0);
    }
    let scale = |t: u64| -> f64 {
        if total == 0 {
            0.0
        } else {
            (t.min(total) as f64 / total as f64) * width as f64
        }
    };
    let from = (scale(start).floor() as usize).min(width - 1);
    let to = (scale(start.saturating_add(dur)).ceil() as usize).clamp(from + 1, width);
    (from, to)
}

fn bar(start: u64, dur: u64, total: u64) -> String {
    let (from, to) = cells(start, dur, total, BAR_WIDTH);
    let mut s = String::with_capacity(BAR_WIDTH + 2);
    s.push('|');
    for i in 0..BAR_WIDTH {
        s.push(if (from..to).contains(&i) { '=' } else { ' ' });
    }
    s.push('|');
    s
}

/// The summary on the event's own line.
pub fn summary(t: &Timing) -> String {
    let trips = match t.round_trip_count {
        1 => "1 handshake round trip".to_string(),
        n => format!("{n} handshake round trips"),
    };
    format!(
        "timing total {}{}, {trips}, sent {}, received {} (socket {} out, {} in)",
        duration(t.total),
        if t.closed { "" } else { " so far" },
        bytes(t.app_out),
        bytes(t.app_in),
        bytes(t.sock_out),
        bytes(t.sock_in),
    )
}

/// The waterfall lines (without indentation).
pub fn lines(t: &Timing) -> Vec<String> {
    let row = |label: &str, start: u64, dur: u64| {
        format!(
            "{label:<17} at {:>9}  {:>9}  {}",
            duration(start),
            duration(dur),
            bar(start, dur, t.total)
        )
    };
    let mut out = Vec::new();
    for s in &t.steps {
        let mut line = row(s.step.label(), s.start, s.dur);
        if !s.done {
            line.push_str(if t.closed {
                "  did not finish"
            } else {
                "  under way"
            });
        }
        out.push(line);
        if s.step == super::timing::Step::Handshake {
            for (i, r) in t.round_trips.iter().enumerate() {
                out.push(row(&format!("  round trip {}", i + 1), r.start, r.dur));
            }
            let more = (t.round_trip_count as usize).saturating_sub(MAX_ROUND_TRIPS);
            if more > 0 && t.round_trips.len() == MAX_ROUND_TRIPS {
                out.push(format!("  … {more} more round trip(s)"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::timing::{RoundTrip, Span, Step};

    #[test]
    fn cells_cover_at_least_one_and_stay_inside() {
        assert_eq!(cells(0, 0, 100, 40), (0, 1));
        assert_eq!(cells(0, 100, 100, 40), (0, 40));
        assert_eq!(cells(50, 50, 100, 40), (20, 40));
        assert_eq!(cells(100, 0, 100, 40), (39, 40), "a mark at the very end");
        assert_eq!(cells(500, 9, 100, 40), (39, 40), "past the end: clamped");
        assert_eq!(
            cells(3, 4, 0, 40),
            (0, 1),
            "a zero total does not divide by zero"
        );
        assert_eq!(cells(u64::MAX, u64::MAX, u64::MAX, 40), (39, 40));
    }

    #[test]
    fn one_line_per_step_and_round_trip_with_proportional_bars() {
        let t = Timing {
            start: 5,
            total: 1000,
            steps: vec![
                Span {
                    step: Step::Connect,
                    start: 0,
                    dur: 250,
                    done: true,
                },
                Span {
                    step: Step::Handshake,
                    start: 500,
                    dur: 500,
                    done: false,
                },
            ],
            round_trips: vec![RoundTrip {
                start: 500,
                dur: 100,
            }],
            round_trip_count: 1,
            closed: true,
            ..Timing::default()
        };
        let l = lines(&t);
        assert_eq!(l.len(), 3, "{l:#?}");
        assert!(l[0].starts_with("TCP connect       at      0 ns     250 ns  |=========="));
        assert_eq!(l[0].matches('=').count(), 10);
        assert!(l[1].contains("|                    ====================|"));
        assert!(l[1].ends_with("did not finish"));
        assert!(l[2].starts_with("  round trip 1"));
        assert_eq!(l[2].matches('=').count(), 4);
        assert!(summary(&t).starts_with("timing total 1.00 µs, 1 handshake round trip"));
    }
}

//! Every colour the window uses, named by what it means, so the palette changes in one place.
//! One meaning, one colour: the hues come from the Okabe–Ito palette (told apart with the common
//! colour-vision deficiencies) plus tints of it, and red means a stall or an error, nothing else.
//! Marks that share a lane also differ by shape (socket reads ▲, writes ▼, would-block x).
//! `palette_tests` checks that no two meanings look alike, within a lane also for colour-blind
//! eyes.

use crate::trace::store::{CallClass, IoOutcome, WaitClass};
use crate::trace::verdict::Severity;
use egui::Color32;

// Okabe–Ito (B. Wong, "Color blindness", Nature Methods 8, 2011) and neutrals.
const OI_ORANGE: Color32 = Color32::from_rgb(230, 159, 0);
const OI_SKY_BLUE: Color32 = Color32::from_rgb(86, 180, 233);
const OI_BLUISH_GREEN: Color32 = Color32::from_rgb(0, 158, 115);
const OI_YELLOW: Color32 = Color32::from_rgb(240, 228, 66);
/// Okabe–Ito's blue, lightened a little to stand out on the dark background.
const OI_BLUE: Color32 = Color32::from_rgb(30, 120, 200);
const OI_REDDISH_PURPLE: Color32 = Color32::from_rgb(204, 121, 167);
/// Stalls and errors only.
const RED: Color32 = Color32::from_rgb(230, 60, 50);
const GREY: Color32 = Color32::from_rgb(150, 150, 150);
const DARK_GREY: Color32 = Color32::from_rgb(100, 100, 100);

// Kept for the connection list's and the certificates' words, which use the plain hues.
const ORANGE: Color32 = OI_ORANGE;
const GREEN: Color32 = Color32::from_rgb(90, 190, 100);
const BLUE: Color32 = OI_SKY_BLUE;

// Results of OpenSSL calls.
pub(crate) const CALL_DONE: Color32 = OI_BLUISH_GREEN;
pub(crate) const CALL_WANT_READ: Color32 = OI_SKY_BLUE;
pub(crate) const CALL_WANT_WRITE: Color32 = OI_ORANGE;
pub(crate) const CALL_CLOSED: Color32 = DARK_GREY;
/// An error: the same meaning (and red) wherever it is drawn.
pub(crate) const CALL_FAILED: Color32 = RED;
/// The band behind the attempts of one retried operation.
pub(crate) const RETRY_BAND: Color32 = Color32::from_rgb(225, 205, 225);

pub(crate) fn call(class: CallClass) -> Color32 {
    match class {
        CallClass::Done => CALL_DONE,
        CallClass::WantRead => CALL_WANT_READ,
        CallClass::WantWrite => CALL_WANT_WRITE,
        CallClass::Closed => CALL_CLOSED,
        CallClass::Failed => CALL_FAILED,
    }
}

// Socket operations.
/// A socket read or write that moved bytes: done, like a call that succeeded.
pub(crate) const IO_DONE: Color32 = CALL_DONE;
pub(crate) const IO_WOULD_BLOCK: Color32 = OI_YELLOW;
pub(crate) const IO_EOF_OR_ERROR: Color32 = CALL_FAILED;

pub(crate) fn io(outcome: IoOutcome) -> Color32 {
    match outcome {
        IoOutcome::Done => IO_DONE,
        IoOutcome::WouldBlock => IO_WOULD_BLOCK,
        IoOutcome::EofOrError => IO_EOF_OR_ERROR,
    }
}

// Readiness waits.
pub(crate) const WAIT_READABLE: Color32 = OI_BLUE;
pub(crate) const WAIT_WRITABLE: Color32 = OI_REDDISH_PURPLE;
pub(crate) const WAIT_EITHER: Color32 = Color32::from_rgb(160, 160, 110);

pub(crate) fn wait(class: WaitClass) -> Color32 {
    match class {
        WaitClass::Readable => WAIT_READABLE,
        WaitClass::Writable => WAIT_WRITABLE,
        WaitClass::Either => WAIT_EITHER,
    }
}

/// A stall: its note, its outline on the timeline, a stalled connection's text.
pub(crate) const STALL: Color32 = RED;

// Verdicts, by severity: red is for stalls only; a failure has its own colour.
pub(crate) const VERDICT_OK: Color32 = GREEN;
pub(crate) const VERDICT_NOTE: Color32 = Color32::from_rgb(140, 180, 230);
pub(crate) const VERDICT_SLOW: Color32 = Color32::from_rgb(230, 200, 80);
pub(crate) const VERDICT_FAILURE: Color32 = Color32::from_rgb(225, 100, 170);

/// The banner word and colour of a verdict's severity.
pub(crate) fn verdict(severity: Severity) -> (&'static str, Color32) {
    match severity {
        Severity::Ok => ("OK", VERDICT_OK),
        Severity::Note => ("Note", VERDICT_NOTE),
        Severity::Slow => ("Slow", VERDICT_SLOW),
        Severity::Stall => ("Stall", STALL),
        Severity::Failure => ("Failed", VERDICT_FAILURE),
    }
}
/// The background of a stalled connection in the list.
pub(crate) const STALL_CARD: Color32 = Color32::from_rgb(90, 30, 30);

// The handshake lane: state spans alternate two colours so neighbours stay apart.
pub(crate) const STATE_EVEN: Color32 = Color32::from_rgb(75, 85, 120);
pub(crate) const STATE_ODD: Color32 = Color32::from_rgb(60, 100, 110);
pub(crate) const STATE_LABEL: Color32 = Color32::WHITE;
pub(crate) const MSG_IN: Color32 = Color32::from_rgb(150, 165, 255);
pub(crate) const MSG_OUT: Color32 = Color32::from_rgb(255, 200, 140);
pub(crate) const MSG_LABEL: Color32 = Color32::LIGHT_GRAY;

// The selected call's outline.
pub(crate) const SELECTED_OUTLINE: Color32 = Color32::WHITE;
pub(crate) const SELECTED_FILL: Color32 = Color32::from_rgba_premultiplied(25, 25, 25, 25);

// Buffer levels.
pub(crate) const RECV_QUEUE: Color32 = Color32::from_rgb(100, 160, 255);
pub(crate) const SEND_QUEUE: Color32 = Color32::from_rgb(255, 180, 70);
pub(crate) const SSL_PENDING: Color32 = Color32::from_rgb(230, 230, 230);

/// The dashed line where a buffer is full (100 %).
pub(crate) const FULL_LINE: Color32 = GREY;

// The TCP plot.
pub(crate) const RTT: Color32 = Color32::from_rgb(255, 120, 255);
pub(crate) const PEER_WINDOW: Color32 = Color32::from_rgb(140, 230, 160);
/// A series with nothing to show yet.
pub(crate) const NO_DATA: Color32 = GREY;

// A connection's state in the list.
pub(crate) const STATUS_STARTING: Color32 = BLUE;
pub(crate) const STATUS_OPEN: Color32 = GREEN;
pub(crate) const STATUS_WAITING: Color32 = ORANGE;
pub(crate) const STATUS_CLOSED: Color32 = GREY;
pub(crate) const STATUS_FAILED: Color32 = RED;

// Text.
/// Secondary text: headings of the key, counts, notes.
pub(crate) const MUTED: Color32 = GREY;
pub(crate) const ERROR_TEXT: Color32 = RED;
/// The status line's dropped-events count when it is not zero.
pub(crate) const DROPPED: Color32 = RED;

// Certificates.
pub(crate) const VERIFY_OK: Color32 = GREEN;
pub(crate) const VERIFY_SKIPPED: Color32 = ORANGE;
pub(crate) const VERIFY_FAILED: Color32 = RED;
pub(crate) const CERT_VALID: Color32 = GREEN;
pub(crate) const CERT_INVALID: Color32 = RED;
pub(crate) const CERT_UNREADABLE: Color32 = GREY;

/// The waterfall's bars, one colour per step (neighbours, and all pairs, stay apart for
/// colour-blind eyes: `palette_tests::waterfall_steps_stay_apart`).
pub(crate) fn timing_step(step: crate::trace::timing::Step) -> Color32 {
    use crate::trace::timing::Step;
    match step {
        Step::Resolve => OI_BLUISH_GREEN,
        Step::Connect => OI_ORANGE,
        Step::Proxy => Color32::from_rgb(150, 100, 50),
        Step::Starttls => OI_YELLOW,
        Step::Handshake => OI_REDDISH_PURPLE,
        Step::Actions => Color32::from_rgb(100, 60, 150),
        Step::Request => OI_SKY_BLUE,
        Step::FirstByte => Color32::from_rgb(200, 200, 200),
        Step::LastByte => OI_BLUE,
        Step::Close => Color32::from_rgb(110, 110, 110),
    }
}

/// A handshake round trip, drawn over the handshake's bar.
pub(crate) const ROUND_TRIP: Color32 = Color32::WHITE;
/// The line under a connection's bars, from its start to its end.
pub(crate) const TIMING_EXTENT: Color32 = DARK_GREY;
/// The waterfall's vertical lines at the axis's ticks.
pub(crate) const TIMING_GRID: Color32 = Color32::from_rgb(55, 55, 55);

#[cfg(test)]
mod palette_tests {
    //! Colour distances in CIELAB (ΔE*76), and the colour-vision deficiencies simulated with
    //! the matrices of Machado, Oliveira & Fernandes (2009) at full severity.
    use super::*;

    /// What the timeline draws, by meaning, grouped by where the marks sit side by side.
    fn views() -> Vec<(&'static str, Vec<(&'static str, Color32)>)> {
        vec![
            (
                "calls lane",
                vec![
                    ("done", CALL_DONE),
                    ("WANT_READ", CALL_WANT_READ),
                    ("WANT_WRITE", CALL_WANT_WRITE),
                    ("closed", CALL_CLOSED),
                    ("stall or error", CALL_FAILED),
                    ("retried operation", RETRY_BAND),
                ],
            ),
            (
                "socket lane",
                vec![
                    ("done", IO_DONE),
                    ("would block", IO_WOULD_BLOCK),
                    ("stall or error", IO_EOF_OR_ERROR),
                ],
            ),
            (
                "waits lane",
                vec![
                    ("wait for readable", WAIT_READABLE),
                    ("wait for writable", WAIT_WRITABLE),
                    ("wait for either", WAIT_EITHER),
                    ("stall or error", STALL),
                ],
            ),
            (
                "handshake lane",
                vec![
                    ("state", STATE_EVEN),
                    ("message in", MSG_IN),
                    ("message out", MSG_OUT),
                ],
            ),
            (
                "buffer plot",
                vec![
                    ("receive queue", RECV_QUEUE),
                    ("send queue", SEND_QUEUE),
                    ("SSL_pending", SSL_PENDING),
                ],
            ),
            (
                "TCP plot",
                vec![("rtt", RTT), ("peer's window", PEER_WINDOW)],
            ),
        ]
    }

    fn linear(c: u8) -> f64 {
        let c = c as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    fn lab([r, g, b]: [f64; 3]) -> [f64; 3] {
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        let (fx, fy, fz) = (f(x), f(y), f(z));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    type Vision = [[f64; 3]; 3];
    const NORMAL: Vision = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    const DEUTAN: Vision = [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ];
    const PROTAN: Vision = [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ];
    const TRITAN: Vision = [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ];

    /// The CIELAB colour `c` appears as with `vision`.
    fn seen(c: Color32, vision: &Vision) -> [f64; 3] {
        let l = [linear(c.r()), linear(c.g()), linear(c.b())];
        let m = |row: &[f64; 3]| (row[0] * l[0] + row[1] * l[1] + row[2] * l[2]).clamp(0.0, 1.0);
        lab([m(&vision[0]), m(&vision[1]), m(&vision[2])])
    }

    fn delta(a: Color32, b: Color32, vision: &Vision) -> f64 {
        let (a, b) = (seen(a, vision), seen(b, vision));
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    }

    #[test]
    fn no_two_meanings_share_a_colour() {
        // Every meaning drawn anywhere on the timeline, once (a meaning such as "error" that
        // appears in two lanes keeps its one colour).
        let mut all: Vec<(&str, Color32)> = Vec::new();
        for (_, marks) in views() {
            for m in marks {
                if let Some(seen) = all.iter().find(|o| o.0 == m.0) {
                    assert_eq!(seen.1, m.1, "{} has two colours", m.0);
                } else {
                    all.push(m);
                }
            }
        }
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let d = delta(a.1, b.1, &NORMAL);
                assert!(d >= 10.0, "{} and {} look alike (ΔE {d:.1})", a.0, b.0);
            }
        }
        // The colours that used to share one orange now differ.
        let orange = [CALL_WANT_WRITE, IO_WOULD_BLOCK, WAIT_WRITABLE, SEND_QUEUE];
        for (i, a) in orange.iter().enumerate() {
            for b in &orange[i + 1..] {
                assert!(delta(*a, *b, &NORMAL) >= 10.0);
            }
        }
    }

    #[test]
    fn marks_side_by_side_stay_apart_for_colour_blind_eyes() {
        for (view, marks) in views() {
            for (vision, name, least) in [
                (&NORMAL, "normal", 20.0),
                (&DEUTAN, "deuteranopia", 12.0),
                (&PROTAN, "protanopia", 12.0),
                (&TRITAN, "tritanopia", 12.0),
            ] {
                for (i, a) in marks.iter().enumerate() {
                    for b in &marks[i + 1..] {
                        let d = delta(a.1, b.1, vision);
                        assert!(
                            d >= least,
                            "{view}: {} and {} look alike with {name} (ΔE {d:.1})",
                            a.0,
                            b.0
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn waterfall_steps_stay_apart() {
        use crate::trace::timing::Step;
        let steps = Step::ALL;
        for (i, a) in steps.iter().enumerate() {
            for b in &steps[i + 1..] {
                for (vision, name) in [
                    (&NORMAL, "normal"),
                    (&DEUTAN, "deuteranopia"),
                    (&PROTAN, "protanopia"),
                    (&TRITAN, "tritanopia"),
                ] {
                    let d = delta(timing_step(*a), timing_step(*b), vision);
                    assert!(
                        d >= 12.0,
                        "{a:?} and {b:?} look alike with {name} (ΔE {d:.1})"
                    );
                }
            }
            assert_ne!(timing_step(*a), RED, "red means a stall or an error");
        }
    }

    #[test]
    fn red_means_a_stall_or_an_error_only() {
        let red = [CALL_FAILED, IO_EOF_OR_ERROR, STALL, ERROR_TEXT, DROPPED];
        assert!(red.iter().all(|&c| c == RED));
        for (_, marks) in views() {
            for (name, c) in marks {
                if c == RED {
                    assert_eq!(name, "stall or error");
                }
            }
        }
    }
}

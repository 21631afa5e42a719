//! Every colour the window uses, named by what it means, so the palette changes in one place.
//! Several meanings still share one hue (WANT_WRITE, would-block, waiting for writable and the
//! send queue are all the same orange): each has its own name here so they can be told apart.

use crate::trace::store::{CallClass, IoOutcome, WaitClass};
use crate::trace::verdict::Severity;
use egui::Color32;

const RED: Color32 = Color32::from_rgb(235, 80, 70);
const ORANGE: Color32 = Color32::from_rgb(240, 150, 40);
const GREEN: Color32 = Color32::from_rgb(90, 190, 100);
const BLUE: Color32 = Color32::from_rgb(80, 150, 240);
const GREY: Color32 = Color32::from_rgb(150, 150, 150);

// Results of OpenSSL calls.
pub(crate) const CALL_DONE: Color32 = GREEN;
pub(crate) const CALL_WANT_READ: Color32 = BLUE;
pub(crate) const CALL_WANT_WRITE: Color32 = ORANGE;
pub(crate) const CALL_CLOSED: Color32 = GREY;
pub(crate) const CALL_FAILED: Color32 = RED;
/// The band behind the attempts of one retried operation.
pub(crate) const RETRY_BAND: Color32 = Color32::from_rgb(170, 170, 200);

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
pub(crate) const IO_DONE: Color32 = GREEN;
pub(crate) const IO_WOULD_BLOCK: Color32 = ORANGE;
pub(crate) const IO_EOF_OR_ERROR: Color32 = RED;

pub(crate) fn io(outcome: IoOutcome) -> Color32 {
    match outcome {
        IoOutcome::Done => IO_DONE,
        IoOutcome::WouldBlock => IO_WOULD_BLOCK,
        IoOutcome::EofOrError => IO_EOF_OR_ERROR,
    }
}

// Readiness waits.
pub(crate) const WAIT_READABLE: Color32 = BLUE;
pub(crate) const WAIT_WRITABLE: Color32 = ORANGE;
pub(crate) const WAIT_EITHER: Color32 = GREY;

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
pub(crate) const STATE_EVEN: Color32 = Color32::from_rgb(120, 100, 200);
pub(crate) const STATE_ODD: Color32 = Color32::from_rgb(90, 140, 180);
pub(crate) const STATE_LABEL: Color32 = Color32::WHITE;
pub(crate) const MSG_IN: Color32 = Color32::from_rgb(200, 170, 255);
pub(crate) const MSG_OUT: Color32 = Color32::from_rgb(255, 200, 120);
pub(crate) const MSG_LABEL: Color32 = Color32::LIGHT_GRAY;

// The selected call's outline.
pub(crate) const SELECTED_OUTLINE: Color32 = Color32::WHITE;
pub(crate) const SELECTED_FILL: Color32 = Color32::from_rgba_premultiplied(25, 25, 25, 25);

// Buffer levels.
pub(crate) const RECV_QUEUE: Color32 = BLUE;
pub(crate) const SEND_QUEUE: Color32 = ORANGE;
pub(crate) const SSL_PENDING: Color32 = GREEN;

/// The SO_SNDBUF line: the send queue's colour, dimmed.
pub(crate) fn sndbuf_line() -> Color32 {
    SEND_QUEUE.gamma_multiply(0.5)
}

/// The SO_RCVBUF line: the receive queue's colour, dimmed.
pub(crate) fn rcvbuf_line() -> Color32 {
    RECV_QUEUE.gamma_multiply(0.5)
}

// The TCP plot.
pub(crate) const RTT: Color32 = Color32::from_rgb(200, 130, 230);
pub(crate) const PEER_WINDOW: Color32 = Color32::from_rgb(230, 210, 90);
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

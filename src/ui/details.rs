//! The details of the selected call: result, everything inside it, the buffer levels at that
//! instant, and what the result means for a correct program.

use super::connections::{BLUE, GREY, ORANGE, RED};
use super::model::{fmt_dur, Model};
use crate::trace::explain::explain;
use crate::trace::store::CallClass;
use crate::trace::{text, SslError};
use egui::RichText;

/// Colour of a call result class.
pub fn class_colour(class: CallClass) -> egui::Color32 {
    match class {
        CallClass::Done => super::connections::GREEN,
        CallClass::WantRead => BLUE,
        CallClass::WantWrite => ORANGE,
        CallClass::Closed => GREY,
        CallClass::Failed => RED,
    }
}

pub fn ui(ui: &mut egui::Ui, model: &Model) {
    ui.heading("Details");
    let Some(sel) = model.selection else {
        ui.label("Click a call in the timeline or the table to see what happened inside it.");
        return;
    };
    let Some(c) = model.store.conn(sel.conn) else {
        return;
    };
    let i = sel.call;
    let (Some(&op), Some(&error), Some(&ret)) =
        (c.call_op.get(i), c.call_error.get(i), c.call_ret.get(i))
    else {
        return;
    };
    let start = c.calls.start[i];
    let end = c.calls.end[i];
    let class = CallClass::of(error);
    ui.label(
        RichText::new(format!(
            "{} #{} returned {} {}",
            op.name(),
            c.call_id[i],
            ret,
            error.name()
        ))
        .color(class_colour(class))
        .strong()
        .size(16.0),
    );
    ui.label(format!(
        "at {:.3} ms, took {}, {} application bytes; attempt {} of this operation",
        start as f64 / 1e6,
        fmt_dur(end - start),
        c.call_bytes[i],
        c.call_attempt[i]
    ));
    let nested = c.nested(i);
    ui.add_space(4.0);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(explain(op, error, ret, &nested)).italics());
    });
    ui.add_space(4.0);
    if let Some((at, (inq, outq, pending))) = c.levels_after(end) {
        let when = if at >= end {
            format!("{} after the call", fmt_dur(at - end))
        } else {
            format!("{} before the call ended", fmt_dur(end - at))
        };
        ui.label(format!(
            "Buffers ({when}): receive queue {inq} B of SO_RCVBUF {} B, send queue {outq} B of SO_SNDBUF {} B, SSL_pending {pending} B",
            c.rcvbuf.unwrap_or(0),
            c.sndbuf.unwrap_or(0)
        ));
    }
    if error == SslError::WantWrite || error == SslError::WantRead {
        // How the wait after this call ended, if it did.
        let w = c.waits.start.partition_point(|&s| s < end);
        if let Some(&ws) = c.waits.start.get(w) {
            if c.calls.start.get(i + 1).is_none_or(|&next| ws <= next) {
                ui.label(format!(
                    "Then waited {} for the socket; woke: {}",
                    fmt_dur(c.waits.end[w] - ws),
                    c.wait_woke[w].name()
                ));
            }
        }
    }
    ui.separator();
    ui.label(RichText::new(format!("Inside the call ({} events)", nested.len())).strong());
    egui::ScrollArea::vertical()
        .id_salt("details-nested")
        .show(ui, |ui| {
            for e in nested {
                ui.label(
                    RichText::new(format!(
                        "+{:>9}  {}",
                        fmt_dur(e.t.saturating_sub(start)),
                        text::describe(e)
                    ))
                    .monospace(),
                );
            }
        });
}

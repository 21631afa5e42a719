//! The details of the selected call: result, everything inside it, the buffer levels at that
//! instant, and what the result means for a correct program. Copy (the button, or a right-click
//! on the call) puts the call and everything inside it on the clipboard.

use super::model::Model;
use super::{copy, style};
use crate::trace::explain::explain;
use crate::trace::store::{CallClass, ConnTrace, Stored, Timed};
use crate::trace::{format, text, Call, Nanos};
use egui::RichText;

pub fn ui(ui: &mut egui::Ui, model: &mut Model) {
    let mut copy_call = false;
    ui.horizontal(|ui| {
        ui.heading("Details");
        let hint = "Copy the call and everything inside it as text (Ctrl+C)";
        let enabled = model.selection.is_some();
        copy_call = ui
            .add_enabled(enabled, egui::Button::new("Copy call").small())
            .on_hover_text(hint)
            .clicked();
    });
    // One scroll for the whole panel: it shares the window's bottom with the events table.
    egui::ScrollArea::vertical()
        .id_salt("details")
        .auto_shrink([false, false])
        .show(ui, |ui| copy_call |= contents(ui, model));
    let text = model.selection.and_then(|s| {
        let c = model.store.conn(s.conn)?;
        copy::call_text(model, c, s.call)
    });
    if let (true, Some(text)) = (copy_call, text) {
        copy::to_clipboard(ui.ctx(), model, "the call", text);
    }
}

/// Draws the selected call; true when its context menu asked to copy it.
fn contents(ui: &mut egui::Ui, model: &Model) -> bool {
    let Some(sel) = model.selection else {
        ui.label("Click a call in the timeline or the table to see what happened inside it.");
        return false;
    };
    let Some(c) = model.store.conn(sel.conn) else {
        return false;
    };
    let i = sel.call;
    let Some(&Call { op, error, ret, .. }) = c.call(i) else {
        return false;
    };
    let copy = result(ui, c, i);
    let nested = c.nested(i);
    let kinds: Vec<_> = nested.iter().map(|e| &e.kind).collect();
    ui.add_space(4.0);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(explain(op, error, ret, &kinds)).italics());
    });
    ui.add_space(4.0);
    buffers(ui, c, c.calls().end(i));
    // How the wait after this call ended, if it did.
    if let Some(w) = c.wait_after(i).filter(|_| error.is_want()) {
        ui.label(format!(
            "Then waited {} for the socket; woke: {}",
            format::duration(c.waits().duration(w)),
            c.wait(w).map_or("?", |w| w.woke.name())
        ));
    }
    ui.separator();
    inside(ui, c.calls().start(i), &nested);
    copy
}

/// What call `i` returned, when, for how long; true when its context menu asked to copy it.
fn result(ui: &mut egui::Ui, c: &ConnTrace, i: usize) -> bool {
    let Some(&call) = c.call(i) else {
        return false;
    };
    let Call {
        id, op, ret, error, ..
    } = call;
    let bytes = call.bytes();
    let (start, end) = (c.calls().start(i), c.calls().end(i));
    let title = format!("{} #{id} returned {ret} {}", op.name(), error.name());
    let colour = style::call(CallClass::of(error));
    let mut copy = false;
    ui.label(RichText::new(title).color(colour).strong().size(16.0))
        .context_menu(|ui| {
            if ui
                .button("Copy the call with everything inside it")
                .clicked()
            {
                copy = true;
                ui.close();
            }
        });
    ui.label(format!(
        "at {} from the start, took {}, {} application bytes; attempt {} of this operation",
        format::since(start, c.first_t),
        format::duration(end - start),
        bytes,
        c.attempt(i)
    ));
    copy
}

/// The buffer levels sampled nearest after a call that ended at `end`.
fn buffers(ui: &mut egui::Ui, c: &ConnTrace, end: Nanos) {
    let Some((at, (inq, outq, pending))) = c.levels_after(end) else {
        return;
    };
    let when = if at >= end {
        format!("{} after the call", format::duration(at - end))
    } else {
        format!("{} before the call ended", format::duration(end - at))
    };
    ui.label(format!(
        "Buffers ({when}): receive queue {inq} B of SO_RCVBUF {} B, send queue {outq} B of SO_SNDBUF {} B, SSL_pending {pending} B",
        c.rcvbuf.unwrap_or(0),
        c.sndbuf.unwrap_or(0)
    ));
}

/// The events inside a call that started at `start`, timed from its start.
fn inside(ui: &mut egui::Ui, start: Nanos, nested: &[&Stored]) {
    let title = format!("Inside the call ({} events)", nested.len());
    ui.label(RichText::new(title).strong());
    for e in nested {
        let since = format::duration(e.t.saturating_sub(start));
        let line = format!("+{since:>9}  {}", text::describe_kind(&e.kind));
        ui.label(RichText::new(line).monospace());
    }
}

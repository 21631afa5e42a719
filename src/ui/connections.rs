//! The list of connections: each card with its target, state, duration and one-line verdict; a
//! connection whose verdict is a stall keeps its red frame, even after it closed. Closed
//! connections can be removed; a checkbox per card picks connections for the compare view.

use super::model::{Model, Source};
use super::style;
use crate::trace::store::{ConnTrace, Status, Store};
use crate::trace::verdict::{Class, Severity};
use crate::trace::{format, ConnId, Nanos};
use egui::{Color32, RichText};

/// The words and colour for a connection's state at `now`.
pub fn describe(c: &ConnTrace, now: Nanos) -> (String, Color32) {
    match c.status() {
        Status::Connecting => ("connecting".into(), style::STATUS_STARTING),
        Status::Handshaking => ("handshaking".into(), style::STATUS_STARTING),
        Status::Open => ("open".into(), style::STATUS_OPEN),
        Status::Waiting { op, error, since } => {
            let dir = if error == crate::trace::SslError::WantWrite {
                "write"
            } else {
                "read"
            };
            let text = format!(
                "{} waiting on {dir} for {}",
                op.name(),
                format::duration(now.saturating_sub(since))
            );
            let colour = if c.is_stalled(now) {
                style::STALL
            } else {
                style::STATUS_WAITING
            };
            (text, colour)
        }
        Status::Closed(reason) => (format!("closed ({})", reason.name()), style::STATUS_CLOSED),
        // The card's verdict line says why; the error is not repeated here.
        Status::Failed(_) => ("failed".into(), style::STATUS_FAILED),
    }
}

/// What the user asked of the list this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardAction {
    /// Show this connection in the timeline and the tables.
    Show(ConnId),
    /// Forget this closed connection.
    Remove(ConnId),
    /// Forget every closed connection.
    ClearClosed,
}

/// Forgets the connections `ids` (closed ones only: a live connection still sends events) and
/// everything that pointed at them. Rebuilds the store from the kept connections' events, once,
/// on the user's click (the store has no removal of its own).
pub fn remove(model: &mut Model, compare: &mut Vec<ConnId>, ids: &[ConnId]) {
    let gone = |c: &ConnTrace| ids.contains(&c.id) && c.close.is_some();
    if !model.store.conns.iter().any(gone) {
        return;
    }
    let old = std::mem::take(&mut model.store);
    let mut store = Store::new();
    for c in old.conns.iter().filter(|c| !gone(c)) {
        // Back as whole events, a batch at a time (not a second copy of a large connection).
        for chunk in c.events.chunks(65_536) {
            let batch: Vec<_> = chunk.iter().map(|e| e.event(c.id)).collect();
            store.push_batch(&batch);
        }
    }
    // Counted over the whole session, not only what is kept.
    store.dropped = old.dropped;
    store.last_t = old.last_t;
    model.store = store;
    let kept = |id: &ConnId| model.store.conn(*id).is_some();
    model.labels.retain(|id, _| kept(id));
    model.sources.retain(|id, _| kept(id));
    model.clocks.retain(|id, _| kept(id));
    model.cause_shown.retain(|id| kept(id));
    compare.retain(|id| kept(id));
    if model.selected_conn.is_some_and(|id| !kept(&id)) {
        model.selected_conn = None;
    }
    if model.selection.is_some_and(|s| !kept(&s.conn)) {
        model.selection = None;
    }
    // Whatever is shown now is framed afresh.
    model.follow = true;
}

/// Draws the list; `compare` holds the connections picked for the compare view.
pub fn ui(ui: &mut egui::Ui, model: &mut Model, compare: &mut Vec<ConnId>) {
    let closed = model
        .store
        .conns
        .iter()
        .filter(|c| c.close.is_some())
        .count();
    let mut action = None;
    ui.horizontal(|ui| {
        ui.heading("Connections");
        if closed > 0 {
            let clear = ui.small_button("Clear closed").on_hover_text(format!(
                "Remove the {closed} closed connection(s) from the list"
            ));
            if clear.clicked() {
                action = Some(CardAction::ClearClosed);
            }
        }
    });
    if model.store.conns.is_empty() {
        ui.label(
            "None yet: type a target above and press Connect, pick a lab scenario, or run a \
             program with run: CMD ARGS.",
        );
        return;
    }
    ui.label(
        RichText::new("Tick two or more to compare their timelines.")
            .small()
            .color(style::MUTED),
    );
    let current = model.current().map(|c| c.id);
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for c in model.store.conns.iter().rev() {
                if let Some(a) = card(ui, model, c, current == Some(c.id), compare) {
                    action = Some(a);
                }
            }
        });
    match action {
        Some(CardAction::Show(id)) => {
            if model.selected_conn != Some(id) {
                model.selection = None;
                model.follow = true;
            }
            model.selected_conn = Some(id);
        }
        Some(CardAction::Remove(id)) => remove(model, compare, &[id]),
        Some(CardAction::ClearClosed) => {
            let ids: Vec<ConnId> = model
                .store
                .conns
                .iter()
                .filter(|c| c.close.is_some())
                .map(|c| c.id)
                .collect();
            remove(model, compare, &ids);
        }
        None => {}
    }
}

/// One connection's card: title row (compare tick, target, ×), state and duration, verdict.
fn card(
    ui: &mut egui::Ui,
    model: &Model,
    c: &ConnTrace,
    current: bool,
    compare: &mut Vec<ConnId>,
) -> Option<CardAction> {
    let now = model.now_of(c.id);
    let (text, colour) = describe(c, now);
    let verdict = c.verdict(now);
    let stalled = verdict.severity() == Severity::Stall;
    let mut frame = egui::Frame::group(ui.style()).fill(if stalled {
        style::STALL_CARD
    } else {
        Color32::TRANSPARENT
    });
    if stalled {
        frame = frame.stroke(egui::Stroke::new(1.5, style::STALL));
    }
    let mut action = None;
    frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let mut picked = compare.contains(&c.id);
            let tick = ui
                .add(egui::Checkbox::without_text(&mut picked))
                .on_hover_text("Compare: tick two or more connections to see them stacked");
            if tick.changed() {
                toggle(compare, c.id, picked);
            }
            // The × sits at the right end; the title takes what is left, truncated.
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if c.close.is_some() {
                    let x = ui
                        .small_button("×")
                        .on_hover_text("Remove this closed connection from the list");
                    if x.clicked() {
                        action = Some(CardAction::Remove(c.id));
                    }
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    // An opened trace: its number and target here, its file on a line below.
                    let title = match model.sources.get(&c.id) {
                        Some(Source::Opened { number, .. }) => {
                            format!("#{number} {}", model.label(c.id))
                        }
                        _ => model.title(c.id),
                    };
                    let title = crate::trace::escape::escape(&title).into_owned();
                    let r = ui
                        .add(
                            egui::Button::selectable(
                                current,
                                RichText::new(&title).color(colour).strong(),
                            )
                            .truncate(),
                        )
                        .on_hover_text(model.title(c.id));
                    if r.clicked() {
                        action = Some(CardAction::Show(c.id));
                    }
                });
            });
        });
        if let Some(Source::Opened { file, .. }) = model.sources.get(&c.id) {
            let from = RichText::new(format!("from {file}")).color(style::MUTED);
            ui.add(egui::Label::new(from).truncate())
                .on_hover_text(file);
        }
        let took = c.end_at(now).saturating_sub(c.first_t.min(c.last_t));
        // Wrapped: "SSL_write waiting on write for 2.95 s" is long, and a row that does not
        // wrap would widen the whole panel for good.
        ui.horizontal_wrapped(|ui| {
            let mut status = RichText::new(text).color(colour);
            if stalled {
                status = status.strong();
            }
            ui.label(status);
            ui.label(
                RichText::new(format!(
                    "· {} · {} calls",
                    format::duration(took),
                    c.call_spans.len()
                ))
                .color(style::MUTED),
            );
        });
        if verdict.class != Class::InProgress {
            let (word, colour) = style::verdict(verdict.severity());
            ui.horizontal(|ui| {
                let full = format!("{}\n\n{}", verdict.summary, verdict.class.meaning());
                ui.label(
                    RichText::new(format!("{word}: {}", verdict.class.name()))
                        .color(colour)
                        .strong(),
                )
                .on_hover_text(&full);
                // The summary in full is in the banner and on hover; here one line of it.
                ui.add(egui::Label::new(RichText::new(&verdict.summary).color(colour)).truncate())
                    .on_hover_text(&full);
            });
        }
    });
    action
}

/// Adds or removes `id` from the compare picks, keeping the order they were picked in.
pub fn toggle(compare: &mut Vec<ConnId>, id: ConnId, on: bool) {
    compare.retain(|&x| x != id);
    if on {
        compare.push(id);
    }
}

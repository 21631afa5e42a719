//! The table of all events of the current connection: virtualised (only visible rows are laid
//! out) and filtered by kind, operation and result. The filtered row list grows incrementally.
//! It shares the timeline's selection: a picked row selects its call and frames it there, and a
//! call selected elsewhere scrolls its row into view. Rows can be picked for copying (click,
//! Shift+click, Ctrl+A; right-click for Copy).

use super::copy;
use super::model::{Model, Selection};
use super::row_pick::RowPick;
use super::rows::Rows;
use crate::trace::store::{EventFilter, Stored, Timed};
use crate::trace::{ConnId, EventKind, Op, SslError};

const KINDS: [&str; 13] = [
    "phase",
    "call",
    "io",
    "wait",
    "state",
    "msg",
    "sock",
    "tls",
    "connected",
    "close",
    "error",
    "dropped",
    "paused",
];

#[derive(Debug, Default)]
pub struct EventsTable {
    pub filter: EventFilter,
    /// Indices into the connection's events that pass the filter.
    rows: Rows,
    /// For which connection and filter `rows` was built, and how far it has scanned.
    built_for: Option<(ConnId, EventFilter)>,
    scanned: usize,
    /// The selection the table last showed; a different one is scrolled to.
    seen: Option<Selection>,
    /// The row the table last scrolled to (for tests: scrolling itself is not observable).
    pub scrolled_to: Option<usize>,
    /// Frames left to keep scrolling to `scrolled_to` until it is drawn: the area clamps an
    /// offset to the previous frame's height, short while events of the call still arrive.
    scroll_frames: u8,
    /// The rows picked for copying (of the connection the rows were built for).
    pub picked: RowPick,
}

/// What a click or the context menu on a row asked for.
enum RowAction {
    /// A plain click: pick the row and select its call.
    Pick(u32, Option<usize>),
    /// Shift+click: extend the pick to this row.
    Extend(u32),
    /// A right-click on a row outside the pick: pick it alone.
    PickOnly(u32),
    CopyRows,
    CopyCall(usize),
}

impl EventsTable {
    /// Brings the row list up to date, scanning only events not seen yet.
    pub fn refresh(&mut self, model: &Model) -> usize {
        let Some(c) = model.current() else {
            self.rows = Rows::default();
            return 0;
        };
        let key = (c.id, self.filter.clone());
        if self.built_for.as_ref().map(|k| k.0) != Some(c.id) {
            self.picked.clear();
        }
        // Fewer events than scanned: the connection was rebuilt (a replay sought back).
        if self.built_for.as_ref() != Some(&key) || c.events.len() < self.scanned {
            self.rows = Rows::default();
            self.scanned = 0;
            self.built_for = Some(key);
        }
        for (i, e) in c.events.iter().enumerate().skip(self.scanned) {
            self.rows.push(i as u32, self.filter.accepts(e));
        }
        self.scanned = c.events.len();
        self.rows.len()
    }

    /// The row of the selected call's event, or the row nearest after it when the filter hides
    /// it (binary search: the rows are sorted event indices).
    pub fn row_of(&self, model: &Model, sel: Selection) -> Option<usize> {
        let c = model.store.conn(sel.conn)?;
        let event = c.call_event(sel.call)?;
        if self.built_for.as_ref().map(|(id, _)| *id) != Some(sel.conn) || self.rows.is_empty() {
            return None;
        }
        let r = self.rows.position(event);
        Some(r.min(self.rows.len() - 1))
    }

    /// The picked rows of the shown connection as text, and how many there are.
    pub fn picked_text(&self, model: &Model) -> Option<(usize, String)> {
        let c = model.current()?;
        if self.built_for.as_ref().map(|k| k.0) != Some(c.id) {
            return None;
        }
        let rows = self.picked.rows(&self.rows);
        (!rows.is_empty()).then(|| (rows.len(), copy::rows_text(c, self.rows.range(rows))))
    }

    /// How many rows are picked (cheap: the copy menu asks every frame).
    pub fn picked_count(&self, model: &Model) -> usize {
        match model.current() {
            Some(c) if self.built_for.as_ref().map(|k| k.0) == Some(c.id) => {
                self.picked.rows(&self.rows).len()
            }
            _ => 0,
        }
    }

    /// Picks every row the filter shows (Ctrl+A).
    pub fn pick_all(&mut self, model: &Model) {
        self.refresh(model);
        self.picked.all(&self.rows);
    }

    /// The call a row stands for: its own call, the call it happened inside, or (a wait, a
    /// buffer sample) the call before it.
    fn call_of_row(c: &crate::trace::store::ConnTrace, e: &Stored) -> Option<usize> {
        match e.call_id() {
            Some(id) => c.call_index(id),
            None => c.calls().started_by(e.t).checked_sub(1),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, model: &mut Model) {
        // Wrapped: at 1024 px the menus and the count may need two lines.
        ui.horizontal_wrapped(|ui| {
            egui::ComboBox::from_label("kind")
                .width(100.0)
                .selected_text(self.filter.kind.unwrap_or("any kind"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.kind, None, "any kind");
                    for k in KINDS {
                        ui.selectable_value(&mut self.filter.kind, Some(k), k);
                    }
                });
            egui::ComboBox::from_label("operation")
                .width(100.0)
                .selected_text(self.filter.op.map_or("any operation", Op::name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.op, None, "any operation");
                    for op in Op::ALL {
                        ui.selectable_value(&mut self.filter.op, Some(op), op.name());
                    }
                });
            egui::ComboBox::from_label("result")
                .width(100.0)
                .selected_text(self.filter.result.map_or("any result", SslError::name))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter.result, None, "any result");
                    for code in [0, 2, 3, 6, 5, 1] {
                        let e = SslError::from_code(code);
                        ui.selectable_value(&mut self.filter.result, Some(e), e.name());
                    }
                });
            // Counted after this frame's filter change.
            let n = self.refresh(model);
            ui.add(egui::Label::new(format!("{n} rows")).wrap_mode(egui::TextWrapMode::Extend));
        });
        let n = self.rows.len();
        let Some(c) = model.current() else {
            return;
        };
        let conn = c.id;
        let mut action = None;
        // A row is a selectable label: its text, its padding, at least the interact height
        // (the virtualised area must know the real height to place and scroll rows).
        let text_height = ui.text_style_height(&egui::TextStyle::Monospace);
        let row_height =
            (text_height + 2.0 * ui.spacing().button_padding.y).max(ui.spacing().interact_size.y);
        // Both ways: a row is one line (a wrapped row would break the virtualised layout).
        let mut area = egui::ScrollArea::both()
            .id_salt("events-table")
            .auto_shrink([false, false]);
        // A call selected elsewhere (timeline, banner): bring its row into view, a third down.
        if model.selection != self.seen {
            self.seen = model.selection;
            self.scrolled_to = model.selection.and_then(|s| self.row_of(model, s));
            self.scroll_frames = 10;
        }
        let target = self.scrolled_to.filter(|_| self.scroll_frames > 0);
        if let Some(r) = target {
            self.scroll_frames -= 1;
            let pitch = row_height + ui.spacing().item_spacing.y;
            let shown = ui.available_height();
            // Past the last row the area would spring back (and keep repainting).
            let most = (n as f32 * pitch - shown - pitch).max(0.0);
            let offset = (r as f32 * pitch - shown / 3.0).clamp(0.0, most);
            area = area.vertical_scroll_offset(offset);
        }
        let mut drawn = 0..0;
        area.show_rows(ui, row_height, n, |ui, range| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            drawn = range.clone();
                for row in self.rows.range(range) {
                    let Some(e) = c.events.get(row as usize) else {
                        continue;
                    };
                    let line = copy::row_line(c, e);
                    let picked = self.picked.contains(row);
                    let selected = picked || matches!((&e.kind, model.selection), (EventKind::Call(call), Some(s)) if s.conn == conn && c.call(s.call).map(|k| k.id) == Some(call.id));
                    let r = ui.selectable_label(selected, egui::RichText::new(line).monospace());
                    if r.clicked() {
                        action = Some(if ui.input(|i| i.modifiers.shift) {
                            RowAction::Extend(row)
                        } else {
                            RowAction::Pick(row, Self::call_of_row(c, e))
                        });
                    }
                    if r.secondary_clicked() && !picked {
                        action = Some(RowAction::PickOnly(row));
                    }
                    let call = Self::call_of_row(c, e);
                    r.context_menu(|ui| {
                        if ui.button("Copy the picked rows (Ctrl+C)").clicked() {
                            action = Some(RowAction::CopyRows);
                        }
                        let copy_call = ui.add_enabled(
                            call.is_some(),
                            egui::Button::new("Copy this row's call with everything inside it"),
                        );
                        if let (true, Some(i)) = (copy_call.clicked(), call) {
                            action = Some(RowAction::CopyCall(i));
                        }
                    });
                }
            });
        if let Some(r) = target {
            if drawn.contains(&r) {
                self.scroll_frames = 0;
            } else {
                ui.ctx().request_repaint();
            }
        }
        match action {
            Some(RowAction::Pick(row, call)) => {
                self.picked.click(row);
                // The same selection as the timeline's: select the call and frame it there.
                // The row is on screen already, so the table does not scroll to it.
                if let Some(id) = call.and_then(|i| c.call(i)).map(|k| k.id) {
                    model.jump_to(conn, id);
                }
                self.seen = model.selection;
            }
            Some(RowAction::Extend(row)) => self.picked.extend(row),
            Some(RowAction::PickOnly(row)) => self.picked.click(row),
            Some(RowAction::CopyRows) => self.copy_picked(ui.ctx(), model),
            Some(RowAction::CopyCall(i)) => {
                if let Some(text) = copy::call_text(model, c, i) {
                    copy::to_clipboard(ui.ctx(), model, "the call", text);
                }
            }
            None => {}
        }
    }

    /// Puts the picked rows on the clipboard (Ctrl+C, the context menu, the Copy menu).
    pub fn copy_picked(&self, ctx: &egui::Context, model: &mut Model) {
        match self.picked_text(model) {
            Some((n, text)) => {
                let what = if n == 1 {
                    "1 row".into()
                } else {
                    format!("{n} rows")
                };
                copy::to_clipboard(ctx, model, &what, text)
            }
            None => model.notify("no rows picked: click a row of the events table", true),
        }
    }
}

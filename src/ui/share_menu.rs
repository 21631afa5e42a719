//! The File and Copy menus at the left of the connect bar: open, save, replay and export; copy
//! the verdict, the selected call or the picked rows. They only ask (see [`Act`]); `share.rs`
//! carries it out.

use super::events_table::EventsTable;
use super::model::{Model, Source};
use super::share::{picked, Act, Share, Want};
use crate::trace::ConnId;

/// A menu entry with its shortcut; returns whether it was clicked.
fn entry(ui: &mut egui::Ui, enabled: bool, text: &str, keys: &str, hint: &str) -> bool {
    let mut button = egui::Button::new(text);
    if !keys.is_empty() {
        button = button.shortcut_text(keys);
    }
    ui.add_enabled(enabled, button)
        .on_hover_text(hint)
        .on_disabled_hover_text(hint)
        .clicked()
}

/// Draws both menus; gives what was asked for.
pub fn ui(
    ui: &mut egui::Ui,
    model: &Model,
    share: &Share,
    table: &EventsTable,
    compare: &[ConnId],
) -> Option<Act> {
    let mut act = None;
    ui.menu_button("File", |ui| {
        act = file_menu(ui, model, share, compare);
        if act.is_some() {
            ui.close();
        }
    });
    ui.menu_button("Copy", |ui| {
        act = copy_menu(ui, model, table);
        if act.is_some() {
            ui.close();
        }
    });
    act
}

fn file_menu(ui: &mut egui::Ui, model: &Model, share: &Share, compare: &[ConnId]) -> Option<Act> {
    let mut act = None;
    let open_hint = "Open a trace saved by tlsscope (File > Save, or tlsscope trace --format \
                     jsonl or binary --out FILE); dropping the file on the window does the same";
    if entry(ui, true, "Open trace…", "Ctrl+O", open_hint) {
        act = Some(Act::Dialog(Want::Open));
    }
    let conns = picked(model, compare);
    let what = match conns.as_slice() {
        [] => "Save a connection…".to_string(),
        [_] => "Save this connection…".to_string(),
        many => format!("Save the {} ticked connections…", many.len()),
    };
    let save_hint = "Write its events as JSONL, or as a binary trace if the name ends .tlsscope \
                     (the ticked connections, else the one shown)";
    if entry(ui, !conns.is_empty(), &what, "Ctrl+S", save_hint) {
        act = Some(Act::Dialog(Want::Save));
    }
    ui.separator();
    let current = model.current();
    let replayable = current.filter(|c| {
        let opened = matches!(model.sources.get(&c.id), Some(Source::Opened { .. }));
        (c.close.is_some() || opened) && share.replay(c.id).is_none()
    });
    let replay_hint = "Play the connection shown back as a new one, at 0.1× to 10×, every view \
                       following it as if live (it must have ended, or come from a file)";
    if entry(
        ui,
        replayable.is_some(),
        "Replay this connection",
        "",
        replay_hint,
    ) {
        act = replayable.map(|c| Act::Replay(c.id));
    }
    ui.separator();
    ui.label(egui::RichText::new("Export").weak());
    let shown = current.is_some();
    let exports = [
        (
            Want::WindowPng,
            "PNG of the window…",
            true,
            "The whole window as it is now",
        ),
        (
            Want::TimelinePng,
            "PNG of the timeline…",
            shown,
            "Only the timeline and its plots",
        ),
        (
            Want::Pcapng,
            "pcapng capture…",
            !conns.is_empty(),
            "The socket traffic of the connections, for Wireshark",
        ),
        (
            Want::Report,
            "Report (HTML)…",
            !conns.is_empty(),
            "The verdict, the timeline and the details in one page",
        ),
    ];
    for (want, text, enabled, hint) in exports {
        if entry(ui, enabled, text, "", hint) {
            act = Some(Act::Dialog(want));
        }
    }
    act
}

fn copy_menu(ui: &mut egui::Ui, model: &Model, table: &EventsTable) -> Option<Act> {
    let mut act = None;
    let hint = "The verdict and the counts behind it, as tlsscope trace prints them";
    if entry(ui, model.current().is_some(), "Verdict", "", hint) {
        act = Some(Act::CopyVerdict);
    }
    let hint = "The selected call's line and the socket I/O, states and messages inside it";
    let call = model.selection.is_some();
    if entry(
        ui,
        call,
        "Selected call with everything inside it",
        "Ctrl+C",
        hint,
    ) {
        act = Some(Act::CopyCall);
    }
    let rows = table.picked_count(model);
    let text = format!("Picked rows of the events table ({rows})");
    let hint = "Click a row, Shift+click another to pick the rows between, Ctrl+A for all";
    if entry(ui, rows > 0, &text, "Ctrl+C", hint) {
        act = Some(Act::CopyRows);
    }
    act
}

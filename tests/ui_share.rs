//! UI tests of sharing (issue 10) with egui_kittest, on traces recorded from the real engine and
//! the lab before the harness starts: save then open, drag and drop, copy as text, export.

mod ui_common;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tlsscope::options::{prepare, ConnectOptions};
use tlsscope::probe::{trace_one, EngineOptions};
use tlsscope::trace::verdict::Severity;
use tlsscope::trace::EventKind;
use tlsscope::ui::model::Source;
use tlsscope::ui::App;
use ui_common::*;

/// A fresh folder for one test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlsscope-ui-share-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// Steps the harness until nothing is being read (files are read off the UI thread), at most
/// 10 s.
fn settle(h: &mut Harness<'static, App>) {
    for _ in 0..1000 {
        h.step();
        if h.state().share.idle() {
            h.step();
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the trace was not read within 10 s");
}

/// The text the last frame put on the clipboard.
fn copied(h: &Harness<'static, App>) -> Option<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// A file dropped on the window.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn not_verdicts<'a>(kinds: impl IntoIterator<Item = &'a EventKind>) -> usize {
    kinds
        .into_iter()
        .filter(|k| !matches!(k, EventKind::Verdict(_) | EventKind::Timing(_)))
        .count()
}

#[test]
fn save_then_open_round_trips_a_connection() {
    let events = slow_reader();
    let original = events[0].conn;
    let mut h = harness(app_with("lab:slow-reader", &events));
    h.run();
    let class = {
        let m = &h.state().model;
        let c = m.store.conn(original).expect("the connection");
        c.verdict(m.now_of(original)).class
    };
    assert_eq!(class.severity(), Severity::Stall);
    let dir = folder("round-trip");
    let path = dir.join("stalled.jsonl");

    // Ctrl+S opens the save dialog, named after the target.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    let name = h.get_by_label("File name");
    assert_eq!(name.value().as_deref(), Some("lab-slow-reader.jsonl"));
    name.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("File name")
        .type_text(&path.display().to_string());
    h.run();
    h.get_by_label("Save").click();
    h.run();
    let saved = format!("saved 1 connection, {} events to", events.len() + 2);
    assert!(h.query_by_label_contains(&saved).is_some(), "{saved}");
    let text = std::fs::read_to_string(&path).expect("the file was written");
    assert_eq!(
        text.lines().count(),
        events.len() + 2,
        "every event, the timing and the verdict"
    );

    // File > Open trace… starts where the last file went; a click on the file opens it.
    h.get_by_label("File").click();
    h.run();
    h.get_by_label_contains("Open trace").click();
    h.run();
    h.get_by_label("stalled.jsonl").click();
    settle(&mut h);
    let m = &h.state().model;
    assert_eq!(
        m.store.conns.len(),
        2,
        "the opened trace is beside the live one"
    );
    let opened = m.store.conns[1].id;
    assert_ne!(opened, original);
    assert_eq!(
        m.sources.get(&opened),
        Some(&Source::Opened {
            file: "stalled.jsonl".into(),
            number: 1
        })
    );
    let c = m.store.conn(opened).expect("the opened connection");
    assert_eq!(
        not_verdicts(c.events.iter().map(|e| &e.kind)),
        events.len(),
        "every event came back"
    );
    assert_eq!(c.verdict(m.now_of(opened)).class, class);
    // Its card and the window title name the file and the target; the status line does not
    // say it is live.
    assert!(h.query_by_label_contains("#1 127.0.0.1:").is_some());
    assert!(h.query_by_label("from stalled.jsonl").is_some());
    assert!(h
        .state()
        .window_title()
        .starts_with("tlsscope — stalled.jsonl #1 "));
    assert!(h.query_by_label_contains("opened from a file").is_some());
    assert!(h.query_by_label_contains("following live").is_none());
    assert!(h
        .query_by_label_contains("opened stalled.jsonl: 1 connection")
        .is_some());

    // Dropped on the window, the same file opens once more, with ids of its own.
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.clone())));
    settle(&mut h);
    let ids: Vec<u32> = h.state().model.store.conns.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[2] > ids[1], "{ids:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_or_missing_file_is_refused_with_its_reason() {
    let dir = folder("malformed");
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"t\": 1, \"conn\": 1, \"kind\": \"call\"}\nnot json\n",
    )
    .expect("written");
    let mut h = harness(App::offline());
    h.run();
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(bad.clone())));
    settle(&mut h);
    let notice = h.state().model.notice.clone().expect("a notice");
    assert!(notice.error);
    assert!(
        notice.text.starts_with(&format!("{}:1: ", bad.display())),
        "{}",
        notice.text
    );
    assert!(!notice.text.contains('\n'), "one line");
    assert!(h.query_by_label(&notice.text).is_some(), "shown");
    assert!(h.state().model.store.conns.is_empty());
    // A file that is not there.
    let missing = dir.join("gone.jsonl");
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(missing.clone())));
    settle(&mut h);
    let notice = h.state().model.notice.clone().expect("a notice");
    assert!(notice
        .text
        .starts_with(&format!("cannot read trace file {}", missing.display())));
    // Saving into a folder that is not there says so, and writes nothing.
    let events = record("lab:ok", ConnectOptions::default());
    h.state_mut().feed(&events);
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    h.get_by_label("File name").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    let nowhere = dir.join("no-such-folder").join("x.jsonl");
    h.get_by_label("File name")
        .type_text(&nowhere.display().to_string());
    h.run();
    h.get_by_label("Save").click();
    h.run();
    let notice = h.state().model.notice.clone().expect("a notice");
    assert!(
        notice.error && notice.text.starts_with("cannot save to "),
        "{}",
        notice.text
    );
    assert!(!nowhere.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn copy_puts_the_selected_call_with_its_io_on_the_clipboard() {
    let events = record("lab:renegotiate", ConnectOptions::default());
    let mut h = harness(app_with("lab:renegotiate", &events));
    h.run();
    // A finished connection opens on the call its verdict names.
    let sel = h.state().model.selection.expect("a call is selected");
    let (id, nested) = {
        let c = h
            .state()
            .model
            .store
            .conn(sel.conn)
            .expect("the connection");
        (
            c.call(sel.call).map_or(0, |k| k.id),
            c.nested(sel.call).len(),
        )
    };
    assert!(nested > 0, "the call has socket I/O inside it");
    h.get_by_label("Copy").click();
    h.run();
    h.get_by_label_contains("Selected call with everything inside it")
        .click();
    h.step();
    let text = copied(&h).expect("text on the clipboard");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains(&format!("SSL_read #{id} →")), "{text}");
    assert_eq!(lines.len(), 1 + nested, "{text}");
    assert!(lines[1..].iter().all(|l| l.starts_with("    ")), "{text}");
    assert!(
        lines[1..].iter().any(|l| l.trim_start().starts_with("io ")),
        "{text}"
    );
    h.run();
    assert!(h.query_by_label_contains("copied the call").is_some());
    // The same from Details: its Copy call button, and a right-click on the call.
    h.get_by_label("Copy call").click();
    h.step();
    assert_eq!(copied(&h).as_deref(), Some(text.as_str()));
    h.run();
    h.get_by_label_contains(&format!("SSL_read #{id} returned"))
        .click_secondary();
    h.run();
    h.get_by_label("Copy the call with everything inside it")
        .click();
    h.step();
    assert_eq!(copied(&h).as_deref(), Some(text.as_str()));
    h.run();

    // The verdict, as the command line's diagnosis section.
    h.get_by_label("Copy").click();
    h.run();
    h.get_by_label("Verdict").click();
    h.step();
    let text = copied(&h).expect("the verdict on the clipboard");
    assert!(
        text.starts_with("diagnosis of #1 lab:renegotiate:\n  verdict: renegotiation"),
        "{text}"
    );
    assert!(text.contains("\n  time: total "), "{text}");
    h.run();

    // Rows: a click, a Shift+click, Ctrl+C (the window sends it as a Copy event). The rows
    // around the selected call's are on screen (the table scrolled to it).
    let lines: Vec<String> = {
        let c = h
            .state()
            .model
            .store
            .conn(sel.conn)
            .expect("the connection");
        // The call's row and the two before it (inside it): one line each.
        let at = c.call_spans.event.get(sel.call).expect("the call's event") as usize;
        (at - 2..=at)
            .map(|k| tlsscope::ui::copy::row_line(c, &c.events[k]))
            .collect()
    };
    assert!(lines.iter().all(|l| !l.contains('\n')), "{lines:?}");
    h.get_by_label(&lines[0]).click();
    h.run();
    h.get_by_label(&lines[2])
        .click_modifiers(egui::Modifiers::SHIFT);
    h.run();
    assert_eq!(h.state().table.picked_count(&h.state().model), 3);
    h.event(egui::Event::Copy);
    h.step();
    let text = copied(&h).expect("rows on the clipboard");
    assert_eq!(text, format!("{}\n", lines.join("\n")));
    h.run();
    // Ctrl+A picks every row.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    let all = h
        .state()
        .model
        .store
        .conn(sel.conn)
        .expect("conn")
        .events
        .len();
    assert_eq!(h.state().table.picked_count(&h.state().model), all);
}

/// Exports `want` ("pcapng capture…", "Report (HTML)…") of the connection shown to `path`
/// through File > Export and the save dialog, as a person would.
fn export_through_the_menu(h: &mut Harness<'static, App>, want: &str, path: &Path) {
    h.get_by_label("File").click();
    h.run();
    h.get_by_label(want).click();
    h.run();
    h.get_by_label("File name").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("File name")
        .type_text(&path.display().to_string());
    h.run();
    h.get_by_label("Save").click();
    h.run();
}

#[test]
fn the_app_exports_a_decrypted_capture_and_the_report_of_a_live_connection() {
    // Recorded as the app records: socket bytes and secrets kept.
    let prepared = prepare("lab:ok", &ConnectOptions::default()).expect("the lab starts");
    let mut spec = prepared.spec;
    spec.capture = tlsscope::probe::Capture {
        wire: true,
        secrets: true,
    };
    let mut events = Vec::new();
    trace_one(
        spec,
        EngineOptions::default(),
        Duration::from_secs(20),
        |b| events.extend_from_slice(b),
    )
    .expect("the engine starts");
    let mut h = harness(app_with("lab:ok", &events));
    h.run();
    let dir = folder("exports");

    let capture = dir.join("ok.pcapng");
    export_through_the_menu(&mut h, "pcapng capture…", &capture);
    assert!(
        h.query_by_label_contains("wrote ").is_some(),
        "the status line says what was written"
    );
    let out = std::process::Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&capture)
        .args(["-Y", "http"])
        .output()
        .expect("tshark runs (CI installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("GET / HTTP/1.1") && text.contains("200 OK"),
        "tshark decrypts the app's capture with no settings:\n{text}"
    );

    let report = dir.join("ok.html");
    export_through_the_menu(&mut h, "Report (HTML)…", &report);
    let html = std::fs::read_to_string(&report).expect("the report was written");
    assert!(
        html.contains("healthy") && html.contains("<svg"),
        "{}",
        &html[..html.len().min(400)]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Saved under a `.tlsscope` name, a connection is written as a binary trace; dropped on the
/// window, it opens (told by its first byte) with every event and the same verdict; a copy cut
/// short opens what it holds and says at which byte it stopped.
#[test]
fn saved_as_tlsscope_is_binary_and_opens_again() {
    let events = slow_reader();
    let original = events[0].conn;
    let mut h = harness(app_with("lab:slow-reader", &events));
    h.run();
    let class = {
        let m = &h.state().model;
        let c = m.store.conn(original).expect("the connection");
        c.verdict(m.now_of(original)).class
    };
    let dir = folder("binary");
    let path = dir.join("stalled.tlsscope");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run();
    h.get_by_label("File name").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("File name")
        .type_text(&path.display().to_string());
    h.run();
    h.get_by_label("Save").click();
    h.run();
    let saved = format!("saved 1 connection, {} events to", events.len() + 2);
    assert!(h.query_by_label_contains(&saved).is_some(), "{saved}");
    let bytes = std::fs::read(&path).expect("the file was written");
    assert!(bytes.starts_with(&tlsscope::trace::binary::MAGIC));

    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.clone())));
    settle(&mut h);
    let m = &h.state().model;
    assert_eq!(
        m.store.conns.len(),
        2,
        "the opened trace is beside the live one"
    );
    let opened = m.store.conns[1].id;
    let c = m.store.conn(opened).expect("the opened connection");
    assert_eq!(not_verdicts(c.events.iter().map(|e| &e.kind)), events.len());
    assert_eq!(c.verdict(m.now_of(opened)).class, class);
    assert!(h
        .query_by_label_contains("opened stalled.tlsscope: 1 connection")
        .is_some());

    // Cut short: refused at its byte, in one line.
    let cut = dir.join("cut.tlsscope");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).expect("written");
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(cut.clone())));
    settle(&mut h);
    let notice = h.state().model.notice.clone().expect("a notice");
    assert!(notice.error, "{}", notice.text);
    assert!(
        notice
            .text
            .starts_with(&format!("{}: at byte 12: ", cut.display())),
        "{}",
        notice.text
    );
    assert!(!notice.text.contains('\n'), "one line");
    let _ = std::fs::remove_dir_all(&dir);
}

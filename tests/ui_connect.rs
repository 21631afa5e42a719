//! UI tests of the connect bar and the options panel (egui_kittest): what is typed becomes the
//! trace options of the connection the app asks for, and bad input is explained where it was typed.

mod ui_common;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use tlsscope::options::{prepare, ConnectOptions};
use tlsscope::ui::model::Request;
use tlsscope::ui::App;
use ui_common::*;

#[test]
fn connect_form_accepts_input_and_requests_a_connection() {
    let mut h = harness(App::offline());
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    assert!(h.state().model.requests.is_empty());
    assert!(h.query_by_label_contains("enter a target").is_some());

    let field = h.get_by_label("Target");
    field.focus();
    field.type_text("example.com");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    assert!(h.state().model.requests.is_empty());
    assert!(h.query_by_label_contains("expected HOST:PORT").is_some());

    h.get_by_label("Target").focus();
    h.get_by_label("Target").type_text(":443");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    let requests = &h.state().model.requests;
    assert_eq!(requests.len(), 1);
    assert!(matches!(&requests[0], Request::Connect { target, .. } if target == "example.com:443"));
    assert!(h.query_by_label_contains("Problem:").is_none());
}

#[test]
fn options_map_to_the_trace_options() {
    let mut h = harness(App::offline());
    h.run();
    // The target first: options belong to the kind of target they were typed for.
    h.get_by_label("Target").focus();
    h.get_by_label("Target").type_text("lab:ok");
    h.run();
    h.get_by_label("Options").click();
    h.run();
    h.get_by_label("ALPN").focus();
    h.get_by_label("ALPN").type_text("h2,http/1.1");
    h.run();
    h.get_by_label("Connect").click();
    h.run();
    match &h.state().model.requests[..] {
        [Request::Connect { target, options }] => {
            assert_eq!(target, "lab:ok");
            assert_eq!(options.alpn.as_deref(), Some("h2,http/1.1"));
        }
        other => panic!("expected one connect request, got {other:?}"),
    }
}

// --- Options that are honest (issue 9): count and reset, per-target forms, Enter, tooltips ---

/// Types `text` into the field labelled `label`.
fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn the_options_button_counts_what_is_set_and_reset_clears_it() {
    let mut h = harness(App::offline());
    h.run();
    type_into(&mut h, "Target", "example.com:443");
    h.get_by_label("Options").click();
    h.run();
    type_into(&mut h, "ALPN", "h2");
    type_into(&mut h, "SO_SNDBUF", "16K");
    h.get_by_label("TCP_NODELAY").click();
    h.run();
    assert!(h.query_by_label("Options (3)").is_some());
    assert_eq!(h.state().connect.options_set(), 3);
    h.get_by_label("Reset").click();
    h.run();
    assert_eq!(h.state().connect.options_set(), 0);
    assert_eq!(h.state().connect.options(), ConnectOptions::default());
    assert!(h.query_by_label("Options").is_some());
    assert!(h.query_by_label("Options (3)").is_none());
}

#[test]
fn options_typed_for_a_host_do_not_apply_to_a_scenario() {
    let mut h = harness(App::offline());
    h.run();
    type_into(&mut h, "Target", "example.com:443");
    h.get_by_label("Options").click();
    h.run();
    type_into(&mut h, "HTTP GET path", "/other");
    type_into(&mut h, "SO_RCVBUF", "4K");
    assert!(h.query_by_label("Options (2)").is_some());
    // Picking a scenario shows its own (empty) form, and says so.
    h.get_by_label("Scenarios").click();
    h.run();
    h.get_by_label_contains("lab:slow-reader ").click();
    h.run();
    assert_eq!(h.state().connect.target, "lab:slow-reader");
    assert!(h.query_by_label("Options").is_some());
    assert!(h
        .query_by_label_contains("apply to lab:slow-reader only")
        .is_some());
    h.get_by_label("Connect").click();
    h.run();
    match &h.state().model.requests[..] {
        [Request::Connect { target, options }] => {
            assert_eq!(target, "lab:slow-reader");
            assert_eq!(**options, ConnectOptions::default());
            // So the scenario runs with its own client settings.
            let mine = prepare(target, options).expect("the scenario starts");
            let own = prepare(target, &ConnectOptions::default()).expect("the scenario starts");
            assert_eq!(mine.spec.workload, own.spec.workload);
            assert_eq!(mine.spec.rcvbuf, own.spec.rcvbuf);
        }
        other => panic!("expected one connect request, got {other:?}"),
    }
    // The host's options are still there when going back to it.
    h.state_mut().connect.target = "example.com:443".into();
    h.run();
    assert!(h.query_by_label("Options (2)").is_some());
}

#[test]
fn enter_connects_only_from_the_target_field() {
    let mut h = harness(App::offline());
    h.run();
    type_into(&mut h, "Target", "example.com:443");
    h.get_by_label("Options").click();
    h.run();
    h.get_by_label("ALPN").focus();
    h.get_by_label("ALPN").type_text("h2");
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.state().model.requests.is_empty(), "Enter in ALPN");
    // Nothing focused: Enter does nothing either.
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.state().model.requests.is_empty(), "Enter with no focus");
    h.get_by_label("Target").focus();
    h.key_press(egui::Key::Enter);
    h.run();
    match &h.state().model.requests[..] {
        [Request::Connect { target, options }] => {
            assert_eq!(target, "example.com:443");
            assert_eq!(options.alpn.as_deref(), Some("h2"));
        }
        other => panic!("expected one connect request, got {other:?}"),
    }
}

#[test]
fn options_explain_themselves_in_the_apps_words() {
    let mut h = harness(App::offline());
    h.run();
    type_into(&mut h, "Target", "example.com:443");
    h.get_by_label("Options").click();
    h.run();
    // A tooltip names the option as the command line does.
    h.get_by_label("Read for").hover();
    for _ in 0..4 {
        h.step();
    }
    h.run();
    assert!(h
        .query_by_label_contains("Command line: --read-for")
        .is_some());
    // File fields have a picker drawn by egui (it works under Xvfb); Cancel closes it.
    h.get_all_by_label("…")
        .next()
        .expect("a file button")
        .click();
    h.run();
    assert!(h.query_by_label_contains("Choose the CA file").is_some());
    h.get_by_label("Cancel").click();
    h.run();
    assert!(h.query_by_label_contains("Choose the CA file").is_none());
    assert_eq!(h.state().connect.options_set(), 0);
    // It starts in the working directory (the crate's, under cargo test); folders open.
    h.get_all_by_label("…")
        .next()
        .expect("a file button")
        .click();
    h.run();
    h.get_by_label("src/").click();
    h.run();
    h.get_by_label("Up").click();
    h.run();
    h.get_by_label("Cargo.toml").click();
    h.run();
    assert!(h.query_by_label_contains("Choose the CA file").is_none());
    let ca = h
        .state()
        .connect
        .options()
        .ca
        .expect("the CA file was chosen");
    assert!(ca.ends_with("Cargo.toml"), "{}", ca.display());
    h.get_by_label("Reset").click();
    h.run();
    // A problem names the option by its label in the app.
    type_into(&mut h, "Then send", "bye");
    h.get_by_label("Connect").click();
    h.run();
    assert!(h.state().model.requests.is_empty());
    assert!(h
        .query_by_label_contains("Then send needs Read for")
        .is_some());
    assert!(h.query_by_label_contains("--read-for").is_none());
}

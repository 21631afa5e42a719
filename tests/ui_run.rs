//! The app runs a program under the interposer (`run: CMD ARGS…` in the connect bar): a real C
//! client (tests/peers/run_client.c) against a lab peer on loopback, its connection shown live
//! beside the engine's, named by program and process, with its misuse verdict; a program that
//! cannot start, or makes no OpenSSL call, is one line in the status line; Stop and closing the
//! app end it.

mod common;

use common::programs::c_client;
use common::SServer;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use std::path::Path;
use std::time::{Duration, Instant};
use tlsscope::lab::{LabServer, Pki, Scenario};
use tlsscope::ui::model::{Model, RUN_CONNS};
use tlsscope::ui::App;

/// The app as eframe drives it: each frame carries out requests and takes event batches, then
/// draws.
fn harness() -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(
            |ui, app: &mut App| {
                let ctx = ui.ctx().clone();
                app.tick(&ctx);
                app.show(ui);
            },
            App::offline(),
        )
}

/// Types `target` into the connect bar and presses its button (Run for a `run:` target).
fn submit(h: &mut Harness<'static, App>, target: &str) {
    h.run();
    h.get_by_label("Target").focus();
    h.get_by_label("Target").type_text(target);
    h.run();
    h.get_by_label("Run").click();
    // A program's batches ask for frames as they come: draw a few, without waiting for quiet.
    let _ = h.try_run();
}

/// Draws frames until `done` holds (at most 60 s: a hang fails the test, it does not stall it).
fn until(h: &mut Harness<'static, App>, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what}: not within 60 s; status line: {:?}",
            h.state().model.notice
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = h.try_run();
}

fn ended(app: &App) -> bool {
    !app.programs.busy() && !app.programs.ended().is_empty()
}

fn notice(model: &Model) -> String {
    model
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

/// The pid in "NAME (pid N) …".
fn pid_in(text: &str) -> Option<u32> {
    text.split("(pid ").nth(1)?.split(')').next()?.parse().ok()
}

#[test]
fn a_programs_connection_shows_live_named_by_it_with_its_misuse_verdict() {
    let Some(bin) = c_client("ui_run_client") else {
        return;
    };
    let pki = Pki::shared().expect("lab PKI");
    let server = LabServer::start(
        Scenario::SlowReader,
        "127.0.0.1:0".parse().expect("addr"),
        pki,
    )
    .expect("lab server");
    let port = server.addr().port();
    let mut h = harness();
    let target = format!("run: {} want-write-wait-read {port}", bin.display());
    submit(&mut h, &target);
    // "running NAME (pid N)", or already how it ended: a quick program.
    let started = notice(&h.state().model);
    assert!(started.contains("ui_run_client-"), "{started}");
    let pid = pid_in(&started).expect("the status line names the pid");
    until(&mut h, "the program ends", ended);

    let model = &h.state().model;
    let status = notice(model);
    assert!(
        status.contains(&format!("(pid {pid}) exited with status 0")),
        "{status}"
    );
    assert_eq!(model.store.conns.len(), 1);
    let c = &model.store.conns[0];
    assert!(RUN_CONNS.contains(&c.id), "a program's id range: {}", c.id);
    let name = format!("ui_run_client-{} pid {pid}", std::process::id());
    assert_eq!(model.label(c.id), name);
    assert_eq!(model.title(c.id), name, "no number in the 500000s");
    // SSL_connect (twice, or once when the server's answer was already there) and SSL_write.
    assert!(
        c.call_spans.len() >= 2,
        "its OpenSSL calls: {}",
        c.call_spans.len()
    );
    assert!(c.close.is_some(), "it closed when the program ended");
    // The program's misuse, not the trace's own verdict.
    let v = c.verdict(model.now_of(c.id));
    assert_eq!(v.class.name(), "waited-wrong-direction", "{}", v.summary);
    // What the user sees: the card, the verdict on it, the status line.
    assert!(h.query_all_by_label_contains(&name).count() >= 1);
    // On its card and in the banner above the timeline.
    assert!(
        h.query_all_by_label_contains("waited-wrong-direction")
            .count()
            >= 2
    );
    assert!(h.query_by_label_contains("exited with status 0").is_some());
    assert!(h.state().window_title().contains(&name));
}

#[test]
fn a_forked_child_is_a_card_of_its_own() {
    let Some(bin) = c_client("ui_run_client") else {
        return;
    };
    let server = SServer::start(&["-www"]);
    let mut h = harness();
    submit(
        &mut h,
        &format!("run: {} fork {}", bin.display(), server.port),
    );
    let pid = pid_in(&notice(&h.state().model)).expect("a pid");
    until(&mut h, "the program and its child end", ended);
    let model = &h.state().model;
    let mut titles: Vec<String> = model
        .store
        .conns
        .iter()
        .map(|c| model.title(c.id))
        .collect();
    titles.sort();
    assert_eq!(titles.len(), 2, "{titles:?}");
    let name = format!("ui_run_client-{}", std::process::id());
    assert!(titles.contains(&format!("{name} pid {pid}")), "{titles:?}");
    assert!(
        titles
            .iter()
            .all(|t| t.starts_with(&format!("{name} pid "))),
        "{titles:?}"
    );
    assert_ne!(titles[0], titles[1], "the child's own pid");
    for c in &model.store.conns {
        assert_eq!(c.verdict(model.now_of(c.id)).class.name(), "healthy");
    }
}

#[test]
fn a_program_that_cannot_start_is_one_line_in_the_status_line() {
    let mut h = harness();
    submit(&mut h, "run: /no/such/program --flag");
    let model = &h.state().model;
    let n = model.notice.clone().expect("a notice");
    assert!(n.error);
    assert!(
        n.text
            .starts_with("cannot run /no/such/program: No such file"),
        "{}",
        n.text
    );
    assert!(!n.text.contains('\n'));
    assert!(model.store.conns.is_empty());
    assert!(!h.state().programs.busy());
    assert!(h
        .query_by_label_contains("cannot run /no/such/program")
        .is_some());

    // A command that cannot be split is a typing mistake, under the bar, before anything runs.
    let mut h = harness();
    submit(&mut h, "run: curl 'https://unclosed");
    assert!(h.state().model.notice.is_none());
    assert!(h.query_by_label_contains("a quote is not closed").is_some());
}

#[test]
fn a_program_without_openssl_calls_says_why() {
    let mut h = harness();
    submit(&mut h, "run: sh -c 'exit 3'");
    until(&mut h, "sh ends", ended);
    let n = h.state().model.notice.clone().expect("a notice");
    assert!(n.text.starts_with("sh (pid "), "{}", n.text);
    assert!(n.text.contains("exited with status 3"), "{}", n.text);
    assert!(n.text.contains("no OpenSSL call arrived"), "{}", n.text);
    assert!(n.text.contains("not linked with libssl"), "{}", n.text);
    assert!(n.error);
    assert_eq!(h.state().programs.ended()[0].code, 3);
}

#[test]
fn stop_on_a_programs_live_connection_ends_the_program() {
    // s_client stays connected (-ign_eof: its closed standard input does not end it).
    let server = SServer::start(&["-www"]);
    let mut h = harness();
    submit(
        &mut h,
        &format!(
            "run: openssl s_client -ign_eof -connect 127.0.0.1:{}",
            server.port
        ),
    );
    until(&mut h, "its connection is open", |app| {
        app.model
            .current()
            .is_some_and(|c| c.tls.is_some() && c.status().is_live())
    });
    let c = h.state().model.current().expect("a connection");
    let (id, pid) = (c.id, pid_in(&notice(&h.state().model)).expect("a pid"));
    assert_eq!(h.state().model.label(id), format!("openssl pid {pid}"));
    // The live actions are the engine's, not a program's.
    assert!(h.get_by_label("Key update").accesskit_node().is_disabled());
    h.get_by_label("Stop").click();
    until(&mut h, "s_client is stopped", ended);
    let model = &h.state().model;
    assert!(
        notice(model).ends_with("ended by signal 15 (SIGTERM)"),
        "{}",
        notice(model)
    );
    assert!(model.store.conn(id).is_some_and(|c| c.close.is_some()));
    assert!(!alive(pid));
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn stop_and_closing_the_app_end_the_program() {
    // Stop with no connection shown stops the programs still running.
    let mut h = harness();
    submit(&mut h, "run: sleep 30");
    let pid = pid_in(&notice(&h.state().model)).expect("a pid");
    assert!(alive(pid));
    h.get_by_label("Stop").click();
    until(&mut h, "sleep is stopped", ended);
    let end = &h.state().programs.ended()[0];
    assert_eq!(end.status, "ended by signal 15 (SIGTERM)");
    assert!(!alive(pid), "reaped");

    // Closing the app (dropping it) ends a program still running, and its children.
    let mut h = harness();
    submit(&mut h, "run: sh -c 'sleep 30 & sleep 30'");
    let pid = pid_in(&notice(&h.state().model)).expect("a pid");
    h.step();
    drop(h);
    assert!(!alive(pid), "the program ended with the app");
}

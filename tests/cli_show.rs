//! `tlsscope show` as a user runs it: a trace saved by a real run prints with the verdict that
//! run gave, and each kind of bad file is refused with its file, line and reason (exit 2).

mod common;

use common::cert_files;
use common::run::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tlsscope::trace::{jsonl_read, EventKind};

/// The verdict the live run wrote into its trace (it printed the same one as text).
fn live_verdict(path: &Path) -> tlsscope::trace::verdict::Verdict {
    let saved = std::fs::read_to_string(path).expect("saved trace");
    let events = jsonl_read::from_text(&saved).expect("reads back");
    let verdicts: Vec<_> = events
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Verdict(v) => Some(*v),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts.len(), 1, "one connection, one verdict");
    verdicts.into_iter().next().expect("a verdict")
}

#[test]
fn show_prints_the_verdict_of_the_live_run() {
    for (scenario, extra) in [
        ("lab:ok", &[][..]),
        ("lab:renegotiate", &[][..]),
        ("lab:sni-required", &[][..]),
        ("lab:slow-reader", &["--timeout", "1"][..]),
    ] {
        let name = format!("{}.jsonl", scenario.replace(':', "-"));
        let path = saved_trace(scenario, extra, &name);
        let live = live_verdict(&path);
        let p = path.to_string_lossy().into_owned();
        let out = tlsscope(&["show", &p]);
        let shown = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{scenario}: {}",
            text(&out.stderr)
        );
        // The event line, and the diagnosis's first two lines, as the live text run has them.
        let event_line = format!("verdict {}: {}", live.class.name(), live.summary);
        let event_lines: Vec<&str> = shown.lines().filter(|l| l.contains("  verdict ")).collect();
        assert_eq!(
            event_lines.len(),
            1,
            "{scenario}: one verdict, not the saved one too"
        );
        assert!(event_lines[0].ends_with(&event_line), "{scenario}: {shown}");
        let diagnosis = shown.split("\ndiagnosis:\n").nth(1).expect("a diagnosis");
        let mut lines = diagnosis.lines();
        assert_eq!(
            lines.next(),
            Some(
                format!(
                    "  verdict: {} ({})",
                    live.class.name(),
                    live.severity().name()
                )
                .as_str()
            ),
            "{scenario}"
        );
        assert_eq!(lines.next(), Some(format!("  {}", live.summary).as_str()));
        // As JSONL, the recomputed verdict takes the saved one's place: the file comes back
        // byte for byte.
        let out = tlsscope(&["show", &p, "--format", "jsonl"]);
        assert_eq!(out.status.code(), Some(0));
        let saved = std::fs::read_to_string(&path).expect("saved trace");
        assert_eq!(text(&out.stdout), saved, "{scenario}");
    }
}

/// Writes `bytes` to a trace file named `name`.
fn bad_file(name: &str, bytes: &[u8]) -> String {
    let path = temp(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write bad file");
    path.to_string_lossy().into_owned()
}

/// `show FILE` refuses it: exit status 2 and one line on standard error starting as `want`.
fn refused(file: &str, want: &str) {
    let out = tlsscope(&["show", file]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{file}: {err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("tlsscope: {want}")),
        "{file}: {err}"
    );
    // `report` reads the file the same way.
    let report = tlsscope(&[
        "report",
        file,
        "-o",
        &temp("refused.html").to_string_lossy(),
    ]);
    assert_eq!(report.status.code(), Some(2), "report {file}");
    assert_eq!(text(&report.stderr), err, "report refuses it alike");
}

#[test]
fn each_kind_of_bad_file_is_refused_with_its_line() {
    let good = saved_trace("lab:ok", &[], "good.jsonl");
    let good = std::fs::read_to_string(good).expect("good trace");
    let lines: Vec<&str> = good.lines().collect();
    assert!(lines.len() > 10);
    let first_two = format!("{}\n{}\n", lines[0], lines[1]);

    // A line cut off in the middle (the file ends there).
    let cut = format!("{first_two}{}", &lines[2][..lines[2].len() / 2]);
    let f = bad_file("cut.jsonl", cut.as_bytes());
    refused(&f, &format!("{f}:3: not JSON"));

    let f = bad_file(
        "kind.jsonl",
        format!("{first_two}{{\"t\":5,\"conn\":1,\"kind\":\"teleport\"}}\n").as_bytes(),
    );
    refused(&f, &format!("{f}:3: unknown kind \"teleport\""));

    // A byte that is not UTF-8 on line 3.
    let mut bytes = first_two.clone().into_bytes();
    bytes.extend_from_slice(b"{\"t\":5,\"conn\":1,\"kind\":\"error\",\"message\":\"caf\xe9\"}\n");
    let f = bad_file("latin1.jsonl", &bytes);
    refused(&f, &format!("{f}:3: not UTF-8: byte 0xe9"));

    // A line without end, longer than the cap: refused, not read into memory whole.
    let mut bytes = first_two.clone().into_bytes();
    bytes.extend(std::iter::repeat_n(b'x', 1024 * 1024 + 1));
    let f = bad_file("long.jsonl", &bytes);
    refused(&f, &format!("{f}:3: longer than 1 MiB"));

    let f = bad_file("empty.jsonl", b"");
    refused(&f, &format!("{f}: no events"));
    let f = bad_file("blank.jsonl", b"\n\n  \n");
    refused(&f, &format!("{f}: no events"));

    refused(
        "/dev/zero",
        "/dev/zero: a character device, not a trace file",
    );
    let dir = cert_files().dir.to_string_lossy().into_owned();
    refused(&dir, &format!("{dir}: a directory, not a trace file"));
    let missing = temp("missing.jsonl").to_string_lossy().into_owned();
    refused(&missing, &format!("{missing}: cannot open"));
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let fifo = temp("trace.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let f = fifo.to_string_lossy().into_owned();
    // No one ever writes to it: opening it for reading the ordinary way would block forever,
    // so this run is bounded in time.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(["show", &f])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tlsscope");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let status = status.expect("show returned instead of waiting for a writer");
    assert_eq!(status.code(), Some(2));
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(
        err.starts_with(&format!("tlsscope: {f}: a FIFO, not a trace file")),
        "{err}"
    );
}

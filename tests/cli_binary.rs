//! The binary trace (`--format binary`, `.tlsscope`) as a user uses it: a real lab trace saved
//! as binary (directly, or converted from JSONL with `show --format binary`) shows, converts
//! back and reports as the JSONL one does; damaged files are refused with the byte offset.

mod common;

use common::run::*;
use std::path::{Path, PathBuf};
use tlsscope::trace::jsonl_read;

/// `tlsscope ARGS` with its standard output written to `path` (a user's `> FILE`).
fn to_file(args: &[&str], path: &Path) -> std::process::Output {
    let out = tlsscope(args);
    std::fs::write(path, &out.stdout).expect("write");
    out
}

fn show(path: &Path, format: &str) -> (Option<i32>, String, String) {
    let p = path.to_string_lossy().into_owned();
    let out = tlsscope(&["show", &p, "--format", format]);
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn converted(jsonl: &Path, name: &str) -> PathBuf {
    let bin = temp(name);
    let j = jsonl.to_string_lossy().into_owned();
    let out = to_file(&["show", &j, "--format", "binary"], &bin);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    bin
}

#[test]
fn a_lab_trace_in_binary_shows_as_its_jsonl_does() {
    for (scenario, extra) in [
        ("lab:ok", &[][..]),
        ("lab:slow-reader", &["--timeout", "1"][..]),
    ] {
        let slug = scenario.replace(':', "-");
        let jsonl = saved_trace(scenario, extra, &format!("{slug}.jsonl"));
        let bin = converted(&jsonl, &format!("{slug}.tlsscope"));
        let (js, bs) = (std::fs::metadata(&jsonl), std::fs::metadata(&bin));
        let (js, bs) = (js.expect("jsonl").len(), bs.expect("binary").len());
        assert!(bs * 2 < js, "{scenario}: binary {bs} B, JSONL {js} B");
        for format in ["text", "jsonl"] {
            let (a, b) = (show(&jsonl, format), show(&bin, format));
            assert_eq!(a.0, Some(0), "{scenario} {format}: {}", a.2);
            assert_eq!(b, a, "{scenario}: show --format {format} differs");
        }
        let (_, text, _) = show(&bin, "text");
        assert!(
            text.contains("SSL_") && text.contains("\ndiagnosis:\n"),
            "{text}"
        );
        // Back to JSONL, then to binary again: the same file.
        let back = temp(&format!("{slug}-back.jsonl"));
        let b = bin.to_string_lossy().into_owned();
        assert_eq!(
            to_file(&["show", &b, "--format", "jsonl"], &back)
                .status
                .code(),
            Some(0)
        );
        let again = converted(&back, &format!("{slug}-again.tlsscope"));
        assert_eq!(
            std::fs::read(&again).ok(),
            std::fs::read(&bin).ok(),
            "{scenario}"
        );
    }
}

/// Written by `trace --format binary --out` itself, then shown, converted and reported on.
#[test]
fn trace_writes_binary_that_show_and_report_read() {
    let path = temp("direct.tlsscope");
    let p = path.to_string_lossy().into_owned();
    let out = tlsscope(&["trace", "lab:ok", "--format", "binary", "--out", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bytes = std::fs::read(&path).expect("written");
    assert!(bytes.starts_with(&tlsscope::trace::binary::MAGIC));
    let (code, lines, err) = show(&path, "jsonl");
    assert_eq!(code, Some(0), "{err}");
    let events = jsonl_read::from_text(&lines).expect("JSONL");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind_name()).collect();
    for kind in [
        "setup", "phase", "call", "io", "state", "msg", "tls", "verdict", "close",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    assert!(!kinds.contains(&"secret") && !kinds.contains(&"wire"));
    let html = temp("direct.html");
    let h = html.to_string_lossy().into_owned();
    let out = tlsscope(&["report", &p, "-o", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&html).is_ok_and(|s| s.contains("<html")));
}

/// The last line of a refusal (exit 2), which names the file and the byte.
fn refused(path: &Path) -> String {
    let (code, _, err) = show(path, "text");
    assert_eq!(code, Some(2), "{err}");
    let last = err.lines().last().unwrap_or_default().to_string();
    assert!(last.contains(&path.display().to_string()), "{last}");
    last
}

#[test]
fn damaged_binary_traces_are_refused_with_the_byte() {
    let jsonl = saved_trace("lab:ok", &[], "damaged.jsonl");
    let bin = converted(&jsonl, "damaged.tlsscope");
    let good = std::fs::read(&bin).expect("read");
    let bad = temp("bad.tlsscope");
    let write = |bytes: &[u8]| std::fs::write(&bad, bytes).expect("write");
    write(&good[..good.len() / 2]);
    let last = refused(&bad);
    assert!(
        last.contains(": at byte 12: the block of") && last.contains("is cut short"),
        "{last}"
    );
    let mut flipped = good.clone();
    flipped[40] ^= 0x04;
    write(&flipped);
    assert!(refused(&bad).contains(": at byte 12: the block's checksum does not match"));
    let mut v9 = good.clone();
    v9[8] = 9;
    write(&v9);
    assert!(refused(&bad)
        .contains(": at byte 8: a binary trace of version 9; this tlsscope reads version 1"));
    let mut huge = good[..12].to_vec();
    huge.extend_from_slice(&[0xff; 12]);
    write(&huge);
    assert!(refused(&bad).contains(": at byte 12: a block of 4294967295 bytes, over the"));
    // Not a trace at all, whatever its name.
    write(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let last = refused(&bad);
    assert!(last.ends_with(": at byte 0: not a tlsscope binary trace (it does not start with the binary trace's magic bytes)"), "{last}");
    // The header and the end mark: a trace with no events.
    let mut empty = tlsscope::trace::binary::encode::header().to_vec();
    empty.extend_from_slice(&[0; 12]);
    write(&empty);
    assert!(refused(&bad).ends_with("no events (an empty trace)"));
}

/// On a terminal (a pseudo-terminal made by util-linux's `script`), `--format binary` without
/// `--out` is refused before anything runs, with a one-line reason (exit 2); `show` likewise.
#[test]
fn binary_is_refused_on_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_tlsscope");
    for (args, how) in [
        (
            "trace lab:ok --format binary",
            "give --out FILE or redirect standard output",
        ),
        ("show /dev/null --format binary", "redirect standard output"),
    ] {
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
            .output()
            .expect("util-linux's script");
        let said = text(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{args}: {said}");
        let line = said.trim_end();
        assert!(!line.contains('\n'), "one line: {said:?}");
        assert!(
            line.starts_with("tlsscope: --format binary writes a binary file, not to a terminal: ")
                && line.contains(how),
            "{args}: {said:?}"
        );
    }
}

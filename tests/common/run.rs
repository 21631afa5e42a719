//! Running the `tlsscope` binary as a user does: its output, files in this test process's own
//! temporary folder, and traces saved by real runs.

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn tlsscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlsscope"))
        .args(args)
        .output()
        .expect("run tlsscope")
}

/// Output bytes as text (lossy: a test should say what it saw, not panic on it).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file in this test process's own temporary folder.
pub fn temp(name: &str) -> PathBuf {
    super::cert_files().dir.join(name)
}

/// Traces `target` (with `extra` options) to the JSONL file `name`, as a user saves a trace;
/// the run may end in failure (status 1), as the failing scenarios do.
pub fn saved_trace(target: &str, extra: &[&str], name: &str) -> PathBuf {
    let path = temp(name);
    let p = path.to_string_lossy().into_owned();
    let mut args = vec!["trace", target, "--format", "jsonl", "--out", &p];
    args.extend_from_slice(extra);
    let out = tlsscope(&args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{target}: {}",
        text(&out.stderr)
    );
    path
}

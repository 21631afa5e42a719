//! Programs for `tlsscope run` to trace: the C client (tests/peers/run_client.c, one mode per
//! correct use or misuse of OpenSSL) compiled once per test process, and reading a run's JSONL.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The C client, compiled once per test process as `NAME-PID` (the name shows in a run's
/// output); `None` (and a note) without cc or the OpenSSL headers.
pub fn c_client(name: &str) -> Option<&'static Path> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/run_client.c");
            let bin = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("{name}-{}", std::process::id()));
            let built = Command::new("cc")
                .args(["-O2", "-o"])
                .arg(&bin)
                .arg(&src)
                .args(["-lssl", "-lcrypto", "-lpthread"])
                .output();
            match built {
                Ok(o) if o.status.success() => Some(bin),
                Ok(o) => {
                    eprintln!(
                        "skipped: cc could not build run_client.c (install libssl-dev): {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    None
                }
                Err(e) => {
                    eprintln!("skipped: no C compiler (cc): {e}");
                    None
                }
            }
        })
        .as_deref()
}

/// A JSONL trace's lines as JSON values.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The events of one kind.
pub fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

//! Running a program under the interposer (`libtlsscope_interpose.so`, LD_PRELOAD) and turning
//! what it sends into trace events: used by `tlsscope run` (which prints them) and by the app
//! (which shows them live beside its own connections).
//!
//! - this file: finding the interposer, starting the program with the environment it needs.
//! - `listen`: the Unix stream socket the interposer sends its records to.
//! - `convert`: records to trace events, connections keyed by process and SSL object.
//! - `events`: the one place events are built.
//! - `elf`: why a program sent no OpenSSL call.
//! - `live`: a program run for the app: event batches on a channel, stop, how it ended.

pub(crate) mod convert;
pub(crate) mod elf;
pub(crate) mod events;
pub(crate) mod listen;
mod live;
#[allow(dead_code)]
#[path = "../../interpose/src/wire.rs"]
pub(crate) mod wire;

pub use live::{split_command, Ended, RunOptions, Runner};

use std::ffi::{OsStr, OsString};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};

/// The interposer's file name, next to the `tlsscope` binary (cargo puts both in target/…/).
const LIBRARY: &str = "libtlsscope_interpose.so";
/// Names the interposer explicitly (an installed tlsscope without it beside the binary).
pub const LIBRARY_ENV: &str = "TLSSCOPE_INTERPOSER";

/// Why a program could not be started: `Usage` for what the user gave (a program that does not
/// run, a bad `TLSSCOPE_INTERPOSER`), `Failed` for the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    Usage(String),
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Usage(s) | StartError::Failed(s) => f.write_str(s),
        }
    }
}

/// The interposer library: $TLSSCOPE_INTERPOSER, else beside this binary, in deps/ beside it,
/// or one folder up.
pub fn interposer() -> Result<PathBuf, StartError> {
    let found = match std::env::var_os(LIBRARY_ENV) {
        Some(p) => Some(PathBuf::from(&p))
            .filter(|p| p.is_file())
            .ok_or_else(|| {
                StartError::Usage(format!(
                    "{LIBRARY_ENV}={} is not a file",
                    Path::new(&p).display()
                ))
            })?,
        None => {
            let exe = std::env::current_exe()
                .map_err(|e| StartError::Failed(format!("cannot find tlsscope's own path: {e}")))?;
            let dir = exe.parent().unwrap_or(Path::new("."));
            // `cargo build` puts it beside the binary, `cargo test` only in deps/ (it builds
            // the interposer as a dependency of the tests): the newest one wins.
            let newest = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            [dir.join(LIBRARY), dir.join("deps").join(LIBRARY), dir.join("..").join(LIBRARY)]
                .into_iter()
                .filter(|p| p.is_file())
                .max_by_key(newest)
                .ok_or_else(|| {
                StartError::Failed(format!(
                    "cannot find the interposer {LIBRARY} next to {}: build it with `cargo build` (it is part of the workspace) or `cargo build -p tlsscope-interpose`, or name it with {LIBRARY_ENV}=PATH",
                    exe.display()
                ))
            })?
        }
    };
    let path = found.canonicalize().unwrap_or(found);
    // LD_PRELOAD splits its list at spaces and colons.
    if path.to_string_lossy().contains([' ', ':']) {
        return Err(StartError::Usage(format!("the interposer's path {} has a space or colon, which LD_PRELOAD cannot carry: copy it elsewhere and name it with {LIBRARY_ENV}", path.display())));
    }
    Ok(path)
}

/// CLOCK_MONOTONIC in nanoseconds: the clock the interposer stamps its records with.
pub(crate) fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// The exit status a shell would report for the program.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

fn preload(lib: &Path) -> OsString {
    let mut list = OsString::from(lib);
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|o| !o.is_empty()) {
        list.push(":");
        list.push(old);
    }
    list
}

/// A program started under the interposer: the child, the socket its records come in on, and
/// CLOCK_MONOTONIC when it started (event time 0).
pub(crate) struct Started {
    pub(crate) child: Child,
    pub(crate) listener: listen::Listener,
    pub(crate) t0: u64,
}

/// Starts `command[0]` with the rest as its arguments, the interposer preloaded and the socket
/// named in its environment. `own_group`: in a process group of its own (the app, which stops
/// the program and its children together), else in ours (the terminal's Ctrl+C reaches it).
pub(crate) fn start(command: &[OsString], own_group: bool) -> Result<Started, StartError> {
    let program: &OsStr = command
        .first()
        .ok_or_else(|| StartError::Usage("no program to run".into()))?;
    let lib = interposer()?;
    let listener = listen::Listener::open()
        .map_err(|e| StartError::Failed(format!("cannot open the event socket: {e}")))?;
    let t0 = monotonic_ns();
    let mut cmd = Command::new(program);
    cmd.args(&command[1..])
        .env("LD_PRELOAD", preload(&lib))
        .env(wire::SOCK_ENV, listener.path());
    if own_group {
        // Not the terminal's foreground group: reading the terminal would stop it (SIGTTIN).
        cmd.process_group(0).stdin(std::process::Stdio::null());
    }
    let child = cmd
        .spawn()
        .map_err(|e| StartError::Usage(format!("cannot run {}: {e}", program.to_string_lossy())))?;
    Ok(Started {
        child,
        listener,
        t0,
    })
}

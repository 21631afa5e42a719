//! `tlsscope run [--format text|jsonl] [--out FILE] -- CMD ARGS…`: runs a program (and its
//! children) with the interposer preloaded and prints the trace of its OpenSSL calls as they
//! happen, with a verdict per connection that names the program's own misuse of OpenSSL; exits
//! with the program's exit status.
//!
//! - `listen`: the Unix datagram socket the interposer sends its records to.
//! - `convert`: records to trace events, connections keyed by process and SSL object.
//! - `events`: the one place events are built.
//! - `output`: text or JSONL, the verdicts and the diagnosis.
//! - `elf`: why a program sent no OpenSSL call.

mod convert;
mod elf;
mod events;
mod listen;
mod output;
#[allow(dead_code)]
#[path = "../../interpose/src/wire.rs"]
mod wire;

use super::trace::Format;
use super::CliError;
use clap::Args;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The interposer's file name, next to the `tlsscope` binary (cargo puts both in target/…/).
const LIBRARY: &str = "libtlsscope_interpose.so";
/// Names the interposer explicitly (an installed tlsscope without it beside the binary).
const LIBRARY_ENV: &str = "TLSSCOPE_INTERPOSER";

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the trace to FILE instead of standard output (which the program shares).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The program to run and its arguments (after `--`).
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    command: Vec<OsString>,
}

/// The interposer library: $TLSSCOPE_INTERPOSER, else beside this binary, in deps/ beside it,
/// or one folder up.
fn interposer() -> Result<PathBuf, CliError> {
    let found = match std::env::var_os(LIBRARY_ENV) {
        Some(p) => Some(PathBuf::from(p))
            .filter(|p| p.is_file())
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "{LIBRARY_ENV}={} is not a file",
                    Path::new(&std::env::var_os(LIBRARY_ENV).unwrap_or_default()).display()
                ))
            })?,
        None => {
            let exe = std::env::current_exe()
                .map_err(|e| CliError::Failed(format!("cannot find tlsscope's own path: {e}")))?;
            let dir = exe.parent().unwrap_or(Path::new("."));
            // `cargo build` puts it beside the binary, `cargo test` only in deps/ (it builds
            // the interposer as a dependency of the tests): the newest one wins.
            let newest = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
            [dir.join(LIBRARY), dir.join("deps").join(LIBRARY), dir.join("..").join(LIBRARY)]
                .into_iter()
                .filter(|p| p.is_file())
                .max_by_key(newest)
                .ok_or_else(|| {
                CliError::Failed(format!(
                    "cannot find the interposer {LIBRARY} next to {}: build it with `cargo build` (it is part of the workspace) or `cargo build -p tlsscope-interpose`, or name it with {LIBRARY_ENV}=PATH",
                    exe.display()
                ))
            })?
        }
    };
    let path = found.canonicalize().unwrap_or(found);
    // LD_PRELOAD splits its list at spaces and colons.
    if path.to_string_lossy().contains([' ', ':']) {
        return Err(CliError::Usage(format!("the interposer's path {} has a space or colon, which LD_PRELOAD cannot carry: copy it elsewhere and name it with {LIBRARY_ENV}", path.display())));
    }
    Ok(path)
}

fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// The exit status a shell would report for the program.
fn exit_code(status: ExitStatus) -> i32 {
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

pub(crate) fn run(args: RunArgs) -> Result<(), CliError> {
    let lib = interposer()?;
    let program: &OsStr = &args.command[0];
    let what = "the trace";
    let failed = |error| CliError::Output { what, error };
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    let mut listener = listen::Listener::open()
        .map_err(|e| CliError::Failed(format!("cannot open the event socket: {e}")))?;
    // Ctrl+C reaches the program from the terminal; SIGTERM (or SIGHUP) sent to tlsscope is
    // passed on as SIGTERM. We stay to print what it did until it ends, and exit with its
    // status. Set before the program starts, so a signal in between is passed on too.
    let signalled = Arc::new(AtomicBool::new(false));
    {
        let signalled = Arc::clone(&signalled);
        let _ = ctrlc::set_handler(move || signalled.store(true, Ordering::Relaxed));
    }
    let t0 = monotonic_ns();
    let mut child = Command::new(program)
        .args(&args.command[1..])
        .env("LD_PRELOAD", preload(&lib))
        .env(wire::SOCK_ENV, listener.path())
        .spawn()
        .map_err(|e| CliError::Usage(format!("cannot run {}: {e}", program.to_string_lossy())))?;
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap_or(0));
    let mut conv = convert::Converter::new(t0);
    let mut printer = output::RunPrinter::new(args.format);
    let mut batch = Vec::new();
    let mut print = |conv: &mut convert::Converter,
                     batch: &mut Vec<convert::Out>,
                     item: Option<listen::Item>,
                     out: &mut Box<dyn Write>| {
        if let Some((rec, tail)) = item {
            conv.feed(&rec, &tail, batch);
        }
        for o in batch.drain(..) {
            printer.out(o, out)?;
        }
        Ok::<_, std::io::Error>(())
    };
    let mut forwarded = false;
    let status = loop {
        if let Ok(item) = listener.items.recv_timeout(Duration::from_millis(20)) {
            print(&mut conv, &mut batch, Some(item), &mut out).map_err(failed)?;
            // Keep up with a busy program without starving the exit check.
            for item in listener.items.try_iter().take(1000) {
                print(&mut conv, &mut batch, Some(item), &mut out).map_err(failed)?;
            }
            out.flush().map_err(failed)?;
        }
        // Checked on every round: a program that never stops sending is still passed the signal.
        if signalled.load(Ordering::Relaxed) && !forwarded {
            forwarded = true;
            if let Some(pid) = pid {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
        if let Some(status) = child
            .try_wait()
            .map_err(|e| CliError::Failed(format!("cannot wait for the program: {e}")))?
        {
            break status;
        }
    };
    // What is still on its way (the listener stops after 50 ms of quiet).
    listener.close();
    for item in listener.items.try_iter() {
        print(&mut conv, &mut batch, Some(item), &mut out).map_err(failed)?;
    }
    conv.finish(monotonic_ns(), &mut batch);
    print(&mut conv, &mut batch, None, &mut out).map_err(failed)?;
    printer.finish(&mut out).map_err(failed)?;
    out.flush().map_err(failed)?;
    drop(out);
    let mut err = std::io::stderr();
    if conv.calls == 0 {
        let why = elf::why_no_calls(program, !conv.procs.is_empty());
        let _ = writeln!(
            err,
            "tlsscope: no OpenSSL call arrived from {}: {}",
            program.to_string_lossy(),
            crate::trace::escape::escape(&why)
        );
    }
    let lost = conv.lost();
    if lost > 0 {
        let _ = writeln!(err, "tlsscope: {lost} event(s) lost: the traced program sent faster than tlsscope read (each connection's `dropped` line says how many)");
    }
    drop(listener);
    std::process::exit(exit_code(status));
}

//! `tlsscope run [--format text|jsonl] [--out FILE] -- CMD ARGS…`: runs a program (and its
//! children) with the interposer preloaded and prints the trace of its OpenSSL calls as they
//! happen, with a verdict per connection that names the program's own misuse of OpenSSL; exits
//! with the program's exit status.
//!
//! The running (interposer, socket, records to events) is [`crate::runner`]; here:
//!
//! - `output`: text or JSONL, the verdicts and the diagnosis.

mod output;

use super::trace::Format;
use super::CliError;
use crate::runner::{self, convert, elf, exit_code, listen, monotonic_ns, StartError};
use clap::Args;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

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

pub(crate) fn run(args: RunArgs) -> Result<(), CliError> {
    let to_cli = |e| match e {
        StartError::Usage(s) => CliError::Usage(s),
        StartError::Failed(s) => CliError::Failed(s),
    };
    // Before the output file is made: a missing interposer leaves nothing behind.
    runner::interposer().map_err(to_cli)?;
    let program: &OsStr = &args.command[0];
    let what = "the trace";
    let failed = |error| CliError::Output { what, error };
    super::printer::refuse_terminal(args.format, args.out.is_some(), super::trace::OUT_OR_PIPE)?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    // Ctrl+C reaches the program from the terminal; SIGTERM (or SIGHUP) sent to tlsscope is
    // passed on as SIGTERM. We stay to print what it did until it ends, and exit with its
    // status. Set before the program starts, so a signal in between is passed on too.
    let signalled = Arc::new(AtomicBool::new(false));
    {
        let signalled = Arc::clone(&signalled);
        let _ = ctrlc::set_handler(move || signalled.store(true, Ordering::Relaxed));
    }
    let runner::Started {
        mut child,
        mut listener,
        t0,
    } = runner::start(&args.command, false).map_err(to_cli)?;
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

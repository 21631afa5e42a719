//! The command line: argument parsing and dispatch to the subcommands. `main` calls [`run`];
//! errors are reported once, there, with the exit status they map to, and a reader that went
//! away (`| head`) ends every subcommand quietly, there too.

mod bench;
mod lab;
mod repeat;
pub mod trace;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "tlsscope",
    version,
    about = "An oscilloscope for TLS connections: every OpenSSL call, socket read and write, handshake state and buffer level of a real non-blocking TLS client.",
    long_about = "An oscilloscope for TLS connections: every OpenSSL call, socket read and write, handshake state and buffer level of a real non-blocking TLS client.\n\nWithout a subcommand, opens the desktop app and traces TARGET (default: the lab's `ok` scenario).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    gui: crate::ui::GuiArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Trace one TLS connection and print every event as it happens.
    Trace(Box<trace::TraceArgs>),
    /// Serve the lab's misbehaving TLS peers on loopback.
    Lab(lab::LabArgs),
    /// Measure what recording costs: a bulk loopback transfer with recording on and off.
    Bench(bench::BenchArgs),
}

/// How a command failed, and so which exit status it gets.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad input on the command line: exit status 2.
    Usage(String),
    /// The connection or TLS failed: exit status 1.
    Failed(String),
    /// Writing the command's output (`what`: "the trace", "to standard output") failed. A closed
    /// pipe (`| head`) ends the command quietly with status 0; anything else is a failure.
    Output {
        what: &'static str,
        error: std::io::Error,
    },
}

impl CliError {
    fn output(error: std::io::Error) -> CliError {
        CliError::Output {
            what: "to standard output",
            error,
        }
    }
}

/// Writes `text` to standard output and flushes it, so a reader that went away is noticed at
/// once (Rust ignores SIGPIPE: the write fails with EPIPE instead of ending the process).
fn say(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::output)
}

/// Runs the command line; returns the process exit status.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to standard output (status 0), usage errors to standard error
            // (status 2); a closed pipe while printing them is not worth a word.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Some(Command::Trace(args)) => trace::run(*args),
        Some(Command::Lab(args)) => lab::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        None => crate::ui::run(cli.gui).map_err(CliError::Failed),
    };
    let (status, reason) = match result {
        Ok(()) => (0, None),
        Err(CliError::Usage(reason)) => (2, Some(reason)),
        Err(CliError::Failed(reason)) => (1, Some(reason)),
        Err(CliError::Output { error, .. }) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            (0, None)
        }
        Err(CliError::Output { what, error }) => (1, Some(format!("cannot write {what}: {error}"))),
    };
    if let Some(reason) = reason {
        // Not `eprintln!`: it panics when standard error is closed too.
        let _ = writeln!(std::io::stderr(), "tlsscope: {reason}");
    }
    ExitCode::from(status)
}

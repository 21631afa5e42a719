//! The command line: argument parsing and dispatch to the subcommands. `main` calls [`run`];
//! errors are reported once, there, with the exit status they map to, and a reader that went
//! away (`| head`) ends every subcommand quietly, there too.

mod bench;
mod lab;
mod printer;
mod repeat;
mod report;
mod resumed;
mod run;
mod show;
pub mod trace;
mod trace_file;
mod usage;

use clap::{CommandFactory, Parser, Subcommand};
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
    /// Trace a TLS connection (or N with --repeat) and print every event as it happens.
    Trace(Box<trace::TraceArgs>),
    /// Serve the lab's misbehaving TLS peers on loopback.
    Lab(lab::LabArgs),
    /// Measure what recording costs: a bulk loopback transfer with recording on and off.
    Bench(bench::BenchArgs),
    /// Print a saved JSONL trace as `trace` printed it, with today's verdict (also checks the file).
    Show(show::ShowArgs),
    /// Write a self-contained HTML report on a saved JSONL trace.
    Report(report::ReportArgs),
    /// Run a program and trace its own OpenSSL calls (LD_PRELOAD): `tlsscope run -- CMD ARGS…`.
    Run(run::RunArgs),
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
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = Cli::command();
    let mut subcommands: Vec<&str> = command.get_subcommands().map(|s| s.get_name()).collect();
    subcommands.push("help");
    let parsed = usage::check_first_word(&args, &subcommands)
        .map_err(CliError::Usage)
        .map(|()| Cli::try_parse_from(&args));
    let cli = match parsed {
        Ok(Ok(cli)) => Ok(cli),
        Ok(Err(e)) => {
            // Help and version go to standard output (status 0), usage errors to standard error
            // (status 2); a closed pipe while printing them is not worth a word.
            let _ = e.print();
            if e.use_stderr() {
                // Clap ends with usage lines; the last line says why, as for every error.
                let reason = usage::one_line(&e.render().to_string());
                let reason = crate::trace::escape::escape(&reason);
                let _ = writeln!(std::io::stderr(), "tlsscope: {reason}");
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
        Err(e) => Err(e),
    };
    let result = cli.and_then(|cli| match cli.command {
        Some(Command::Trace(args)) => trace::run(*args),
        Some(Command::Lab(args)) => lab::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Show(args)) => show::run(args),
        Some(Command::Report(args)) => report::run(args),
        Some(Command::Run(args)) => run::run(args),
        None => usage::check_app_args(&cli.gui, &subcommands)
            .and_then(|()| crate::ui::capture::Capture::check(&cli.gui).map_err(CliError::Usage))
            .and_then(|()| match &cli.gui.open {
                Some(path) => crate::ui::check_open(path).map_err(CliError::Usage),
                None => Ok(()),
            })
            .and_then(|()| {
                crate::ui::run(cli.gui).map_err(|e| CliError::Failed(usage::hide_source_paths(&e)))
            }),
    });
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
        // Escaped: a reason may quote the peer, and it must stay one line on a terminal.
        let reason = crate::trace::escape::escape(&reason);
        let _ = writeln!(std::io::stderr(), "tlsscope: {reason}");
    }
    ExitCode::from(status)
}

//! The command line: argument parsing and the subcommands. `main` calls [`run`]; errors are
//! reported once, there, with the exit status they map to.

mod bench;
mod lab;
pub mod trace;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "tlsscope",
    version,
    about = "An oscilloscope for TLS connections: every OpenSSL call, socket read and write, handshake state and buffer level of a real non-blocking TLS client.",
    long_about = "An oscilloscope for TLS connections: every OpenSSL call, socket read and write, handshake state and buffer level of a real non-blocking TLS client.\n\nWithout a subcommand, opens the desktop app and traces TARGET (default: the lab's `ok` scenario).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub gui: crate::ui::GuiArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Trace one TLS connection and print every event as it happens.
    Trace(Box<trace::TraceArgs>),
    /// Serve the lab's misbehaving TLS peers on loopback.
    Lab(lab::LabArgs),
    /// Measure what recording costs: a bulk loopback transfer with recording on and off.
    Bench(bench::BenchArgs),
}

/// How a command failed, and so which exit status it gets.
#[derive(Debug)]
pub enum CliError {
    /// Bad input on the command line: exit status 2.
    Usage(String),
    /// The connection or TLS failed: exit status 1.
    Failed(String),
    /// Standard output went away (e.g. `| head`): stop without a message, exit status 0.
    Quiet,
}

/// Runs the command line; returns the process exit status.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Trace(args)) => trace::run(*args).map(|_| ()),
        Some(Command::Lab(args)) => lab::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        None => crate::ui::run(cli.gui).map_err(CliError::Failed),
    };
    match result {
        Ok(()) => 0,
        Err(CliError::Usage(reason)) => {
            eprintln!("tlsscope: {reason}");
            2
        }
        Err(CliError::Failed(reason)) => {
            eprintln!("tlsscope: {reason}");
            1
        }
        Err(CliError::Quiet) => 0,
    }
}

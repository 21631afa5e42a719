//! `tlsscope lab` and the `lab:NAME` targets of `tlsscope trace`.

use super::CliError;
use crate::probe::ConnectSpec;
use clap::Args;

#[derive(Args, Debug)]
pub struct LabArgs {
    /// List the scenarios and what each one shows.
    #[arg(long)]
    pub list: bool,
}

/// Starts scenario `name` in-process; returns the client spec and the running server.
pub fn start_for_trace(
    name: &str,
) -> Result<(ConnectSpec, Option<Box<dyn std::any::Any>>), String> {
    Err(format!("unknown lab scenario {name:?}"))
}

pub fn run(_args: LabArgs) -> Result<(), CliError> {
    Err(CliError::Usage("the lab is not built yet".into()))
}

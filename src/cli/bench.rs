//! `tlsscope bench`: the cost of recording, measured on a bulk loopback transfer.

use super::CliError;
use clap::Args;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Bytes to upload per run (e.g. 256M).
    #[arg(long, value_name = "BYTES", default_value = "256M")]
    pub bytes: String,
}

pub fn run(_args: BenchArgs) -> Result<(), CliError> {
    Err(CliError::Failed("bench: not built yet".into()))
}

//! `galeri serve` (not yet written).

use crate::cli::ServeArgs;
use std::process::ExitCode;

pub fn run(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

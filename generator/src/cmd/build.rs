//! `galeri build` (not yet written).

use crate::cli::BuildArgs;
use std::process::ExitCode;

pub fn run(_args: BuildArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

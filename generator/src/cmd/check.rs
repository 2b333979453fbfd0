//! `galeri check` (not yet written).

use crate::cli::CheckArgs;
use std::process::ExitCode;

pub fn run(_args: CheckArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

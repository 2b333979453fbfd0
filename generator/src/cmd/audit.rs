//! `galeri audit` (not yet written).

use crate::cli::StoreArgs;
use std::process::ExitCode;

pub fn run(_args: StoreArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

//! `galeri load-catalog` (not yet written).

use crate::cli::LoadCatalogArgs;
use std::process::ExitCode;

pub fn run(_args: LoadCatalogArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

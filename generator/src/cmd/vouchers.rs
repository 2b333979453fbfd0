//! `galeri vouchers` (not yet written).

use crate::cli::IssueArgs;
use std::process::ExitCode;

pub fn issue(_args: IssueArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

//! `galeri tokens` (not yet written).

use crate::cli::{StoreArgs, TokenCreateArgs, TokenRevokeArgs};
use std::process::ExitCode;

pub fn create(_args: TokenCreateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

pub fn list(_args: StoreArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

pub fn revoke(_args: TokenRevokeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}

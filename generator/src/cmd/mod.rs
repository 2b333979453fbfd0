//! One module per subcommand. Each `run` returns the process exit code. Below them, what the
//! commands over the voucher store share: a runtime, the store and the ledger.

pub mod audit;
pub mod build;
pub mod check;
pub mod expire;
pub mod export;
pub mod import;
pub mod labels;
pub mod load_catalog;
pub mod new;
pub mod print;
pub mod report;
pub mod serve;
pub mod tokens;
pub mod transparency;
pub mod void;
pub mod vouchers;

use crate::cli::StoreArgs;
use anyhow::Context;
use galeri_vouchers::config::{load_pepper, open_store, StoreSpec};
use galeri_vouchers::{Ledger, Pepper, VoucherStore};
use std::sync::Arc;

/// A runtime for one command (the ledger is async; the CLI is not).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The store named by `--store` / `GALERI_STORE` (default: the SQLite file), schema prepared.
pub(crate) async fn store(args: &StoreArgs) -> anyhow::Result<(Arc<dyn VoucherStore>, StoreSpec)> {
    let spec = StoreSpec::parse_or_default(args.store.as_deref())?;
    let store = open_store(&spec)
        .await
        .with_context(|| format!("opening the voucher store {spec}"))?;
    Ok((store, spec))
}

/// The ledger over `--store` / `GALERI_STORE`, its pepper checked against the store's check
/// value (recorded on first use; a mismatch or a lost pepper file is refused with a message
/// saying what to do). With `needs_pepper = false` a throwaway pepper is used: audit and
/// price-list loading never look a code up, so they must not demand the pepper.
pub(crate) async fn ledger(
    args: &StoreArgs,
    needs_pepper: bool,
) -> anyhow::Result<(Ledger, StoreSpec)> {
    let (store, spec) = store(args).await?;
    let pepper = if needs_pepper {
        load_pepper(&spec, store.as_ref(), true).await?.0
    } else {
        Pepper::generate().map_err(|error| anyhow::anyhow!("no randomness: {error}"))?
    };
    Ok((Ledger::new(store, pepper), spec))
}

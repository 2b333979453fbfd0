//! `galeri load-catalog`: loads a build's `catalog.json` into the store as the price list that
//! redemptions are priced from (replacing the previous list whole).

use super::{ledger, runtime};
use crate::cli::LoadCatalogArgs;
use anyhow::Context;
use galeri_vouchers::model::Catalog;
use std::process::ExitCode;

pub fn run(args: LoadCatalogArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.catalog).with_context(|| {
        format!(
            "reading {} (run `galeri build` first)",
            args.catalog.display()
        )
    })?;
    let catalog: Catalog = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a Galeri catalog.json", args.catalog.display()))?;
    runtime()?.block_on(async {
        let (ledger, spec) = ledger(&args.store, false).await?;
        ledger
            .load_catalog(&catalog)
            .await
            .with_context(|| format!("loading {} into {spec}", args.catalog.display()))?;
        eprintln!(
            "{} produk dari {} (dibuat {}) dimuat sebagai daftar harga di {spec}.",
            catalog.items.len(),
            args.catalog.display(),
            catalog.generated_at.format("%Y-%m-%d %H:%M UTC")
        );
        Ok(ExitCode::SUCCESS)
    })
}

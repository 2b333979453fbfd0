//! `galeri report transparency`: exports the program's public figures from the voucher ledger
//! to `content/data/transparency.json` (aggregates only; see `crate::transparency`), which the
//! next build publishes at `/transparansi/` with a CSV beside it.

use super::{runtime, store};
use crate::cli::TransparencyArgs;
use crate::content::{self, diagnostics::display_path, proposal::write_atomically};
use crate::site::today_wib;
use crate::transparency;
use anyhow::Context;
use chrono::Utc;
use galeri_vouchers::format_rupiah;
use std::collections::HashMap;
use std::process::ExitCode;

pub fn run(args: TransparencyArgs) -> anyhow::Result<ExitCode> {
    let loaded = content::read_all(&args.content, today_wib())
        .map_err(|_| anyhow::anyhow!("{} is not a content folder", args.content.display()))?;
    if !loaded.diagnostics.is_empty() {
        // Totals do not depend on the content; only a producer whose page cannot be read
        // lands in the "lainnya" kecamatan row.
        eprintln!(
            "Peringatan: konten punya {} masalah (jalankan `galeri check`); penjualan produsen yang halamannya bermasalah masuk baris \"lainnya\" per kecamatan.",
            loaded.diagnostics.len()
        );
    }
    let kecamatan_of: HashMap<String, String> = loaded
        .producers
        .iter()
        .map(|producer| (producer.slug.clone(), producer.kecamatan_slug.clone()))
        .collect();
    let data = runtime()?.block_on(async {
        let (store, spec) = store(&args.store).await?;
        transparency::export(store.as_ref(), &kecamatan_of, Utc::now())
            .await
            .with_context(|| format!("exporting from {spec}"))
    })?;
    let mut json = serde_json::to_string_pretty(&data).context("writing the JSON")?;
    json.push('\n');
    write_atomically(&args.out, json.as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    let totals = data.totals();
    println!(
        "{} bulan ditulis ke {}: diterbitkan {}, dibelanjakan {}, dikembalikan {}, dibatalkan {}, kedaluwarsa {}, beredar {}.",
        data.months.len(),
        display_path(&args.out),
        format_rupiah(totals.issued),
        format_rupiah(totals.spent),
        format_rupiah(totals.refunded),
        format_rupiah(totals.voided),
        format_rupiah(totals.expired),
        format_rupiah(totals.outstanding),
    );
    println!("Build berikutnya menerbitkannya di /transparansi/.");
    Ok(ExitCode::SUCCESS)
}

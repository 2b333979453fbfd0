//! `galeri vouchers expire --before DATE`: marks the vouchers whose last day is before DATE as
//! expired (an `expired` ledger entry each) and reports the unspent balance returned to the
//! program, per batch and unit. Running it again marks nothing twice.

use super::{ledger, runtime};
use crate::cli::ExpireArgs;
use anyhow::Context;
use chrono::{NaiveDate, Utc};
use std::process::ExitCode;

pub fn run(args: ExpireArgs) -> anyhow::Result<ExitCode> {
    let before = NaiveDate::parse_from_str(args.before.trim(), "%Y-%m-%d").with_context(|| {
        format!(
            "--before {:?} bukan tanggal seperti 2026-12-31",
            args.before
        )
    })?;
    runtime()?.block_on(async {
        let (ledger, spec) = ledger(&args.store, false).await?;
        let report = ledger
            .expire(before, Utc::now())
            .await
            .with_context(|| format!("menandai voucher kedaluwarsa di {spec}"))?;
        println!("Voucher yang berakhir sebelum {before} ({spec})");
        for line in &report.lines {
            println!(
                "  batch {:?}{}: berakhir {}, {} voucher, sisa saldo {} kembali ke program",
                line.batch,
                line.unit
                    .as_deref()
                    .map(|unit| format!(" ({unit})"))
                    .unwrap_or_default(),
                line.expires_on,
                line.vouchers,
                line.returned
            );
        }
        println!(
            "{} voucher ditandai kedaluwarsa; sisa saldo {} kembali ke program ({} sudah ditandai atau dibatalkan sebelumnya).",
            report.vouchers, report.returned, report.skipped
        );
        Ok(ExitCode::SUCCESS)
    })
}

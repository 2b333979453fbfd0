//! `galeri audit`: checks every voucher's books (face value = balance + redeemed − refunded;
//! held ≤ balance, and held = what open orders hold on it, so every open hold belongs to an
//! open order) and prints the totals the program is accountable for: issued, spent, refunded, unspent.
//! Also reconciles each batch's count × amount with the vouchers found under it. Exits
//! non-zero, listing each voucher and batch, when any book does not balance.

use super::{ledger, runtime};
use crate::cli::StoreArgs;
use anyhow::Context;
use galeri_vouchers::format_rupiah;
use std::process::ExitCode;

pub fn run(args: StoreArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let (ledger, spec) = ledger(&args, false).await?;
        let report = ledger.audit().await.with_context(|| format!("auditing {spec}"))?;
        println!("Audit {spec}");
        println!("  voucher          {}", report.vouchers);
        println!("  nilai terbit     {}", report.face_value);
        println!("  dibelanjakan     {}", report.redeemed);
        println!("  dikembalikan     {}", report.refunded);
        println!("  sisa saldo       {}", report.balance);
        println!("  ditahan pesanan  {}", report.held);
        for batch in &report.batches {
            println!(
                "  batch {:?}: terbit {} × {} = {}, ditemukan {} voucher senilai {} — ada voucher yang hilang atau berlebih",
                batch.name,
                batch.count,
                batch.amount,
                format_rupiah(batch.amount.rupiah().saturating_mul(i64::from(batch.count))),
                batch.found,
                batch.found_value
            );
        }
        if report.discrepancies.is_empty() && report.batches.is_empty() {
            println!("Semua buku seimbang.");
            return Ok(ExitCode::SUCCESS);
        }
        if report.discrepancies.is_empty() {
            println!("{} batch TIDAK cocok dengan vouchernya.", report.batches.len());
            return Ok(ExitCode::FAILURE);
        }
        println!("{} voucher TIDAK seimbang:", report.discrepancies.len());
        for books in &report.discrepancies {
            let off = i128::from(books.face_value.rupiah())
                - (i128::from(books.balance.rupiah()) + i128::from(books.redeemed.rupiah())
                    - i128::from(books.refunded.rupiah()));
            let off = i64::try_from(off).map(format_rupiah).unwrap_or_else(|_| off.to_string());
            println!(
                "  batch {:?} voucher …{}: nilai {} ≠ saldo {} + dibelanjakan {} − dikembalikan {} (selisih {off})",
                books.batch, books.hint, books.face_value, books.balance, books.redeemed, books.refunded
            );
            if books.held > books.balance || books.held != books.open_holds {
                println!(
                    "    ditahan {} (saldo {}), sedangkan pesanan terbuka menahan {}",
                    books.held, books.balance, books.open_holds
                );
            }
        }
        Ok(ExitCode::FAILURE)
    })
}

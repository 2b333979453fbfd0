//! `galeri report settlement` (per producer, on events, as CSV or a printable HTML page with
//! a chart) and `galeri report close` (the daily close with the audit; non-zero exit on any
//! discrepancy).

use super::{ledger, runtime};
use crate::cli::{CloseArgs, ReportFormat, SettlementArgs};
use anyhow::Context;
use chrono::NaiveDate;
use galeri_vouchers::admin::CloseReport;
use galeri_vouchers::format_rupiah;
use galeri_vouchers::model::Settlement;
use std::fmt::Write as _;
use std::process::ExitCode;

fn date(flag: &str, text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag} {text:?} bukan tanggal seperti 2026-12-31"))
}

pub fn settlement(args: SettlementArgs) -> anyhow::Result<ExitCode> {
    let from = date("--from", &args.from)?;
    let to = date("--to", &args.to)?;
    let settlement = runtime()?.block_on(async {
        let (ledger, spec) = ledger(&args.store, false).await?;
        ledger
            .settlement(from, to)
            .await
            .with_context(|| format!("menyusun rekap {from} s.d. {to} dari {spec}"))
    })?;
    let text = match args.format {
        ReportFormat::Csv => settlement_csv(&settlement),
        ReportFormat::Html => settlement_html(&settlement),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("menulis {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per producer and a total row; money in whole rupiah (no separators, so
/// spreadsheets read numbers).
pub fn settlement_csv(settlement: &Settlement) -> String {
    let mut out = String::from(
        "producer,items,value,voucher_share,cash_share,refunded_items,refunds,refunds_voucher,refunds_cash,net\n",
    );
    for row in &settlement.rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&row.producer),
            row.items,
            row.value.rupiah(),
            row.voucher_share.rupiah(),
            row.cash_share.rupiah(),
            row.refunded_items,
            row.refunds.rupiah(),
            row.refunds_voucher.rupiah(),
            row.refunds_cash.rupiah(),
            row.net
        );
    }
    let _ = writeln!(
        out,
        "JUMLAH,{},{},{},{},{},{},{},{},{}",
        settlement.total_items,
        settlement.total_value.rupiah(),
        settlement.total_voucher_share.rupiah(),
        settlement.total_cash_share.rupiah(),
        settlement.total_refunded_items,
        settlement.total_refunds.rupiah(),
        settlement.total_refunds_voucher.rupiah(),
        settlement.total_refunds_cash.rupiah(),
        settlement.total_net
    );
    out
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A standalone page: the table with totals, an inline-SVG bar chart of each producer's sales
/// (voucher and cash parts) and refunds, and print CSS (A4, no chart colours lost).
pub fn settlement_html(settlement: &Settlement) -> String {
    let period = format!("{} s.d. {}", settlement.from, settlement.to);
    let mut rows = String::new();
    for row in &settlement.rows {
        let _ = writeln!(
            rows,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.producer),
            row.items,
            row.value,
            row.voucher_share,
            row.cash_share,
            row.refunded_items,
            row.refunds,
            format_rupiah(row.net)
        );
    }
    let totals = format!(
        "<tr><th scope=\"row\">Jumlah</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        settlement.total_items,
        settlement.total_value,
        settlement.total_voucher_share,
        settlement.total_cash_share,
        settlement.total_refunded_items,
        settlement.total_refunds,
        format_rupiah(settlement.total_net)
    );
    format!(
        r#"<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rekap penjualan per produsen, {period}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }}
h1 {{ font-size: 1.4rem; margin: 0 0 .25rem; }}
p.note {{ color: #444; max-width: 48rem; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; font-variant-numeric: tabular-nums; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .35rem .5rem; text-align: right; }}
th[scope=row], thead th:first-child {{ text-align: left; }}
tfoot th, tfoot td {{ font-weight: bold; border-top: 2px solid #1a1a1a; }}
svg {{ max-width: 100%; height: auto; }}
.legend span {{ display: inline-block; margin-right: 1rem; }}
.swatch {{ display: inline-block; width: .8rem; height: .8rem; vertical-align: middle; margin-right: .3rem; }}
@media print {{
  @page {{ size: A4; margin: 15mm; }}
  body {{ margin: 0; font-size: 10pt; }}
  * {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
  table, figure {{ break-inside: avoid; }}
}}
</style>
</head>
<body>
<h1>Rekap penjualan per produsen</h1>
<p>Periode {period} (WIB)</p>
<p class="note">Penjualan dihitung pada tanggal transaksinya; pengembalian dihitung sebagai baris negatif pada tanggal pengembaliannya, sehingga rekap periode yang sudah ditutup tidak pernah berubah.</p>
<figure>
{chart}
<figcaption class="legend"><span><span class="swatch" style="background:#1f6f50"></span>dibayar voucher</span><span><span class="swatch" style="background:#8fc1a9"></span>dibayar tunai</span><span><span class="swatch" style="background:#b3261e"></span>pengembalian</span></figcaption>
</figure>
<table>
<thead><tr><th scope="col">Produsen</th><th scope="col">Barang terjual</th><th scope="col">Nilai</th><th scope="col">Bagian voucher</th><th scope="col">Bagian tunai</th><th scope="col">Barang dikembalikan</th><th scope="col">Pengembalian</th><th scope="col">Bersih</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot>{totals}</tfoot>
</table>
</body>
</html>
"#,
        chart = settlement_chart(settlement)
    )
}

/// Horizontal bars, one per producer: voucher and cash parts of the sales, and the refunds
/// below them, scaled to the largest amount. Readable without JavaScript.
fn settlement_chart(settlement: &Settlement) -> String {
    const LABEL: i64 = 180;
    const WIDTH: i64 = 520;
    const ROW: i64 = 34;
    let largest = settlement
        .rows
        .iter()
        .map(|row| row.value.rupiah().max(row.refunds.rupiah()))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |rupiah: i64| -> i64 {
        (i128::from(rupiah) * i128::from(WIDTH) / i128::from(largest)) as i64
    };
    let height = ROW * settlement.rows.len().max(1) as i64 + 10;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {height}\" role=\"img\" aria-label=\"Nilai penjualan per produsen\">\n",
        LABEL + WIDTH + 130
    );
    if settlement.rows.is_empty() {
        svg.push_str("<text x=\"0\" y=\"20\">Tidak ada penjualan atau pengembalian pada periode ini.</text>\n");
    }
    for (index, row) in settlement.rows.iter().enumerate() {
        let y = index as i64 * ROW + 4;
        let voucher = scale(row.voucher_share.rupiah());
        let cash = scale(row.cash_share.rupiah());
        let refunds = scale(row.refunds.rupiah());
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{voucher}\" height=\"16\" fill=\"#1f6f50\"><title>voucher {}</title></rect>\
             <rect x=\"{}\" y=\"{y}\" width=\"{cash}\" height=\"16\" fill=\"#8fc1a9\"><title>tunai {}</title></rect>\
             <rect x=\"{LABEL}\" y=\"{}\" width=\"{refunds}\" height=\"6\" fill=\"#b3261e\"><title>pengembalian {}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 13,
            escape(&row.producer),
            row.voucher_share,
            LABEL + voucher,
            row.cash_share,
            y + 19,
            row.refunds,
            LABEL + voucher + cash + 6,
            y + 13,
            row.value
        );
    }
    svg.push_str("</svg>");
    svg
}

pub fn close(args: CloseArgs) -> anyhow::Result<ExitCode> {
    let day = date("--date", &args.date)?;
    let (report, spec) = runtime()?.block_on(async {
        let (ledger, spec) = ledger(&args.store, false).await?;
        let report = ledger
            .close(day)
            .await
            .with_context(|| format!("menutup hari {day} di {spec}"))?;
        Ok::<_, anyhow::Error>((report, spec))
    })?;
    print!("{}", close_text(&report, &spec.to_string()));
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The daily close as people read it.
pub fn close_text(report: &CloseReport, spec: &str) -> String {
    let mut out = format!("Tutup hari {} (WIB), {spec}\n\n", report.date);
    out.push_str("Per petugas (penjualan oleh kasir, pengembalian oleh supervisor):\n");
    if report.staff.is_empty() {
        out.push_str("  tidak ada penjualan atau pengembalian\n");
    }
    for day in report.staff.iter().chain([&report.totals]) {
        let _ = writeln!(
            out,
            "  {}: {} penjualan {} (voucher {}, tunai {}); {} pengembalian {} (voucher {}, tunai {})",
            day.staff,
            day.sales,
            day.sales_total,
            day.sales_voucher,
            day.sales_cash,
            day.refunds,
            day.refunds_total,
            day.refunds_voucher,
            day.refunds_cash
        );
    }
    let _ = writeln!(out, "\nPembatalan voucher: {}", report.voids.len());
    for void in &report.voids {
        let _ = writeln!(
            out,
            "  {} …{} (batch {:?}): {:?}, {} kembali ke program",
            (void.at + chrono::Duration::hours(7)).format("%H:%M"),
            void.hint,
            void.batch,
            void.reason,
            void.returned
        );
    }
    let _ = writeln!(
        out,
        "Ditandai kedaluwarsa: {} voucher, {} kembali ke program",
        report.expired, report.expired_returned
    );
    let _ = writeln!(
        out,
        "\nBuku besar voucher hari ini: dibelanjakan {}, dikembalikan {}",
        report.ledger_redeemed, report.ledger_refunded
    );
    let audit = &report.audit;
    let _ = writeln!(
        out,
        "\nAudit: {} voucher, nilai terbit {}, dibelanjakan {}, dikembalikan {}, sisa saldo {}",
        audit.vouchers, audit.face_value, audit.redeemed, audit.refunded, audit.balance
    );
    for books in &audit.discrepancies {
        let _ = writeln!(
            out,
            "  TIDAK SEIMBANG: batch {:?} voucher …{}: nilai {} ≠ saldo {} + dibelanjakan {} − dikembalikan {}",
            books.batch, books.hint, books.face_value, books.balance, books.redeemed, books.refunded
        );
    }
    for batch in &audit.batches {
        let _ = writeln!(
            out,
            "  BATCH TIDAK COCOK: {:?}: terbit {} × {}, ditemukan {} voucher senilai {}",
            batch.name, batch.count, batch.amount, batch.found, batch.found_value
        );
    }
    for problem in &report.discrepancies {
        let _ = writeln!(out, "  SELISIH: {problem}");
    }
    if report.is_clean() {
        out.push_str("\nSemua cocok: hari ini dapat ditutup.\n");
    } else {
        let count = report.discrepancies.len() + audit.discrepancies.len() + audit.batches.len();
        let _ = writeln!(
            out,
            "\n{count} selisih ditemukan: periksa sebelum menutup hari."
        );
    }
    out
}

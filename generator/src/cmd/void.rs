//! `galeri vouchers void`: stops lost or leaked vouchers. Codes come from a file or standard
//! input only (never the command line, which shell history keeps), or a whole batch is named;
//! every code is checked before anything is voided. Prints the last four characters of each
//! code and the remaining balance returned to the program.

use super::{ledger, runtime};
use crate::cli::VoidArgs;
use anyhow::{bail, Context};
use chrono::Utc;
use galeri_vouchers::admin::{VoidReport, VoidResult};
use galeri_vouchers::{LedgerError, VoucherCode};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

pub fn run(args: VoidArgs) -> anyhow::Result<ExitCode> {
    let codes = match (&args.codes, &args.batch) {
        (_, Some(_)) => None,
        (Some(path), None) if path != Path::new("-") => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("membaca {}", path.display()))?;
            Some(read_codes(&path.display().to_string(), &text)?)
        }
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("membaca kode dari input standar")?;
            Some(read_codes("<stdin>", &text)?)
        }
    };
    runtime()?.block_on(async {
        let (ledger, spec) = ledger(&args.store, true).await?;
        let now = Utc::now();
        let report = match (&codes, &args.batch) {
            (Some(codes), _) => {
                let just_codes: Vec<VoucherCode> =
                    codes.iter().map(|(_, code)| code.clone()).collect();
                match ledger.void_codes(&just_codes, &args.reason, now).await {
                    Err(LedgerError::UnknownCodes { positions }) => {
                        for position in positions {
                            if let Some((place, code)) = codes.get(position) {
                                eprintln!("{place}: kode …{} tidak dikenal di {spec}", code.hint());
                            }
                        }
                        bail!("ada kode yang tidak dikenal; tidak ada voucher yang dibatalkan");
                    }
                    other => other.with_context(|| format!("membatalkan voucher di {spec}"))?,
                }
            }
            (None, Some(batch)) => ledger
                .void_batch(batch, &args.reason, now)
                .await
                .with_context(|| format!("membatalkan batch {batch:?} di {spec}"))?,
            (None, None) => bail!("tidak ada kode untuk dibatalkan"),
        };
        print_report(&report);
        Ok(ExitCode::SUCCESS)
    })
}

fn print_report(report: &VoidReport) {
    for line in &report.vouchers {
        match line.outcome {
            VoidResult::Voided => println!(
                "…{} (batch {:?}): dibatalkan, {} kembali ke program",
                line.hint, line.batch, line.returned
            ),
            VoidResult::AlreadyVoid => println!(
                "…{} (batch {:?}): sudah dibatalkan sebelumnya, tidak ada yang berubah",
                line.hint, line.batch
            ),
        }
    }
    println!(
        "{} voucher dibatalkan ({} sudah batal sebelumnya) dengan alasan {:?}; sisa saldo {} kembali ke program.",
        report.voided, report.already_void, report.reason, report.returned
    );
}

/// The codes of a codes file: the CSV `vouchers issue` writes (header `code,…`) or one code a
/// line; blank lines and `#` comments are skipped. Every bad code is reported as
/// `source:line:column`, and none is accepted until all are good.
pub fn read_codes(source: &str, text: &str) -> anyhow::Result<Vec<(String, VoucherCode)>> {
    let mut codes = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}');
        let field = line.split(',').next().unwrap_or("");
        let column = field.len() - field.trim_start().len() + 1;
        let field = field.trim().trim_matches('"');
        if field.is_empty() || field.starts_with('#') || field.eq_ignore_ascii_case("code") {
            continue;
        }
        let place = format!("{source}:{}:{column}", index + 1);
        match VoucherCode::parse(field) {
            Ok(code) => codes.push((place, code)),
            Err(error) => problems.push(format!("{place}: {error}")),
        }
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        bail!(
            "{} kode salah; tidak ada voucher yang dibatalkan",
            problems.len()
        );
    }
    if codes.is_empty() {
        bail!("{source}: tidak ada kode voucher");
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_files_are_read_with_their_positions_and_bad_codes_refused() {
        let code = VoucherCode::generate().unwrap_or_else(|error| panic!("{error}"));
        let text = format!(
            "\u{feff}code,amount,expires,batch,unit\n{},50000,2026-12-31,b,\n\n# komentar\n",
            code.expose()
        );
        let codes = read_codes("codes.csv", &text).unwrap_or_default();
        assert_eq!(codes.len(), 1);
        assert_eq!(codes[0].0, "codes.csv:2:1");
        assert_eq!(codes[0].1, code);
        // One character changed: the check character catches it.
        let mut tampered: Vec<char> = code.expose().chars().collect();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        let error = read_codes("codes.csv", &format!("{}\n  {tampered}\n", code.expose()));
        assert!(error.is_err());
        assert!(read_codes("kosong.txt", "code\n\n").is_err());
    }
}

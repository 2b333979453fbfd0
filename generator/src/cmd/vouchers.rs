//! `galeri vouchers issue`: issues a batch and writes its codes, once, to a new CSV file
//! (mode 0600). The codes are never printed, logged or shown again; the store keeps only their
//! keyed hashes.

use crate::cli::IssueArgs;
use anyhow::Context;
use chrono::{NaiveDate, Utc};
use galeri_vouchers::model::NewBatch;
use galeri_vouchers::Money;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn issue(args: IssueArgs) -> anyhow::Result<ExitCode> {
    let expires_on = NaiveDate::parse_from_str(args.expires.trim(), "%Y-%m-%d")
        .with_context(|| format!("--expires {:?} is not a date like 2026-12-31", args.expires))?;
    let amount = Money::new(args.amount)
        .ok()
        .filter(|amount| !amount.is_zero())
        .with_context(|| {
            format!(
                "--amount must be a positive whole number of rupiah (got {})",
                args.amount
            )
        })?;
    let unit = args
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|unit| !unit.is_empty());
    let name = match args.batch.as_deref().map(str::trim) {
        Some(name) => name.to_string(),
        None => match unit {
            Some(unit) => format!("{} {unit}", expires_on.format("%Y-%m")),
            None => expires_on.format("%Y-%m").to_string(),
        },
    };
    let batch = NewBatch {
        name,
        unit: unit.map(str::to_string),
        count: args.count,
        amount,
        expires_on,
    };
    // The file is created before issuing, so a path we cannot write to never leaves a batch
    // whose codes nobody has.
    let file = create_secret_file(&args.out)?;
    let result = super::runtime()?.block_on(async {
        let (ledger, spec) = super::ledger(&args.store, true).await?;
        let codes = ledger
            .issue(&batch, Utc::now())
            .await
            .with_context(|| format!("issuing batch {:?}", batch.name))?;
        Ok::<_, anyhow::Error>((codes, spec))
    });
    let (codes, spec) = match result {
        Ok(issued) => issued,
        Err(error) => {
            // Nothing was issued: leave no empty file behind to block the next attempt.
            drop(file);
            let _ = std::fs::remove_file(&args.out);
            return Err(error);
        }
    };
    let mut out = BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        writeln!(out, "code,amount,expires,batch,unit")?;
        for code in &codes {
            writeln!(
                out,
                "{},{},{},{},{}",
                code.expose(),
                amount.rupiah(),
                expires_on,
                csv_field(&batch.name),
                csv_field(batch.unit.as_deref().unwrap_or(""))
            )?;
        }
        out.flush()?;
        out.get_ref().sync_all()
    };
    write().with_context(|| {
        format!(
            "batch {:?} sudah diterbitkan tetapi {} gagal ditulis, jadi tidak ada yang memegang \
             kodenya: batalkan dengan `galeri vouchers void --store {spec} --batch {:?} --reason \
             \"kode gagal ditulis\"`, lalu terbitkan lagi dengan nama --batch lain",
            batch.name,
            args.out.display(),
            batch.name
        )
    })?;
    eprintln!(
        "{} voucher {} (batch {:?}, berlaku s.d. {}) diterbitkan di {}; kode ditulis ke {} \
         (hanya sekali, simpan dengan aman).",
        codes.len(),
        amount,
        batch.name,
        expires_on,
        spec,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A new file only the owner can read; refuses to overwrite anything.
fn create_secret_file(path: &Path) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; codes are never overwritten, choose another --out",
                path.display()
            )
        } else {
            anyhow::Error::new(error).context(format!("creating {}", path.display()))
        }
    })
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("2026-12"), "2026-12");
        assert_eq!(csv_field("Dinas A, B"), "\"Dinas A, B\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}

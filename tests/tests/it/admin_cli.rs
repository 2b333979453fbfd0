//! The administrators' commands as they run them (issue 9), on a SQLite file and on DynamoDB
//! Local: `galeri vouchers void` (codes from a file or standard input, or a batch; a mistyped
//! code refuses the whole file), `vouchers expire`, `report settlement --format csv|html` and
//! `report close` (non-zero exit on a discrepancy).

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::staff_support::galeri;
use chrono::Utc;
use galeri_tests::conformance::test_catalog;
use galeri_vouchers::config::{open_store, StoreSpec};
use galeri_vouchers::model::{LineRequest, VoucherStatus};
use galeri_vouchers::store::wib_date;
use galeri_vouchers::{Ledger, Pepper, RedeemRequest, VoucherCode};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const PEPPER: &str = "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b";

/// Runs `galeri` with the test pepper and `stdin`: (success, stdout, stderr).
fn run(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(galeri())
        .args(args)
        .env_remove("GALERI_PEPPER_PARAM")
        .env("GALERI_PEPPER", PEPPER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn codes_of(file: &Path) -> Vec<VoucherCode> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| VoucherCode::parse(line.split(',').next().unwrap()).unwrap())
        .collect()
}

/// The whole administrators' day on the store `spec`.
async fn administrators_day(spec: &str, folder: &Path) {
    let codes_file = folder.join("codes.csv");
    let batch = format!("2099-12-{}", crate::api_support::random_hex());
    let (ok, _, stderr) = run(
        &[
            "vouchers",
            "issue",
            "--count",
            "4",
            "--amount",
            "50000",
            "--expires",
            "2099-12-31",
            "--batch",
            &batch,
            "--unit",
            "Dinas Koperasi",
            "--out",
            codes_file.to_str().unwrap(),
            "--store",
            spec,
        ],
        "",
    );
    assert!(ok, "{stderr}");
    let codes = codes_of(&codes_file);
    assert_eq!(codes.len(), 4);

    // Two sales through the ledger, as the till makes them.
    let store = open_store(&StoreSpec::parse_or_default(Some(spec)).unwrap())
        .await
        .unwrap();
    let ledger = Ledger::new(store.clone(), Pepper::from_hex(PEPPER).unwrap());
    ledger.load_catalog(&test_catalog()).await.unwrap();
    for (index, sku) in [(0, "BATIK-1"), (3, "KOPI-250")] {
        let request = RedeemRequest {
            idempotency_key: format!("admin-cli-sale-{index:08}"),
            cashier: "Kasir Sari".into(),
            member: "Kasir Sari".into(),
            code: codes[index].clone(),
            items: vec![LineRequest {
                sku: sku.into(),
                qty: 1,
            }],
            allow_cash: true,
        };
        ledger.redeem(&request, Utc::now()).await.unwrap();
    }

    // A mistyped code refuses the whole file, pointing at it; nothing is voided.
    let printed = codes[1].expose();
    let last = printed.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &printed[..printed.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    let bad = folder.join("bad.txt");
    std::fs::write(&bad, format!("{}\n{typo}\n", codes[2].expose())).unwrap();
    let (ok, _, stderr) = run(
        &[
            "vouchers",
            "void",
            "--codes",
            bad.to_str().unwrap(),
            "--reason",
            "hilang",
            "--store",
            spec,
        ],
        "",
    );
    assert!(!ok, "a mistyped code was accepted");
    assert!(
        stderr.contains(&format!("{}:2:1:", bad.display())),
        "{stderr}"
    );
    assert!(!stderr.contains(&typo[4..]), "the code leaked: {stderr}");
    assert_eq!(
        ledger.balance(&codes[2]).await.unwrap().status,
        VoucherStatus::Active
    );

    // From a file, then from standard input.
    let one = folder.join("hilang.txt");
    std::fs::write(&one, format!("code\n{}\n", codes[1].expose())).unwrap();
    let (ok, stdout, stderr) = run(
        &[
            "vouchers",
            "void",
            "--codes",
            one.to_str().unwrap(),
            "--reason",
            "kartu hilang",
            "--store",
            spec,
        ],
        "",
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("…{}", codes[1].hint())),
        "{stdout}"
    );
    assert!(stdout.contains("Rp50.000 kembali ke program"), "{stdout}");
    assert!(
        !stdout.contains(&codes[1].expose()[4..]),
        "the code leaked: {stdout}"
    );
    let (ok, stdout, stderr) = run(
        &["vouchers", "void", "--reason", "bocor", "--store", spec],
        &format!("{}\n", codes[2].expose()),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("1 voucher dibatalkan"), "{stdout}");
    for code in &codes[1..3] {
        assert_eq!(
            ledger.balance(code).await.unwrap().status,
            VoucherStatus::Void
        );
    }

    // Nothing has expired yet; a date after today is refused.
    let today = wib_date(Utc::now()).to_string();
    let (ok, stdout, stderr) = run(
        &["vouchers", "expire", "--before", &today, "--store", spec],
        "",
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("0 voucher ditandai kedaluwarsa"),
        "{stdout}"
    );
    let (ok, _, _) = run(
        &[
            "vouchers",
            "expire",
            "--before",
            "2100-01-01",
            "--store",
            spec,
        ],
        "",
    );
    assert!(!ok, "vouchers still valid were expired");

    // Settlement as a spreadsheet and as a printable page.
    let (ok, csv, stderr) = run(
        &[
            "report",
            "settlement",
            "--from",
            &today,
            "--to",
            &today,
            "--format",
            "csv",
            "--store",
            spec,
        ],
        "",
    );
    assert!(ok, "{stderr}");
    assert!(
        csv.starts_with("producer,items,value,voucher_share,cash_share,"),
        "{csv}"
    );
    assert!(
        csv.contains("batik-garudeya,1,125000,50000,75000,0,0,0,0,125000"),
        "{csv}"
    );
    assert!(
        csv.contains("JUMLAH,2,135000,60000,75000,0,0,0,0,135000"),
        "{csv}"
    );
    let page = folder.join("rekap.html");
    let (ok, _, stderr) = run(
        &[
            "report",
            "settlement",
            "--from",
            &today,
            "--to",
            &today,
            "--format",
            "html",
            "--out",
            page.to_str().unwrap(),
            "--store",
            spec,
        ],
        "",
    );
    assert!(ok, "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<svg") && html.contains("@media print"),
        "{html}"
    );
    assert!(
        html.contains("Rp135.000") && html.contains("kopi-dampit"),
        "{html}"
    );

    // The daily close is clean and lists the voids with their reasons.
    let (ok, stdout, stderr) = run(&["report", "close", "--date", &today, "--store", spec], "");
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("Kasir Sari: 2 penjualan Rp135.000"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"kartu hilang\"") && stdout.contains("\"bocor\""),
        "{stdout}"
    );
    assert!(stdout.contains("Semua cocok"), "{stdout}");

    // A whole batch.
    let (ok, stdout, stderr) = run(
        &[
            "vouchers",
            "void",
            "--batch",
            &batch,
            "--reason",
            "salah cetak",
            "--store",
            spec,
        ],
        "",
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("2 voucher dibatalkan (2 sudah batal sebelumnya)"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_day_on_sqlite() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("v.db");
    let spec = format!("sqlite:{}", database.display());
    administrators_day(&spec, folder.path()).await;

    // Money moved behind the ledger's back: the close exits non-zero and says where.
    let connection = rusqlite::Connection::open(&database).unwrap();
    connection
        .execute(
            "UPDATE redemptions SET voucher_paid = voucher_paid - 1000, cash_due = cash_due + 1000",
            [],
        )
        .unwrap();
    // The audit sums what each voucher paid from the payment rows: move those too.
    connection
        .execute("UPDATE redemption_payments SET amount = amount - 1000", [])
        .unwrap();
    let today = wib_date(Utc::now()).to_string();
    let (ok, stdout, _) = run(&["report", "close", "--date", &today, "--store", &spec], "");
    assert!(!ok, "a discrepancy passed the close: {stdout}");
    assert!(
        stdout.contains("SELISIH") && stdout.contains("TIDAK SEIMBANG"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_day_on_dynamodb() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run tests/services/dynamodb-local.sh start \
         and source tests/.deps/dynamodb.env (tests/run.sh does both)"
    );
    let folder = tempfile::tempdir().unwrap();
    let spec = format!("dynamodb:galeri-admin-{}", crate::api_support::random_hex());
    administrators_day(&spec, folder.path()).await;
}

//! `galeri report transparency` on both stores: a ledger the test writes over three WIB months
//! (issue, sales, refunds, voids, a demo voucher), exported and checked figure by figure; then
//! the command itself writes the file, which must hold no code, hint, token, name or id — only
//! the strings the format allows.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{ensure, Context, Result};
use galeri::cli::{StoreArgs, TransparencyArgs};
use galeri::transparency::{self, Cell, Month, Transparency};
use galeri_tests::conformance::{at, key, rp, test_pepper};
use galeri_tests::site::workspace_root;
use galeri_vouchers::model::{Catalog, CatalogItem, LineRequest, NewBatch, Redemption, Role};
use galeri_vouchers::sqlite::SqliteStore;
use galeri_vouchers::{Ledger, RedeemRequest, RefundRequest, VoucherCode, VoucherStore};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Real producers of `content/` (so the command finds their pages), four products.
fn catalog() -> Catalog {
    let item = |sku: &str, name: &str, producer: &str, category: &str, price: i64| CatalogItem {
        sku: sku.into(),
        name: name.into(),
        producer: producer.into(),
        category: category.into(),
        price: rp(price),
    };
    Catalog {
        generated_at: at("2026-09-01T00:00:00Z").unwrap(),
        currency: "IDR".into(),
        items: vec![
            item(
                "UJI-KOP-1",
                "Kopi Uji Tirtoyudo",
                "kopi-tirta-alas",
                "kopi",
                10_000,
            ),
            item(
                "UJI-KOP-2",
                "Kopi Uji Dampit",
                "sangrai-watu-abang",
                "kopi",
                10_000,
            ),
            item(
                "UJI-KOP-3",
                "Kopi Uji Poncokusumo",
                "arabika-gunung-pandan",
                "kopi",
                10_000,
            ),
            item(
                "UJI-BTK-1",
                "Batik Uji Kepanjen",
                "batik-sekar-kidal",
                "batik-tenun",
                60_000,
            ),
        ],
    }
}

const CASHIER: &str = "Kasir Siti Aminah";
const SUPERVISOR: &str = "Supervisor Budi Santoso";
const UNIT: &str = "Dinas Koperasi Uji";

/// What the test wrote, to look for in the export.
struct Written {
    codes: Vec<VoucherCode>,
    sales: Vec<Redemption>,
    refund_ids: Vec<String>,
    token: String,
}

fn sale(code: &VoucherCode, items: &[(&str, u32)]) -> RedeemRequest {
    RedeemRequest {
        idempotency_key: key(),
        cashier: CASHIER.into(),
        member: CASHIER.into(),
        code: code.clone(),
        items: items
            .iter()
            .map(|(sku, qty)| LineRequest {
                sku: (*sku).into(),
                qty: *qty,
            })
            .collect(),
        allow_cash: true,
    }
}

fn refund(redemption: &Redemption) -> RefundRequest {
    RefundRequest {
        idempotency_key: key(),
        supervisor: SUPERVISOR.into(),
        member: SUPERVISOR.into(),
        redemption_id: redemption.id.clone(),
    }
}

/// The ledger: four Rp100.000 vouchers issued on 10 September (WIB), and a demo voucher that
/// must not count.
/// - 20 Sep: voucher 1 buys 3 × 2 coffees of three producers, Rp60.000, all by voucher.
/// - 1 Oct 03:00 WIB (30 Sep in UTC): voucher 2 buys 3 × 3 coffees and a batik, Rp150.000:
///   Rp100.000 by voucher, Rp50.000 cash. An October figure: months are WIB.
/// - 5 Oct: the September sale is refunded (Rp60.000 back on voucher 1).
/// - 10 Oct: voucher 3 is voided with its Rp100.000.
/// - 2 Nov: voucher 4 buys one coffee pack ×3, Rp30.000.
/// - 3 Nov: voucher 2 (balance 0) is voided; 4 Nov its October sale is refunded: the
///   Rp100.000 lands on a void voucher, so it returns to the program at once.
/// - A fifth voucher (Rp50.000, another batch, last day 15 Oct) is never spent: marked expired
///   on 1 Nov, then voided on 5 Nov (which returns nothing more).
async fn write_ledger(store: Arc<dyn VoucherStore>) -> Result<Written> {
    let ledger = Ledger::new(store.clone(), test_pepper()?);
    ledger.load_catalog(&catalog()).await?;
    let batch = NewBatch {
        name: "2026-09-uji".into(),
        unit: Some(UNIT.into()),
        count: 4,
        amount: rp(100_000),
        expires_on: at("2027-03-31T00:00:00Z")?.date_naive(),
    };
    let codes = ledger.issue(&batch, at("2026-09-10T02:00:00Z")?).await?;
    let demo = Ledger::new(store.clone(), test_pepper()?).with_demo(true);
    let demo_batch = NewBatch {
        name: "DEMO-uji".into(),
        count: 1,
        amount: rp(50_000),
        ..batch.clone()
    };
    let demo_code = demo
        .issue(&demo_batch, at("2026-09-10T03:00:00Z")?)
        .await?
        .pop()
        .context("demo code")?;
    demo.redeem(
        &sale(&demo_code, &[("UJI-KOP-1", 2)]),
        at("2026-09-21T03:00:00Z")?,
    )
    .await?;

    // A second batch: one Rp50.000 voucher, never spent, expiring on 15 October.
    let short = NewBatch {
        name: "2026-09-uji-b".into(),
        count: 1,
        amount: rp(50_000),
        expires_on: at("2026-10-15T00:00:00Z")?.date_naive(),
        ..batch.clone()
    };
    let short_code = ledger
        .issue(&short, at("2026-09-10T02:30:00Z")?)
        .await?
        .pop()
        .context("short code")?;

    let kopi = [("UJI-KOP-1", 2), ("UJI-KOP-2", 2), ("UJI-KOP-3", 2)];
    let september = ledger
        .redeem(&sale(&codes[0], &kopi), at("2026-09-20T03:00:00Z")?)
        .await?;
    let october = ledger
        .redeem(
            &sale(
                &codes[1],
                &[
                    ("UJI-KOP-1", 3),
                    ("UJI-KOP-2", 3),
                    ("UJI-KOP-3", 3),
                    ("UJI-BTK-1", 1),
                ],
            ),
            at("2026-09-30T20:00:00Z")?,
        )
        .await?;
    ensure!(october.voucher_paid == rp(100_000) && october.cash_due == rp(50_000));
    let first_refund = ledger
        .refund(&refund(&september), at("2026-10-05T03:00:00Z")?)
        .await?;
    ledger.void(&codes[2], at("2026-10-10T03:00:00Z")?).await?;
    let november = ledger
        .redeem(
            &sale(&codes[3], &[("UJI-KOP-2", 3)]),
            at("2026-11-02T03:00:00Z")?,
        )
        .await?;
    // 1 Nov: expiry is marked (Rp50.000 back); voiding that voucher on 5 Nov returns nothing
    // more.
    let expired = ledger
        .expire(
            at("2026-11-01T00:00:00Z")?.date_naive(),
            at("2026-11-01T03:00:00Z")?,
        )
        .await?;
    ensure!(expired.returned == rp(50_000), "{expired:?}");
    ledger
        .void(&short_code, at("2026-11-05T03:00:00Z")?)
        .await?;
    ledger.void(&codes[1], at("2026-11-03T03:00:00Z")?).await?;
    let second_refund = ledger
        .refund(&refund(&october), at("2026-11-04T03:00:00Z")?)
        .await?;
    // A staff token in the store: nothing of it may reach the export either.
    let (token, record) =
        galeri_api::auth::mint_token(Role::Cashier, CASHIER, at("2026-09-01T00:00:00Z")?)
            .map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    store.put_token(&record).await?;
    Ok(Written {
        codes: codes.into_iter().chain([demo_code, short_code]).collect(),
        sales: vec![september, october, november],
        refund_ids: vec![first_refund.id, second_refund.id],
        token,
    })
}

fn month<'a>(data: &'a Transparency, key: &str) -> &'a Month {
    data.months
        .iter()
        .find(|month| month.month == key)
        .unwrap_or_else(|| panic!("no month {key} in {:?}", data.months))
}

fn cell(slug: Option<&str>, value: i64, voucher: i64) -> Cell {
    Cell {
        slug: slug.map(str::to_owned),
        value,
        voucher,
    }
}

/// The figures of the ledger above, month by month.
fn check_figures(data: &Transparency) {
    assert_eq!(data.format, transparency::FORMAT);
    assert_eq!(
        data.months[0].month, "2026-09",
        "months start at the first issue"
    );
    let figures = |m: &Month| {
        (
            m.vouchers_issued,
            m.issued,
            m.spent,
            m.refunded,
            m.voided,
            m.expired,
            m.outstanding,
            m.sales_value,
            m.producers_paid,
        )
    };
    // September: the demo voucher (Rp50.000, a Rp20.000 sale) counts nowhere.
    let september = month(data, "2026-09");
    assert!(september.complete);
    assert_eq!(
        figures(september),
        (5, 450_000, 60_000, 0, 0, 0, 390_000, 60_000, 3)
    );
    assert_eq!(
        september.by_category,
        vec![cell(Some("kopi"), 60_000, 60_000)]
    );
    assert_eq!(
        september.by_kecamatan,
        vec![cell(Some("dampit"), 60_000, 60_000)]
    );
    // October: the sale of 1 Oct 03:00 WIB; September's refund; voucher 3 voided with
    // Rp100.000. The batik cell has one producer: merged, and since a merged row of one
    // producer could be read as `total − coffee`, coffee joins it.
    let october = month(data, "2026-10");
    assert_eq!(
        figures(october),
        (0, 0, 100_000, 60_000, 100_000, 0, 250_000, 90_000, 4)
    );
    assert_eq!(october.by_category, vec![cell(None, 90_000, 40_000)]);
    assert_eq!(october.by_kecamatan, vec![cell(None, 90_000, 40_000)]);
    // November: Rp30.000 spent; the October sale refunded onto the void voucher 2, so its
    // Rp100.000 is voided in the same month; the short voucher's Rp50.000 expired (and its
    // later void adds nothing). Outstanding is what live vouchers hold: voucher 1 Rp100.000 +
    // voucher 4 Rp70.000.
    let november = month(data, "2026-11");
    assert_eq!(
        figures(november),
        (0, 0, 30_000, 100_000, 100_000, 50_000, 170_000, -120_000, 0)
    );
    assert_eq!(november.by_category, vec![cell(None, -120_000, -70_000)]);
    // Every month: the voucher parts of the sales add up to spent − refunded, in both
    // breakdowns, and later months (if the test runs after November) change nothing.
    for m in &data.months {
        for cells in [&m.by_category, &m.by_kecamatan] {
            let voucher: i64 = cells.iter().map(|cell| cell.voucher).sum();
            let value: i64 = cells.iter().map(|cell| cell.value).sum();
            assert_eq!(voucher, m.spent - m.refunded, "{}", m.month);
            assert_eq!(value, m.sales_value, "{}", m.month);
        }
        if m.month.as_str() > "2026-11" {
            assert_eq!(
                (m.issued, m.spent, m.expired, m.outstanding),
                (0, 0, 0, 170_000)
            );
        }
    }
    assert_eq!(data.totals().outstanding, 170_000);
    assert!(!data.months.last().unwrap().complete);
}

/// Every string in a JSON value, keys included.
fn strings_in(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(text) => {
            out.insert(text.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| strings_in(item, out)),
        serde_json::Value::Object(map) => {
            for (name, item) in map {
                out.insert(name.clone());
                strings_in(item, out);
            }
        }
        _ => {}
    }
}

/// The file the command wrote: the same figures, and nothing that names or identifies.
fn check_file(text: &str, written: &Written, expected: &Transparency) {
    let data = Transparency::parse(text).unwrap();
    for (from_file, from_store) in data.months.iter().zip(&expected.months) {
        // Kecamatan come from the real content here (three kecamatan): only the figures
        // that do not depend on them are compared.
        assert_eq!(
            (
                &from_file.month,
                from_file.issued,
                from_file.spent,
                from_file.refunded,
                from_file.voided,
                from_file.outstanding,
                &from_file.by_category
            ),
            (
                &from_store.month,
                from_store.issued,
                from_store.spent,
                from_store.refunded,
                from_store.voided,
                from_store.outstanding,
                &from_store.by_category
            )
        );
    }
    // Three coffee producers in three kecamatan: each alone in its cell, all merged.
    assert_eq!(
        month(&data, "2026-09").by_kecamatan,
        vec![cell(None, 60_000, 60_000)]
    );

    let mut forbidden: Vec<String> = vec![
        written.token.clone(),
        CASHIER.into(),
        SUPERVISOR.into(),
        UNIT.into(),
        "2026-09-uji".into(),
        "DEMO-uji".into(),
        "2026-09-uji-b".into(),
    ];
    for code in &written.codes {
        let full = code.expose();
        forbidden.push(full.replace('-', ""));
        forbidden.push(full);
    }
    for sale in &written.sales {
        forbidden.push(sale.id.clone());
        forbidden.extend(sale.items.iter().map(|item| item.name.clone()));
        forbidden.extend(sale.items.iter().map(|item| item.sku.clone()));
        forbidden.extend(sale.items.iter().map(|item| item.producer.clone()));
    }
    forbidden.extend(written.refund_ids.iter().cloned());
    for secret in &forbidden {
        assert!(
            !text.contains(secret.as_str()),
            "the export contains {secret:?}"
        );
    }
    // Hints are four characters that digits could spell, so they are looked for in the
    // strings, and every string must be one the format allows: keys, format, currency, the
    // export time, months, category and kecamatan slugs.
    let mut strings = BTreeSet::new();
    strings_in(&serde_json::from_str(text).unwrap(), &mut strings);
    let allowed_keys = [
        "format",
        "version",
        "generated_at",
        "currency",
        "min_producers_per_cell",
        "months",
        "month",
        "complete",
        "vouchers_issued",
        "issued",
        "spent",
        "refunded",
        "voided",
        "expired",
        "outstanding",
        "sales_value",
        "producers_paid",
        "by_category",
        "by_kecamatan",
        "slug",
        "value",
        "voucher",
    ];
    let months: BTreeSet<&str> = data.months.iter().map(|m| m.month.as_str()).collect();
    let generated_at = serde_json::to_value(data.generated_at).unwrap();
    for text in &strings {
        let allowed = allowed_keys.contains(&text.as_str())
            || months.contains(text.as_str())
            || [transparency::FORMAT, "IDR", "kopi", "batik-tenun"].contains(&text.as_str())
            || generated_at.as_str() == Some(text.as_str())
            || galeri::content::kecamatan::KECAMATAN
                .iter()
                .any(|name| galeri::content::kecamatan::slug(name) == *text);
        assert!(allowed, "the export holds the string {text:?}");
        if generated_at.as_str() == Some(text.as_str()) {
            continue;
        }
        for code in &written.codes {
            assert!(!text.contains(&code.hint()), "{text:?} holds a code hint");
        }
    }
}

/// Writes the ledger, checks the export made in-process (with every coffee producer placed
/// in Dampit, so a kecamatan cell is published), then runs the command on the same store.
fn check_store(store: Arc<dyn VoucherStore>, spec: String, guard: &tempfile::TempDir) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (written, data) = runtime.block_on(async {
        let written = write_ledger(store.clone()).await.unwrap();
        let kecamatan: HashMap<String, String> = [
            ("kopi-tirta-alas", "dampit"),
            ("sangrai-watu-abang", "dampit"),
            ("arabika-gunung-pandan", "dampit"),
            ("batik-sekar-kidal", "kepanjen"),
        ]
        .into_iter()
        .map(|(producer, kecamatan)| (producer.to_owned(), kecamatan.to_owned()))
        .collect();
        let data = transparency::export(store.as_ref(), &kecamatan, chrono::Utc::now())
            .await
            .unwrap();
        (written, data)
    });
    check_figures(&data);

    let out = guard.path().join("content/data/transparency.json");
    let code = galeri::cmd::transparency::run(TransparencyArgs {
        out: out.clone(),
        content: workspace_root().join("content"),
        store: StoreArgs { store: Some(spec) },
    })
    .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let text = std::fs::read_to_string(&out).unwrap();
    check_file(&text, &written, &data);
}

#[test]
fn the_export_on_sqlite_adds_up_and_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vouchers.db");
    let store = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        store.prepare().await.unwrap();
        store
    });
    check_store(Arc::new(store), format!("sqlite:{}", path.display()), &dir);
}

#[test]
fn the_export_on_dynamodb_adds_up_and_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime
        .block_on(super::ledger_dynamodb::fresh_store())
        .unwrap_or_else(|error| panic!("{error:#}"));
    let spec = format!("dynamodb:{}", store.table());
    check_store(Arc::new(store), spec, &dir);
}

#[test]
fn an_empty_ledger_exports_no_months() {
    let dir = tempfile::tempdir().unwrap();
    let store = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = SqliteStore::open(&dir.path().join("v.db")).unwrap();
        store.prepare().await.unwrap();
        transparency::export(&store, &HashMap::new(), chrono::Utc::now())
            .await
            .unwrap()
    });
    assert!(store.months.is_empty());
    assert_eq!(store.totals().outstanding, 0);
}

/// Writes `content/data/transparency.json`, the sample the catalog ships with, by the real
/// exporter over an invented ledger: July to November 2026, 60 vouchers of Rp200.000 a month,
/// one to three sales each over the sample catalog, a few refunds, one voucher a month lost
/// and voided unspent, and July's leftovers expired on 1 November. Run by
/// hand after a change of the format:
/// `cargo test --workspace --test it -- --ignored write_the_sample_export`.
#[test]
#[ignore = "rewrites the sample content; run by hand"]
fn write_the_sample_export() {
    let content = workspace_root().join("content");
    let library = galeri::content::load(&content, galeri::site::today_wib()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = at("2026-11-28T05:00:00Z").unwrap();
    let data = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = SqliteStore::open(&dir.path().join("v.db")).unwrap();
        store.prepare().await.unwrap();
        let store: Arc<dyn VoucherStore> = Arc::new(store);
        let ledger = Ledger::new(store.clone(), test_pepper().unwrap());
        let catalog = galeri::output::catalog::catalog(&library, now);
        ledger.load_catalog(&catalog).await.unwrap();
        // A fixed linear congruential sequence: the same sample every run.
        let mut seed: u64 = 20_261_128;
        let mut next = |below: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        for month in ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"] {
            let batch = NewBatch {
                name: format!("contoh-{month}"),
                unit: None,
                count: 60,
                amount: rp(200_000),
                // July's vouchers run out at the end of October: what is left on them is
                // marked expired on 1 November.
                expires_on: at(if month == "2026-07" {
                    "2026-10-31T00:00:00Z"
                } else {
                    "2027-06-30T00:00:00Z"
                })
                .unwrap()
                .date_naive(),
            };
            let issued = at(&format!("{month}-01T02:00:00Z")).unwrap();
            let codes = ledger.issue(&batch, issued).await.unwrap();
            let mut sales = Vec::new();
            // The last voucher of each batch is reported lost and voided unspent.
            let (lost, codes) = codes.split_last().unwrap();
            for code in codes {
                let mut day = 2;
                for _ in 0..=next(3) {
                    day += 1 + next(8);
                    if day > 26 {
                        break;
                    }
                    let items: Vec<(&str, u32)> = (0..=next(3))
                        .map(|_| {
                            let item = &catalog.items[next(catalog.items.len() as u64) as usize];
                            (item.sku.as_str(), 1 + next(2) as u32)
                        })
                        .collect();
                    let when = at(&format!("{month}-{day:02}T0{}:00:00Z", next(9))).unwrap();
                    match ledger.redeem(&sale(code, &items), when).await {
                        Ok(redemption) => sales.push(redemption),
                        Err(galeri_vouchers::LedgerError::InsufficientBalance { .. }) => break,
                        Err(error) => panic!("{error}"),
                    }
                }
            }
            for _ in 0..3 {
                let redemption = &sales[next(sales.len() as u64) as usize];
                let when = redemption.created_at + chrono::Duration::days(2);
                // Picked twice: the second refund is refused, as at the till.
                let _ = ledger.refund(&refund(redemption), when).await;
            }
            let voided = at(&format!("{month}-27T03:00:00Z")).unwrap();
            ledger.void(lost, voided).await.unwrap();
        }
        let first_of_november = at("2026-11-01T03:00:00Z").unwrap();
        ledger
            .expire(first_of_november.date_naive(), first_of_november)
            .await
            .unwrap();
        let kecamatan: HashMap<String, String> = library
            .producers
            .iter()
            .map(|producer| (producer.slug.clone(), producer.kecamatan_slug.clone()))
            .collect();
        transparency::export(store.as_ref(), &kecamatan, now)
            .await
            .unwrap()
    });
    let mut json = serde_json::to_string_pretty(&data).unwrap();
    json.push('\n');
    std::fs::write(content.join(transparency::CONTENT_PATH), json).unwrap();
}

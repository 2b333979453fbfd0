//! Benchmark of the DynamoDB store's `redeem` against DynamoDB Local, beside a bare
//! `TransactWriteItems` of the same shape (conditional balance update + idempotency record +
//! redemption record + ledger entry): what our reads, rules and bookkeeping add to the one
//! write that cannot be avoided. Also times one consistent GetItem of the voucher (the read
//! that deciding with the rules needs) and `Ledger::redeem` (pricing from the stored price list
//! included), as the HTTP handler calls it.
//!
//! ```sh
//! tests/services/dynamodb-local.sh start && source tests/.deps/dynamodb.env
//! cargo bench -p galeri-tests --bench ledger_dynamodb            # 500 sequential calls each
//! GALERI_BENCH_ROUNDS=2000 cargo bench -p galeri-tests --bench ledger_dynamodb
//! ```

use anyhow::{bail, Context, Result};
use chrono::{NaiveDate, Utc};
use galeri_vouchers::dynamodb::sdk::types::{AttributeValue, Put, TransactWriteItem, Update};
use galeri_vouchers::dynamodb::DynamoStore;
use galeri_vouchers::ledger::{Ledger, RedeemRequest};
use galeri_vouchers::model::{Catalog, CatalogItem, LineItem, LineRequest, NewBatch};
use galeri_vouchers::store::RedeemCommand;
use galeri_vouchers::{Money, Pepper, VoucherCode, VoucherStore};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARM_UP: usize = 50;

fn main() -> Result<()> {
    let rounds: usize = match std::env::var("GALERI_BENCH_ROUNDS") {
        Ok(text) => text.parse().context("GALERI_BENCH_ROUNDS")?,
        Err(_) => 500,
    };
    // `cargo bench` passes `--bench`; a filter argument other than ours means "not me".
    if std::env::args()
        .skip(1)
        .any(|arg| !arg.starts_with('-') && !"ledger_dynamodb".contains(arg.as_str()))
    {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(rounds))
}

fn rp(rupiah: i64) -> Result<Money> {
    Ok(Money::new(rupiah)?)
}

async fn run(rounds: usize) -> Result<()> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .context("AWS_ENDPOINT_URL_DYNAMODB is not set: start DynamoDB Local first")?;
    let table = format!("galeri-bench-{}", std::process::id());
    let store = DynamoStore::from_env(&table).await?;
    store.prepare().await?;

    // One voucher big enough for every round, priced lines like a real sale.
    let pepper = Pepper::new(vec![0x42; 32])?;
    let code =
        VoucherCode::generate().map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    let hash = code.hash(&pepper);
    let now = Utc::now();
    let batch = NewBatch {
        name: format!("bench-{}", std::process::id()),
        unit: Some("Dinas Koperasi".into()),
        count: 1,
        amount: rp(1_000_000_000_000)?,
        expires_on: NaiveDate::from_ymd_opt(2099, 12, 31).context("date")?,
    };
    store
        .insert_batch(&batch, &[(hash.clone(), code.hint())], now)
        .await?;
    let items = vec![
        line("KOPI-250", "kopi-dampit", 10_000, 2)?,
        line("TOPENG-S", "topeng-kedungmonggo", 35_000, 1)?,
    ];
    let total = rp(55_000)?;

    // The bare write works on its own voucher item: the same four items, conditions and
    // sizes, with nothing read first.
    let bare_voucher = format!("V#bench-bare-{}", std::process::id());
    seed_bare_voucher(&store, &bare_voucher).await?;
    let redemption_json = serde_json::to_string(&items)?;
    let ledger = Ledger::new(Arc::new(store.clone()), pepper);
    ledger
        .load_catalog(&Catalog {
            generated_at: now,
            currency: "IDR".into(),
            items: vec![
                catalog_item("KOPI-250", "kopi-dampit", 10_000)?,
                catalog_item("TOPENG-S", "topeng-kedungmonggo", 35_000)?,
            ],
        })
        .await?;

    // Each round runs the four calls one after the other, so that DynamoDB Local's JIT warm-up
    // and the load of a shared machine weigh on all four alike.
    let mut read_times = Vec::with_capacity(rounds);
    let mut bare_times = Vec::with_capacity(rounds);
    let mut store_times = Vec::with_capacity(rounds);
    let mut ledger_times = Vec::with_capacity(rounds);
    for round in 0..WARM_UP + rounds {
        let measured = round >= WARM_UP;

        // One consistent read of the voucher: the read that deciding with the rules needs.
        let started = Instant::now();
        store
            .client()
            .get_item()
            .table_name(store.table())
            .key("PK", s(format!("V#{}", hash.as_str())))
            .key("SK", s("META"))
            .consistent_read(true)
            .send()
            .await?;
        if measured {
            read_times.push(started.elapsed());
        }

        let transaction = bare_transaction(&store, &bare_voucher, round, &redemption_json)?;
        let started = Instant::now();
        store
            .client()
            .transact_write_items()
            .set_transact_items(Some(transaction))
            .send()
            .await?;
        if measured {
            bare_times.push(started.elapsed());
        }

        let command = RedeemCommand {
            idempotency_key: format!("store-{round}"),
            request_hash: format!("{round:064}"),
            redemption_id: format!("R-STORE-{round:012}"),
            voucher: hash.clone(),
            code_hint: code.hint(),
            cashier: "kasir-1".into(),
            items: items.clone(),
            total,
            allow_cash: true,
            accept_demo: false,
            now: Utc::now(),
        };
        let started = Instant::now();
        store.redeem(&command).await?;
        if measured {
            store_times.push(started.elapsed());
        }

        // The whole domain operation, as the HTTP handler runs it (prices read from the store).
        let request = RedeemRequest {
            idempotency_key: format!("ledger-sale-key-{round}"),
            cashier: "kasir-1".into(),
            member: "kasir-1".into(),
            code: code.clone(),
            items: vec![
                LineRequest {
                    sku: "KOPI-250".into(),
                    qty: 2,
                },
                LineRequest {
                    sku: "TOPENG-S".into(),
                    qty: 1,
                },
            ],
            allow_cash: true,
        };
        let started = Instant::now();
        ledger.redeem(&request, Utc::now()).await?;
        if measured {
            ledger_times.push(started.elapsed());
        }
    }
    store.delete_table().await?;

    let read = Summary::of(&mut read_times)?;
    let bare = Summary::of(&mut bare_times)?;
    let redeem = Summary::of(&mut store_times)?;
    let full = Summary::of(&mut ledger_times)?;
    println!(
        "DynamoDB Local at {endpoint}, {rounds} sequential calls each after {WARM_UP} warm-up"
    );
    println!("{:<34} {:>9} {:>9} {:>9}", "", "p50", "p99", "mean");
    read.print("bare GetItem (consistent)");
    bare.print("bare TransactWriteItems (4 items)");
    redeem.print("DynamoStore::redeem");
    full.print("Ledger::redeem (with pricing)");
    println!(
        "ratio redeem / bare: p50 {:.2}x, p99 {:.2}x, mean {:.2}x",
        ratio(redeem.p50, bare.p50),
        ratio(redeem.p99, bare.p99),
        ratio(redeem.mean, bare.mean)
    );
    println!(
        "ratio redeem / (GetItem + TransactWriteItems): p50 {:.2}x, mean {:.2}x",
        ratio(redeem.p50, read.p50 + bare.p50),
        ratio(redeem.mean, read.mean + bare.mean)
    );
    Ok(())
}

fn line(sku: &str, producer: &str, price: i64, qty: u32) -> Result<LineItem> {
    Ok(LineItem {
        sku: sku.into(),
        name: format!("Produk {sku}"),
        producer: producer.into(),
        category: "kuliner".into(),
        unit_price: rp(price)?,
        qty,
        total: rp(price * i64::from(qty))?,
    })
}

fn catalog_item(sku: &str, producer: &str, price: i64) -> Result<CatalogItem> {
    Ok(CatalogItem {
        sku: sku.into(),
        name: format!("Produk {sku}"),
        producer: producer.into(),
        category: "kuliner".into(),
        price: rp(price)?,
    })
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

async fn seed_bare_voucher(store: &DynamoStore, partition: &str) -> Result<()> {
    store
        .client()
        .put_item()
        .table_name(store.table())
        .item("PK", s(partition))
        .item("SK", s("META"))
        .item("record", s("bench"))
        .item("balance", n(1_000_000_000_000))
        .item("status", s("active"))
        .item("seq", n(1))
        .send()
        .await?;
    Ok(())
}

fn bare_transaction(
    store: &DynamoStore,
    voucher: &str,
    round: usize,
    items_json: &str,
) -> Result<Vec<TransactWriteItem>> {
    let table = store.table();
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let seq = i64::try_from(round)? + 1;
    let update = Update::builder()
        .table_name(table)
        .key("PK", s(voucher))
        .key("SK", s("META"))
        .update_expression("SET #balance = #balance - :paid, #seq = :next")
        .condition_expression("#balance >= :paid AND #status = :active")
        .expression_attribute_names("#balance", "balance")
        .expression_attribute_names("#seq", "seq")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":paid", n(55_000))
        .expression_attribute_values(":next", n(seq + 1))
        .expression_attribute_values(":active", s("active"))
        .build()?;
    let mut idempotency: HashMap<String, AttributeValue> = HashMap::new();
    idempotency.insert("PK".into(), s(format!("I#redeem#bare-{round}")));
    idempotency.insert("SK".into(), s("META"));
    idempotency.insert("request_hash".into(), s(format!("{round:064}")));
    idempotency.insert("response".into(), s(items_json.repeat(2)));
    idempotency.insert("expires_at".into(), n(Utc::now().timestamp() + 604_800));
    let mut redemption: HashMap<String, AttributeValue> = HashMap::new();
    redemption.insert("PK".into(), s(format!("R#BARE-{round:012}")));
    redemption.insert("SK".into(), s("META"));
    redemption.insert("items".into(), s(items_json));
    redemption.insert("total".into(), n(55_000));
    redemption.insert("GSI1PK".into(), s("DAY#2026-11-27"));
    redemption.insert("GSI1SK".into(), s(format!("{now}#BARE-{round}")));
    let mut entry: HashMap<String, AttributeValue> = HashMap::new();
    entry.insert("PK".into(), s(voucher));
    entry.insert("SK".into(), s(format!("E#{seq:012}")));
    entry.insert("amount".into(), n(55_000));
    entry.insert("at".into(), s(now));
    let put = |item: HashMap<String, AttributeValue>, condition: Option<&str>| {
        Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map(|put| TransactWriteItem::builder().put(put).build())
    };
    Ok(vec![
        TransactWriteItem::builder().update(update).build(),
        put(idempotency, Some("attribute_not_exists(PK)"))?,
        put(redemption, Some("attribute_not_exists(PK)"))?,
        put(entry, None)?,
    ])
}

struct Summary {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

impl Summary {
    fn of(times: &mut [Duration]) -> Result<Summary> {
        if times.is_empty() {
            bail!("no samples");
        }
        times.sort();
        let at = |quantile: f64| {
            // Nearest rank: the smallest sample with at least `quantile` of samples at or below.
            let rank = (quantile * times.len() as f64).ceil() as usize;
            times[rank.clamp(1, times.len()) - 1]
        };
        let total: Duration = times.iter().sum();
        Ok(Summary {
            p50: at(0.50),
            p99: at(0.99),
            mean: total / u32::try_from(times.len())?,
        })
    }

    fn print(&self, label: &str) {
        println!(
            "{label:<34} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            millis(self.p50),
            millis(self.p99),
            millis(self.mean)
        );
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

fn ratio(measured: Duration, baseline: Duration) -> f64 {
    measured.as_secs_f64() / baseline.as_secs_f64().max(f64::EPSILON)
}

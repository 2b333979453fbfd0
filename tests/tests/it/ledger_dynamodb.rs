//! The DynamoDB store against DynamoDB Local: the shared conformance suite (module
//! `conformance`), then checks of what is particular to DynamoDB (transactions split at 100
//! items and rolled back, paging past 25/100 items, GSI1 day partitions, the seq lock). Each
//! test runs on a fresh table with a random name. Needs `AWS_ENDPOINT_URL_DYNAMODB` (from
//! `tests/services/dynamodb-local.sh start`); without a reachable endpoint these tests fail,
//! they do not skip.

use anyhow::{bail, ensure, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use galeri_tests::conformance::StoreUnderTest;
use galeri_vouchers::dynamodb::sdk::types::AttributeValue;
use galeri_vouchers::dynamodb::DynamoStore;
use galeri_vouchers::model::{
    CatalogItem, EntryKind, LineItem, NewBatch, Role, StaffToken, VoucherStatus,
};
use galeri_vouchers::store::{RedeemCommand, RefundCommand};
use galeri_vouchers::{CodeHash, LedgerError, Money, VoucherStore};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// A random suffix for names (table names, ids): std's hasher keys are random per process and
/// per `RandomState`.
fn random_hex() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    format!("{:016x}", hasher.finish())
}

/// A store on a new table. Fails loudly when DynamoDB Local is not configured or not running.
pub(crate) async fn fresh_store() -> Result<DynamoStore> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").context(
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run `tests/services/dynamodb-local.sh start` \
         and `source tests/.deps/dynamodb.env` (tests/run.sh does both)",
    )?;
    let store = DynamoStore::from_env(&format!("galeri-test-{}", random_hex())).await?;
    store
        .prepare()
        .await
        .with_context(|| format!("DynamoDB Local at {endpoint} did not answer"))?;
    Ok(store)
}

/// A fresh store for the conformance suite. Tables are not dropped afterwards: DynamoDB Local
/// runs in memory and `tests/services/dynamodb-local.sh stop` discards them all.
async fn store_under_test() -> StoreUnderTest {
    match fresh_store().await {
        Ok(store) => StoreUnderTest {
            store: Arc::new(store),
            guard: None,
        },
        Err(error) => panic!("{error:#}"),
    }
}

mod conformance {
    galeri_tests::conformance_tests!(super::store_under_test());
}

/// Program administration (void, expiry, settlement on events, daily close) on DynamoDB.
mod admin {
    galeri_tests::admin_conformance_tests!(super::store_under_test());
}

fn rp(rupiah: i64) -> Money {
    Money::new(rupiah).unwrap_or_default()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_default()
}

fn hash(label: &str) -> CodeHash {
    CodeHash(format!("{label}{}", random_hex()))
}

fn batch(name: &str, count: u32, amount: i64) -> NewBatch {
    NewBatch {
        name: name.to_string(),
        unit: Some("Dinas Koperasi".to_string()),
        count,
        amount: rp(amount),
        expires_on: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
    }
}

/// One voucher of `amount`, issued in its own batch.
async fn one_voucher(store: &DynamoStore, amount: i64) -> Result<CodeHash> {
    let code = hash("v");
    store
        .insert_batch(
            &batch(&format!("batch-{}", random_hex()), 1, amount),
            &[(code.clone(), "4RTM".to_string())],
            at("2026-11-01T01:00:00Z"),
        )
        .await?;
    Ok(code)
}

fn line(sku: &str, producer: &str, price: i64, qty: u32) -> LineItem {
    LineItem {
        sku: sku.to_string(),
        name: format!("Produk {sku}"),
        producer: producer.to_string(),
        category: "kuliner".to_string(),
        unit_price: rp(price),
        qty,
        total: rp(price * i64::from(qty)),
    }
}

fn redeem_command(voucher: &CodeHash, key: &str, items: Vec<LineItem>, now: &str) -> RedeemCommand {
    let total = Money::checked_sum(items.iter().map(|item| item.total)).unwrap_or_default();
    RedeemCommand {
        idempotency_key: key.to_string(),
        request_hash: format!("hash-of-{key}-{}", total.rupiah()),
        redemption_id: format!("r-{}", random_hex()),
        voucher: voucher.clone(),
        code_hint: "4RTM".to_string(),
        cashier: "kasir-1".to_string(),
        items,
        total,
        allow_cash: true,
        accept_demo: false,
        now: at(now),
    }
}

fn refund_command(redemption_id: &str, key: &str, now: &str) -> RefundCommand {
    RefundCommand {
        idempotency_key: key.to_string(),
        request_hash: format!("refund-hash-of-{key}"),
        refund_id: format!("f-{}", random_hex()),
        redemption_id: redemption_id.to_string(),
        supervisor: "supervisor-1".to_string(),
        now: at(now),
    }
}

const NOON: &str = "2026-11-27T05:00:00Z";

#[tokio::test]
async fn prepare_is_idempotent_and_the_table_starts_empty() -> Result<()> {
    let store = fresh_store().await?;
    store.prepare().await?;
    assert_eq!(store.voucher_count().await?, 0);
    assert_eq!(store.voucher(&hash("none")).await?, None);
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn batches_issue_vouchers_once() -> Result<()> {
    let store = fresh_store().await?;
    // 130 vouchers = 261 items: three transactions.
    let vouchers: Vec<(CodeHash, String)> =
        (0..130).map(|i| (hash("b"), format!("{i:04}"))).collect();
    let now = at("2026-11-01T01:00:00Z");
    store
        .insert_batch(&batch("2026-11", 130, 50_000), &vouchers, now)
        .await?;
    assert_eq!(store.voucher_count().await?, 130);

    let Some(voucher) = store.voucher(&vouchers[129].0).await? else {
        bail!("voucher not found");
    };
    assert_eq!(voucher.hint, "0129");
    assert_eq!(voucher.balance, rp(50_000));
    assert_eq!(voucher.face_value, rp(50_000));
    assert_eq!(voucher.status, VoucherStatus::Active);
    assert_eq!(voucher.batch, "2026-11");
    assert_eq!(voucher.unit.as_deref(), Some("Dinas Koperasi"));
    assert_eq!(voucher.issued_at, now);

    let history = store.history(&vouchers[0].0).await?;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, EntryKind::Issued);
    assert_eq!(history[0].balance_after, rp(50_000));
    assert_eq!(history[0].reference, "2026-11");

    let again: Vec<(CodeHash, String)> = vec![(hash("b"), "XXXX".into())];
    assert_eq!(
        store
            .insert_batch(&batch("2026-11", 1, 50_000), &again, now)
            .await,
        Err(LedgerError::DuplicateBatch("2026-11".into()))
    );
    assert_eq!(store.voucher(&again[0].0).await?, None);
    assert_eq!(store.voucher_count().await?, 130);
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn a_failed_batch_leaves_nothing_behind() -> Result<()> {
    let store = fresh_store().await?;
    let taken = one_voucher(&store, 50_000).await?;
    // The code hash of the 120th voucher already exists: the second transaction fails after
    // the first one committed, and the first one is rolled back.
    let mut vouchers: Vec<(CodeHash, String)> =
        (0..150).map(|i| (hash("c"), format!("{i:04}"))).collect();
    vouchers[120].0 = taken;
    let outcome = store
        .insert_batch(&batch("2026-12", 150, 50_000), &vouchers, at(NOON))
        .await;
    ensure!(
        outcome.is_err(),
        "a batch with a taken code hash was accepted"
    );
    assert_eq!(store.voucher_count().await?, 1);
    assert_eq!(store.voucher(&vouchers[0].0).await?, None);
    // The name is free again.
    vouchers[120].0 = hash("c");
    store
        .insert_batch(&batch("2026-12", 150, 50_000), &vouchers, at(NOON))
        .await?;
    assert_eq!(store.voucher_count().await?, 151);
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn redemption_pays_up_to_the_balance_and_replays() -> Result<()> {
    let store = fresh_store().await?;
    let voucher = one_voucher(&store, 50_000).await?;

    let first = redeem_command(
        &voucher,
        "k1",
        vec![line("KOPI-1", "kopi-dampit", 15_000, 2)],
        NOON,
    );
    let redemption = store.redeem(&first).await?;
    assert_eq!(redemption.total, rp(30_000));
    assert_eq!(redemption.voucher_paid, rp(30_000));
    assert_eq!(redemption.cash_due, rp(0));
    assert_eq!(redemption.balance_after, rp(20_000));
    assert_eq!(
        store.redemption(&redemption.id).await?,
        Some(redemption.clone())
    );

    // 35.000 asked, 20.000 left: the voucher pays 20.000, the rest is cash.
    let second = redeem_command(
        &voucher,
        "k2",
        vec![line("MADU-1", "madu-lawang", 35_000, 1)],
        NOON,
    );
    let split = store.redeem(&second).await?;
    assert_eq!(
        (split.voucher_paid, split.cash_due, split.balance_after),
        (rp(20_000), rp(15_000), rp(0))
    );

    // A replay gets the first answer, even with the balance at zero now.
    let mut replay = first.clone();
    replay.redemption_id = "r-other".into();
    assert_eq!(store.redeem(&replay).await?, redemption);
    // The same key with another request is refused.
    let mut conflicting = first.clone();
    conflicting.request_hash = "another".into();
    assert_eq!(
        store.redeem(&conflicting).await,
        Err(LedgerError::IdempotencyConflict)
    );

    let empty = redeem_command(
        &voucher,
        "k3",
        vec![line("KOPI-1", "kopi-dampit", 15_000, 1)],
        NOON,
    );
    assert_eq!(
        store.redeem(&empty).await,
        Err(LedgerError::InsufficientBalance {
            balance: rp(0),
            total: rp(15_000)
        })
    );
    assert_eq!(store.redemption("r-other").await?, None);

    let history = store.history(&voucher).await?;
    let kinds: Vec<EntryKind> = history.iter().map(|entry| entry.kind).collect();
    assert_eq!(
        kinds,
        [EntryKind::Issued, EntryKind::Redeemed, EntryKind::Redeemed]
    );
    assert_eq!(history[1].amount, rp(30_000));
    assert_eq!(history[1].reference, redemption.id);
    assert_eq!(history[2].balance_after, rp(0));
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn redemption_refuses_what_the_rules_refuse() -> Result<()> {
    let store = fresh_store().await?;
    let voucher = one_voucher(&store, 50_000).await?;
    let items = || vec![line("KOPI-1", "kopi-dampit", 60_000, 1)];

    let mut no_cash = redeem_command(&voucher, "k1", items(), NOON);
    no_cash.allow_cash = false;
    assert_eq!(
        store.redeem(&no_cash).await,
        Err(LedgerError::InsufficientBalance {
            balance: rp(50_000),
            total: rp(60_000)
        })
    );
    let unknown = redeem_command(&hash("missing"), "k2", items(), NOON);
    assert_eq!(store.redeem(&unknown).await, Err(LedgerError::UnknownCode));
    // Expiry is 31 December in WIB: 17:00 UTC that day is already 1 January in Malang.
    let late = redeem_command(&voucher, "k3", items(), "2026-12-31T17:00:00Z");
    assert_eq!(
        store.redeem(&late).await,
        Err(LedgerError::Expired {
            expires_on: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default()
        })
    );
    let last_minute = redeem_command(
        &voucher,
        "k4",
        vec![line("KOPI-1", "kopi-dampit", 1_000, 1)],
        "2026-12-31T16:59:59Z",
    );
    assert_eq!(store.redeem(&last_minute).await?.balance_after, rp(49_000));

    let voided = store.void_voucher(&voucher, at(NOON)).await?;
    assert_eq!(voided.status, VoucherStatus::Void);
    assert_eq!(voided.balance, rp(49_000));
    // Voiding twice changes nothing.
    assert_eq!(store.void_voucher(&voucher, at(NOON)).await?, voided);
    let after_void = redeem_command(&voucher, "k5", items(), NOON);
    assert_eq!(store.redeem(&after_void).await, Err(LedgerError::Void));
    assert_eq!(
        store.void_voucher(&hash("missing"), at(NOON)).await,
        Err(LedgerError::UnknownCode)
    );

    let kinds: Vec<EntryKind> = store
        .history(&voucher)
        .await?
        .iter()
        .map(|entry| entry.kind)
        .collect();
    assert_eq!(
        kinds,
        [EntryKind::Issued, EntryKind::Redeemed, EntryKind::Voided]
    );
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn refunds_return_the_voucher_part_once() -> Result<()> {
    let store = fresh_store().await?;
    let voucher = one_voucher(&store, 50_000).await?;
    let sale = store
        .redeem(&redeem_command(
            &voucher,
            "k1",
            vec![line("BATIK-1", "batik-kepanjen", 80_000, 1)],
            NOON,
        ))
        .await?;
    assert_eq!((sale.voucher_paid, sale.cash_due), (rp(50_000), rp(30_000)));

    let command = refund_command(&sale.id, "refund-1", "2026-11-27T06:00:00Z");
    let refund = store.refund(&command).await?;
    assert_eq!(refund.voucher_amount, rp(50_000));
    assert_eq!(refund.cash_amount, rp(30_000));
    assert_eq!(refund.balance_after, rp(50_000));
    assert_eq!(refund.redemption_id, sale.id);

    let Some(stored) = store.redemption(&sale.id).await? else {
        bail!("redemption vanished");
    };
    assert_eq!(stored.refund.as_ref(), Some(&refund));
    let Some(after) = store.voucher(&voucher).await? else {
        bail!("voucher vanished");
    };
    assert_eq!(after.balance, rp(50_000));

    // Replay: the same refund. Another key: already refunded. Another body: conflict.
    let mut replay = command.clone();
    replay.refund_id = "f-other".into();
    assert_eq!(store.refund(&replay).await?, refund);
    let second = refund_command(&sale.id, "refund-2", NOON);
    assert_eq!(
        store.refund(&second).await,
        Err(LedgerError::AlreadyRefunded {
            refund_id: refund.id.clone()
        })
    );
    let mut conflicting = command.clone();
    conflicting.request_hash = "another".into();
    assert_eq!(
        store.refund(&conflicting).await,
        Err(LedgerError::IdempotencyConflict)
    );
    assert_eq!(
        store
            .refund(&refund_command("r-missing", "refund-3", NOON))
            .await,
        Err(LedgerError::UnknownRedemption)
    );

    let history = store.history(&voucher).await?;
    let kinds: Vec<EntryKind> = history.iter().map(|entry| entry.kind).collect();
    assert_eq!(
        kinds,
        [EntryKind::Issued, EntryKind::Redeemed, EntryKind::Refunded]
    );
    assert_eq!(history[2].amount, rp(50_000));
    assert_eq!(history[2].reference, refund.id);

    let books = store.books().await?;
    assert_eq!(books.len(), 1);
    assert_eq!(
        (books[0].redeemed, books[0].refunded, books[0].balance),
        (rp(50_000), rp(50_000), rp(50_000))
    );
    store.delete_table().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_redemptions_never_overdraw() -> Result<()> {
    let store = Arc::new(fresh_store().await?);
    let voucher = one_voucher(&store, 50_000).await?;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = Arc::clone(&store);
        let mut command = redeem_command(
            &voucher,
            &format!("k{i}"),
            vec![line("KOPI-1", "kopi-dampit", 10_000, 1)],
            NOON,
        );
        command.allow_cash = false;
        tasks.push(tokio::spawn(async move { store.redeem(&command).await }));
    }
    let mut successes = 0;
    let mut busy = 0;
    for task in tasks {
        match task.await? {
            Ok(_) => successes += 1,
            Err(LedgerError::InsufficientBalance { .. }) => {}
            Err(LedgerError::Busy) => busy += 1,
            Err(other) => bail!("unexpected error {other}"),
        }
    }
    assert_eq!(successes, 5, "{busy} busy");
    assert_eq!(busy, 0);
    let Some(after) = store.voucher(&voucher).await? else {
        bail!("voucher vanished");
    };
    assert_eq!(after.balance, rp(0));
    let history = store.history(&voucher).await?;
    assert_eq!(history.len(), 6);
    let balances: Vec<i64> = history
        .iter()
        .map(|entry| entry.balance_after.rupiah())
        .collect();
    assert_eq!(balances, [50_000, 40_000, 30_000, 20_000, 10_000, 0]);
    store.delete_table().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replays_apply_once() -> Result<()> {
    let store = Arc::new(fresh_store().await?);
    let voucher = one_voucher(&store, 50_000).await?;
    let command = redeem_command(
        &voucher,
        "same-key",
        vec![line("KOPI-1", "kopi-dampit", 10_000, 1)],
        NOON,
    );
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = Arc::clone(&store);
        let mut command = command.clone();
        command.redemption_id = format!("r-{i}");
        tasks.push(tokio::spawn(async move { store.redeem(&command).await }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await??);
    }
    ensure!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "replays answered differently"
    );
    let Some(after) = store.voucher(&voucher).await? else {
        bail!("voucher vanished");
    };
    assert_eq!(after.balance, rp(40_000));
    assert_eq!(store.history(&voucher).await?.len(), 2);
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn redemptions_between_follow_wib_days_and_bounds() -> Result<()> {
    let store = fresh_store().await?;
    let voucher = one_voucher(&store, 1_000_000).await?;
    // 26 Nov 23:30 WIB, 27 Nov 00:30 WIB, 27 Nov 12:00 WIB, 28 Nov 07:00 WIB.
    let times = [
        "2026-11-26T16:30:00Z",
        "2026-11-26T17:30:00Z",
        "2026-11-27T05:00:00Z",
        "2026-11-28T00:00:00Z",
    ];
    let mut ids = Vec::new();
    for (i, time) in times.iter().enumerate() {
        let command = redeem_command(
            &voucher,
            &format!("k{i}"),
            vec![line("KOPI-1", "kopi-dampit", 10_000, 1)],
            time,
        );
        ids.push(store.redeem(&command).await?.id);
    }
    store
        .refund(&refund_command(&ids[2], "refund", "2026-11-27T06:00:00Z"))
        .await?;

    // 27 November in WIB: [26 Nov 17:00 UTC, 27 Nov 17:00 UTC).
    let day_start = Utc
        .with_ymd_and_hms(2026, 11, 26, 17, 0, 0)
        .single()
        .unwrap_or_default();
    let found = store
        .redemptions_between(day_start, day_start + Duration::days(1))
        .await?;
    let found_ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(found_ids, [ids[1].as_str(), ids[2].as_str()]);
    ensure!(
        found[1].refund.is_some(),
        "the refund is missing from the report"
    );

    // `to` is exclusive, `from` inclusive, over several days.
    let exact = store
        .redemptions_between(at(times[0]), at(times[3]))
        .await?;
    assert_eq!(exact.len(), 3);
    let all = store
        .redemptions_between(at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        .await?;
    assert_eq!(all.len(), 4);
    ensure!(
        all.windows(2)
            .all(|pair| pair[0].created_at <= pair[1].created_at),
        "not in time order"
    );
    assert_eq!(
        store
            .redemptions_between(at(times[3]), at(times[0]))
            .await?,
        Vec::new()
    );
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn books_sum_the_records() -> Result<()> {
    let store = fresh_store().await?;
    let first = one_voucher(&store, 50_000).await?;
    let second = one_voucher(&store, 200_000).await?;
    store
        .redeem(&redeem_command(
            &first,
            "a",
            vec![line("KOPI-1", "kopi-dampit", 10_000, 2)],
            NOON,
        ))
        .await?;
    let sale = store
        .redeem(&redeem_command(
            &second,
            "b",
            vec![line("MADU-1", "madu-lawang", 75_000, 1)],
            NOON,
        ))
        .await?;
    store
        .redeem(&redeem_command(
            &second,
            "c",
            vec![line("MADU-1", "madu-lawang", 75_000, 1)],
            NOON,
        ))
        .await?;
    store.refund(&refund_command(&sale.id, "d", NOON)).await?;

    let books = store.books().await?;
    assert_eq!(books.len(), 2);
    for voucher_books in &books {
        let expected = if voucher_books.face_value == rp(50_000) {
            (rp(30_000), rp(20_000), rp(0))
        } else {
            (rp(125_000), rp(150_000), rp(75_000))
        };
        assert_eq!(
            (
                voucher_books.balance,
                voucher_books.redeemed,
                voucher_books.refunded
            ),
            expected
        );
        assert_eq!(
            voucher_books.face_value.rupiah(),
            voucher_books.balance.rupiah() + voucher_books.redeemed.rupiah()
                - voucher_books.refunded.rupiah()
        );
    }
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn the_price_list_is_replaced_whole() -> Result<()> {
    let store = fresh_store().await?;
    let item = |sku: &str, price: i64| CatalogItem {
        sku: sku.to_string(),
        name: format!("Produk {sku}"),
        producer: "kopi-dampit".to_string(),
        category: "kuliner".to_string(),
        price: rp(price),
    };
    // More than one BatchWriteItem (25) and BatchGetItem (100) call.
    let first: Vec<CatalogItem> = (0..120)
        .map(|i| item(&format!("SKU-{i:03}"), 1_000 + i))
        .collect();
    store.replace_price_list(&first).await?;
    let wanted: Vec<String> = (0..120)
        .map(|i| format!("SKU-{i:03}"))
        .chain(["NOPE".to_string()])
        .collect();
    let prices = store.prices(&wanted).await?;
    assert_eq!(prices.len(), 120);
    assert_eq!(prices.get("SKU-042"), Some(&item("SKU-042", 1_042)));

    store
        .replace_price_list(&[item("SKU-001", 9_000), item("NEW-1", 5_000)])
        .await?;
    let prices = store
        .prices(&[
            "SKU-000".into(),
            "SKU-001".into(),
            "NEW-1".into(),
            "SKU-001".into(),
        ])
        .await?;
    assert_eq!(prices.len(), 2);
    assert_eq!(
        prices.get("SKU-001").map(|item| item.price),
        Some(rp(9_000))
    );
    assert_eq!(prices.get("NEW-1").map(|item| item.price), Some(rp(5_000)));
    store.replace_price_list(&[]).await?;
    assert!(store.prices(&["NEW-1".into()]).await?.is_empty());
    store.delete_table().await?;
    Ok(())
}

#[tokio::test]
async fn staff_tokens_are_stored_listed_and_revoked() -> Result<()> {
    let store = fresh_store().await?;
    let token = |id: &str, role: Role, minute: u32| StaffToken {
        id: id.to_string(),
        token_hash: format!("{id}-hash-{}", random_hex()),
        role,
        name: format!("Petugas {id}"),
        created_at: Utc
            .with_ymd_and_hms(2026, 11, 27, 1, minute, 0)
            .single()
            .unwrap_or_default(),
        revoked_at: None,
    };
    let cashier = token("t1", Role::Cashier, 1);
    let supervisor = token("t2", Role::Supervisor, 2);
    store.put_token(&cashier).await?;
    store.put_token(&supervisor).await?;
    assert_eq!(
        store.token_by_hash(&cashier.token_hash).await?,
        Some(cashier.clone())
    );
    assert_eq!(store.token_by_hash("nope").await?, None);
    assert_eq!(
        store.tokens().await?,
        vec![cashier.clone(), supervisor.clone()]
    );

    let now = at(NOON);
    let revoked = store.revoke_token("t1", now).await?;
    assert_eq!(revoked.revoked_at, Some(now));
    assert_eq!(
        store.token_by_hash(&cashier.token_hash).await?,
        Some(revoked.clone())
    );
    // The first revocation time stays.
    assert_eq!(
        store.revoke_token("t1", now + Duration::hours(1)).await?,
        revoked
    );
    assert_eq!(
        store.revoke_token("t9", now).await,
        Err(LedgerError::UnknownToken)
    );

    // An id keeps pointing at one token.
    let mut clash = token("t2", Role::Admin, 3);
    clash.token_hash = "other".into();
    ensure!(
        store.put_token(&clash).await.is_err(),
        "a second token took an existing id"
    );
    assert_eq!(store.token_by_hash("other").await?, None);
    store.delete_table().await?;
    Ok(())
}

/// The lookup counters live under the `F#` key prefix, to which IAM (`dynamodb:LeadingKeys`)
/// restricts the functions that only read: a rename of the prefix must show here.
#[tokio::test]
async fn lookup_counters_live_under_their_key_prefix() -> Result<()> {
    let store = fresh_store().await?;
    let window = at("2026-11-27T05:00:00Z");
    ensure!(store.reserve_lookup("ip:10.0.0.1", window, 3).await?);
    ensure!(store.reserve_lookup("ip:10.0.0.1", window, 3).await?);
    let scanned = store
        .client()
        .scan()
        .table_name(store.table())
        .filter_expression("#record = :failures")
        .expression_attribute_names("#record", "record")
        .expression_attribute_values(":failures", AttributeValue::S("failures".into()))
        .send()
        .await?;
    let items = scanned.items();
    assert_eq!(items.len(), 1, "{items:?}");
    let key = items[0]["PK"].as_s().map_err(|_| anyhow::anyhow!("PK"))?;
    assert_eq!(key, "F#ip:10.0.0.1#2026-11-27T05:00:00.000000000Z");
    assert_eq!(
        items[0]["failures"].as_n().ok().map(String::as_str),
        Some("2")
    );
    store.delete_table().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sales_that_all_fit_all_succeed() -> Result<()> {
    // 100 cashiers on one voucher that covers them all: the seq lock makes them take turns, and
    // the bounded re-reads must be enough for every one of them to get through.
    let store = Arc::new(fresh_store().await?);
    let voucher = one_voucher(&store, 1_000_000).await?;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = Arc::clone(&store);
        let command = redeem_command(
            &voucher,
            &format!("k{i}"),
            vec![line("KOPI-1", "kopi-dampit", 10_000, 1)],
            NOON,
        );
        tasks.push(tokio::spawn(async move { store.redeem(&command).await }));
    }
    let mut busy = 0;
    for task in tasks {
        match task.await? {
            Ok(_) => {}
            Err(LedgerError::Busy) => busy += 1,
            Err(other) => bail!("unexpected error {other}"),
        }
    }
    let Some(after) = store.voucher(&voucher).await? else {
        bail!("voucher vanished");
    };
    assert_eq!(busy, 0, "{busy} of 100 sales gave up as busy");
    assert_eq!(after.balance, rp(0));
    assert_eq!(store.history(&voucher).await?.len(), 101);
    store.delete_table().await?;
    Ok(())
}

/// `galeri audit` reconciles each batch's count × amount with the vouchers it finds: a voucher
/// item that vanished is reported under its batch.
#[tokio::test]
async fn the_audit_reports_a_batch_missing_a_voucher() -> Result<()> {
    let store = Arc::new(fresh_store().await?);
    let pepper =
        galeri_vouchers::Pepper::new(vec![7; 32]).map_err(|_| anyhow::anyhow!("pepper"))?;
    let ledger = galeri_vouchers::Ledger::new(store.clone(), pepper.clone());
    let batch = galeri_vouchers::model::NewBatch {
        name: "audit-batch".into(),
        unit: None,
        count: 3,
        amount: rp(50_000),
        expires_on: NaiveDate::from_ymd_opt(2099, 1, 1).context("date")?,
    };
    let codes = ledger.issue(&batch, Utc::now()).await?;
    let clean = ledger.audit().await?;
    ensure!(clean.batches.is_empty(), "{clean:?}");
    let hash = codes[0].hash(&pepper);
    store
        .client()
        .delete_item()
        .table_name(store.table())
        .key("PK", AttributeValue::S(format!("V#{}", hash.as_str())))
        .key("SK", AttributeValue::S("META".into()))
        .send()
        .await?;
    let report = ledger.audit().await?;
    assert_eq!(report.batches.len(), 1, "{report:?}");
    let missing = &report.batches[0];
    assert_eq!(
        (missing.name.as_str(), missing.count, missing.found),
        ("audit-batch", 3, 2)
    );
    assert_eq!(missing.found_value, rp(100_000));
    store.delete_table().await?;
    Ok(())
}

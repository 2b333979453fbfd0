//! The store conformance suite: one set of checks, run against every `VoucherStore`
//! (SQLite in `tests/tests/it/ledger_sqlite.rs`, DynamoDB Local in `tests/tests/it/ledger_dynamodb.rs`).
//!
//! Use it with the macro, which expands to one test per check so a failure names its check:
//!
//! ```text
//! galeri_tests::conformance_tests!(my_fresh_store());
//! ```
//!
//! where `my_fresh_store()` is an `async` expression giving a [`StoreUnderTest`]: a **fresh**,
//! prepared store (SQLite: a new temp file; DynamoDB: a new table), evaluated once per check
//! (and once per proptest case). Each check drives the store through the [`Ledger`], as the
//! HTTP layer does, so both stores are held to the same business answers.

use anyhow::{bail, ensure, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use galeri_vouchers::ledger::{Ledger, RedeemRequest, RefundRequest};
use galeri_vouchers::model::{
    Catalog, CatalogItem, EntryKind, LineRequest, NewBatch, Redemption, Role, StaffToken,
    VoucherStatus,
};
use galeri_vouchers::{LedgerError, Money, Pepper, VoucherCode, VoucherStore};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A fresh store for one check, and whatever must live as long as it (a temp dir, a table
/// to drop): dropped when the check ends.
pub struct StoreUnderTest {
    pub store: Arc<dyn VoucherStore>,
    pub guard: Option<Box<dyn Any + Send + Sync>>,
}

/// Makes fresh stores (for the property test, which needs one per case).
pub type StoreFactory<'a> =
    &'a (dyn Fn() -> Pin<Box<dyn Future<Output = StoreUnderTest> + Send>> + Sync);

/// Expands to one test per conformance check, each on a fresh store from `$make` (an async
/// expression giving a [`StoreUnderTest`]).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@async $make;
            concurrent_redemptions_never_overdraw,
            replay_returns_the_first_result_and_debits_once,
            same_key_with_another_body_is_refused,
            idempotency_keys_are_scoped_per_member_and_operation,
            refunds_restore_exactly_once,
            voucher_pays_up_to_its_balance_and_the_rest_is_cash,
            expired_void_and_unknown_codes_are_refused,
            unknown_skus_are_reported_with_positions,
            settlement_per_producer_over_wib_days,
            history_is_in_order,
            issue_validates_and_refuses_duplicate_batches,
            tokens_are_stored_listed_and_revoked,
            lookup_slots_are_reserved_per_subject_and_window,
            a_replay_is_read_without_touching_the_voucher,
            price_list_is_replaced_whole,
            demo_vouchers_are_marked_and_refused_outside_demo_mode,
            pepper_check_is_recorded_once_and_refuses_another_pepper,
        );

        #[test]
        fn random_operations_keep_the_books() {
            let factory = || -> ::std::pin::Pin<
                ::std::boxed::Box<
                    dyn ::std::future::Future<Output = $crate::conformance::StoreUnderTest>
                        + Send,
                >,
            > { ::std::boxed::Box::pin($make) };
            $crate::conformance::random_operations_keep_the_books(&factory);
        }
    };
    (@async $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() -> ::anyhow::Result<()> {
                $crate::conformance::$check($make.await).await
            }
        )*
    };
}

/// The pepper of every check (the suite never needs it secret).
pub fn test_pepper() -> Result<Pepper> {
    Pepper::new(vec![0x5a; 32]).context("test pepper")
}

/// Rupiah, for tests.
pub fn rp(rupiah: i64) -> Money {
    Money::new(rupiah).unwrap_or_default()
}

/// An instant from RFC 3339 text.
pub fn at(text: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("bad instant {text}"))?
        .with_timezone(&Utc))
}

fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("bad date {text}"))
}

/// A unique idempotency key.
pub fn key() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "idempotency-key-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The checks' price list: four products of three producers.
pub fn test_catalog() -> Catalog {
    let item = |sku: &str, producer: &str, category: &str, price: i64| CatalogItem {
        sku: sku.into(),
        name: format!("Produk {sku}"),
        producer: producer.into(),
        category: category.into(),
        price: rp(price),
    };
    Catalog {
        generated_at: DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
        currency: "IDR".into(),
        items: vec![
            item("KOPI-250", "kopi-dampit", "kuliner", 10_000),
            item("TOPENG-S", "topeng-kedungmonggo", "kriya", 35_000),
            item("BATIK-1", "batik-garudeya", "batik-tenun", 125_000),
            item("KERIPIK", "kopi-dampit", "kuliner", 7_500),
        ],
    }
}

/// A ledger over the store with the price list loaded.
pub async fn ledger(subject: &StoreUnderTest) -> Result<Ledger> {
    let ledger = Ledger::new(subject.store.clone(), test_pepper()?);
    ledger.load_catalog(&test_catalog()).await?;
    Ok(ledger)
}

/// Issues one voucher of `amount` expiring on 2026-12-31, in its own batch.
pub async fn voucher(ledger: &Ledger, amount: i64) -> Result<VoucherCode> {
    let batch = NewBatch {
        name: format!("batch-{}", key()),
        unit: Some("Dinas Koperasi dan Usaha Mikro".into()),
        count: 1,
        amount: rp(amount),
        expires_on: date("2026-12-31")?,
    };
    let mut codes = ledger.issue(&batch, at("2026-12-01T01:00:00Z")?).await?;
    codes.pop().context("issue returned no code")
}

fn lines(items: &[(&str, u32)]) -> Vec<LineRequest> {
    items
        .iter()
        .map(|(sku, qty)| LineRequest {
            sku: (*sku).into(),
            qty: *qty,
        })
        .collect()
}

/// A redemption request under a new key.
pub fn request(code: &VoucherCode, items: &[(&str, u32)], allow_cash: bool) -> RedeemRequest {
    RedeemRequest {
        idempotency_key: key(),
        cashier: "kasir-1 (tok_a)".into(),
        member: "kasir-1".into(),
        code: code.clone(),
        items: lines(items),
        allow_cash,
    }
}

fn refund_request(redemption: &Redemption) -> RefundRequest {
    RefundRequest {
        idempotency_key: key(),
        supervisor: "supervisor-1 (tok_s)".into(),
        member: "supervisor-1".into(),
        redemption_id: redemption.id.clone(),
    }
}

/// Fails unless the audit finds no discrepancy.
pub async fn assert_audit_clean(ledger: &Ledger) -> Result<()> {
    let report = ledger.audit().await?;
    ensure!(
        report.discrepancies.is_empty() && report.batches.is_empty(),
        "audit found discrepancies: {report:?}"
    );
    let expected = i128::from(report.balance.rupiah()) + i128::from(report.redeemed.rupiah())
        - i128::from(report.refunded.rupiah());
    ensure!(
        expected == i128::from(report.face_value.rupiah()),
        "audit totals do not balance: {report:?}"
    );
    Ok(())
}

/// Redeems, retrying `Busy` with the same key as a client would.
async fn redeem_retrying(
    ledger: &Ledger,
    request: &RedeemRequest,
    now: DateTime<Utc>,
) -> Result<Redemption, LedgerError> {
    let mut attempts = 0;
    loop {
        match ledger.redeem(request, now).await {
            Err(LedgerError::Busy) if attempts < 20 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 * attempts)).await;
            }
            other => return other,
        }
    }
}

/// 200 concurrent redemptions of Rp10.000 against one Rp50.000 voucher: exactly five succeed.
pub async fn concurrent_redemptions_never_overdraw(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let ledger = ledger.clone();
        let request = request(&code, &[("KOPI-250", 1)], false);
        tasks.push(tokio::spawn(async move {
            redeem_retrying(&ledger, &request, now).await
        }));
    }
    let mut succeeded = 0;
    for task in tasks {
        match task.await? {
            Ok(redemption) => {
                ensure!(
                    redemption.voucher_paid == rp(10_000),
                    "paid {:?}",
                    redemption.voucher_paid
                );
                succeeded += 1;
            }
            Err(LedgerError::InsufficientBalance { .. }) => {}
            Err(other) => bail!("unexpected error: {other:?}"),
        }
    }
    ensure!(
        succeeded == 5,
        "{succeeded} redemptions succeeded, expected exactly 5"
    );
    let voucher = ledger.balance(&code).await?;
    ensure!(
        voucher.balance == Money::ZERO,
        "balance is {:?}",
        voucher.balance
    );
    let history = ledger.history(&code).await?;
    let redeemed = history
        .iter()
        .filter(|entry| entry.kind == EntryKind::Redeemed)
        .count();
    ensure!(redeemed == 5, "history has {redeemed} redemptions");
    assert_audit_clean(&ledger).await
}

/// Replaying a key returns the first answer and debits once, even after the balance moved.
pub async fn replay_returns_the_first_result_and_debits_once(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let first_request = request(&code, &[("TOPENG-S", 1)], true);
    let first = ledger.redeem(&first_request, now).await?;
    let replay = ledger
        .redeem(&first_request, now + Duration::seconds(30))
        .await?;
    ensure!(replay == first, "replay differs:\n{first:?}\n{replay:?}");
    ensure!(
        ledger.balance(&code).await?.balance == rp(15_000),
        "debited more than once"
    );
    // Another sale moves the balance; the replay still answers as the first time.
    ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await?;
    let late_replay = ledger
        .redeem(&first_request, now + Duration::hours(1))
        .await?;
    ensure!(late_replay == first, "late replay differs");
    ensure!(
        ledger.balance(&code).await?.balance == rp(5_000),
        "balance wrong after replays"
    );
    let stored = ledger.redemption(&first.id).await?;
    ensure!(
        stored == first,
        "stored redemption differs:\n{first:?}\n{stored:?}"
    );
    // Concurrent replays of one key: still one debit.
    let concurrent_request = request(&code, &[("KERIPIK", 1)], true);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let ledger = ledger.clone();
        let request = concurrent_request.clone();
        tasks.push(tokio::spawn(async move {
            redeem_retrying(&ledger, &request, now).await
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await??.id);
    }
    ids.dedup();
    ensure!(ids.len() == 1, "one key gave {} redemptions", ids.len());
    ensure!(
        ledger.balance(&code).await?.balance == Money::ZERO,
        "concurrent replays debited twice"
    );
    assert_audit_clean(&ledger).await
}

/// `Ledger::replay` reads the stored answer of an identical request and nothing else: the
/// receipt for a retried sale, `None` for a new key, a conflict for another body.
pub async fn a_replay_is_read_without_touching_the_voucher(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let sale = request(&code, &[("KOPI-250", 1)], true);
    ensure!(
        ledger.replay(&sale, now).await?.is_none(),
        "a new key has no replay"
    );
    let first = ledger.redeem(&sale, now).await?;
    let replay = ledger.replay(&sale, now + Duration::minutes(1)).await?;
    ensure!(replay.as_ref() == Some(&first), "replay {replay:?}");
    let mut other = sale.clone();
    other.items = lines(&[("KOPI-250", 2)]);
    ensure!(
        matches!(
            ledger.replay(&other, now).await,
            Err(LedgerError::KeyMadeThisSale { .. })
        ),
        "another body under the key must conflict"
    );
    ensure!(
        ledger.balance(&code).await?.balance == rp(40_000),
        "a replay moved the balance"
    );
    assert_audit_clean(&ledger).await
}

/// The same key with another body is an error and changes nothing.
pub async fn same_key_with_another_body_is_refused(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let first = request(&code, &[("KOPI-250", 1)], true);
    let sale = ledger.redeem(&first, now).await?;
    // Another body on the same voucher: the key already made that sale, and says which.
    let mut other = first.clone();
    other.items = lines(&[("KOPI-250", 2)]);
    match ledger.redeem(&other, now).await {
        Err(LedgerError::KeyMadeThisSale { redemption_id }) => ensure!(
            redemption_id == sale.id,
            "named {redemption_id}, not {}",
            sale.id
        ),
        result => bail!("expected KeyMadeThisSale, got {result:?}"),
    }
    let mut other_cash = first.clone();
    other_cash.allow_cash = false;
    ensure!(
        matches!(
            ledger.redeem(&other_cash, now).await,
            Err(LedgerError::KeyMadeThisSale { .. })
        ),
        "allow_cash is part of the request"
    );
    ensure!(
        matches!(
            ledger.replay(&other_cash, now).await,
            Err(LedgerError::KeyMadeThisSale { .. })
        ),
        "replay tells the same sale apart too"
    );
    let other_code = voucher(&ledger, 50_000).await?;
    let mut other_voucher = first.clone();
    other_voucher.code = other_code.clone();
    ensure!(
        matches!(
            ledger.redeem(&other_voucher, now).await,
            Err(LedgerError::IdempotencyConflict)
        ),
        "the voucher is part of the request"
    );
    ensure!(
        ledger.balance(&code).await?.balance == rp(40_000),
        "first voucher changed"
    );
    ensure!(
        ledger.balance(&other_code).await?.balance == rp(50_000),
        "second voucher changed"
    );
    assert_audit_clean(&ledger).await
}

/// The pinned behaviour of idempotency keys on every store: at least 16 characters; scoped per
/// staff member (their name, not their token: a retry after a token rotation replays) and per
/// operation (a redemption's key and a refund's never meet).
pub async fn idempotency_keys_are_scoped_per_member_and_operation(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 100_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let mut short = request(&code, &[("KOPI-250", 1)], true);
    short.idempotency_key = "k".repeat(15);
    ensure!(
        matches!(
            ledger.redeem(&short, now).await,
            Err(LedgerError::Invalid(_))
        ),
        "a 15-character key was accepted"
    );
    let mut sale = request(&code, &[("KOPI-250", 1)], true);
    sale.idempotency_key = "0b8f0a52-8c1e-4c55-9a53-0e1f2d3c4b5a".into();
    let first = ledger.redeem(&sale, now).await?;
    // The same member after a token rotation: the label names the new token; same sale.
    let mut rotated = sale.clone();
    rotated.cashier = "kasir-1 (tok_new)".into();
    let replay = ledger.redeem(&rotated, now + Duration::minutes(1)).await?;
    ensure!(
        replay == first,
        "a retry after a token rotation did not replay"
    );
    // Another member's identical key and body is their own sale.
    let mut other_member = sale.clone();
    other_member.member = "kasir-2".into();
    other_member.cashier = "kasir-2 (tok_b)".into();
    let second = ledger.redeem(&other_member, now).await?;
    ensure!(second.id != first.id, "another member got the first sale");
    ensure!(
        ledger.balance(&code).await?.balance == rp(80_000),
        "two members' sales must both be charged"
    );
    // A refund under the very key the sale used is a refund, not a conflict.
    let refund = RefundRequest {
        idempotency_key: sale.idempotency_key.clone(),
        supervisor: "kasir-1 (tok_a)".into(),
        member: "kasir-1".into(),
        redemption_id: first.id.clone(),
    };
    let refunded = ledger.refund(&refund, now + Duration::minutes(2)).await?;
    ensure!(refunded.redemption_id == first.id);
    ensure!(
        ledger.balance(&code).await?.balance == rp(90_000),
        "refund under the sale's key did not restore"
    );
    assert_audit_clean(&ledger).await
}

/// A refund puts the voucher part back once; replays answer alike; other keys are refused.
pub async fn refunds_restore_exactly_once(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    // Rp70.000 against Rp50.000: the voucher pays 50.000, cash 20.000.
    let redemption = ledger
        .redeem(&request(&code, &[("TOPENG-S", 2)], true), now)
        .await?;
    ensure!(redemption.voucher_paid == rp(50_000) && redemption.cash_due == rp(20_000));
    let refund_request = refund_request(&redemption);
    let later = now + Duration::minutes(10);
    let refund = ledger.refund(&refund_request, later).await?;
    ensure!(
        refund.voucher_amount == rp(50_000),
        "refund returned {:?}",
        refund.voucher_amount
    );
    ensure!(
        refund.cash_amount == rp(20_000),
        "cash part {:?}",
        refund.cash_amount
    );
    ensure!(
        refund.balance_after == rp(50_000),
        "balance after {:?}",
        refund.balance_after
    );
    ensure!(refund.redemption_id == redemption.id);
    let replay = ledger
        .refund(&refund_request, later + Duration::seconds(5))
        .await?;
    ensure!(replay == refund, "refund replay differs");
    // The same key from another supervisor is their own request: the sale is already
    // refunded, and they are told so, not handed the first supervisor's answer.
    let mut changed = refund_request.clone();
    changed.member = "supervisor-2".into();
    changed.supervisor = "supervisor-2 (tok_t)".into();
    ensure!(
        matches!(
            ledger.refund(&changed, later).await,
            Err(LedgerError::AlreadyRefunded { .. })
        ),
        "same key, other supervisor must be their own request"
    );
    match ledger
        .refund(&self::refund_request(&redemption), later)
        .await
    {
        Err(LedgerError::AlreadyRefunded { refund_id }) => {
            ensure!(
                refund_id == refund.id,
                "AlreadyRefunded names {refund_id}, not {}",
                refund.id
            )
        }
        result => bail!("expected AlreadyRefunded, got {result:?}"),
    }
    ensure!(
        ledger.balance(&code).await?.balance == rp(50_000),
        "refunded more than once"
    );
    let stored = ledger.redemption(&redemption.id).await?;
    ensure!(
        stored.refund.as_ref() == Some(&refund),
        "redemption does not show its refund: {stored:?}"
    );
    let unknown = RefundRequest {
        idempotency_key: key(),
        supervisor: "supervisor-1".into(),
        member: "supervisor-1".into(),
        redemption_id: "R-0000000000NOSUCHREDM".into(),
    };
    ensure!(
        matches!(
            ledger.refund(&unknown, later).await,
            Err(LedgerError::UnknownRedemption)
        ),
        "refund of an unknown redemption"
    );
    ensure!(
        matches!(
            ledger.redemption("R-NOPE").await,
            Err(LedgerError::UnknownRedemption)
        ),
        "lookup of an unknown redemption"
    );
    // Concurrent refunds of one redemption under different keys: exactly one wins.
    let second = ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), later)
        .await?;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let ledger = ledger.clone();
        let request = self::refund_request(&second);
        tasks.push(tokio::spawn(async move {
            let mut attempts = 0;
            loop {
                match ledger.refund(&request, later).await {
                    Err(LedgerError::Busy) if attempts < 20 => attempts += 1,
                    other => return other,
                }
            }
        }));
    }
    let mut wins = 0;
    for task in tasks {
        match task.await? {
            Ok(_) => wins += 1,
            Err(LedgerError::AlreadyRefunded { .. }) => {}
            Err(other) => bail!("unexpected refund error {other:?}"),
        }
    }
    ensure!(wins == 1, "{wins} concurrent refunds succeeded");
    ensure!(
        ledger.balance(&code).await?.balance == rp(50_000),
        "balance after concurrent refunds"
    );
    assert_audit_clean(&ledger).await
}

/// The voucher pays up to its balance; the rest is cash unless cash is refused.
pub async fn voucher_pays_up_to_its_balance_and_the_rest_is_cash(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    match ledger
        .redeem(&request(&code, &[("BATIK-1", 1)], false), now)
        .await
    {
        Err(LedgerError::InsufficientBalance { balance, total }) => {
            ensure!(
                balance == rp(50_000) && total == rp(125_000),
                "{balance:?} {total:?}"
            )
        }
        result => bail!("expected InsufficientBalance, got {result:?}"),
    }
    // Duplicate SKUs merge: 2 + 1 KOPI-250 and a KERIPIK = Rp37.500.
    let small = ledger
        .redeem(
            &request(
                &code,
                &[("KOPI-250", 2), ("KERIPIK", 1), ("KOPI-250", 1)],
                false,
            ),
            now,
        )
        .await?;
    ensure!(
        small.items.len() == 2,
        "lines not merged: {:?}",
        small.items
    );
    ensure!(
        small.items[0].qty == 3 && small.items[0].total == rp(30_000),
        "{:?}",
        small.items[0]
    );
    ensure!(
        small.total == rp(37_500)
            && small.voucher_paid == rp(37_500)
            && small.cash_due == Money::ZERO
    );
    ensure!(
        small.balance_after == rp(12_500),
        "balance after {:?}",
        small.balance_after
    );
    ensure!(small.code_hint == code.hint() && small.cashier == "kasir-1 (tok_a)");
    let big = ledger
        .redeem(&request(&code, &[("BATIK-1", 1)], true), now)
        .await?;
    ensure!(
        big.total == rp(125_000) && big.voucher_paid == rp(12_500) && big.cash_due == rp(112_500),
        "{big:?}"
    );
    ensure!(big.balance_after == Money::ZERO);
    match ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await
    {
        Err(LedgerError::InsufficientBalance { balance, .. }) => ensure!(balance == Money::ZERO),
        result => bail!("an empty voucher paid: {result:?}"),
    }
    for bad in [
        lines(&[]),
        lines(&[("KOPI-250", 0)]),
        lines(&[("KOPI-250", 1_001)]),
    ] {
        let mut bad_request = request(&code, &[], true);
        bad_request.items = bad;
        ensure!(
            matches!(
                ledger.redeem(&bad_request, now).await,
                Err(LedgerError::Invalid(_))
            ),
            "invalid lines accepted"
        );
    }
    assert_audit_clean(&ledger).await
}

/// Expired, void and unknown codes cannot be redeemed; expiry is the last WIB day.
pub async fn expired_void_and_unknown_codes_are_refused(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    // 2026-12-31 23:59:59 WIB is still the last day.
    let last_second = at("2026-12-31T16:59:59Z")?;
    ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), last_second)
        .await?;
    match ledger
        .redeem(
            &request(&code, &[("KOPI-250", 1)], true),
            last_second + Duration::seconds(1),
        )
        .await
    {
        Err(LedgerError::Expired { expires_on }) => ensure!(expires_on == date("2026-12-31")?),
        result => bail!("expected Expired, got {result:?}"),
    }
    let void_code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let voided = ledger.void(&void_code, now).await?;
    ensure!(voided.status == VoucherStatus::Void && voided.balance == rp(50_000));
    ensure!(ledger.balance(&void_code).await?.status == VoucherStatus::Void);
    ensure!(
        matches!(
            ledger
                .redeem(&request(&void_code, &[("KOPI-250", 1)], true), now)
                .await,
            Err(LedgerError::Void)
        ),
        "void voucher redeemed"
    );
    let history = ledger.history(&void_code).await?;
    ensure!(
        history.last().map(|entry| entry.kind) == Some(EntryKind::Voided),
        "{history:?}"
    );
    let unknown = VoucherCode::generate().map_err(|error| anyhow::anyhow!("{error}"))?;
    ensure!(matches!(
        ledger.balance(&unknown).await,
        Err(LedgerError::UnknownCode)
    ));
    ensure!(matches!(
        ledger.history(&unknown).await,
        Err(LedgerError::UnknownCode)
    ));
    ensure!(matches!(
        ledger.void(&unknown, now).await,
        Err(LedgerError::UnknownCode)
    ));
    ensure!(
        matches!(
            ledger
                .redeem(&request(&unknown, &[("KOPI-250", 1)], true), now)
                .await,
            Err(LedgerError::UnknownCode)
        ),
        "unknown code redeemed"
    );
    // A code is known only under its pepper.
    let other_pepper = Ledger::new(subject.store.clone(), Pepper::new(vec![0x33; 32])?);
    ensure!(matches!(
        other_pepper.balance(&code).await,
        Err(LedgerError::UnknownCode)
    ));
    assert_audit_clean(&ledger).await
}

/// Demo vouchers (`galeri serve --demo`) are marked in every answer, in the stored receipt
/// too, and refused outside demo mode; only demo mode may issue a demo batch.
pub async fn demo_vouchers_are_marked_and_refused_outside_demo_mode(
    subject: StoreUnderTest,
) -> Result<()> {
    let demo = ledger(&subject).await?.with_demo(true);
    let issued_at = at("2026-12-01T01:00:00Z")?;
    let batch = NewBatch {
        name: format!("DEMO-{}", key()),
        unit: None,
        count: 1,
        amount: rp(200_000),
        expires_on: date("2026-12-31")?,
    };
    let code = demo
        .issue(&batch, issued_at)
        .await?
        .pop()
        .context("no demo code")?;
    ensure!(
        demo.balance(&code).await?.is_demo(),
        "balance not marked demo"
    );
    let now = at("2026-12-02T03:00:00Z")?;
    let sale = demo
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await?;
    ensure!(sale.demo, "receipt not marked demo: {sale:?}");
    ensure!(
        demo.redemption(&sale.id).await?.demo,
        "stored receipt not marked demo"
    );
    ensure!(!demo.history(&code).await?.is_empty());

    // A real voucher is not demo, in demo mode or not.
    let real = voucher(&demo, 50_000).await?;
    let real_sale = demo
        .redeem(&request(&real, &[("KOPI-250", 1)], true), now)
        .await?;
    ensure!(!real_sale.demo && !demo.redemption(&real_sale.id).await?.demo);

    let production = ledger(&subject).await?;
    ensure!(matches!(
        production.balance(&code).await,
        Err(LedgerError::DemoVoucher)
    ));
    ensure!(matches!(
        production.history(&code).await,
        Err(LedgerError::DemoVoucher)
    ));
    match production
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await
    {
        Err(LedgerError::DemoVoucher) => {}
        result => bail!("demo voucher redeemed outside demo mode: {result:?}"),
    }
    ensure!(
        production.balance(&code).await.is_err()
            && demo.balance(&code).await?.balance == rp(190_000),
        "the refused sale must not debit"
    );
    for name in [format!("DEMO-{}", key()), format!("demo-{}", key())] {
        let batch = NewBatch {
            name,
            ..batch.clone()
        };
        ensure!(
            matches!(
                production.issue(&batch, issued_at).await,
                Err(LedgerError::Invalid(_))
            ),
            "a demo batch issued outside demo mode"
        );
    }
    ensure!(production
        .redeem(&request(&real, &[("KOPI-250", 1)], true), now)
        .await
        .is_ok());
    assert_audit_clean(&production).await
}

/// The pepper check value: absent on a new store, recorded once (the first value wins, so two
/// processes starting at once agree), and another pepper is refused afterwards.
pub async fn pepper_check_is_recorded_once_and_refuses_another_pepper(
    subject: StoreUnderTest,
) -> Result<()> {
    use galeri_vouchers::config::{check_pepper, pepper_check_value, PepperCheck};
    let store = subject.store.as_ref();
    let right = test_pepper()?;
    let wrong = Pepper::new(vec![0x33; 32])?;
    ensure!(
        store.pepper_check().await?.is_none(),
        "a new store has no check"
    );
    // Verify-only callers (the Lambdas) leave it unrecorded.
    ensure!(check_pepper(&right, store, false).await? == Some(PepperCheck::Unrecorded));
    ensure!(store.pepper_check().await?.is_none());
    ensure!(check_pepper(&right, store, true).await? == Some(PepperCheck::Recorded));
    ensure!(store.pepper_check().await? == Some(pepper_check_value(&right)));
    ensure!(check_pepper(&right, store, true).await? == Some(PepperCheck::Verified));
    ensure!(check_pepper(&right, store, false).await? == Some(PepperCheck::Verified));
    ensure!(
        check_pepper(&wrong, store, true).await?.is_none(),
        "a wrong pepper was accepted"
    );
    ensure!(check_pepper(&wrong, store, false).await?.is_none());
    // Recording again keeps the first value and answers it.
    ensure!(
        store
            .record_pepper_check(&pepper_check_value(&wrong))
            .await?
            == pepper_check_value(&right)
    );
    ensure!(store.pepper_check().await? == Some(pepper_check_value(&right)));
    ensure!(
        pepper_check_value(&right) != pepper_check_value(&wrong)
            && pepper_check_value(&right).len() == 64
    );
    Ok(())
}

/// Unknown SKUs are refused with their positions, and nothing is debited.
pub async fn unknown_skus_are_reported_with_positions(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let asked = request(
        &code,
        &[("KOPI-250", 1), ("NOPE", 1), ("KERIPIK", 1), ("GONE", 2)],
        true,
    );
    match ledger.redeem(&asked, now).await {
        Err(LedgerError::UnknownSku { positions, skus }) => {
            ensure!(positions == vec![1, 3], "positions {positions:?}");
            ensure!(
                skus == vec!["NOPE".to_string(), "GONE".to_string()],
                "skus {skus:?}"
            );
        }
        result => bail!("expected UnknownSku, got {result:?}"),
    }
    ensure!(ledger.balance(&code).await?.balance == rp(50_000));
    Ok(())
}

/// Settlement per producer over WIB days, refunded sales left out, voucher shares exact.
pub async fn settlement_per_producer_over_wib_days(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let first = voucher(&ledger, 50_000).await?;
    let second = voucher(&ledger, 50_000).await?;
    let third = voucher(&ledger, 50_000).await?;
    // 2026-12-01 WIB runs from 2026-11-30T17:00Z to 2026-12-01T17:00Z.
    let before = at("2026-11-30T16:59:59Z")?;
    let start = at("2026-11-30T17:00:00Z")?;
    let end = at("2026-12-01T16:59:59Z")?;
    let after = at("2026-12-01T17:00:00Z")?;
    ledger
        .redeem(&request(&first, &[("KOPI-250", 1)], true), before)
        .await?;
    // Rp10.000 kopi + Rp35.000 topeng + Rp7.500 keripik = Rp52.500, voucher pays Rp50.000.
    let mixed = ledger
        .redeem(
            &request(
                &second,
                &[("KOPI-250", 1), ("TOPENG-S", 1), ("KERIPIK", 1)],
                true,
            ),
            start,
        )
        .await?;
    ensure!(mixed.voucher_paid == rp(50_000) && mixed.cash_due == rp(2_500));
    let refunded = ledger
        .redeem(&request(&third, &[("BATIK-1", 1)], true), end)
        .await?;
    ledger.refund(&refund_request(&refunded), after).await?;
    ledger
        .redeem(&request(&third, &[("TOPENG-S", 1)], true), end)
        .await?;
    ledger
        .redeem(&request(&third, &[("KOPI-250", 1)], true), after)
        .await?;

    let day = date("2026-12-01")?;
    let settlement = ledger.settlement(day, day).await?;
    ensure!(settlement.from == day && settlement.to == day);
    let producers: Vec<&str> = settlement
        .rows
        .iter()
        .map(|row| row.producer.as_str())
        .collect();
    // Settlement on events: the batik sale counts on its day although it was refunded the
    // next day (its refund is a negative line there).
    ensure!(
        producers == ["batik-garudeya", "kopi-dampit", "topeng-kedungmonggo"],
        "rows {:?}",
        settlement.rows
    );
    let batik = &settlement.rows[0];
    ensure!(
        batik.items == 1
            && batik.value == rp(125_000)
            && batik.voucher_share == rp(50_000)
            && batik.cash_share == rp(75_000)
            && batik.refunds == Money::ZERO,
        "batik {batik:?}"
    );
    let kopi = &settlement.rows[1];
    let topeng = &settlement.rows[2];
    ensure!(kopi.items == 2 && kopi.value == rp(17_500), "kopi {kopi:?}");
    ensure!(
        topeng.items == 2 && topeng.value == rp(70_000),
        "topeng {topeng:?}"
    );
    // Voucher Rp50.000 over lines 10.000 / 35.000 / 7.500 of 52.500: exact shares 9.523,8 /
    // 33.333,3 / 7.142,9 → 9.524 / 33.333 / 7.143 (largest remainder); the second topeng was
    // paid whole by the voucher (Rp35.000).
    ensure!(
        kopi.voucher_share == rp(9_524 + 7_143),
        "kopi share {:?}",
        kopi.voucher_share
    );
    ensure!(
        topeng.voucher_share == rp(33_333 + 35_000),
        "topeng share {:?}",
        topeng.voucher_share
    );
    ensure!(
        settlement.total_value == rp(87_500 + 125_000)
            && settlement.total_voucher_share == rp(85_000 + 50_000)
    );

    let two_days = ledger
        .settlement(date("2026-11-30")?, date("2026-12-02")?)
        .await?;
    ensure!(
        two_days.total_value == rp(10_000 + 87_500 + 125_000 + 10_000)
            && two_days.total_refunds == rp(125_000)
            && two_days.total_net == 10_000 + 87_500 + 10_000,
        "{two_days:?}"
    );
    let empty = ledger
        .settlement(date("2026-12-05")?, date("2026-12-05")?)
        .await?;
    ensure!(empty.rows.is_empty() && empty.total_value == Money::ZERO);
    ensure!(
        matches!(
            ledger.settlement(date("2026-12-02")?, day).await,
            Err(LedgerError::Invalid(_))
        ),
        "a backwards period must be refused"
    );
    Ok(())
}

/// History lists every movement, oldest first, with running balances.
pub async fn history_is_in_order(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let first = ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await?;
    let second = ledger
        .redeem(
            &request(&code, &[("TOPENG-S", 1)], true),
            now + Duration::seconds(1),
        )
        .await?;
    let refund = ledger
        .refund(&refund_request(&first), now + Duration::seconds(2))
        .await?;
    let history = ledger.history(&code).await?;
    let kinds: Vec<EntryKind> = history.iter().map(|entry| entry.kind).collect();
    ensure!(
        kinds
            == [
                EntryKind::Issued,
                EntryKind::Redeemed,
                EntryKind::Redeemed,
                EntryKind::Refunded
            ],
        "kinds {kinds:?}"
    );
    let balances: Vec<i64> = history
        .iter()
        .map(|entry| entry.balance_after.rupiah())
        .collect();
    ensure!(
        balances == [50_000, 40_000, 5_000, 15_000],
        "balances {balances:?}"
    );
    let amounts: Vec<i64> = history.iter().map(|entry| entry.amount.rupiah()).collect();
    ensure!(
        amounts == [50_000, 10_000, 35_000, 10_000],
        "amounts {amounts:?}"
    );
    ensure!(history[1].reference == first.id && history[2].reference == second.id);
    ensure!(
        history[3].reference == refund.id,
        "refund entry refers to {}",
        history[3].reference
    );
    ensure!(
        history.windows(2).all(|pair| pair[0].at <= pair[1].at),
        "entries out of order"
    );
    Ok(())
}

/// Issue validates its input, refuses a batch name twice, and stores full balances.
pub async fn issue_validates_and_refuses_duplicate_batches(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let now = at("2026-12-01T01:00:00Z")?;
    ensure!(
        subject.store.voucher_count().await? == 0,
        "fresh store is not empty"
    );
    let batch = NewBatch {
        name: "2026-12 Dinas Pendidikan".into(),
        unit: Some("Dinas Pendidikan".into()),
        count: 25,
        amount: rp(200_000),
        expires_on: date("2026-12-31")?,
    };
    let codes = ledger.issue(&batch, now).await?;
    ensure!(codes.len() == 25, "{} codes", codes.len());
    let mut distinct: Vec<String> = codes.iter().map(VoucherCode::expose).collect();
    distinct.sort();
    distinct.dedup();
    ensure!(distinct.len() == 25, "codes repeat");
    ensure!(subject.store.voucher_count().await? == 25);
    let voucher = ledger.balance(&codes[7]).await?;
    ensure!(voucher.face_value == rp(200_000) && voucher.balance == rp(200_000));
    ensure!(voucher.status == VoucherStatus::Active && voucher.batch == batch.name);
    ensure!(voucher.unit.as_deref() == Some("Dinas Pendidikan") && voucher.hint == codes[7].hint());
    ensure!(voucher.expires_on == batch.expires_on && voucher.issued_at == now);
    match ledger.issue(&batch, now).await {
        Err(LedgerError::DuplicateBatch(name)) => ensure!(name == batch.name),
        result => bail!("expected DuplicateBatch, got {result:?}"),
    }
    ensure!(
        subject.store.voucher_count().await? == 25,
        "a refused batch left vouchers"
    );
    for bad in [
        NewBatch {
            count: 0,
            ..batch.clone()
        },
        NewBatch {
            count: 10_001,
            ..batch.clone()
        },
        NewBatch {
            amount: Money::ZERO,
            name: "other".into(),
            ..batch.clone()
        },
        NewBatch {
            name: "  ".into(),
            ..batch.clone()
        },
        NewBatch {
            name: "past".into(),
            expires_on: date("2026-11-30")?,
            ..batch.clone()
        },
    ] {
        ensure!(
            matches!(ledger.issue(&bad, now).await, Err(LedgerError::Invalid(_))),
            "accepted {bad:?}"
        );
    }
    let report = ledger.audit().await?;
    ensure!(
        report.vouchers == 25
            && report.face_value == rp(5_000_000)
            && report.balance == rp(5_000_000)
    );
    assert_audit_clean(&ledger).await
}

/// Staff tokens: stored by hash, listed, revoked once.
pub async fn tokens_are_stored_listed_and_revoked(subject: StoreUnderTest) -> Result<()> {
    let store = &subject.store;
    let created_at = at("2026-12-01T01:00:00Z")?;
    let cashier = StaffToken {
        id: "T1".into(),
        token_hash: "a".repeat(64),
        role: Role::Cashier,
        name: "Siti (kasir)".into(),
        created_at,
        revoked_at: None,
    };
    let supervisor = StaffToken {
        id: "T2".into(),
        token_hash: "b".repeat(64),
        role: Role::Supervisor,
        name: "Budi".into(),
        created_at: created_at + Duration::seconds(1),
        revoked_at: None,
    };
    store.put_token(&cashier).await?;
    store.put_token(&supervisor).await?;
    ensure!(store.token_by_hash(&"a".repeat(64)).await? == Some(cashier.clone()));
    ensure!(store.token_by_hash(&"c".repeat(64)).await?.is_none());
    let mut listed = store.tokens().await?;
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    ensure!(
        listed == vec![cashier.clone(), supervisor.clone()],
        "listed {listed:?}"
    );
    let revoked_at = created_at + Duration::hours(1);
    let revoked = store.revoke_token("T1", revoked_at).await?;
    ensure!(revoked.revoked_at == Some(revoked_at), "{revoked:?}");
    let again = store
        .token_by_hash(&"a".repeat(64))
        .await?
        .context("revoked token vanished")?;
    ensure!(again.revoked_at == Some(revoked_at));
    ensure!(matches!(
        store.revoke_token("T9", revoked_at).await,
        Err(LedgerError::UnknownToken)
    ));
    // Putting a token never replaces one: not to un-revoke it, not under another member.
    ensure!(
        store.put_token(&cashier).await.is_err(),
        "a revoked token was put again"
    );
    let still = store.token_by_hash(&"a".repeat(64)).await?;
    ensure!(
        still.as_ref().and_then(|token| token.revoked_at) == Some(revoked_at),
        "a revoked token came back: {still:?}"
    );
    let takeover = StaffToken {
        id: "T2".into(),
        token_hash: "d".repeat(64),
        role: Role::Admin,
        name: "Orang lain".into(),
        created_at,
        revoked_at: None,
    };
    ensure!(
        store.put_token(&takeover).await.is_err(),
        "another member's token id was taken over"
    );
    ensure!(
        store.token_by_hash(&"b".repeat(64)).await? == Some(supervisor.clone()),
        "the first token changed"
    );
    ensure!(store.token_by_hash(&"d".repeat(64)).await?.is_none());
    Ok(())
}

/// Lookup slots are reserved per subject and per window up to the limit, atomically; a
/// released slot can be taken again; a release never goes below zero.
pub async fn lookup_slots_are_reserved_per_subject_and_window(
    subject: StoreUnderTest,
) -> Result<()> {
    let store = &subject.store;
    let window = at("2026-12-01T01:00:00Z")?;
    let next = window + Duration::minutes(15);
    for attempt in 1..=3 {
        ensure!(
            store.reserve_lookup("ip:10.0.0.1", window, 3).await?,
            "slot {attempt} of 3 refused"
        );
    }
    ensure!(
        !store.reserve_lookup("ip:10.0.0.1", window, 3).await?,
        "a fourth slot was reserved under a limit of 3"
    );
    // Other subjects and other windows are counted apart.
    ensure!(store.reserve_lookup("token:T1", window, 3).await?);
    ensure!(store.reserve_lookup("ip:10.0.0.1", next, 3).await?);
    // A released slot (a lookup that succeeded) can be taken again, once.
    store.release_lookup("ip:10.0.0.1", window).await?;
    ensure!(store.reserve_lookup("ip:10.0.0.1", window, 3).await?);
    ensure!(!store.reserve_lookup("ip:10.0.0.1", window, 3).await?);
    // Releasing more than was taken, or what was never taken, does not make room.
    for _ in 0..3 {
        store.release_lookup("token:T9", window).await?;
    }
    ensure!(!store.reserve_lookup("token:T9", window, 0).await?);
    ensure!(store.reserve_lookup("token:T9", window, 1).await?);
    ensure!(!store.reserve_lookup("token:T9", window, 1).await?);
    // 60 concurrent reservations under a limit of 20: exactly 20 get a slot.
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.reserve_lookup("ip:10.0.0.2", window, 20).await
        }));
    }
    let mut reserved = 0;
    for task in tasks {
        if task.await?? {
            reserved += 1;
        }
    }
    ensure!(
        reserved == 20,
        "{reserved} of 60 reserved under a limit of 20"
    );
    Ok(())
}

/// Loading a catalog replaces the whole price list; past redemptions keep their prices.
pub async fn price_list_is_replaced_whole(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 200_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let before = ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await?;
    let mut catalog = test_catalog();
    catalog.items.retain(|item| item.sku != "BATIK-1");
    for item in &mut catalog.items {
        if item.sku == "KOPI-250" {
            item.price = rp(12_000);
        }
    }
    ledger.load_catalog(&catalog).await?;
    let prices = subject
        .store
        .prices(&["KOPI-250".into(), "BATIK-1".into()])
        .await?;
    ensure!(
        prices.len() == 1 && prices.get("KOPI-250").map(|item| item.price) == Some(rp(12_000)),
        "{prices:?}"
    );
    let after = ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await?;
    ensure!(after.total == rp(12_000), "new price not used: {after:?}");
    ensure!(
        ledger.redemption(&before.id).await?.total == rp(10_000),
        "old redemption repriced"
    );
    ensure!(
        matches!(
            ledger
                .redeem(&request(&code, &[("BATIK-1", 1)], true), now)
                .await,
            Err(LedgerError::UnknownSku { .. })
        ),
        "removed product still sold"
    );
    let mut bad = test_catalog();
    bad.items.push(bad.items[0].clone());
    ensure!(
        matches!(
            ledger.load_catalog(&bad).await,
            Err(LedgerError::Invalid(_))
        ),
        "duplicate sku accepted"
    );
    ensure!(
        subject.store.prices(&["KOPI-250".into()]).await?.len() == 1,
        "refused catalog changed prices"
    );
    ledger
        .load_catalog(&Catalog {
            items: Vec::new(),
            ..test_catalog()
        })
        .await?;
    ensure!(
        subject.store.prices(&["KOPI-250".into()]).await?.is_empty(),
        "empty catalog kept prices"
    );
    Ok(())
}

/// One step of the property test.
#[derive(Debug, Clone)]
pub enum Operation {
    Issue {
        amount: i64,
    },
    Redeem {
        voucher: usize,
        sku: usize,
        qty: u32,
        allow_cash: bool,
    },
    Refund {
        redemption: usize,
    },
    ReplayRedeem {
        redemption: usize,
    },
    ReplayRefund {
        refund: usize,
    },
}

fn operation() -> impl proptest::strategy::Strategy<Value = Operation> {
    use proptest::prelude::*;
    prop_oneof![
        1 => (1i64..=20).prop_map(|tens| Operation::Issue { amount: tens * 10_000 }),
        5 => (0usize..8, 0usize..4, 1u32..4, any::<bool>())
            .prop_map(|(voucher, sku, qty, allow_cash)| Operation::Redeem { voucher, sku, qty, allow_cash }),
        2 => (0usize..16).prop_map(|redemption| Operation::Refund { redemption }),
        1 => (0usize..16).prop_map(|redemption| Operation::ReplayRedeem { redemption }),
        1 => (0usize..8).prop_map(|refund| Operation::ReplayRefund { refund }),
    ]
}

/// Random sequences of issue, redeem, refund and replays, checked against a simple model of the
/// balances; afterwards the audit holds. 32 cases, each on a fresh store.
pub fn random_operations_keep_the_books(factory: StoreFactory<'_>) {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio runtime: {error}"),
    };
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(operation(), 1..40);
    let result = runner.run(&strategy, |operations| {
        runtime
            .block_on(async { run_operations(factory().await, &operations).await })
            .map_err(|error| TestCaseError::fail(format!("{error:#}")))
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

async fn run_operations(subject: StoreUnderTest, operations: &[Operation]) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let catalog = test_catalog();
    let mut now = at("2026-12-01T02:00:00Z")?;
    // The model: each voucher's expected balance, and what happened so far.
    let mut vouchers: Vec<(VoucherCode, i64)> = vec![(voucher(&ledger, 50_000).await?, 50_000)];
    let mut redemptions: Vec<(RedeemRequest, Redemption, usize)> = Vec::new();
    let mut refunds: Vec<(RefundRequest, galeri_vouchers::model::Refund)> = Vec::new();
    for operation in operations {
        now += Duration::seconds(1);
        match operation {
            Operation::Issue { amount } => {
                vouchers.push((voucher(&ledger, *amount).await?, *amount));
            }
            Operation::Redeem {
                voucher,
                sku,
                qty,
                allow_cash,
            } => {
                let index = voucher % vouchers.len();
                let product = &catalog.items[sku % catalog.items.len()];
                let asked = request(
                    &vouchers[index].0,
                    &[(product.sku.as_str(), *qty)],
                    *allow_cash,
                );
                let total = product.price.rupiah() * i64::from(*qty);
                let balance = vouchers[index].1;
                match ledger.redeem(&asked, now).await {
                    Ok(redemption) => {
                        ensure!(
                            balance > 0 && (*allow_cash || balance >= total),
                            "model refuses {operation:?}"
                        );
                        let paid = balance.min(total);
                        ensure!(
                            redemption.voucher_paid == rp(paid)
                                && redemption.cash_due == rp(total - paid)
                        );
                        vouchers[index].1 -= paid;
                        ensure!(redemption.balance_after == rp(vouchers[index].1));
                        redemptions.push((asked, redemption, index));
                    }
                    Err(LedgerError::InsufficientBalance { .. }) => {
                        ensure!(
                            balance == 0 || (!allow_cash && balance < total),
                            "refused {operation:?} at {balance}"
                        );
                    }
                    Err(other) => bail!("{operation:?}: {other:?}"),
                }
            }
            Operation::Refund { redemption } => {
                if redemptions.is_empty() {
                    continue;
                }
                let (_, redeemed, index) = &redemptions[redemption % redemptions.len()];
                let asked = refund_request(redeemed);
                let already = refunds
                    .iter()
                    .any(|(_, refund)| refund.redemption_id == redeemed.id);
                match ledger.refund(&asked, now).await {
                    Ok(refund) => {
                        ensure!(!already, "refunded twice: {}", redeemed.id);
                        vouchers[*index].1 += redeemed.voucher_paid.rupiah();
                        ensure!(refund.balance_after == rp(vouchers[*index].1));
                        refunds.push((asked, refund));
                    }
                    Err(LedgerError::AlreadyRefunded { .. }) => {
                        ensure!(already, "refused a first refund")
                    }
                    Err(other) => bail!("{operation:?}: {other:?}"),
                }
            }
            Operation::ReplayRedeem { redemption } => {
                if redemptions.is_empty() {
                    continue;
                }
                let (asked, first, _) = &redemptions[redemption % redemptions.len()];
                let replay = ledger.redeem(asked, now).await?;
                ensure!(&replay == first, "replay differs");
            }
            Operation::ReplayRefund { refund } => {
                if refunds.is_empty() {
                    continue;
                }
                let (asked, first) = &refunds[refund % refunds.len()];
                let replay = ledger.refund(asked, now).await?;
                ensure!(&replay == first, "refund replay differs");
            }
        }
    }
    for (code, expected) in &vouchers {
        let voucher = ledger.balance(code).await?;
        ensure!(
            voucher.balance == rp(*expected),
            "balance {:?}, model {expected}",
            voucher.balance
        );
    }
    assert_audit_clean(&ledger).await
}

//! The conformance checks of program administration (issue 9): void with a reason, expiry,
//! settlement on events and the daily close, run against every store like the main suite
//! (`conformance.rs`):
//!
//! ```text
//! galeri_tests::admin_conformance_tests!(my_fresh_store());
//! ```

use crate::conformance::{at, key, ledger, request, rp, voucher, StoreUnderTest};
use anyhow::{ensure, Context, Result};
use chrono::NaiveDate;
use galeri_vouchers::admin::VoidResult;
use galeri_vouchers::ledger::{Ledger, RedeemRequest, RefundRequest};
use galeri_vouchers::model::{EntryKind, LineRequest, NewBatch, Redemption, VoucherStatus};
use galeri_vouchers::{LedgerError, Money, VoucherCode};

/// Expands to one test per administration check, each on a fresh store from `$make`.
#[macro_export]
macro_rules! admin_conformance_tests {
    ($make:expr) => {
        $crate::admin_conformance_tests!(@async $make;
            a_void_returns_the_balance_once_and_the_till_refuses_it,
            a_void_with_an_unknown_code_voids_nothing,
            a_void_request_replays_under_its_key,
            a_batch_is_voided_whole,
            expiry_marks_past_vouchers_once_per_batch_and_unit,
            a_closed_period_never_changes_and_periods_add_up_to_the_ledger,
            the_daily_close_reconciles_the_day,
        );
    };
    (@async $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() -> ::anyhow::Result<()> {
                $crate::conformance_admin::$check($make.await).await
            }
        )*
    };
}

fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("bad date {text}"))
}

fn refund(redemption: &Redemption, supervisor: &str) -> RefundRequest {
    RefundRequest {
        idempotency_key: key(),
        supervisor: supervisor.into(),
        member: supervisor.into(),
        redemption_id: redemption.id.clone(),
    }
}

fn sale(code: &VoucherCode, cashier: &str, sku: &str, qty: u32) -> RedeemRequest {
    RedeemRequest {
        idempotency_key: key(),
        cashier: cashier.into(),
        member: cashier.into(),
        code: code.clone(),
        items: vec![LineRequest {
            sku: sku.into(),
            qty,
        }],
        allow_cash: true,
    }
}

async fn assert_books_balance(ledger: &Ledger) -> Result<()> {
    let report = ledger.audit().await?;
    ensure!(
        report.discrepancies.is_empty() && report.batches.is_empty(),
        "audit found discrepancies: {report:?}"
    );
    Ok(())
}

/// A void records its reason and returns the remaining balance to the program once; the
/// voucher answers `void` and the till refuses it; voiding again changes nothing.
pub async fn a_void_returns_the_balance_once_and_the_till_refuses_it(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    ledger
        .redeem(&request(&code, &[("KOPI-250", 1)], true), now)
        .await?;
    let later = at("2026-12-02T04:00:00Z")?;
    let report = ledger
        .void_codes(std::slice::from_ref(&code), "kartu hilang", later)
        .await?;
    ensure!(report.voided == 1 && report.already_void == 0, "{report:?}");
    ensure!(report.returned == rp(40_000), "{report:?}");
    ensure!(
        report.vouchers[0].hint == code.hint() && report.vouchers[0].outcome == VoidResult::Voided
    );
    let voucher = ledger.balance(&code).await?;
    ensure!(voucher.status == VoucherStatus::Void && voucher.balance == rp(40_000));
    let history = ledger.history(&code).await?;
    let last = history.last().context("no history")?;
    ensure!(
        last.kind == EntryKind::Voided
            && last.amount == rp(40_000)
            && last.reference == "kartu hilang",
        "{last:?}"
    );
    ensure!(
        matches!(
            ledger
                .redeem(&request(&code, &[("KOPI-250", 1)], true), later)
                .await,
            Err(LedgerError::Void)
        ),
        "a void voucher was accepted at the till"
    );
    let again = ledger
        .void_codes(std::slice::from_ref(&code), "lagi", later)
        .await?;
    ensure!(
        again.voided == 0 && again.already_void == 1 && again.returned == Money::ZERO,
        "{again:?}"
    );
    ensure!(ledger.history(&code).await?.len() == history.len());
    ensure!(
        matches!(
            ledger
                .void_codes(std::slice::from_ref(&code), "  ", later)
                .await,
            Err(LedgerError::Invalid(_))
        ),
        "a void without a reason was accepted"
    );
    assert_books_balance(&ledger).await
}

/// One unknown code among several: nothing is voided, and its position is named.
pub async fn a_void_with_an_unknown_code_voids_nothing(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let known = voucher(&ledger, 50_000).await?;
    let stranger = VoucherCode::generate().map_err(|error| anyhow::anyhow!("{error}"))?;
    let now = at("2026-12-02T03:00:00Z")?;
    ensure!(
        ledger
            .void_codes(&[known.clone(), stranger], "bocor", now)
            .await
            == Err(LedgerError::UnknownCodes { positions: vec![1] })
    );
    ensure!(ledger.balance(&known).await?.status == VoucherStatus::Active);
    Ok(())
}

/// A void under an idempotency key answers a retry with the first answer, and refuses the key
/// for another request.
pub async fn a_void_request_replays_under_its_key(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = at("2026-12-02T03:00:00Z")?;
    let key = key();
    let (first, replayed) = ledger
        .void_once(&key, "Pak Budi", std::slice::from_ref(&code), "hilang", now)
        .await?;
    ensure!(!replayed && first.voided == 1 && first.returned == rp(50_000));
    let (second, replayed) = ledger
        .void_once(&key, "Pak Budi", std::slice::from_ref(&code), "hilang", now)
        .await?;
    ensure!(replayed && second == first, "{second:?}");
    ensure!(
        ledger
            .void_once(&key, "Pak Budi", std::slice::from_ref(&code), "lain", now)
            .await
            == Err(LedgerError::IdempotencyConflict)
    );
    // Another member's identical key is another request.
    let (other, replayed) = ledger
        .void_once(&key, "Bu Sari", &[code], "hilang", now)
        .await?;
    ensure!(!replayed && other.already_void == 1 && other.returned == Money::ZERO);
    Ok(())
}

/// `void_batch` voids every voucher of the batch and no other.
pub async fn a_batch_is_voided_whole(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let issued_at = at("2026-12-01T01:00:00Z")?;
    let batch = NewBatch {
        name: format!("batch-{}", key()),
        unit: Some("Dinas Pendidikan".into()),
        count: 3,
        amount: rp(50_000),
        expires_on: date("2026-12-31")?,
    };
    let codes = ledger.issue(&batch, issued_at).await?;
    let other = voucher(&ledger, 50_000).await?;
    let report = ledger
        .void_batch(
            &batch.name,
            "kode gagal ditulis",
            at("2026-12-01T02:00:00Z")?,
        )
        .await?;
    ensure!(
        report.voided == 3 && report.returned == rp(150_000),
        "{report:?}"
    );
    for code in &codes {
        ensure!(ledger.balance(code).await?.status == VoucherStatus::Void);
    }
    ensure!(ledger.balance(&other).await?.status == VoucherStatus::Active);
    ensure!(matches!(
        ledger.void_batch("no-such-batch", "x", issued_at).await,
        Err(LedgerError::Invalid(_))
    ));
    assert_books_balance(&ledger).await
}

/// Expiry marks the vouchers past their last day once, reports the unspent balance per batch
/// and unit, skips void ones, and never marks a voucher still valid.
pub async fn expiry_marks_past_vouchers_once_per_batch_and_unit(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let issued_at = at("2026-12-01T01:00:00Z")?;
    let december = NewBatch {
        name: format!("2026-12-{}", key()),
        unit: Some("Dinas Kesehatan".into()),
        count: 3,
        amount: rp(50_000),
        expires_on: date("2026-12-31")?,
    };
    let january = NewBatch {
        name: format!("2027-01-{}", key()),
        unit: None,
        count: 1,
        amount: rp(200_000),
        expires_on: date("2027-01-31")?,
    };
    let codes = ledger.issue(&december, issued_at).await?;
    let later = ledger.issue(&january, issued_at).await?;
    ledger
        .redeem(&request(&codes[0], &[("KOPI-250", 1)], true), issued_at)
        .await?;
    ledger.void_codes(&codes[2..], "hilang", issued_at).await?;
    // 2027-01-05 WIB.
    let now = at("2027-01-05T03:00:00Z")?;
    ensure!(matches!(
        ledger.expire(date("2027-01-06")?, now).await,
        Err(LedgerError::Invalid(_))
    ));
    let report = ledger.expire(date("2027-01-01")?, now).await?;
    ensure!(report.vouchers == 2 && report.skipped == 1, "{report:?}");
    ensure!(report.returned == rp(40_000 + 50_000), "{report:?}");
    ensure!(report.lines.len() == 1, "{report:?}");
    let line = &report.lines[0];
    ensure!(
        line.batch == december.name
            && line.unit == december.unit
            && line.vouchers == 2
            && line.returned == rp(90_000),
        "{line:?}"
    );
    let history = ledger.history(&codes[0]).await?;
    let last = history.last().context("no history")?;
    ensure!(
        last.kind == EntryKind::Expired
            && last.amount == rp(40_000)
            && last.reference == december.name,
        "{last:?}"
    );
    // Nothing is marked twice; the January voucher is still valid and untouched.
    let again = ledger.expire(date("2027-01-01")?, now).await?;
    ensure!(
        again.vouchers == 0 && again.returned == Money::ZERO,
        "{again:?}"
    );
    ensure!(ledger.history(&later[0]).await?.len() == 1);
    // A marked voucher voided afterwards returns nothing more.
    let void = ledger
        .void_codes(&codes[1..2], "ditemukan rusak", now)
        .await?;
    ensure!(void.voided == 1 && void.returned == Money::ZERO, "{void:?}");
    // Expired entries sit in the entries of their day, for the transparency export.
    let day = ledger
        .store()
        .entries_between(at("2027-01-04T17:00:00Z")?, at("2027-01-05T17:00:00Z")?)
        .await?;
    let expired: i64 = day
        .iter()
        .filter(|item| item.entry.kind == EntryKind::Expired)
        .map(|item| item.entry.amount.rupiah())
        .sum();
    ensure!(expired == 90_000, "{day:?}");
    assert_books_balance(&ledger).await
}

/// Settlement on events: a period's report is the same before and after a later refund, the
/// refund is a negative line on its own day, and the days add up to the whole and to the
/// ledger (what vouchers paid, less what went back to them).
pub async fn a_closed_period_never_changes_and_periods_add_up_to_the_ledger(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let first = voucher(&ledger, 50_000).await?;
    let second = voucher(&ledger, 50_000).await?;
    // 2026-12-02 and 2026-12-03 WIB.
    let day_two = at("2026-12-02T03:00:00Z")?;
    let day_three = at("2026-12-03T03:00:00Z")?;
    let batik = ledger
        .redeem(&sale(&first, "Kasir Sari", "BATIK-1", 1), day_two)
        .await?;
    ledger
        .redeem(&sale(&second, "Kasir Sari", "TOPENG-S", 1), day_two)
        .await?;
    ledger
        .redeem(&sale(&second, "Kasir Dewi", "KOPI-250", 2), day_three)
        .await?;
    let closed = ledger
        .settlement(date("2026-12-02")?, date("2026-12-02")?)
        .await?;
    ensure!(closed.total_value == rp(160_000), "{closed:?}");
    // The batik sale is refunded on 2026-12-04 (WIB): the closed day does not move.
    ledger
        .refund(&refund(&batik, "Pak Budi"), at("2026-12-04T03:00:00Z")?)
        .await?;
    let reopened = ledger
        .settlement(date("2026-12-02")?, date("2026-12-02")?)
        .await?;
    ensure!(reopened == closed, "closed period changed: {reopened:?}");
    let refund_day = ledger
        .settlement(date("2026-12-04")?, date("2026-12-04")?)
        .await?;
    ensure!(refund_day.rows.len() == 1, "{refund_day:?}");
    let row = &refund_day.rows[0];
    ensure!(
        row.producer == "batik-garudeya"
            && row.items == 0
            && row.refunded_items == 1
            && row.refunds == rp(125_000)
            && row.refunds_voucher == rp(50_000)
            && row.refunds_cash == rp(75_000)
            && row.net == -125_000,
        "{row:?}"
    );
    // The days add up to the whole period, and the whole to the ledger.
    let whole = ledger
        .settlement(date("2026-12-01")?, date("2026-12-05")?)
        .await?;
    let mut net = 0;
    let mut voucher_net = 0;
    for day in date("2026-12-01")?.iter_days().take(5) {
        let one = ledger.settlement(day, day).await?;
        net += one.total_net;
        voucher_net += one.total_voucher_share.rupiah() - one.total_refunds_voucher.rupiah();
    }
    ensure!(
        net == whole.total_net && net == 55_000,
        "{net} vs {whole:?}"
    );
    let audit = ledger.audit().await?;
    ensure!(
        voucher_net == audit.redeemed.rupiah() - audit.refunded.rupiah(),
        "settlement voucher net {voucher_net} vs ledger {audit:?}"
    );
    let entries = ledger
        .store()
        .entries_between(at("2026-11-30T17:00:00Z")?, at("2026-12-05T17:00:00Z")?)
        .await?;
    let ledger_net: i64 = entries
        .iter()
        .map(|item| match item.entry.kind {
            EntryKind::Redeemed => item.entry.amount.rupiah(),
            EntryKind::Refunded => -item.entry.amount.rupiah(),
            _ => 0,
        })
        .sum();
    ensure!(
        ledger_net == voucher_net,
        "entries {ledger_net} vs settlement {voucher_net}"
    );
    Ok(())
}

/// The daily close: sales per cashier, refunds per supervisor, the day's voids with reasons,
/// the day's records matching the ledger entries, and the audit clean.
pub async fn the_daily_close_reconciles_the_day(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let first = voucher(&ledger, 50_000).await?;
    let second = voucher(&ledger, 50_000).await?;
    let lost = voucher(&ledger, 50_000).await?;
    let morning = at("2026-12-02T02:00:00Z")?;
    let noon = at("2026-12-02T05:00:00Z")?;
    let refunded = ledger
        .redeem(&sale(&first, "Kasir Sari", "KOPI-250", 1), morning)
        .await?;
    ledger
        .redeem(&sale(&second, "Kasir Dewi", "BATIK-1", 1), morning)
        .await?;
    ledger.refund(&refund(&refunded, "Pak Budi"), noon).await?;
    ledger
        .void_codes(std::slice::from_ref(&lost), "kartu hilang", noon)
        .await?;
    // Another day's sale stays out.
    ledger
        .redeem(
            &sale(&first, "Kasir Sari", "KOPI-250", 1),
            at("2026-12-03T02:00:00Z")?,
        )
        .await?;

    let close = ledger.close(date("2026-12-02")?).await?;
    ensure!(close.is_clean(), "{close:?}");
    let names: Vec<&str> = close.staff.iter().map(|day| day.staff.as_str()).collect();
    ensure!(
        names == ["Kasir Dewi", "Kasir Sari", "Pak Budi"],
        "{names:?}"
    );
    let dewi = &close.staff[0];
    ensure!(
        dewi.sales == 1
            && dewi.sales_total == rp(125_000)
            && dewi.sales_voucher == rp(50_000)
            && dewi.sales_cash == rp(75_000),
        "{dewi:?}"
    );
    let budi = &close.staff[2];
    ensure!(
        budi.refunds == 1 && budi.refunds_voucher == rp(10_000) && budi.sales == 0,
        "{budi:?}"
    );
    ensure!(close.totals.sales == 2 && close.totals.sales_voucher == rp(60_000));
    ensure!(close.ledger_redeemed == rp(60_000) && close.ledger_refunded == rp(10_000));
    ensure!(close.voids.len() == 1, "{:?}", close.voids);
    ensure!(
        close.voids[0].hint == lost.hint()
            && close.voids[0].reason == "kartu hilang"
            && close.voids[0].returned == rp(50_000)
    );
    ensure!(close.voided_returned == rp(50_000));
    Ok(())
}

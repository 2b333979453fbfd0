//! The conformance checks of issue 8, run on every store like [`crate::conformance`]: sales on
//! several vouchers (all or nothing, refunds per share) and online orders with holds (never
//! more held than the balance, capture and release once, expiry).
//!
//! ```text
//! galeri_tests::conformance_order_tests!(my_fresh_store());
//! ```

use crate::conformance::{at, key, ledger, request, rp, voucher, StoreUnderTest};
use anyhow::{bail, ensure, Context, Result};
use chrono::{DateTime, Duration, Utc};
use galeri_vouchers::ledger::{Ledger, OrderAccess, OrderRequest, PlacedOrder, SaleRequest};
use galeri_vouchers::model::{Buyer, EntryKind, Fulfilment, LineRequest, OrderStatus, Redemption};
use galeri_vouchers::{CompleteRequest, LedgerError, Money, RefundRequest, VoucherCode};

/// Expands to one test per check, each on a fresh store from `$make`.
#[macro_export]
macro_rules! conformance_order_tests {
    ($make:expr) => {
        $crate::conformance_order_tests!(@async $make;
            concurrent_orders_never_hold_more_than_the_balance,
            a_sale_and_an_order_racing_never_overdraw,
            capture_and_release_happen_once_under_concurrent_retries,
            expired_holds_are_released,
            several_vouchers_pay_in_order_all_or_nothing,
            a_refund_returns_each_share_to_its_voucher,
            a_partial_hand_over_captures_what_was_taken_and_releases_the_rest,
            order_status_moves_forward_only_and_the_token_guards_the_buyer,
        );
    };
    (@async $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() -> ::anyhow::Result<()> {
                $crate::conformance_orders::$check($make.await).await
            }
        )*
    };
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

/// An order request under a new key.
fn order_request(codes: &[&VoucherCode], items: &[(&str, u32)]) -> OrderRequest {
    OrderRequest {
        idempotency_key: key(),
        codes: codes.iter().map(|code| (*code).clone()).collect(),
        items: lines(items),
        buyer: Buyer {
            name: "Sari Wulandari".into(),
            whatsapp: "0812-3456-7890".into(),
            office: Some("Kantor Kecamatan Dampit".into()),
        },
        fulfilment: Fulfilment::Delivery,
        note: Some("Titip di resepsionis".into()),
    }
}

fn sale_request(codes: &[&VoucherCode], items: &[(&str, u32)], allow_cash: bool) -> SaleRequest {
    SaleRequest {
        idempotency_key: key(),
        cashier: "kasir-1 (tok_a)".into(),
        member: "kasir-1".into(),
        codes: codes.iter().map(|code| (*code).clone()).collect(),
        items: lines(items),
        allow_cash,
    }
}

fn complete_request(order: &str, key: &str, items: Option<&[(&str, u32)]>) -> CompleteRequest {
    CompleteRequest {
        idempotency_key: key.into(),
        cashier: "kasir-1 (tok_a)".into(),
        member: "kasir-1".into(),
        order_id: order.into(),
        items: items.map(lines),
    }
}

/// Retries `Busy` as a client would (same request, same key).
async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, LedgerError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, LedgerError>>,
{
    let mut attempts = 0;
    loop {
        match attempt().await {
            Err(LedgerError::Busy) if attempts < 30 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 * attempts)).await;
            }
            other => return other,
        }
    }
}

async fn place(ledger: &Ledger, request: &OrderRequest, now: DateTime<Utc>) -> Result<PlacedOrder> {
    Ok(retrying(|| ledger.place_order(request, now)).await?)
}

/// Balance, held and available of a voucher as the store keeps them.
async fn books_of(ledger: &Ledger, code: &VoucherCode) -> Result<(Money, Money, Money)> {
    let voucher = ledger.balance(code).await?;
    Ok((voucher.balance, voucher.held, voucher.available()))
}

async fn assert_audit_clean(ledger: &Ledger) -> Result<()> {
    crate::conformance::assert_audit_clean(ledger).await
}

fn now() -> Result<DateTime<Utc>> {
    at("2026-12-02T03:00:00Z")
}

/// 50 concurrent orders of Rp10.000 against one Rp50.000 voucher: five hold, the others are
/// refused, and never more is held than the balance.
pub async fn concurrent_orders_never_hold_more_than_the_balance(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = now()?;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let ledger = ledger.clone();
        let request = order_request(&[&code], &[("KOPI-250", 1)]);
        tasks.push(tokio::spawn(async move {
            retrying(|| ledger.place_order(&request, now)).await
        }));
    }
    let mut held = 0;
    let mut placed = 0;
    for task in tasks {
        match task.await? {
            Ok(order) => {
                placed += 1;
                held += order.order.held.rupiah();
                ensure!(order.order.held == rp(10_000), "{:?}", order.order);
            }
            Err(LedgerError::InsufficientBalance { .. }) => {}
            Err(other) => bail!("unexpected: {other}"),
        }
    }
    ensure!(placed == 5 && held == 50_000, "{placed} orders held {held}");
    ensure!(books_of(&ledger, &code).await? == (rp(50_000), rp(50_000), rp(0)));
    ensure!(ledger.orders(&[OrderStatus::Baru], now).await?.len() == 5);
    assert_audit_clean(&ledger).await
}

/// Sales and orders racing for one voucher: what is sold plus what is held never exceeds the
/// face value.
pub async fn a_sale_and_an_order_racing_never_overdraw(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = now()?;
    let mut sales = Vec::new();
    let mut orders = Vec::new();
    for _ in 0..20 {
        let (sale_ledger, order_ledger) = (ledger.clone(), ledger.clone());
        let sale = request(&code, &[("KOPI-250", 1)], false);
        let order = order_request(&[&code], &[("KOPI-250", 1)]);
        sales.push(tokio::spawn(async move {
            retrying(|| sale_ledger.redeem(&sale, now)).await
        }));
        orders.push(tokio::spawn(async move {
            retrying(|| order_ledger.place_order(&order, now)).await
        }));
    }
    let mut sold = 0;
    for task in sales {
        match task.await? {
            Ok(redemption) => sold += redemption.voucher_paid.rupiah(),
            Err(LedgerError::InsufficientBalance { .. }) => {}
            Err(other) => bail!("sale: {other}"),
        }
    }
    let mut held = 0;
    for task in orders {
        match task.await? {
            Ok(order) => held += order.order.held.rupiah(),
            Err(LedgerError::InsufficientBalance { .. }) => {}
            Err(other) => bail!("order: {other}"),
        }
    }
    ensure!(sold + held == 50_000, "sold {sold} + held {held}");
    let (balance, on_voucher, available) = books_of(&ledger, &code).await?;
    ensure!(balance.rupiah() == 50_000 - sold && on_voucher.rupiah() == held);
    ensure!(available == rp(0));
    assert_audit_clean(&ledger).await
}

/// Ten retries of one hand-over, ten hand-overs under other keys and ten cancellations at
/// once: exactly one capture or one release happens; retries of the winner get its answer.
pub async fn capture_and_release_happen_once_under_concurrent_retries(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let code = voucher(&ledger, 50_000).await?;
    let now = now()?;
    let placed = place(&ledger, &order_request(&[&code], &[("TOPENG-S", 1)]), now).await?;
    let id = placed.order.id.clone();
    let same_key = key();
    let mut completes = Vec::new();
    let mut cancels = Vec::new();
    for index in 0..30 {
        let ledger = ledger.clone();
        let id = id.clone();
        let key = if index % 3 == 0 {
            same_key.clone()
        } else {
            key()
        };
        if index % 3 == 2 {
            cancels.push(tokio::spawn(async move {
                retrying(|| ledger.cancel_order(&id, OrderAccess::Staff, now)).await
            }));
        } else {
            completes.push(tokio::spawn(async move {
                let request = complete_request(&id, &key, None);
                retrying(|| ledger.complete_order(&request, now)).await
            }));
        }
    }
    let mut captured: Vec<Redemption> = Vec::new();
    for task in completes {
        match task.await? {
            Ok(redemption) => captured.push(redemption),
            Err(LedgerError::OrderConflict { .. }) => {}
            Err(other) => bail!("complete: {other}"),
        }
    }
    let mut cancelled = 0;
    for task in cancels {
        match task.await? {
            Ok(order) if order.status == OrderStatus::Batal => cancelled += 1,
            Ok(order) => bail!("cancel answered {:?}", order.status),
            Err(LedgerError::OrderConflict { .. }) => {}
            Err(other) => bail!("cancel: {other}"),
        }
    }
    let order = ledger.order(&id, OrderAccess::Staff, now).await?;
    let distinct: std::collections::HashSet<&str> =
        captured.iter().map(|r| r.id.as_str()).collect();
    match order.status {
        OrderStatus::Selesai => {
            ensure!(
                distinct.len() == 1 && cancelled == 0,
                "{captured:?} {cancelled}"
            );
            ensure!(order.redemption_id.as_deref() == distinct.iter().next().copied());
            ensure!(books_of(&ledger, &code).await? == (rp(15_000), rp(0), rp(15_000)));
        }
        OrderStatus::Batal => {
            ensure!(captured.is_empty() && cancelled >= 1, "{captured:?}");
            ensure!(books_of(&ledger, &code).await? == (rp(50_000), rp(0), rp(50_000)));
        }
        other => bail!("order ended {other:?}"),
    }
    // One more retry of the first key answers what that key did, or nothing new.
    let history = ledger.history(&code).await?;
    let redeemed = history
        .iter()
        .filter(|entry| entry.kind == EntryKind::Redeemed)
        .count();
    ensure!(redeemed == distinct.len(), "{history:?}");
    assert_audit_clean(&ledger).await
}

/// A hold ends with the WIB day `order_hold_days` after the order day: balance checks stop
/// counting it at once, the next read closes the order as `kedaluwarsa`, and it cannot be
/// completed.
pub async fn expired_holds_are_released(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?.with_order_hold_days(3);
    let code = voucher(&ledger, 50_000).await?;
    // Tuesday 1 December 2026, 10:00 WIB: held through Friday 4 December 23:59:59 WIB.
    let placed_at = at("2026-12-01T03:00:00Z")?;
    let placed = place(
        &ledger,
        &order_request(&[&code], &[("TOPENG-S", 1)]),
        placed_at,
    )
    .await?;
    ensure!(
        placed.order.expires_at == at("2026-12-04T17:00:00Z")?,
        "{:?}",
        placed.order
    );
    let last_second = at("2026-12-04T16:59:59Z")?;
    ensure!(ledger.balance_at(&code, last_second).await?.held == rp(35_000));
    let ended = at("2026-12-04T17:00:00Z")?;
    ensure!(ledger.balance_at(&code, ended).await?.held == rp(0));
    let order = ledger
        .order(&placed.order.id, OrderAccess::Staff, ended)
        .await?;
    ensure!(order.status == OrderStatus::Kedaluwarsa && order.closed_at == Some(ended));
    ensure!(books_of(&ledger, &code).await? == (rp(50_000), rp(0), rp(50_000)));
    match ledger
        .complete_order(&complete_request(&order.id, &key(), None), ended)
        .await
    {
        Err(LedgerError::OrderConflict {
            status: OrderStatus::Kedaluwarsa,
        }) => {}
        other => bail!("completing an expired order: {other:?}"),
    }
    // A second order expires on its own when a sale comes after its time.
    let second = place(&ledger, &order_request(&[&code], &[("KOPI-250", 5)]), ended).await?;
    let later = ended + Duration::days(10);
    let sale = ledger
        .redeem(&request(&code, &[("KOPI-250", 5)], false), later)
        .await?;
    ensure!(sale.voucher_paid == rp(50_000));
    let second = ledger
        .order(&second.order.id, OrderAccess::Staff, later)
        .await?;
    ensure!(second.status == OrderStatus::Kedaluwarsa);
    assert_audit_clean(&ledger).await
}

/// Several codes pay in the order given, each up to what it has; one that cannot pay (void)
/// refuses the whole sale and leaves the others untouched.
pub async fn several_vouchers_pay_in_order_all_or_nothing(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let now = now()?;
    let first = voucher(&ledger, 50_000).await?;
    let second = voucher(&ledger, 50_000).await?;
    let third = voucher(&ledger, 50_000).await?;
    ledger.void(&third, now).await?;
    let refused = ledger
        .sell(
            &sale_request(&[&first, &second, &third], &[("BATIK-1", 1)], true),
            now,
        )
        .await;
    ensure!(refused == Err(LedgerError::Void), "{refused:?}");
    for code in [&first, &second] {
        ensure!(books_of(&ledger, code).await?.0 == rp(50_000));
        ensure!(
            ledger.history(code).await?.len() == 1,
            "only the issue entry"
        );
    }
    // An order is refused the same way, and holds nothing.
    let refused = ledger
        .place_order(&order_request(&[&first, &third], &[("KOPI-250", 1)]), now)
        .await;
    ensure!(refused.is_err(), "{refused:?}");
    ensure!(books_of(&ledger, &first).await?.1 == rp(0));
    // Rp125.000 over two Rp50.000 vouchers: 50.000 + 50.000, and 25.000 in cash.
    let sale = ledger
        .sell(
            &sale_request(&[&second, &first], &[("BATIK-1", 1)], true),
            now,
        )
        .await?;
    let shares: Vec<(String, i64, i64)> = sale
        .payments
        .iter()
        .map(|p| {
            (
                p.code_hint.clone(),
                p.amount.rupiah(),
                p.balance_after.rupiah(),
            )
        })
        .collect();
    ensure!(
        shares == vec![(second.hint(), 50_000, 0), (first.hint(), 50_000, 0)],
        "{shares:?}"
    );
    ensure!(sale.voucher_paid == rp(100_000) && sale.cash_due == rp(25_000));
    ensure!(ledger.redemption(&sale.id).await? == sale);
    // Without cash, a short pair is refused whole.
    let third_code = voucher(&ledger, 50_000).await?;
    let fourth = voucher(&ledger, 50_000).await?;
    let short = ledger
        .sell(
            &sale_request(&[&third_code, &fourth], &[("BATIK-1", 1)], false),
            now,
        )
        .await;
    ensure!(
        matches!(short, Err(LedgerError::InsufficientBalance { balance, .. }) if balance == rp(100_000)),
        "{short:?}"
    );
    // The same code twice is a mistake, not a double share.
    let twice = ledger
        .sell(
            &sale_request(&[&fourth, &fourth], &[("KOPI-250", 1)], true),
            now,
        )
        .await;
    ensure!(matches!(twice, Err(LedgerError::Invalid(_))), "{twice:?}");
    assert_audit_clean(&ledger).await
}

/// A refund of a sale on two vouchers gives each its own share back.
pub async fn a_refund_returns_each_share_to_its_voucher(subject: StoreUnderTest) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let now = now()?;
    let first = voucher(&ledger, 50_000).await?;
    let second = voucher(&ledger, 50_000).await?;
    let sale = ledger
        .sell(
            &sale_request(&[&first, &second], &[("KOPI-250", 7)], false),
            now,
        )
        .await?;
    ensure!(books_of(&ledger, &first).await?.0 == rp(0));
    ensure!(books_of(&ledger, &second).await?.0 == rp(30_000));
    let refund = ledger
        .refund(
            &RefundRequest {
                idempotency_key: key(),
                supervisor: "supervisor-1 (tok_s)".into(),
                member: "supervisor-1".into(),
                redemption_id: sale.id.clone(),
            },
            now + Duration::minutes(5),
        )
        .await?;
    ensure!(refund.voucher_amount == rp(70_000) && refund.balance_after == rp(100_000));
    for (code, share) in [(&first, 50_000), (&second, 20_000)] {
        ensure!(books_of(&ledger, code).await?.0 == rp(50_000));
        let last = ledger.history(code).await?.pop().context("entries")?;
        ensure!(
            last.kind == EntryKind::Refunded
                && last.amount == rp(share)
                && last.balance_after == rp(50_000),
            "{last:?}"
        );
    }
    assert_audit_clean(&ledger).await
}

/// An order on two vouchers handed over without the line that ran out: the vouchers pay in
/// order up to their holds, the rest of the holds goes back, and the sale names the order.
pub async fn a_partial_hand_over_captures_what_was_taken_and_releases_the_rest(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let now = now()?;
    let first = voucher(&ledger, 50_000).await?;
    let second = voucher(&ledger, 50_000).await?;
    // Rp35.000 + 4 × Rp10.000 = Rp75.000: the first holds 50.000, the second 25.000.
    let placed = place(
        &ledger,
        &order_request(&[&first, &second], &[("TOPENG-S", 1), ("KOPI-250", 4)]),
        now,
    )
    .await?;
    let holds: Vec<i64> = placed
        .order
        .holds
        .iter()
        .map(|h| h.amount.rupiah())
        .collect();
    ensure!(
        holds == vec![50_000, 25_000] && placed.order.cash_due == rp(0),
        "{holds:?}"
    );
    ensure!(books_of(&ledger, &second).await? == (rp(50_000), rp(25_000), rp(25_000)));
    let later = now + Duration::hours(2);
    let handed = complete_request(&placed.order.id, &key(), Some(&[("KOPI-250", 2)]));
    let sale = ledger.complete_order(&handed, later).await?;
    ensure!(sale.order_id.as_deref() == Some(placed.order.id.as_str()));
    ensure!(sale.total == rp(20_000) && sale.voucher_paid == rp(20_000) && sale.cash_due == rp(0));
    ensure!(sale.payments.len() == 1 && sale.payments[0].code_hint == first.hint());
    ensure!(books_of(&ledger, &first).await? == (rp(30_000), rp(0), rp(30_000)));
    ensure!(books_of(&ledger, &second).await? == (rp(50_000), rp(0), rp(50_000)));
    // A retry answers the same sale and captures nothing more.
    ensure!(ledger.complete_order(&handed, later).await? == sale);
    ensure!(books_of(&ledger, &first).await?.0 == rp(30_000));
    let order = ledger
        .order(&placed.order.id, OrderAccess::Staff, later)
        .await?;
    ensure!(order.status == OrderStatus::Selesai && order.redemption_id == Some(sale.id.clone()));
    // More than ordered, or a product not ordered, is refused.
    let other = place(
        &ledger,
        &order_request(&[&second], &[("KOPI-250", 1)]),
        later,
    )
    .await?;
    for items in [[("KOPI-250", 2)], [("TOPENG-S", 1)]] {
        let refused = ledger
            .complete_order(
                &complete_request(&other.order.id, &key(), Some(&items)),
                later,
            )
            .await;
        ensure!(refused.is_err(), "{items:?}: {refused:?}");
    }
    assert_audit_clean(&ledger).await
}

/// Forward only: `baru` → `siap` may skip `diproses`, nothing goes back; the buyer may cancel
/// only while `baru` and only with the token; a wrong token reads as no order at all.
pub async fn order_status_moves_forward_only_and_the_token_guards_the_buyer(
    subject: StoreUnderTest,
) -> Result<()> {
    let ledger = ledger(&subject).await?;
    let now = now()?;
    let code = voucher(&ledger, 50_000).await?;
    let placed = place(&ledger, &order_request(&[&code], &[("KOPI-250", 1)]), now).await?;
    let id = placed.order.id.clone();
    ensure!(placed.token.starts_with("psn_") && placed.token.len() == 68);
    ensure!(placed.order.buyer.as_ref().map(|b| b.whatsapp.as_str()) == Some("6281234567890"));
    let buyer = OrderAccess::Buyer {
        token: &placed.token,
    };
    ensure!(ledger.order(&id, buyer, now).await?.status == OrderStatus::Baru);
    let wrong = "psn_".to_string() + &"0".repeat(64);
    let stranger = OrderAccess::Buyer { token: &wrong };
    ensure!(ledger.order(&id, stranger, now).await == Err(LedgerError::UnknownOrder));
    ensure!(ledger.cancel_order(&id, stranger, now).await == Err(LedgerError::UnknownOrder));
    ensure!(
        ledger.order("P-0000-0000", OrderAccess::Staff, now).await
            == Err(LedgerError::UnknownOrder)
    );
    // A replay of an order answers the same order and token, and holds nothing more.
    placed_again(&ledger, &code, now).await?;
    ensure!(ledger.move_order(&id, OrderStatus::Siap, now).await?.status == OrderStatus::Siap);
    ensure!(ledger.move_order(&id, OrderStatus::Siap, now).await?.status == OrderStatus::Siap);
    ensure!(
        ledger.move_order(&id, OrderStatus::Diproses, now).await
            == Err(LedgerError::OrderConflict {
                status: OrderStatus::Siap
            })
    );
    ensure!(
        ledger.cancel_order(&id, buyer, now).await
            == Err(LedgerError::OrderConflict {
                status: OrderStatus::Siap
            })
    );
    let cancelled = ledger.cancel_order(&id, OrderAccess::Staff, now).await?;
    ensure!(cancelled.status == OrderStatus::Batal);
    // Cancelling again answers the order as it is; moving a closed order is refused.
    ensure!(
        ledger
            .cancel_order(&id, OrderAccess::Staff, now)
            .await?
            .status
            == OrderStatus::Batal
    );
    ensure!(matches!(
        ledger.move_order(&id, OrderStatus::Siap, now).await,
        Err(LedgerError::OrderConflict { .. })
    ));
    let queue = ledger.orders(&OrderStatus::OPEN, now).await?;
    ensure!(queue.iter().all(|order| order.status.is_open()));
    ensure!(queue
        .windows(2)
        .all(|pair| pair[0].created_at <= pair[1].created_at));
    assert_audit_clean(&ledger).await
}

/// Places an order under a key and places it again under the same key: the same order and
/// token come back, and nothing more is held.
async fn placed_again(ledger: &Ledger, code: &VoucherCode, now: DateTime<Utc>) -> Result<()> {
    let request = order_request(&[code], &[("KERIPIK", 1)]);
    let first = place(ledger, &request, now).await?;
    let held = books_of(ledger, code).await?.1;
    let second = place(ledger, &request, now + Duration::seconds(5)).await?;
    ensure!(
        serde_json::to_value(&second.order)? == serde_json::to_value(&first.order)?
            && second.token == first.token,
        "replay differs"
    );
    ensure!(
        books_of(ledger, code).await?.1 == held,
        "a replay held again"
    );
    Ok(())
}

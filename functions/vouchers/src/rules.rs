//! Ledger rules that every store applies the same way, inside its atomic write.

use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    EntryKind, Hold, LedgerEntry, LineItem, LineRequest, Order, OrderStatus, Payment, Redemption,
    Refund, Voucher, VoucherStatus,
};
use crate::money::Money;
use crate::store::{
    wib_date, CompleteOrderCommand, PlaceOrderCommand, RedeemCommand, RefundCommand, SaleCommand,
};
use chrono::{DateTime, Utc};

/// Refuses a voucher that cannot be spent at `now`: void, or past its expiry date (WIB).
pub fn check_spendable(voucher: &Voucher, now: DateTime<Utc>) -> LedgerResult<()> {
    if voucher.status == VoucherStatus::Void {
        return Err(LedgerError::Void);
    }
    if wib_date(now) > voucher.expires_on {
        return Err(LedgerError::Expired {
            expires_on: voucher.expires_on,
        });
    }
    Ok(())
}

/// How a total is paid from `balance`: the voucher pays up to its balance and the rest is
/// cash. Returns `(voucher_paid, cash_due)`. Refused with `InsufficientBalance` when the
/// voucher would pay nothing (balance 0), or when cash is not allowed and the balance is short.
pub fn split_payment(
    balance: Money,
    total: Money,
    allow_cash: bool,
) -> LedgerResult<(Money, Money)> {
    if balance.is_zero() || (!allow_cash && balance < total) {
        return Err(LedgerError::InsufficientBalance { balance, total });
    }
    let voucher_paid = balance.min(total);
    let cash_due = total
        .checked_sub(voucher_paid)
        .ok_or_else(|| LedgerError::Store("payment split underflow".into()))?;
    Ok((voucher_paid, cash_due))
}

/// The redemption that `command` makes on `voucher` as the store read it: refused if the
/// voucher cannot be spent or pay, else priced with the payment split and the balance after.
/// Each store writes it only if the voucher is still as read.
pub fn redemption(command: &RedeemCommand, voucher: &Voucher) -> LedgerResult<Redemption> {
    if voucher.is_demo() && !command.accept_demo {
        return Err(LedgerError::DemoVoucher);
    }
    check_spendable(voucher, command.now)?;
    // Money held for online orders is not the cashier's to spend.
    let (voucher_paid, cash_due) =
        split_payment(voucher.available(), command.total, command.allow_cash)?;
    let balance_after = voucher
        .balance
        .checked_sub(voucher_paid)
        .ok_or_else(|| LedgerError::Store("balance underflow".into()))?;
    Ok(Redemption {
        id: command.redemption_id.clone(),
        code_hint: command.code_hint.clone(),
        cashier: command.cashier.clone(),
        created_at: command.now,
        items: command.items.clone(),
        total: command.total,
        voucher_paid,
        cash_due,
        balance_after,
        refund: None,
        demo: voucher.is_demo(),
        payments: vec![Payment {
            code_hint: command.code_hint.clone(),
            amount: voucher_paid,
            balance_after,
        }],
        order_id: None,
    })
}

/// Shares of `total` that vouchers able to pay `can_pay` (in that order) take, each up to what
/// it can pay, plus the cash due. Refused with `InsufficientBalance` when they can pay nothing
/// together, or when cash is not allowed and they fall short.
pub fn split_over(
    can_pay: &[Money],
    total: Money,
    allow_cash: bool,
) -> LedgerResult<(Vec<Money>, Money)> {
    let overflow = || LedgerError::Store("payment split overflow".into());
    let together = Money::checked_sum(can_pay.iter().copied()).ok_or_else(overflow)?;
    if together.is_zero() || (!allow_cash && together < total) {
        return Err(LedgerError::InsufficientBalance {
            balance: together,
            total,
        });
    }
    let mut left = total;
    let mut shares = Vec::with_capacity(can_pay.len());
    for &limit in can_pay {
        let share = limit.min(left);
        left = left.checked_sub(share).ok_or_else(overflow)?;
        shares.push(share);
    }
    Ok((shares, left))
}

/// Refuses the whole request if any voucher cannot pay: demo outside demo mode, void, expired.
fn check_all(vouchers: &[Voucher], accept_demo: bool, now: DateTime<Utc>) -> LedgerResult<()> {
    for voucher in vouchers {
        if voucher.is_demo() && !accept_demo {
            return Err(LedgerError::DemoVoucher);
        }
        check_spendable(voucher, now)?;
    }
    Ok(())
}

/// The payments of `shares` on `vouchers` (those that paid something, in order) and the
/// receipt's summary fields: hints joined with `+`, balances after summed.
fn payments_of(
    vouchers: &[Voucher],
    shares: &[Money],
) -> LedgerResult<(Vec<Payment>, String, Money)> {
    let mut payments = Vec::new();
    for (voucher, &share) in vouchers.iter().zip(shares) {
        if share.is_zero() {
            continue;
        }
        let balance_after = voucher
            .balance
            .checked_sub(share)
            .ok_or_else(|| LedgerError::Store("balance underflow".into()))?;
        payments.push(Payment {
            code_hint: voucher.hint.clone(),
            amount: share,
            balance_after,
        });
    }
    let hints: Vec<&str> = payments.iter().map(|p| p.code_hint.as_str()).collect();
    let balance_after = Money::checked_sum(payments.iter().map(|p| p.balance_after))
        .ok_or_else(|| LedgerError::Store("balance overflow".into()))?;
    Ok((payments.clone(), hints.join("+"), balance_after))
}

/// The sale that `command` makes on `vouchers` (as the store read them, in the order of
/// `command.vouchers`): all refused if one cannot pay; otherwise each pays up to its available
/// balance. Returns the redemption and each voucher's share (0 for those not needed).
pub fn sale(command: &SaleCommand, vouchers: &[Voucher]) -> LedgerResult<(Redemption, Vec<Money>)> {
    check_all(vouchers, command.accept_demo, command.now)?;
    let available: Vec<Money> = vouchers.iter().map(Voucher::available).collect();
    let (shares, cash_due) = split_over(&available, command.total, command.allow_cash)?;
    let (payments, code_hint, balance_after) = payments_of(vouchers, &shares)?;
    let voucher_paid = Money::checked_sum(shares.iter().copied())
        .ok_or_else(|| LedgerError::Store("payment overflow".into()))?;
    let redemption = Redemption {
        id: command.redemption_id.clone(),
        code_hint,
        cashier: command.cashier.clone(),
        created_at: command.now,
        items: command.items.clone(),
        total: command.total,
        voucher_paid,
        cash_due,
        balance_after,
        refund: None,
        demo: vouchers.iter().any(Voucher::is_demo),
        payments,
        order_id: None,
    };
    Ok((redemption, shares))
}

/// The order that `command` places on `vouchers` (as read, in the order of
/// `command.vouchers`): all refused if one cannot pay; otherwise each holds up to its available
/// balance until the total is covered, and the rest is cash at hand-over. Returns the order and
/// each voucher's hold (0 for those not needed; those are left out of `order.holds`).
pub fn place_order(
    command: &PlaceOrderCommand,
    vouchers: &[Voucher],
) -> LedgerResult<(Order, Vec<Money>)> {
    let now = command.order.created_at;
    check_all(vouchers, command.accept_demo, now)?;
    let available: Vec<Money> = vouchers.iter().map(Voucher::available).collect();
    let (amounts, cash_due) = split_over(&available, command.order.total, true)?;
    let mut order = command.order.clone();
    order.status = OrderStatus::Baru;
    order.holds = vouchers
        .iter()
        .zip(&amounts)
        .filter(|(_, amount)| !amount.is_zero())
        .map(|(voucher, &amount)| Hold {
            voucher: voucher.code_hash.clone(),
            code_hint: voucher.hint.clone(),
            amount,
        })
        .collect();
    order.held = Money::checked_sum(amounts.iter().copied())
        .ok_or_else(|| LedgerError::Store("hold overflow".into()))?;
    order.cash_due = cash_due;
    Ok((order, amounts))
}

/// The redemption that completes `order` with `items` (priced as on the order), paid from the
/// vouchers that hold money for it (`vouchers`, aligned with `order.holds`), each up to its
/// hold: refused unless the order is open and unexpired and every voucher can still pay.
/// Returns the redemption and each voucher's share; the whole of each hold is released.
pub fn capture(
    command: &CompleteOrderCommand,
    order: &Order,
    vouchers: &[Voucher],
) -> LedgerResult<(Redemption, Vec<Money>)> {
    if !order.status.is_open() {
        return Err(LedgerError::OrderConflict {
            status: order.status,
        });
    }
    if command.now >= order.expires_at {
        return Err(LedgerError::OrderConflict {
            status: OrderStatus::Kedaluwarsa,
        });
    }
    check_all(vouchers, command.accept_demo, command.now)?;
    let items = handed_over(order, command.items.as_deref())?;
    let total = Money::checked_sum(items.iter().map(|item| item.total))
        .ok_or_else(|| LedgerError::Invalid("total too large".into()))?;
    let holds: Vec<Money> = order.holds.iter().map(|hold| hold.amount).collect();
    // Every voucher can pay its hold: it was held from its available balance.
    let (shares, cash_due) = if holds.iter().all(|hold| hold.is_zero()) {
        (holds.clone(), total)
    } else {
        split_over(&holds, total, true)?
    };
    let (payments, code_hint, balance_after) = payments_of(vouchers, &shares)?;
    let voucher_paid = Money::checked_sum(shares.iter().copied())
        .ok_or_else(|| LedgerError::Store("payment overflow".into()))?;
    let redemption = Redemption {
        id: command.redemption_id.clone(),
        code_hint,
        cashier: command.cashier.clone(),
        created_at: command.now,
        items,
        total,
        voucher_paid,
        cash_due,
        balance_after,
        refund: None,
        demo: vouchers.iter().any(Voucher::is_demo),
        payments,
        order_id: Some(order.id.clone()),
    };
    Ok((redemption, shares))
}

/// The lines handed over: every ordered line, or those asked for, each at most as many as were
/// ordered, at the order's prices.
fn handed_over(order: &Order, asked: Option<&[LineRequest]>) -> LedgerResult<Vec<LineItem>> {
    let Some(asked) = asked else {
        return Ok(order.items.clone());
    };
    if asked.is_empty() {
        return Err(LedgerError::Invalid(
            "hand over at least one item (or cancel the order)".into(),
        ));
    }
    let mut items: Vec<LineItem> = Vec::with_capacity(asked.len());
    for (position, line) in asked.iter().enumerate() {
        let Some(ordered) = order.items.iter().find(|item| item.sku == line.sku) else {
            return Err(LedgerError::UnknownSku {
                positions: vec![position],
                skus: vec![line.sku.clone()],
            });
        };
        if items.iter().any(|item| item.sku == line.sku) {
            return Err(LedgerError::Invalid(format!(
                "item {position} ({}): listed twice",
                line.sku
            )));
        }
        if line.qty == 0 || line.qty > ordered.qty {
            return Err(LedgerError::Invalid(format!(
                "item {position} ({}): quantity must be 1 to {} (as ordered)",
                line.sku, ordered.qty
            )));
        }
        let total = ordered
            .unit_price
            .checked_mul(line.qty)
            .ok_or_else(|| LedgerError::Invalid("line total too large".into()))?;
        items.push(LineItem {
            qty: line.qty,
            total,
            ..ordered.clone()
        });
    }
    Ok(items)
}

/// The order after moving it to `to` at `now`, or `None` when it is there already (moving is
/// idempotent). `only_from` limits the statuses it may leave (empty: any open one). Forward
/// only: `baru` → `diproses` → `siap`; `batal` and `kedaluwarsa` close an open order (the store
/// releases its holds); `selesai` is reached by `capture` only.
pub fn move_order(
    order: &Order,
    to: OrderStatus,
    only_from: &[OrderStatus],
    now: DateTime<Utc>,
) -> LedgerResult<Option<Order>> {
    if order.status == to {
        return Ok(None);
    }
    let conflict = || LedgerError::OrderConflict {
        status: order.status,
    };
    if !order.status.is_open() || (!only_from.is_empty() && !only_from.contains(&order.status)) {
        return Err(conflict());
    }
    let allowed = match to {
        OrderStatus::Diproses => order.status == OrderStatus::Baru,
        OrderStatus::Siap => true,
        OrderStatus::Batal => true,
        OrderStatus::Kedaluwarsa => now >= order.expires_at,
        OrderStatus::Baru | OrderStatus::Selesai => false,
    };
    if !allowed {
        return Err(conflict());
    }
    let mut moved = order.clone();
    moved.status = to;
    if !to.is_open() {
        moved.closed_at = Some(now);
    }
    Ok(Some(moved))
}

/// The refund that `command` makes of `redemption`, paid back onto `voucher` as the store read
/// it: refused if the redemption was already refunded; otherwise its voucher part goes back on
/// the voucher, even a void or expired one (the books must balance, and a void voucher stays
/// unspendable anyway). Each store writes it only if voucher and redemption are still as read.
pub fn refund(
    command: &RefundCommand,
    redemption: &Redemption,
    voucher: &Voucher,
) -> LedgerResult<Refund> {
    if let Some(refund) = &redemption.refund {
        return Err(LedgerError::AlreadyRefunded {
            refund_id: refund.id.clone(),
        });
    }
    let balance_after = voucher
        .balance
        .checked_add(redemption.voucher_paid)
        .ok_or_else(|| LedgerError::Store("balance overflow".into()))?;
    Ok(Refund {
        id: command.refund_id.clone(),
        redemption_id: redemption.id.clone(),
        supervisor: command.supervisor.clone(),
        created_at: command.now,
        voucher_amount: redemption.voucher_paid,
        cash_amount: redemption.cash_due,
        balance_after,
    })
}

/// The refund of a redemption paid by several vouchers (`vouchers` as read, aligned with
/// `redemption.payments`): each share goes back on its own voucher. Returns the refund (its
/// `balance_after` summed over the vouchers) and each voucher's balance after.
pub fn refund_each(
    command: &RefundCommand,
    redemption: &Redemption,
    vouchers: &[Voucher],
) -> LedgerResult<(Refund, Vec<Money>)> {
    if let Some(refund) = &redemption.refund {
        return Err(LedgerError::AlreadyRefunded {
            refund_id: refund.id.clone(),
        });
    }
    let overflow = || LedgerError::Store("balance overflow".into());
    let mut balances = Vec::with_capacity(vouchers.len());
    for (voucher, payment) in vouchers.iter().zip(&redemption.payments) {
        balances.push(
            voucher
                .balance
                .checked_add(payment.amount)
                .ok_or_else(overflow)?,
        );
    }
    let balance_after = Money::checked_sum(balances.iter().copied()).ok_or_else(overflow)?;
    Ok((
        Refund {
            id: command.refund_id.clone(),
            redemption_id: redemption.id.clone(),
            supervisor: command.supervisor.clone(),
            created_at: command.now,
            voucher_amount: redemption.voucher_paid,
            cash_amount: redemption.cash_due,
            balance_after,
        },
        balances,
    ))
}

/// The ledger entry that voiding `voucher` at `now` writes, or `None` when it is void
/// already (voiding twice changes nothing). The balance stays on the voucher for the audit.
pub fn void(voucher: &Voucher, now: DateTime<Utc>) -> Option<LedgerEntry> {
    (voucher.status != VoucherStatus::Void).then(|| LedgerEntry {
        at: now,
        kind: EntryKind::Voided,
        amount: Money::ZERO,
        balance_after: voucher.balance,
        reference: voucher.batch.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(v: i64) -> Money {
        Money::new(v).unwrap_or_default()
    }

    fn voucher(balance: i64, status: VoucherStatus) -> Voucher {
        Voucher {
            code_hash: crate::code::CodeHash("h".into()),
            hint: "ABCD".into(),
            face_value: rp(50_000),
            balance: rp(balance),
            status,
            expires_on: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
            batch: "b".into(),
            unit: None,
            issued_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            held: Money::ZERO,
        }
    }

    #[test]
    fn a_refund_restores_the_voucher_part_once_even_on_a_void_expired_voucher() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let command = RefundCommand {
            idempotency_key: "k".into(),
            request_hash: "h".into(),
            refund_id: "F-1".into(),
            redemption_id: "R-1".into(),
            supervisor: "s".into(),
            now,
        };
        let mut redemption = Redemption {
            id: "R-1".into(),
            code_hint: "ABCD".into(),
            cashier: "c".into(),
            created_at: now,
            items: vec![],
            total: rp(70_000),
            voucher_paid: rp(50_000),
            cash_due: rp(20_000),
            balance_after: rp(0),
            refund: None,
            demo: false,
            payments: vec![],
            order_id: None,
        };
        let void = voucher(0, VoucherStatus::Void);
        let refund = refund(&command, &redemption, &void).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            (
                refund.voucher_amount,
                refund.cash_amount,
                refund.balance_after
            ),
            (rp(50_000), rp(20_000), rp(50_000))
        );
        redemption.refund = Some(refund);
        assert_eq!(
            super::refund(&command, &redemption, &void),
            Err(LedgerError::AlreadyRefunded {
                refund_id: "F-1".into()
            })
        );
    }

    #[test]
    fn voiding_twice_changes_nothing() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let entry = void(&voucher(30_000, VoucherStatus::Active), now);
        assert_eq!(
            entry.map(|entry| (entry.kind, entry.amount, entry.balance_after)),
            Some((EntryKind::Voided, Money::ZERO, rp(30_000)))
        );
        assert_eq!(void(&voucher(30_000, VoucherStatus::Void), now), None);
    }

    #[test]
    fn voucher_pays_up_to_its_balance() {
        assert_eq!(
            split_payment(rp(50_000), rp(30_000), true),
            Ok((rp(30_000), rp(0)))
        );
        assert_eq!(
            split_payment(rp(50_000), rp(80_000), true),
            Ok((rp(50_000), rp(30_000)))
        );
        assert_eq!(
            split_payment(rp(50_000), rp(80_000), false),
            Err(LedgerError::InsufficientBalance {
                balance: rp(50_000),
                total: rp(80_000)
            })
        );
        assert_eq!(
            split_payment(rp(0), rp(10_000), true),
            Err(LedgerError::InsufficientBalance {
                balance: rp(0),
                total: rp(10_000)
            })
        );
    }
}

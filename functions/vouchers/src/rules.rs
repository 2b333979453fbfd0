//! Ledger rules that every store applies the same way, inside its atomic write.

use crate::error::{LedgerError, LedgerResult};
use crate::model::{EntryKind, LedgerEntry, Redemption, Refund, Voucher, VoucherStatus};
use crate::money::Money;
use crate::store::{wib_date, RedeemCommand, RefundCommand};
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
    let (voucher_paid, cash_due) =
        split_payment(voucher.balance, command.total, command.allow_cash)?;
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
    })
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

/// Longest reason accepted for a void (it is kept on the ledger entry).
pub const MAX_REASON_CHARS: usize = 200;

/// The ledger entry that voiding `voucher` at `now` writes, or `None` when it is void
/// already (voiding twice changes nothing). The entry's amount is the unspent balance returned
/// to the program, unless `expired_marked` says `expire` returned it already; the balance
/// itself stays on the voucher for the audit. The reason is the entry's reference.
pub fn void(
    voucher: &Voucher,
    reason: &str,
    expired_marked: bool,
    now: DateTime<Utc>,
) -> Option<LedgerEntry> {
    (voucher.status != VoucherStatus::Void).then(|| LedgerEntry {
        at: now,
        kind: EntryKind::Voided,
        amount: if expired_marked {
            Money::ZERO
        } else {
            voucher.balance
        },
        balance_after: voucher.balance,
        reference: if reason.trim().is_empty() {
            voucher.batch.clone()
        } else {
            reason.trim().to_string()
        },
    })
}

/// The ledger entry that marking `voucher` expired at `now` writes, or `None` when there is
/// nothing to mark: not yet past its last day (WIB), void (its balance went back when it was
/// voided), or marked already. The amount is the unspent balance returned to the program.
pub fn expire(voucher: &Voucher, expired_marked: bool, now: DateTime<Utc>) -> Option<LedgerEntry> {
    (!expired_marked && voucher.status != VoucherStatus::Void && wib_date(now) > voucher.expires_on)
        .then(|| LedgerEntry {
            at: now,
            kind: EntryKind::Expired,
            amount: voucher.balance,
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
    fn voiding_twice_changes_nothing_and_returns_the_balance_once() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let entry = void(
            &voucher(30_000, VoucherStatus::Active),
            "hilang",
            false,
            now,
        );
        assert_eq!(
            entry.map(|entry| (
                entry.kind,
                entry.amount,
                entry.balance_after,
                entry.reference
            )),
            Some((EntryKind::Voided, rp(30_000), rp(30_000), "hilang".into()))
        );
        assert_eq!(
            void(&voucher(30_000, VoucherStatus::Void), "x", false, now),
            None
        );
        // Marked expired first: its balance went back then, not again.
        let entry = void(&voucher(30_000, VoucherStatus::Active), " ", true, now);
        assert_eq!(
            entry.map(|entry| (entry.amount, entry.reference)),
            Some((Money::ZERO, "b".into()))
        );
    }

    #[test]
    fn expiry_marks_a_past_voucher_once_and_never_a_void_one() {
        // The test voucher's last day is 2020-01-01 (WIB).
        let last_day = DateTime::parse_from_rfc3339("2020-01-01T16:59:59Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        let active = voucher(20_000, VoucherStatus::Active);
        assert_eq!(expire(&active, false, last_day), None);
        let next_day = last_day + chrono::Duration::seconds(1);
        assert_eq!(
            expire(&active, false, next_day).map(|entry| (entry.kind, entry.amount)),
            Some((EntryKind::Expired, rp(20_000)))
        );
        assert_eq!(expire(&active, true, next_day), None);
        assert_eq!(
            expire(&voucher(20_000, VoucherStatus::Void), false, next_day),
            None
        );
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

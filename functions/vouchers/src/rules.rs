//! Ledger rules that every store applies the same way, inside its atomic write.

use crate::error::{LedgerError, LedgerResult};
use crate::model::{Redemption, Voucher, VoucherStatus};
use crate::money::Money;
use crate::store::{wib_date, RedeemCommand};
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(v: i64) -> Money {
        Money::new(v).unwrap_or_default()
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

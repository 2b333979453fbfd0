//! Refunds: a supervisor reverses one redemption, once.

use super::idempotency::{remember_response, stored_response};
use super::redeem::load_redemption;
use super::rows::{sql_error, stamp};
use super::schema::begin;
use super::vouchers::{insert_entry, load_voucher};
use crate::error::{LedgerError, LedgerResult};
use crate::model::{EntryKind, LedgerEntry, Refund};
use crate::store::RefundCommand;
use rusqlite::{params, Connection};

pub(super) fn refund_in(
    connection: &mut Connection,
    command: &RefundCommand,
) -> LedgerResult<Refund> {
    let transaction = begin(connection)?;
    if let Some(response) = stored_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
    )? {
        return serde_json::from_str(&response).map_err(LedgerError::store);
    }
    let redemption = load_redemption(&transaction, &command.redemption_id)?
        .ok_or(LedgerError::UnknownRedemption)?;
    if let Some(refund) = redemption.refund {
        return Err(LedgerError::AlreadyRefunded {
            refund_id: refund.id,
        });
    }
    let code: String = transaction
        .query_row(
            "SELECT code_hash FROM redemptions WHERE id = ?1",
            [&command.redemption_id],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    let voucher = load_voucher(&transaction, &code)?
        .ok_or_else(|| LedgerError::Store("redemption without voucher".into()))?;
    // The voucher part goes back even on a void or expired voucher: the books must balance,
    // and a void voucher stays unspendable anyway.
    let balance_after = voucher
        .balance
        .checked_add(redemption.voucher_paid)
        .ok_or_else(|| LedgerError::Store("balance overflow".into()))?;
    transaction
        .execute(
            "UPDATE vouchers SET balance = ?1 WHERE code_hash = ?2",
            params![balance_after.rupiah(), code],
        )
        .map_err(sql_error)?;
    let refund = Refund {
        id: command.refund_id.clone(),
        redemption_id: redemption.id.clone(),
        supervisor: command.supervisor.clone(),
        created_at: command.now,
        voucher_amount: redemption.voucher_paid,
        cash_amount: redemption.cash_due,
        balance_after,
    };
    transaction
        .execute(
            "INSERT INTO refunds (id, redemption_id, supervisor, created_at, voucher_amount, \
             cash_amount, balance_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                refund.id,
                refund.redemption_id,
                refund.supervisor,
                stamp(refund.created_at),
                refund.voucher_amount.rupiah(),
                refund.cash_amount.rupiah(),
                balance_after.rupiah()
            ],
        )
        .map_err(sql_error)?;
    insert_entry(
        &transaction,
        &code,
        &LedgerEntry {
            at: command.now,
            kind: EntryKind::Refunded,
            amount: refund.voucher_amount,
            balance_after,
            reference: refund.id.clone(),
        },
    )?;
    remember_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
        &refund,
        command.now,
    )?;
    transaction.commit().map_err(sql_error)?;
    Ok(refund)
}

//! Refunds: a supervisor reverses one redemption, once; each voucher gets its own share back.

use super::idempotency::{remember_response, stored_response};
use super::redeem::{load_payments, load_redemption};
use super::rows::{sql_error, stamp};
use super::schema::begin;
use super::vouchers::{insert_entry, load_voucher};
use crate::error::{LedgerError, LedgerResult};
use crate::model::{EntryKind, LedgerEntry, Refund};
use crate::rules;
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
    let payments = load_payments(&transaction, &command.redemption_id)?;
    let mut vouchers = Vec::with_capacity(payments.len());
    for (code, _) in &payments {
        vouchers.push(
            load_voucher(&transaction, code.as_str())?
                .ok_or_else(|| LedgerError::Store("redemption without voucher".into()))?,
        );
    }
    let (refund, balances) = rules::refund_each(command, &redemption, &vouchers)?;
    for ((code, payment), balance_after) in payments.iter().zip(&balances) {
        transaction
            .execute(
                "UPDATE vouchers SET balance = ?1 WHERE code_hash = ?2",
                params![balance_after.rupiah(), code.as_str()],
            )
            .map_err(sql_error)?;
        insert_entry(
            &transaction,
            code.as_str(),
            &LedgerEntry {
                at: command.now,
                kind: EntryKind::Refunded,
                amount: payment.amount,
                balance_after: *balance_after,
                reference: refund.id.clone(),
            },
        )?;
    }
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
                refund.balance_after.rupiah()
            ],
        )
        .map_err(sql_error)?;
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

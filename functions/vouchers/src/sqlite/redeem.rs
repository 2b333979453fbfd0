//! Redemptions: one sale paid from one voucher, committed in one transaction, and read back.

use super::idempotency::{remember_response, stored_response};
use super::rows::{line_from_row, redemption_from_row, sql_error, stamp, REDEMPTION_COLUMNS};
use super::schema::begin;
use super::vouchers::{insert_entry, load_voucher};
use crate::error::{LedgerError, LedgerResult};
use crate::model::{EntryKind, LedgerEntry, Redemption};
use crate::rules;
use crate::store::RedeemCommand;
use rusqlite::{params, Connection, OptionalExtension};

pub(super) fn load_redemption(
    connection: &Connection,
    id: &str,
) -> LedgerResult<Option<Redemption>> {
    let found = connection
        .prepare_cached(&format!(
            "SELECT {REDEMPTION_COLUMNS} FROM redemptions r \
             LEFT JOIN refunds f ON f.redemption_id = r.id WHERE r.id = ?1"
        ))
        .and_then(|mut statement| statement.query_row([id], redemption_from_row).optional())
        .map_err(sql_error)?;
    let Some(mut redemption) = found else {
        return Ok(None);
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT redemption_id, sku, name, producer, category, unit_price, qty, total \
             FROM redemption_lines WHERE redemption_id = ?1 ORDER BY position",
        )
        .map_err(sql_error)?;
    let lines = statement
        .query_map([id], line_from_row)
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(sql_error)?;
    redemption.items = lines.into_iter().map(|(_, line)| line).collect();
    Ok(Some(redemption))
}

pub(super) fn redeem_in(
    connection: &mut Connection,
    command: &RedeemCommand,
) -> LedgerResult<Redemption> {
    let transaction = begin(connection)?;
    if let Some(response) = stored_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
    )? {
        return serde_json::from_str(&response).map_err(LedgerError::store);
    }
    let voucher =
        load_voucher(&transaction, command.voucher.as_str())?.ok_or(LedgerError::UnknownCode)?;
    let redemption = rules::redemption(command, &voucher)?;
    // Conditional on the balance read above: inside BEGIN IMMEDIATE nobody else can write, so
    // this always matches; the condition keeps the rule visible and guards against mistakes.
    let updated = transaction
        .prepare_cached("UPDATE vouchers SET balance = ?1 WHERE code_hash = ?2 AND balance = ?3")
        .and_then(|mut statement| {
            statement.execute(params![
                redemption.balance_after.rupiah(),
                command.voucher.as_str(),
                voucher.balance.rupiah()
            ])
        })
        .map_err(sql_error)?;
    if updated != 1 {
        return Err(LedgerError::Busy);
    }
    transaction
        .prepare_cached(
            "INSERT INTO redemptions (id, code_hash, code_hint, cashier, created_at, total, \
             voucher_paid, cash_due, balance_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                redemption.id,
                command.voucher.as_str(),
                redemption.code_hint,
                redemption.cashier,
                stamp(redemption.created_at),
                redemption.total.rupiah(),
                redemption.voucher_paid.rupiah(),
                redemption.cash_due.rupiah(),
                redemption.balance_after.rupiah()
            ])
        })
        .map_err(sql_error)?;
    {
        let mut statement = transaction
            .prepare_cached(
                "INSERT INTO redemption_lines (redemption_id, position, sku, name, producer, \
                 category, unit_price, qty, total) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(sql_error)?;
        for (position, line) in redemption.items.iter().enumerate() {
            statement
                .execute(params![
                    redemption.id,
                    position as i64,
                    line.sku,
                    line.name,
                    line.producer,
                    line.category,
                    line.unit_price.rupiah(),
                    line.qty,
                    line.total.rupiah()
                ])
                .map_err(sql_error)?;
        }
    }
    insert_entry(
        &transaction,
        command.voucher.as_str(),
        &LedgerEntry {
            at: command.now,
            kind: EntryKind::Redeemed,
            amount: redemption.voucher_paid,
            balance_after: redemption.balance_after,
            reference: redemption.id.clone(),
        },
    )?;
    remember_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
        &redemption,
        command.now,
    )?;
    transaction.commit().map_err(sql_error)?;
    Ok(redemption)
}

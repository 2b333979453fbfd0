//! Redemptions: one sale paid from one or several vouchers, committed in one transaction, and
//! read back with its lines and payments.

use super::idempotency::{remember_response, stored_response};
use super::rows::{
    line_from_row, money, redemption_from_row, sql_error, stamp, REDEMPTION_COLUMNS,
};
use super::schema::begin;
use super::vouchers::{insert_entry, load_voucher};
use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{EntryKind, LedgerEntry, Payment, Redemption, Voucher};
use crate::money::Money;
use crate::rules;
use crate::store::{RedeemCommand, SaleCommand};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

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
    redemption.payments = load_payments(connection, id)?
        .into_iter()
        .map(|(_, payment)| payment)
        .collect();
    Ok(Some(redemption))
}

/// A redemption's payments, in paying order, with the voucher each came from.
pub(super) fn load_payments(
    connection: &Connection,
    id: &str,
) -> LedgerResult<Vec<(CodeHash, Payment)>> {
    connection
        .prepare_cached(
            "SELECT code_hash, code_hint, amount, balance_after FROM redemption_payments \
             WHERE redemption_id = ?1 ORDER BY position",
        )
        .and_then(|mut statement| {
            statement
                .query_map([id], |row| {
                    Ok((
                        CodeHash(row.get(0)?),
                        Payment {
                            code_hint: row.get(1)?,
                            amount: money(row.get(2)?)?,
                            balance_after: money(row.get(3)?)?,
                        },
                    ))
                })
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)
}

/// A single-voucher redemption is a sale with one voucher.
pub(super) fn redeem_in(
    connection: &mut Connection,
    command: &RedeemCommand,
) -> LedgerResult<Redemption> {
    sell_in(
        connection,
        &SaleCommand {
            idempotency_key: command.idempotency_key.clone(),
            request_hash: command.request_hash.clone(),
            redemption_id: command.redemption_id.clone(),
            vouchers: vec![(command.voucher.clone(), command.code_hint.clone())],
            cashier: command.cashier.clone(),
            items: command.items.clone(),
            total: command.total,
            allow_cash: command.allow_cash,
            accept_demo: command.accept_demo,
            now: command.now,
        },
    )
}

pub(super) fn sell_in(
    connection: &mut Connection,
    command: &SaleCommand,
) -> LedgerResult<Redemption> {
    let transaction = begin(connection)?;
    if let Some(response) = stored_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
    )? {
        return serde_json::from_str(&response).map_err(LedgerError::store);
    }
    let mut vouchers = Vec::with_capacity(command.vouchers.len());
    for (code, _) in &command.vouchers {
        vouchers.push(load_voucher(&transaction, code.as_str())?.ok_or(LedgerError::UnknownCode)?);
    }
    let (redemption, shares) = rules::sale(command, &vouchers)?;
    let holds = vec![Money::ZERO; vouchers.len()];
    write_sale(&transaction, &redemption, &vouchers, &shares, &holds)?;
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

/// Writes a decided sale: each voucher's balance down by its share (and its `held` down by
/// `released`, for a captured order), a ledger entry per paying voucher, the redemption, its
/// lines and its payments. Each voucher update is conditional on the balance it was decided
/// on: inside BEGIN IMMEDIATE nobody else writes, so it always matches; the condition keeps
/// the rule visible and guards against mistakes.
pub(super) fn write_sale(
    transaction: &Transaction<'_>,
    redemption: &Redemption,
    vouchers: &[Voucher],
    shares: &[Money],
    released: &[Money],
) -> LedgerResult<()> {
    let mut paying = Vec::new();
    for ((voucher, &share), &release) in vouchers.iter().zip(shares).zip(released) {
        if share.is_zero() && release.is_zero() {
            continue;
        }
        let balance_after = voucher
            .balance
            .checked_sub(share)
            .ok_or_else(|| LedgerError::Store("balance underflow".into()))?;
        let held_after = voucher
            .held
            .checked_sub(release)
            .ok_or_else(|| LedgerError::Store("hold underflow".into()))?;
        let updated = transaction
            .prepare_cached(
                "UPDATE vouchers SET balance = ?1, held = ?2 \
                 WHERE code_hash = ?3 AND balance = ?4 AND held = ?5",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    balance_after.rupiah(),
                    held_after.rupiah(),
                    voucher.code_hash.as_str(),
                    voucher.balance.rupiah(),
                    voucher.held.rupiah()
                ])
            })
            .map_err(sql_error)?;
        if updated != 1 {
            return Err(LedgerError::Busy);
        }
        if share.is_zero() {
            continue;
        }
        insert_entry(
            transaction,
            voucher.code_hash.as_str(),
            &LedgerEntry {
                at: redemption.created_at,
                kind: EntryKind::Redeemed,
                amount: share,
                balance_after,
                reference: redemption.id.clone(),
            },
        )?;
        paying.push(voucher.code_hash.clone());
    }
    // The redemption row names one voucher (its first payer) for older readers; the payments
    // name them all.
    let first = paying
        .first()
        .or_else(|| vouchers.first().map(|voucher| &voucher.code_hash))
        .ok_or_else(|| LedgerError::Store("sale without voucher".into()))?;
    transaction
        .prepare_cached(
            "INSERT INTO redemptions (id, code_hash, code_hint, cashier, created_at, total, \
             voucher_paid, cash_due, balance_after, order_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                redemption.id,
                first.as_str(),
                redemption.code_hint,
                redemption.cashier,
                stamp(redemption.created_at),
                redemption.total.rupiah(),
                redemption.voucher_paid.rupiah(),
                redemption.cash_due.rupiah(),
                redemption.balance_after.rupiah(),
                redemption.order_id
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
    let mut statement = transaction
        .prepare_cached(
            "INSERT INTO redemption_payments (redemption_id, position, code_hash, code_hint, \
             amount, balance_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(sql_error)?;
    for (position, (code, payment)) in paying.iter().zip(&redemption.payments).enumerate() {
        statement
            .execute(params![
                redemption.id,
                position as i64,
                code.as_str(),
                payment.code_hint,
                payment.amount.rupiah(),
                payment.balance_after.rupiah()
            ])
            .map_err(sql_error)?;
    }
    Ok(())
}

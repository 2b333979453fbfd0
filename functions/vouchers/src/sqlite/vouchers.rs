//! Vouchers: issuing a batch, reading and listing them, voiding and expiring one, and their
//! ledger entries.

use super::rows::{
    kind_name, money, parse_kind, parse_stamp, sql_error, stamp, voucher_from_row, VOUCHER_COLUMNS,
};
use super::schema::begin;
use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    EntryKind, LedgerEntry, NewBatch, VoidOutcome, Voucher, VoucherEntry, VoucherStatus,
};
use crate::money::Money;
use crate::rules;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

pub(super) fn load_voucher(connection: &Connection, code: &str) -> LedgerResult<Option<Voucher>> {
    connection
        .prepare_cached(&format!(
            "SELECT {VOUCHER_COLUMNS} FROM vouchers WHERE code_hash = ?1"
        ))
        .and_then(|mut statement| statement.query_row([code], voucher_from_row).optional())
        .map_err(sql_error)
}

pub(super) fn insert_entry(
    transaction: &Transaction<'_>,
    code: &str,
    entry: &LedgerEntry,
) -> LedgerResult<()> {
    transaction
        .prepare_cached(
            "INSERT INTO ledger_entries (code_hash, at, kind, amount, balance_after, reference) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                code,
                stamp(entry.at),
                kind_name(entry.kind),
                entry.amount.rupiah(),
                entry.balance_after.rupiah(),
                entry.reference
            ])
        })
        .map_err(sql_error)?;
    Ok(())
}

pub(super) fn insert_batch(
    connection: &mut Connection,
    batch: &NewBatch,
    vouchers: &[(CodeHash, String)],
    now: DateTime<Utc>,
) -> LedgerResult<()> {
    let transaction = begin(connection)?;
    let exists: bool = transaction
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM batches WHERE name = ?1)",
            [&batch.name],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    if exists {
        return Err(LedgerError::DuplicateBatch(batch.name.clone()));
    }
    let count = u32::try_from(vouchers.len()).map_err(LedgerError::store)?;
    transaction
        .execute(
            "INSERT INTO batches (name, unit, count, amount, expires_on, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                batch.name,
                batch.unit,
                count,
                batch.amount.rupiah(),
                batch.expires_on.format("%Y-%m-%d").to_string(),
                stamp(now)
            ],
        )
        .map_err(sql_error)?;
    {
        let mut insert = transaction
                    .prepare_cached(&format!(
                        "INSERT INTO vouchers ({VOUCHER_COLUMNS}) VALUES (?1, ?2, ?3, ?3, 'active', ?4, ?5, ?6, ?7)"
                    ))
                    .map_err(sql_error)?;
        for (code, hint) in vouchers {
            insert
                .execute(params![
                    code.as_str(),
                    hint,
                    batch.amount.rupiah(),
                    batch.expires_on.format("%Y-%m-%d").to_string(),
                    batch.name,
                    batch.unit,
                    stamp(now)
                ])
                .map_err(sql_error)?;
            insert_entry(
                &transaction,
                code.as_str(),
                &LedgerEntry {
                    at: now,
                    kind: EntryKind::Issued,
                    amount: batch.amount,
                    balance_after: batch.amount,
                    reference: batch.name.clone(),
                },
            )?;
        }
    }
    transaction.commit().map_err(sql_error)
}

pub(super) fn voucher_count(connection: &mut Connection) -> LedgerResult<u64> {
    connection
        .query_row("SELECT COUNT(*) FROM vouchers", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(sql_error)
        .map(|count| u64::try_from(count).unwrap_or(0))
}

/// Whether `vouchers expire` marked this voucher (its balance returned to the program).
fn expired_marked(transaction: &Connection, code: &str) -> LedgerResult<bool> {
    transaction
        .query_row(
            "SELECT expired_at IS NOT NULL FROM vouchers WHERE code_hash = ?1",
            [code],
            |row| row.get(0),
        )
        .map_err(sql_error)
}

pub(super) fn void_with_reason(
    connection: &mut Connection,
    code: &CodeHash,
    reason: &str,
    now: DateTime<Utc>,
) -> LedgerResult<VoidOutcome> {
    let transaction = begin(connection)?;
    let mut voucher = load_voucher(&transaction, code.as_str())?.ok_or(LedgerError::UnknownCode)?;
    let marked = expired_marked(&transaction, code.as_str())?;
    let Some(entry) = rules::void(&voucher, reason, marked, now) else {
        return Ok(VoidOutcome {
            voucher,
            newly_voided: false,
            returned: Money::ZERO,
        });
    };
    transaction
        .execute(
            "UPDATE vouchers SET status = 'void' WHERE code_hash = ?1",
            [code.as_str()],
        )
        .map_err(sql_error)?;
    insert_entry(&transaction, code.as_str(), &entry)?;
    transaction.commit().map_err(sql_error)?;
    voucher.status = VoucherStatus::Void;
    Ok(VoidOutcome {
        voucher,
        newly_voided: true,
        returned: entry.amount,
    })
}

pub(super) fn expire_voucher(
    connection: &mut Connection,
    code: &CodeHash,
    now: DateTime<Utc>,
) -> LedgerResult<Option<LedgerEntry>> {
    let transaction = begin(connection)?;
    let voucher = load_voucher(&transaction, code.as_str())?.ok_or(LedgerError::UnknownCode)?;
    let marked = expired_marked(&transaction, code.as_str())?;
    let Some(entry) = rules::expire(&voucher, marked, now) else {
        return Ok(None);
    };
    transaction
        .execute(
            "UPDATE vouchers SET expired_at = ?1 WHERE code_hash = ?2",
            params![stamp(now), code.as_str()],
        )
        .map_err(sql_error)?;
    insert_entry(&transaction, code.as_str(), &entry)?;
    transaction.commit().map_err(sql_error)?;
    Ok(Some(entry))
}

pub(super) fn list_vouchers(
    connection: &mut Connection,
    batch: Option<&str>,
) -> LedgerResult<Vec<Voucher>> {
    connection
        .prepare_cached(&format!(
            "SELECT {VOUCHER_COLUMNS} FROM vouchers WHERE ?1 IS NULL OR batch = ?1 \
             ORDER BY batch, issued_at, hint, code_hash"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([batch], voucher_from_row)
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)
}

pub(super) fn entries_between(
    connection: &mut Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<VoucherEntry>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT e.at, e.kind, e.amount, e.balance_after, e.reference, v.hint, v.batch, v.unit \
             FROM ledger_entries e JOIN vouchers v ON v.code_hash = e.code_hash \
             WHERE e.at >= ?1 AND e.at < ?2 ORDER BY e.at, e.sequence",
        )
        .map_err(sql_error)?;
    statement
        .query_map([stamp(from), stamp(to)], |row| {
            Ok(VoucherEntry {
                entry: entry_from_row(row)?,
                hint: row.get(5)?,
                batch: row.get(6)?,
                unit: row.get(7)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sql_error)
}

/// A ledger entry from the first five columns `at, kind, amount, balance_after, reference`.
fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerEntry> {
    Ok(LedgerEntry {
        at: parse_stamp(&row.get::<_, String>(0)?)?,
        kind: parse_kind(&row.get::<_, String>(1)?)?,
        amount: money(row.get(2)?)?,
        balance_after: money(row.get(3)?)?,
        reference: row.get(4)?,
    })
}

pub(super) fn history(
    connection: &mut Connection,
    code: &CodeHash,
) -> LedgerResult<Vec<LedgerEntry>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT at, kind, amount, balance_after, reference FROM ledger_entries \
                     WHERE code_hash = ?1 ORDER BY sequence",
        )
        .map_err(sql_error)?;
    statement
        .query_map([code.as_str()], entry_from_row)
        .and_then(|rows| rows.collect())
        .map_err(sql_error)
}

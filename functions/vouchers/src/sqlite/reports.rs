//! Reports over many records: redemptions in a period (settlement), every voucher's books
//! (audit) and every voucher's ledger entries (transparency).

use super::rows::{
    line_from_row, money, parse_date, parse_kind, parse_stamp, redemption_from_row, sql_error,
    stamp, REDEMPTION_COLUMNS,
};
use crate::error::LedgerResult;
use crate::model::{LedgerEntry, LineItem, NewBatch, Redemption, VoucherBooks, VoucherLedger};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::collections::HashMap;

pub(super) fn redemptions_between(
    connection: &mut Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<Redemption>> {
    redemptions_where(
        connection,
        "r.created_at >= ?1 AND r.created_at < ?2",
        from,
        to,
    )
}

/// Redemptions whose refund was made in `[from, to)`, by the refund's time.
pub(super) fn refunds_between(
    connection: &mut Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<Redemption>> {
    redemptions_where(
        connection,
        "f.created_at >= ?1 AND f.created_at < ?2",
        from,
        to,
    )
}

/// Redemptions (with refund and lines) matching `condition` over `r` (redemptions) and `f`
/// (their refunds), with `?1`/`?2` bound to the stamps of `from` and `to`.
fn redemptions_where(
    connection: &mut Connection,
    condition: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<Redemption>> {
    let (from, to) = (stamp(from), stamp(to));
    let mut redemptions: Vec<Redemption> = connection
        .prepare_cached(&format!(
            "SELECT {REDEMPTION_COLUMNS} FROM redemptions r \
                     LEFT JOIN refunds f ON f.redemption_id = r.id \
                     WHERE {condition} ORDER BY r.created_at, r.id"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([&from, &to], redemption_from_row)
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)?;
    let lines: Vec<(String, LineItem)> = connection
        .prepare_cached(&format!(
            "SELECT l.redemption_id, l.sku, l.name, l.producer, l.category, l.unit_price, \
             l.qty, l.total FROM redemption_lines l JOIN redemptions r ON r.id = l.redemption_id \
             LEFT JOIN refunds f ON f.redemption_id = r.id \
             WHERE {condition} ORDER BY l.redemption_id, l.position"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([&from, &to], line_from_row)
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)?;
    let mut by_redemption: HashMap<String, Vec<LineItem>> = HashMap::new();
    for (id, line) in lines {
        by_redemption.entry(id).or_default().push(line);
    }
    for redemption in &mut redemptions {
        redemption.items = by_redemption.remove(&redemption.id).unwrap_or_default();
    }
    Ok(redemptions)
}

pub(super) fn books(connection: &mut Connection) -> LedgerResult<Vec<VoucherBooks>> {
    // Redeemed and refunded come from the redemption and refund records, not from the
    // balance column, so the audit compares two independent records.
    let mut statement = connection
                .prepare_cached(
                    "SELECT v.hint, v.batch, v.face_value, v.balance, \
                       COALESCE((SELECT SUM(r.voucher_paid) FROM redemptions r WHERE r.code_hash = v.code_hash), 0), \
                       COALESCE((SELECT SUM(f.voucher_amount) FROM refunds f JOIN redemptions r \
                                 ON r.id = f.redemption_id WHERE r.code_hash = v.code_hash), 0) \
                     FROM vouchers v ORDER BY v.batch, v.hint, v.code_hash",
                )
                .map_err(sql_error)?;
    statement
        .query_map([], |row| {
            Ok(VoucherBooks {
                hint: row.get(0)?,
                batch: row.get(1)?,
                face_value: money(row.get(2)?)?,
                balance: money(row.get(3)?)?,
                redeemed: money(row.get(4)?)?,
                refunded: money(row.get(5)?)?,
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(sql_error)
}

pub(super) fn batches(connection: &mut Connection) -> LedgerResult<Vec<NewBatch>> {
    connection
        .prepare_cached("SELECT name, unit, count, amount, expires_on FROM batches ORDER BY name")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| {
                    Ok(NewBatch {
                        name: row.get(0)?,
                        unit: row.get(1)?,
                        count: row.get(2)?,
                        amount: money(row.get(3)?)?,
                        expires_on: parse_date(&row.get::<_, String>(4)?)?,
                    })
                })
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)
}

pub(super) fn ledgers(connection: &mut Connection) -> LedgerResult<Vec<VoucherLedger>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT e.code_hash, v.batch, e.at, e.kind, e.amount, e.balance_after, e.reference \
             FROM ledger_entries e JOIN vouchers v ON v.code_hash = e.code_hash \
             ORDER BY e.code_hash, e.sequence",
        )
        .map_err(sql_error)?;
    let rows: Vec<(String, String, LedgerEntry)> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                LedgerEntry {
                    at: parse_stamp(&row.get::<_, String>(2)?)?,
                    kind: parse_kind(&row.get::<_, String>(3)?)?,
                    amount: money(row.get(4)?)?,
                    balance_after: money(row.get(5)?)?,
                    reference: row.get(6)?,
                },
            ))
        })
        .and_then(|rows| rows.collect())
        .map_err(sql_error)?;
    // Rows come sorted by voucher: a new hash starts a new ledger. The hash itself is dropped.
    let mut ledgers: Vec<VoucherLedger> = Vec::new();
    let mut current: Option<String> = None;
    for (code_hash, batch, entry) in rows {
        if current.as_deref() != Some(code_hash.as_str()) {
            current = Some(code_hash);
            ledgers.push(VoucherLedger {
                batch,
                entries: Vec::new(),
            });
        }
        if let Some(ledger) = ledgers.last_mut() {
            ledger.entries.push(entry);
        }
    }
    Ok(ledgers)
}

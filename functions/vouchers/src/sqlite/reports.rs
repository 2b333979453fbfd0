//! Reports over many records: redemptions in a period (settlement) and every voucher's books
//! (audit).

use super::rows::{
    line_from_row, money, parse_date, redemption_from_row, sql_error, stamp, REDEMPTION_COLUMNS,
};
use crate::error::LedgerResult;
use crate::model::{LineItem, NewBatch, Redemption, VoucherBooks};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::collections::HashMap;

pub(super) fn redemptions_between(
    connection: &mut Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<Redemption>> {
    let (from, to) = (stamp(from), stamp(to));
    let mut redemptions: Vec<Redemption> = connection
        .prepare_cached(&format!(
            "SELECT {REDEMPTION_COLUMNS} FROM redemptions r \
                     LEFT JOIN refunds f ON f.redemption_id = r.id \
                     WHERE r.created_at >= ?1 AND r.created_at < ?2 ORDER BY r.created_at, r.id"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([&from, &to], redemption_from_row)
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)?;
    let lines: Vec<(String, LineItem)> = connection
                .prepare_cached(
                    "SELECT l.redemption_id, l.sku, l.name, l.producer, l.category, l.unit_price, \
                     l.qty, l.total FROM redemption_lines l JOIN redemptions r ON r.id = l.redemption_id \
                     WHERE r.created_at >= ?1 AND r.created_at < ?2 ORDER BY l.redemption_id, l.position",
                )
                .and_then(|mut statement| {
                    statement.query_map([&from, &to], line_from_row).and_then(|rows| rows.collect())
                })
                .map_err(sql_error)?;
    let mut by_redemption: HashMap<String, Vec<LineItem>> = HashMap::new();
    for (id, line) in lines {
        by_redemption.entry(id).or_default().push(line);
    }
    for redemption in &mut redemptions {
        redemption.items = by_redemption.remove(&redemption.id).unwrap_or_default();
        redemption.payments = super::redeem::load_payments(connection, &redemption.id)?
            .into_iter()
            .map(|(_, payment)| payment)
            .collect();
    }
    Ok(redemptions)
}

pub(super) fn books(connection: &mut Connection) -> LedgerResult<Vec<VoucherBooks>> {
    // Redeemed and refunded come from the redemption and refund records, not from the
    // balance column, so the audit compares two independent records.
    let mut statement = connection
                .prepare_cached(
                    "SELECT v.hint, v.batch, v.face_value, v.balance, \
                       COALESCE((SELECT SUM(p.amount) FROM redemption_payments p WHERE p.code_hash = v.code_hash), 0), \
                       COALESCE((SELECT SUM(p.amount) FROM redemption_payments p JOIN refunds f \
                                 ON f.redemption_id = p.redemption_id WHERE p.code_hash = v.code_hash), 0), \
                       v.held, \
                       COALESCE((SELECT SUM(h.amount) FROM order_holds h JOIN orders o ON o.id = h.order_id \
                                 WHERE h.code_hash = v.code_hash AND o.status IN ('baru', 'diproses', 'siap')), 0) \
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
                held: money(row.get(6)?)?,
                open_holds: money(row.get(7)?)?,
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

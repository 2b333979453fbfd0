//! Online orders: placing one (holds raised on its vouchers), reading them, moving their status
//! (closing releases the holds) and completing one (the holds captured as a redemption), each
//! in one transaction.

use super::idempotency::{remember_response, stored_response};
use super::redeem::write_sale;
use super::rows::{money, parse_stamp, sql_error, stamp};
use super::schema::begin;
use super::vouchers::load_voucher;
use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{Buyer, Fulfilment, Hold, Order, OrderStatus, Redemption};
use crate::money::Money;
use crate::rules;
use crate::store::{CompleteOrderCommand, MoveOrderCommand, PlaceOrderCommand};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

const ORDER_COLUMNS: &str = "id, status, created_at, expires_at, closed_at, fulfilment, office, \
     items, total, held, cash_due, redemption_id, buyer_name, buyer_whatsapp, note, token_salt";

fn order_from_row(row: &Row<'_>) -> rusqlite::Result<Order> {
    let status: String = row.get(1)?;
    let fulfilment: String = row.get(5)?;
    let items: String = row.get(7)?;
    let conversion = |message: String| super::rows::conversion_error(message);
    let buyer = match (
        row.get::<_, Option<String>>(12)?,
        row.get::<_, Option<String>>(13)?,
    ) {
        (Some(name), Some(whatsapp)) => Some(Buyer {
            name,
            whatsapp,
            office: row.get(6)?,
        }),
        _ => None,
    };
    Ok(Order {
        id: row.get(0)?,
        status: OrderStatus::parse(&status)
            .ok_or_else(|| conversion(format!("order status {status:?}")))?,
        created_at: parse_stamp(&row.get::<_, String>(2)?)?,
        expires_at: parse_stamp(&row.get::<_, String>(3)?)?,
        closed_at: row
            .get::<_, Option<String>>(4)?
            .map(|text| parse_stamp(&text))
            .transpose()?,
        fulfilment: Fulfilment::parse(&fulfilment)
            .ok_or_else(|| conversion(format!("fulfilment {fulfilment:?}")))?,
        office: row.get(6)?,
        items: serde_json::from_str(&items)
            .map_err(|error| conversion(format!("order items: {error}")))?,
        total: money(row.get(8)?)?,
        held: money(row.get(9)?)?,
        cash_due: money(row.get(10)?)?,
        holds: Vec::new(),
        redemption_id: row.get(11)?,
        buyer,
        note: row.get(14)?,
        token_salt: row.get(15)?,
    })
}

fn hold_from_row(row: &Row<'_>) -> rusqlite::Result<(String, Hold)> {
    Ok((
        row.get(0)?,
        Hold {
            voucher: CodeHash(row.get(1)?),
            code_hint: row.get(2)?,
            amount: money(row.get(3)?)?,
        },
    ))
}

pub(super) fn load_order(connection: &Connection, id: &str) -> LedgerResult<Option<Order>> {
    let found = connection
        .prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"))
        .and_then(|mut statement| statement.query_row([id], order_from_row).optional())
        .map_err(sql_error)?;
    let Some(mut order) = found else {
        return Ok(None);
    };
    order.holds = connection
        .prepare_cached(
            "SELECT order_id, code_hash, code_hint, amount FROM order_holds \
             WHERE order_id = ?1 ORDER BY position",
        )
        .and_then(|mut statement| {
            statement
                .query_map([id], hold_from_row)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        })
        .map_err(sql_error)?
        .into_iter()
        .map(|(_, hold)| hold)
        .collect();
    Ok(Some(order))
}

pub(super) fn orders(
    connection: &mut Connection,
    statuses: &[OrderStatus],
) -> LedgerResult<Vec<Order>> {
    let names: Vec<&str> = statuses.iter().map(|status| status.as_str()).collect();
    let list = serde_json::to_string(&names).map_err(LedgerError::store)?;
    let mut orders: Vec<Order> = connection
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders \
             WHERE status IN (SELECT value FROM json_each(?1)) ORDER BY created_at, id"
        ))
        .and_then(|mut statement| {
            statement
                .query_map([&list], order_from_row)
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)?;
    let holds: Vec<(String, Hold)> = connection
        .prepare_cached(
            "SELECT h.order_id, h.code_hash, h.code_hint, h.amount FROM order_holds h \
             JOIN orders o ON o.id = h.order_id \
             WHERE o.status IN (SELECT value FROM json_each(?1)) ORDER BY h.order_id, h.position",
        )
        .and_then(|mut statement| {
            statement
                .query_map([&list], hold_from_row)
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)?;
    let mut by_order: std::collections::HashMap<String, Vec<Hold>> = Default::default();
    for (id, hold) in holds {
        by_order.entry(id).or_default().push(hold);
    }
    for order in &mut orders {
        order.holds = by_order.remove(&order.id).unwrap_or_default();
    }
    Ok(orders)
}

pub(super) fn due_orders(
    connection: &mut Connection,
    now: DateTime<Utc>,
) -> LedgerResult<Vec<Order>> {
    let due: Vec<String> = connection
        .prepare_cached(
            "SELECT id FROM orders WHERE status IN ('baru', 'diproses', 'siap') \
             AND expires_at <= ?1 ORDER BY created_at, id",
        )
        .and_then(|mut statement| {
            statement
                .query_map([stamp(now)], |row| row.get(0))
                .and_then(|rows| rows.collect())
        })
        .map_err(sql_error)?;
    let mut orders = Vec::with_capacity(due.len());
    for id in due {
        if let Some(mut order) = load_order(connection, &id)? {
            order.buyer = None;
            order.note = None;
            orders.push(order);
        }
    }
    Ok(orders)
}

pub(super) fn place_order_in(
    connection: &mut Connection,
    command: &PlaceOrderCommand,
) -> LedgerResult<Order> {
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
    let (order, amounts) = rules::place_order(command, &vouchers)?;
    for (voucher, amount) in vouchers.iter().zip(&amounts) {
        if amount.is_zero() {
            continue;
        }
        // `available` may not go below zero: the CHECK (held <= balance) backs this up.
        let updated = transaction
            .prepare_cached(
                "UPDATE vouchers SET held = held + ?1 WHERE code_hash = ?2 AND balance - held >= ?1",
            )
            .and_then(|mut statement| {
                statement.execute(params![amount.rupiah(), voucher.code_hash.as_str()])
            })
            .map_err(sql_error)?;
        if updated != 1 {
            return Err(LedgerError::Busy);
        }
    }
    let items = serde_json::to_string(&order.items).map_err(LedgerError::store)?;
    let (buyer_name, buyer_whatsapp) = match &order.buyer {
        Some(buyer) => (Some(buyer.name.clone()), Some(buyer.whatsapp.clone())),
        None => (None, None),
    };
    transaction
        .execute(
            &format!(
                "INSERT INTO orders ({ORDER_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13, ?14)"
            ),
            params![
                order.id,
                order.status.as_str(),
                stamp(order.created_at),
                stamp(order.expires_at),
                order.fulfilment.as_str(),
                order.office,
                items,
                order.total.rupiah(),
                order.held.rupiah(),
                order.cash_due.rupiah(),
                buyer_name,
                buyer_whatsapp,
                order.note,
                order.token_salt
            ],
        )
        .map_err(sql_error)?;
    for (position, hold) in order.holds.iter().enumerate() {
        transaction
            .execute(
                "INSERT INTO order_holds (order_id, position, code_hash, code_hint, amount) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    order.id,
                    position as i64,
                    hold.voucher.as_str(),
                    hold.code_hint,
                    hold.amount.rupiah()
                ],
            )
            .map_err(sql_error)?;
    }
    remember_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
        &order,
        order.created_at,
    )?;
    transaction.commit().map_err(sql_error)?;
    Ok(order)
}

/// Gives each hold of `order` back to its voucher's available balance.
fn release_holds(transaction: &Transaction<'_>, order: &Order) -> LedgerResult<()> {
    for hold in &order.holds {
        let updated = transaction
            .prepare_cached(
                "UPDATE vouchers SET held = held - ?1 WHERE code_hash = ?2 AND held >= ?1",
            )
            .and_then(|mut statement| {
                statement.execute(params![hold.amount.rupiah(), hold.voucher.as_str()])
            })
            .map_err(sql_error)?;
        if updated != 1 {
            return Err(LedgerError::Store(format!(
                "voucher …{} holds less than order {} placed",
                hold.code_hint, order.id
            )));
        }
    }
    Ok(())
}

fn set_status(transaction: &Transaction<'_>, from: &Order, to: &Order) -> LedgerResult<()> {
    let updated = transaction
        .execute(
            "UPDATE orders SET status = ?1, closed_at = ?2, redemption_id = ?3 \
             WHERE id = ?4 AND status = ?5",
            params![
                to.status.as_str(),
                to.closed_at.map(stamp),
                to.redemption_id,
                to.id,
                from.status.as_str()
            ],
        )
        .map_err(sql_error)?;
    if updated != 1 {
        return Err(LedgerError::Busy);
    }
    Ok(())
}

pub(super) fn move_order_in(
    connection: &mut Connection,
    command: &MoveOrderCommand,
) -> LedgerResult<Order> {
    let transaction = begin(connection)?;
    let order = load_order(&transaction, &command.order_id)?.ok_or(LedgerError::UnknownOrder)?;
    let Some(moved) = rules::move_order(&order, command.to, &command.only_from, command.now)?
    else {
        return Ok(order);
    };
    if !moved.status.is_open() {
        release_holds(&transaction, &order)?;
    }
    set_status(&transaction, &order, &moved)?;
    transaction.commit().map_err(sql_error)?;
    Ok(moved)
}

pub(super) fn complete_order_in(
    connection: &mut Connection,
    command: &CompleteOrderCommand,
) -> LedgerResult<Redemption> {
    let transaction = begin(connection)?;
    if let Some(response) = stored_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
    )? {
        return serde_json::from_str(&response).map_err(LedgerError::store);
    }
    let order = load_order(&transaction, &command.order_id)?.ok_or(LedgerError::UnknownOrder)?;
    let mut vouchers = Vec::with_capacity(order.holds.len());
    for hold in &order.holds {
        vouchers.push(
            load_voucher(&transaction, hold.voucher.as_str())?
                .ok_or_else(|| LedgerError::Store("order hold without voucher".into()))?,
        );
    }
    let (redemption, shares) = rules::capture(command, &order, &vouchers)?;
    let released: Vec<Money> = order.holds.iter().map(|hold| hold.amount).collect();
    write_sale(&transaction, &redemption, &vouchers, &shares, &released)?;
    let mut done = order.clone();
    done.status = OrderStatus::Selesai;
    done.closed_at = Some(command.now);
    done.redemption_id = Some(redemption.id.clone());
    set_status(&transaction, &order, &done)?;
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

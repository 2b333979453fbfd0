//! The price list the ledger trusts (from the catalog build), never the client's prices.

use super::rows::{money, sql_error};
use super::schema::begin;
use crate::error::LedgerResult;
use crate::model::CatalogItem;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

pub(super) fn replace_price_list(
    connection: &mut Connection,
    items: &[CatalogItem],
) -> LedgerResult<()> {
    let transaction = begin(connection)?;
    transaction
        .execute("DELETE FROM price_list", [])
        .map_err(sql_error)?;
    {
        let mut insert = transaction
                    .prepare_cached(
                        "INSERT INTO price_list (sku, name, producer, category, price) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(sql_error)?;
        for item in items {
            insert
                .execute(params![
                    item.sku,
                    item.name,
                    item.producer,
                    item.category,
                    item.price.rupiah()
                ])
                .map_err(sql_error)?;
        }
    }
    transaction.commit().map_err(sql_error)
}

pub(super) fn prices(
    connection: &mut Connection,
    skus: &[String],
) -> LedgerResult<HashMap<String, CatalogItem>> {
    let mut statement = connection
        .prepare_cached(
            "SELECT sku, name, producer, category, price FROM price_list WHERE sku = ?1",
        )
        .map_err(sql_error)?;
    let mut found = HashMap::new();
    for sku in skus {
        let item = statement
            .query_row([sku], |row| {
                Ok(CatalogItem {
                    sku: row.get(0)?,
                    name: row.get(1)?,
                    producer: row.get(2)?,
                    category: row.get(3)?,
                    price: money(row.get(4)?)?,
                })
            })
            .optional()
            .map_err(sql_error)?;
        if let Some(item) = item {
            found.insert(item.sku.clone(), item);
        }
    }
    Ok(found)
}

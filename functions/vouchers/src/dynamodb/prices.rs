//! The price list the ledger trusts (from the catalog build), in one partition.

use super::items::*;
use super::keys::*;
use super::*;
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use std::collections::{BTreeMap, HashSet};

pub(super) async fn replace_price_list(
    store: &DynamoStore,
    items: &[CatalogItem],
) -> LedgerResult<()> {
    // Last one wins for a repeated SKU (the build refuses duplicates anyway); BatchWriteItem
    // would refuse the request otherwise.
    let wanted: BTreeMap<&str, &CatalogItem> =
        items.iter().map(|item| (item.sku.as_str(), item)).collect();
    let existing = store
        .query_all(
            false,
            "PK = :prices",
            &[],
            &[(":prices", s(PRICE_PARTITION))],
        )
        .await?;
    // New and changed prices first, then the stale ones go: a redemption priced while this
    // runs never finds a current SKU missing.
    let mut requests = Vec::new();
    for item in wanted.values() {
        let mut stored = keyed(PRICE_PARTITION, &price_sort(&item.sku), "price");
        stored.insert("sku".into(), s(&item.sku));
        stored.insert("name".into(), s(&item.name));
        stored.insert("producer".into(), s(&item.producer));
        stored.insert("category".into(), s(&item.category));
        stored.insert("price".into(), money(item.price));
        let put = PutRequest::builder()
            .set_item(Some(stored))
            .build()
            .map_err(LedgerError::store)?;
        requests.push(WriteRequest::builder().put_request(put).build());
    }
    store.batch_write(requests).await?;
    let mut stale = Vec::new();
    for item in &existing {
        let sku = text(item, "sku")?;
        if !wanted.contains_key(sku.as_str()) {
            let delete = DeleteRequest::builder()
                .set_key(item_key(item))
                .build()
                .map_err(LedgerError::store)?;
            stale.push(WriteRequest::builder().delete_request(delete).build());
        }
    }
    store.batch_write(stale).await
}

pub(super) async fn prices(
    store: &DynamoStore,
    skus: &[String],
) -> LedgerResult<HashMap<String, CatalogItem>> {
    let unique: HashSet<&String> = skus.iter().collect();
    let keys = unique
        .into_iter()
        .map(|sku| {
            HashMap::from([
                (PARTITION_KEY.to_string(), s(PRICE_PARTITION)),
                (SORT_KEY.to_string(), s(price_sort(sku))),
            ])
        })
        .collect();
    let mut prices = HashMap::new();
    for item in store.batch_get(keys).await? {
        let catalog_item = CatalogItem {
            sku: text(&item, "sku")?,
            name: text(&item, "name")?,
            producer: text(&item, "producer")?,
            category: text(&item, "category")?,
            price: money_of(&item, "price")?,
        };
        prices.insert(catalog_item.sku.clone(), catalog_item);
    }
    Ok(prices)
}

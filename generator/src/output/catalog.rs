//! `catalog.json`: the price list the voucher functions trust, every available product's sku,
//! name, producer, category and price, as `galeri_vouchers::model::Catalog`.

use crate::content::Library;
use chrono::{DateTime, Utc};
use galeri_vouchers::model::{Catalog, CatalogItem};

/// The catalog of available products, sorted by SKU.
pub fn catalog(library: &Library, generated_at: DateTime<Utc>) -> Catalog {
    let mut items: Vec<CatalogItem> = library
        .products
        .iter()
        .filter(|product| product.available)
        .map(|product| CatalogItem {
            sku: product.sku.clone(),
            name: product.name.clone(),
            producer: product.producer.clone(),
            category: product.category.clone(),
            price: product.price,
        })
        .collect();
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    Catalog {
        generated_at,
        currency: "IDR".to_owned(),
        items,
    }
}

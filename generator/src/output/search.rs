//! `search-index.json`: a compact, column-named table of available products for the in-browser
//! search and filters (category, kecamatan, price, halal) of a later issue.

use serde::Serialize;

/// One row per product; `fields` names the columns so the format can grow.
#[derive(Debug, Serialize)]
pub struct SearchIndex<'a> {
    pub fields: [&'static str; 9],
    pub products: Vec<SearchRow<'a>>,
}

/// `[sku, name, producer, kecamatan, category, price, halal, url, tags]`.
pub type SearchRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    i64,
    bool,
    String,
    String,
);

pub const FIELDS: [&str; 9] = [
    "sku",
    "name",
    "producer",
    "kecamatan",
    "category",
    "price",
    "halal",
    "url",
    "tags",
];

//! `search-index.json`: a compact table of available products for the in-browser search and
//! filters at `/cari/` (`themes/default/static/cari.js`). Producers, kecamatan and categories
//! are written once and referenced by position, so the index stays small at 10,000 products
//! (≤ 300 KB gzipped is the budget; `tests/bench/search_bench.sh` measures it).

use serde::Serialize;

/// Column names of `products`, so the format can grow without breaking readers.
pub const FIELDS: [&str; 9] = [
    "sku", "name", "producer", "category", "price", "halal", "url", "image", "tags",
];

#[derive(Debug, Serialize)]
pub struct SearchIndex<'a> {
    pub fields: [&'static str; 9],
    /// `[slug, name]` per category.
    pub categories: Vec<(&'a str, &'a str)>,
    /// `[slug, name]` per kecamatan.
    pub kecamatan: Vec<(String, &'a str)>,
    /// `[name, kecamatan position]` per producer.
    pub producers: Vec<(&'a str, usize)>,
    pub products: Vec<SearchRow<'a>>,
}

/// `[sku, name, producer position, category position, price, halal (0/1), url, thumbnail file
/// beside the url or "", tags]`.
pub type SearchRow<'a> = (
    &'a str,
    &'a str,
    usize,
    usize,
    i64,
    u8,
    String,
    String,
    String,
);

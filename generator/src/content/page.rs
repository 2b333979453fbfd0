//! A free page (`pages/<slug>.md`): how to shop with a voucher, about, location.

use super::diagnostics::Diagnostic;
use super::frontmatter::{self, Fields, Locator};
use serde::Serialize;
use std::path::Path;

/// One free page, published at `/<slug>/`.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub slug: String,
    pub title: String,
    /// For `<meta name="description">`.
    pub description: Option<String>,
    /// Menu order: lower first.
    pub weight: i64,
    /// Listed in the site menu.
    pub menu: bool,
    #[serde(skip)]
    pub body: String,
}

const KEYS: &[&str] = &["title", "description", "weight", "menu"];

/// URL segments the site itself uses; a page may not take them.
pub const RESERVED: &[&str] = &[
    "produk",
    "produsen",
    "kategori",
    "kecamatan",
    "halaman",
    "cari",
    "cek-saldo",
    "kasir",
    "pesan",
    "pesanan",
    "transparansi",
    "admin",
    "api",
    "static",
    "404",
    "index",
];

pub fn parse(text: &str, relative: &Path, slug: &str) -> (Option<Page>, Vec<Diagnostic>) {
    let (parts, value) = match frontmatter::read(text, relative) {
        Ok(read) => read,
        Err(diagnostic) => return (None, vec![*diagnostic]),
    };
    let locator = Locator::new(parts.yaml, parts.yaml_first_line);
    let mut fields = Fields::new(value, KEYS, &locator, Vec::new(), relative);
    let title = fields.text("title", true);
    let description = fields.text("description", false);
    let weight = fields.integer("weight", false).unwrap_or(0);
    let menu = fields.boolean("menu", false).unwrap_or(true);
    fields.check_file_slug(slug, RESERVED);
    let diagnostics = fields.finish();
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }
    let page = title.map(|title| Page {
        slug: slug.into(),
        title,
        description,
        weight,
        menu,
        body: parts.body.to_owned(),
    });
    (page, diagnostics)
}

//! A free page (`pages/<slug>.md`): how to shop with a voucher, about, location.

use super::diagnostics::Diagnostic;
use super::frontmatter::{self, Fields, Locator};
use super::schema::PAGE;
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

/// Parses one free page; `relative` is its path inside the content folder.
pub fn parse(text: &str, relative: &Path, slug: &str) -> (Option<Page>, Vec<Diagnostic>) {
    let (parts, value) = match frontmatter::read(text, relative) {
        Ok(read) => read,
        Err(diagnostic) => return (None, vec![*diagnostic]),
    };
    let locator = Locator::new(parts.yaml, parts.yaml_first_line);
    // A page has no dated rule: the year is not used.
    let mut fields = Fields::new(value, PAGE.fields, &locator, Vec::new(), relative, 0);
    let page = read(&mut fields, slug, parts.body);
    let diagnostics = fields.finish();
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }
    (page, diagnostics)
}

/// Reads every field of `schema::PAGE`.
pub(crate) fn read(fields: &mut Fields<'_>, slug: &str, body: &str) -> Option<Page> {
    let title = fields.text("title");
    let description = fields.text("description");
    let weight = fields.integer("weight").unwrap_or_default();
    let menu = fields.boolean("menu").unwrap_or_default();
    fields.check_file_slug(slug, RESERVED);
    Some(Page {
        slug: slug.into(),
        title: title?,
        description,
        weight,
        menu,
        body: body.to_owned(),
    })
}

//! A producer (`producers/<slug>.md`): the UKM/IKM behind the products; body = its story.

use super::diagnostics::Diagnostic;
use super::frontmatter::{self, Fields, Locator};
use super::kecamatan;
use super::schema::PRODUCER;
use super::{Image, ImageRoot};
use serde::Serialize;
use std::path::Path;

/// One producer.
#[derive(Debug, Clone, Serialize)]
pub struct Producer {
    /// The file name without `.md`; also the products folder name.
    pub slug: String,
    pub name: String,
    /// Official spelling, one of the 33.
    pub kecamatan: &'static str,
    pub kecamatan_slug: String,
    pub desa: String,
    pub address: Option<String>,
    /// Normalized to `628…`.
    pub whatsapp: Option<String>,
    pub nib: String,
    pub photo: Option<Image>,
    /// Year the producer started.
    pub since: Option<i64>,
    /// Markdown source of the story.
    #[serde(skip)]
    pub body: String,
}

/// Slugs a producer may not take: `/produk/halaman/<n>/` is the all-products pagination.
pub const RESERVED: &[&str] = &["halaman"];

/// Parses one producer file; `relative` is its path inside the content folder.
pub fn parse(
    text: &str,
    relative: &Path,
    slug: &str,
    root: &ImageRoot,
    this_year: i32,
) -> (Option<Producer>, Vec<Diagnostic>) {
    let (parts, value) = match frontmatter::read(text, relative) {
        Ok(read) => read,
        Err(diagnostic) => return (None, vec![*diagnostic]),
    };
    let locator = Locator::new(parts.yaml, parts.yaml_first_line);
    let mut fields = Fields::new(
        value,
        PRODUCER.fields,
        &locator,
        Vec::new(),
        relative,
        this_year,
    );
    let producer = read(&mut fields, slug, root, parts.body);
    let diagnostics = fields.finish();
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }
    (producer, diagnostics)
}

/// Reads every field of `schema::PRODUCER`; `None` when a required one is missing or invalid.
pub(crate) fn read(
    fields: &mut Fields<'_>,
    slug: &str,
    root: &ImageRoot,
    body: &str,
) -> Option<Producer> {
    let name = fields.text("name");
    let kecamatan = fields.kecamatan("kecamatan");
    let desa = fields.text("desa");
    let address = fields.text("address");
    let whatsapp = fields.text("whatsapp");
    let nib = fields.text("nib");
    let photo = fields.image("photo", root);
    let since = fields.integer("since");
    fields.check_file_slug(slug, RESERVED);
    let kecamatan = kecamatan?;
    Some(Producer {
        slug: slug.into(),
        name: name?,
        kecamatan,
        kecamatan_slug: kecamatan::slug(kecamatan),
        desa: desa?,
        address,
        whatsapp,
        nib: nib?,
        photo,
        since,
        body: body.to_owned(),
    })
}

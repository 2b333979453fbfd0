//! A product (`products/<producer-slug>/<slug>.md`): what the gallery sells; body = description.

use super::diagnostics::{Diagnostic, Position, Problem};
use super::frontmatter::{self, Fields, Locator};
use super::schema::PRODUCT;
use super::{Image, ImageRoot};
use chrono::NaiveDate;
use galeri_vouchers::Money;
use serde::Serialize;
use serde_yaml::Value;
use std::path::{Path, PathBuf};

/// One product.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    /// The file name without `.md`; unique per producer.
    pub slug: String,
    /// Producer slug: the folder, or the `producer:` key.
    pub producer: String,
    pub name: String,
    /// Unique across the catalog: `[A-Z0-9-]{3,32}`.
    pub sku: String,
    /// Category slug.
    pub category: String,
    /// Whole rupiah, more than zero.
    pub price: Money,
    /// What one unit is, e.g. `250 g`.
    pub unit: String,
    pub images: Vec<Image>,
    pub permits: Permits,
    /// Shown as sold out and left out of `catalog.json` when false.
    pub available: bool,
    pub tags: Vec<String>,
    /// Date added, for "newest products"; undated products sort last.
    pub added: Option<NaiveDate>,
    #[serde(skip)]
    pub body: String,
    /// Path inside the content folder.
    #[serde(skip)]
    pub file: PathBuf,
    /// Where the cross-file rules point when they fail.
    #[serde(skip)]
    pub spots: Spots,
}

/// Positions of the values that other files must agree with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spots {
    pub producer: Position,
    pub category: Position,
    pub sku: Position,
    pub permits: Position,
}

/// Permit numbers; all optional here, required by category in `validate`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Permits {
    pub pirt: Option<String>,
    pub bpom: Option<String>,
    pub halal: Option<String>,
    /// An explicit, visible non-halal declaration.
    pub non_halal: bool,
}

/// Parses one product file. `folder` is the producer folder it sits in.
pub fn parse(
    text: &str,
    relative: &Path,
    folder: &str,
    slug: &str,
    root: &ImageRoot,
    this_year: i32,
) -> (Option<Product>, Vec<Diagnostic>) {
    let (parts, value) = match frontmatter::read(text, relative) {
        Ok(read) => read,
        Err(diagnostic) => return (None, vec![*diagnostic]),
    };
    let locator = Locator::new(parts.yaml, parts.yaml_first_line);
    let mut fields = Fields::new(
        value,
        PRODUCT.fields,
        &locator,
        Vec::new(),
        relative,
        this_year,
    );
    let product = read(&mut fields, folder, slug, root, parts.body);
    let diagnostics = fields.finish();
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }
    (product, diagnostics)
}

/// Reads every field of `schema::PRODUCT`; `None` when a required one is missing or invalid.
pub(crate) fn read(
    fields: &mut Fields<'_>,
    folder: &str,
    slug: &str,
    root: &ImageRoot,
    body: &str,
) -> Option<Product> {
    let name = fields.text("name");
    let sku = fields.text("sku");
    let category = fields.text("category");
    let price = fields.money("price");
    let unit = fields.text("unit");
    let images = fields.images("images", root);
    let permits = match fields.nested("permits") {
        Some(mut nested) => {
            let permits = read_permits(&mut nested);
            fields.absorb(nested);
            permits
        }
        None => Permits::default(),
    };
    let available = fields.boolean("available").unwrap_or_default();
    let tags = fields.text_list("tags").unwrap_or_default();
    let added = fields.date("added");
    let producer_override = fields.text("producer");
    let spots = spots(fields, producer_override.is_some());
    fields.check_file_slug(slug, &[]);
    Some(Product {
        slug: slug.into(),
        producer: producer_override.unwrap_or_else(|| folder.to_owned()),
        name: name?,
        sku: sku?,
        category: category?,
        price: price?,
        unit: unit?,
        images,
        permits,
        available,
        tags,
        added,
        body: body.to_owned(),
        file: fields.path().to_path_buf(),
        spots,
    })
}

fn spots(fields: &Fields<'_>, producer_override: bool) -> Spots {
    Spots {
        producer: if producer_override {
            fields.value_position("producer")
        } else {
            Position::START
        },
        category: fields.value_position("category"),
        sku: fields.value_position("sku"),
        permits: if fields.raw("permits").is_some() {
            fields.key_position("permits")
        } else {
            fields.value_position("category")
        },
    }
}

/// What the rules across files need of a page that has problems of its own: its references
/// and permits as written (unchecked; empty when absent), so `galeri new` and `galeri import`
/// report those rules in the same run. The other values are placeholders: a stand-in is only
/// ever checked, never published.
pub(crate) fn stand_in(text: &str, relative: &Path, folder: &str, slug: &str) -> Option<Product> {
    let (parts, value) = frontmatter::read(text, relative).ok()?;
    let locator = Locator::new(parts.yaml, parts.yaml_first_line);
    let written = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    let permit = |key: &str| written(value.get("permits").and_then(|permits| permits.get(key)));
    let producer_override = written(value.get("producer"));
    let permits = Permits {
        pirt: permit("pirt"),
        bpom: permit("bpom"),
        halal: permit("halal"),
        non_halal: value
            .get("permits")
            .and_then(|permits| permits.get("non_halal"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let sku = written(value.get("sku")).unwrap_or_default();
    let category = written(value.get("category")).unwrap_or_default();
    let fields = Fields::new(value, PRODUCT.fields, &locator, Vec::new(), relative, 0);
    Some(Product {
        slug: slug.into(),
        producer: producer_override
            .clone()
            .unwrap_or_else(|| folder.to_owned()),
        name: String::new(),
        sku,
        category,
        price: Money::ZERO,
        unit: String::new(),
        images: Vec::new(),
        permits,
        available: true,
        tags: Vec::new(),
        added: None,
        body: String::new(),
        file: relative.to_path_buf(),
        spots: spots(&fields, producer_override.is_some()),
    })
}

/// Reads every field of `schema::PERMIT_FIELDS`: each number is checked by its declared rule.
pub(crate) fn read_permits(fields: &mut Fields<'_>) -> Permits {
    let permits = Permits {
        pirt: fields.text("pirt"),
        bpom: fields.text("bpom"),
        halal: fields.text("halal"),
        non_halal: fields.boolean("non_halal").unwrap_or_default(),
    };
    // A halal number that failed its own check still counts as written here.
    if permits.non_halal && fields.raw("halal").is_some() {
        let position = fields.key_position("non_halal");
        fields.report(position, Problem::HalalAndNonHalal, None);
    }
    permits
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::frontmatter::intended_rupiah;

    #[test]
    fn intended_rupiah_reads_common_mistakes() {
        assert_eq!(intended_rupiah("\"Rp45.000\"").as_deref(), Some("45000"));
        assert_eq!(intended_rupiah("45.000").as_deref(), Some("45000"));
        assert_eq!(intended_rupiah("'1.250.000'").as_deref(), Some("1250000"));
        assert_eq!(intended_rupiah("45000.5"), None);
        assert_eq!(intended_rupiah("-1"), None);
    }
}

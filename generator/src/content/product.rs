//! A product (`products/<producer-slug>/<slug>.md`): what the gallery sells; body = description.

use super::diagnostics::{Diagnostic, Hint, Position, Problem};
use super::frontmatter::{self, Fields, Locator};
use super::permits::{check_bpom, check_halal, check_pirt};
use super::{check_image, Image, ImageRoot};
use chrono::NaiveDate;
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
    pub price: i64,
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

const KEYS: &[&str] = &[
    "name",
    "sku",
    "category",
    "price",
    "unit",
    "images",
    "permits",
    "available",
    "tags",
    "added",
    "producer",
];
const PERMIT_KEYS: &[&str] = &["pirt", "bpom", "halal", "non_halal"];

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
    let mut fields = Fields::new(value, KEYS, &locator, Vec::new(), relative);
    let name = fields.text("name", true);
    let sku = fields.text("sku", true).and_then(|sku| {
        if is_sku(&sku) {
            Some(sku)
        } else {
            let position = fields.value_position("sku");
            let upper = sku.to_uppercase();
            let hint = is_sku(&upper).then_some(Hint::WriteAs(upper));
            fields.report(position, Problem::BadSku { sku }, hint);
            None
        }
    });
    let category = fields.text("category", true);
    let price = read_price(&mut fields);
    let unit = fields.text("unit", true);
    let images = fields
        .text_list("images", false)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(index, file)| match check_image(root, relative, &file) {
            Ok(image) => Some(image),
            Err(problem) => {
                let position = fields.item_position("images", index);
                fields.report(position, problem, None);
                None
            }
        })
        .collect();
    let permits = fields
        .mapping("permits")
        .map(|value| {
            let mut nested = Fields::new(
                value,
                PERMIT_KEYS,
                &locator,
                fields.nested("permits"),
                relative,
            );
            let permits = read_permits(&mut nested, this_year);
            fields.diagnostics.extend(nested.finish());
            permits
        })
        .unwrap_or_default();
    let available = fields.boolean("available", false).unwrap_or(true);
    let tags = fields.text_list("tags", false).unwrap_or_default();
    let added = fields.text("added", false).and_then(|text| {
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                let position = fields.value_position("added");
                fields.report(position, Problem::BadDate { value: text }, None);
                None
            }
        }
    });
    let producer_override = fields.text("producer", false);
    let spots = Spots {
        producer: if producer_override.is_some() {
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
    };
    fields.check_file_slug(slug, &[]);
    let diagnostics = fields.finish();
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }
    let product = match (name, sku, category, price, unit) {
        (Some(name), Some(sku), Some(category), Some(price), Some(unit)) => Some(Product {
            slug: slug.into(),
            producer: producer_override.unwrap_or_else(|| folder.to_owned()),
            name,
            sku,
            category,
            price,
            unit,
            images,
            permits,
            available,
            tags,
            added,
            body: parts.body.to_owned(),
            file: relative.to_path_buf(),
            spots,
        }),
        _ => None,
    };
    (product, diagnostics)
}

fn is_sku(sku: &str) -> bool {
    (3..=32).contains(&sku.len())
        && sku
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-')
}

/// A price must be a YAML integer above zero. Strings like `"Rp45.000"` and floats like `45.000`
/// (which YAML reads as 45.0) are refused, with the intended number as a hint when it is clear.
fn read_price(fields: &mut Fields<'_>) -> Option<i64> {
    let raw = fields.raw("price").cloned();
    let position = fields.value_position("price");
    match raw {
        None => {
            fields.integer("price", true);
            None
        }
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            match number.as_i64() {
                Some(price) if price > 0 => Some(price),
                Some(price) => {
                    fields.report(position, Problem::PriceNotPositive { price }, None);
                    None
                }
                None => {
                    fields.report(position, Problem::PriceNotWhole, None);
                    None
                }
            }
        }
        Some(_) => {
            let hint = fields
                .source_text("price")
                .and_then(intended_rupiah)
                .map(|digits| Hint::WriteAs(format!("price: {digits}")));
            fields.report(position, Problem::PriceNotWhole, hint);
            None
        }
    }
}

/// `"Rp45.000"`, `45.000`, `'45000'` → `45000`; anything ambiguous (decimals) → `None`.
fn intended_rupiah(source: &str) -> Option<String> {
    let text = source.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let text = text
        .strip_prefix("Rp")
        .or_else(|| text.strip_prefix("rp"))
        .or_else(|| text.strip_prefix("RP"))
        .unwrap_or(text)
        .trim();
    let groups: Vec<&str> = text.split('.').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|group| group.len() == 3);
    let digits: String = if grouped {
        groups.concat()
    } else {
        text.to_owned()
    };
    let valid = !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then_some(digits)
}

fn read_permits(fields: &mut Fields<'_>, this_year: i32) -> Permits {
    let mut permits = Permits::default();
    if let Some(pirt) = fields.text("pirt", false) {
        match check_pirt(&pirt, this_year) {
            Ok(()) => permits.pirt = Some(pirt),
            Err(problem) => {
                let position = fields.value_position("pirt");
                fields.report(position, problem, None);
            }
        }
    }
    if let Some(bpom) = fields.text("bpom", false) {
        match check_bpom(&bpom) {
            Ok(()) => permits.bpom = Some(bpom),
            Err(problem) => {
                let position = fields.value_position("bpom");
                fields.report(position, problem, None);
            }
        }
    }
    let halal = fields.text("halal", false);
    if let Some(halal) = &halal {
        match check_halal(halal) {
            Ok(()) => permits.halal = Some(halal.clone()),
            Err(problem) => {
                let position = fields.value_position("halal");
                fields.report(position, problem, None);
            }
        }
    }
    permits.non_halal = fields.boolean("non_halal", false).unwrap_or(false);
    if permits.non_halal && halal.is_some() {
        let position = fields.key_position("non_halal");
        fields.report(position, Problem::HalalAndNonHalal, None);
    }
    permits
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn intended_rupiah_reads_common_mistakes() {
        assert_eq!(intended_rupiah("\"Rp45.000\"").as_deref(), Some("45000"));
        assert_eq!(intended_rupiah("45.000").as_deref(), Some("45000"));
        assert_eq!(intended_rupiah("'1.250.000'").as_deref(), Some("1250000"));
        assert_eq!(intended_rupiah("45000.5"), None);
        assert_eq!(intended_rupiah("-1"), None);
    }
}

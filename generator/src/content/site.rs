//! `site.yaml` (the gallery's settings) and `categories.yaml` (the category list).

use super::diagnostics::{Diagnostic, Problem};
use super::frontmatter::{parse_yaml, Fields, Locator, Step};
use super::schema::{CATEGORY, SITE};
use serde::Serialize;
use serde_yaml::Value;
use std::path::Path;

/// The gallery's settings from `site.yaml`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteConfig {
    /// Site name, shown in the header and the `<title>`.
    pub title: String,
    /// One line under the title.
    pub tagline: Option<String>,
    /// Absolute URL of the site, without a trailing slash (sitemap, feed, Open Graph).
    pub base_url: String,
    /// Page language; only `id`.
    pub language: String,
    /// The producers and products are examples, to be replaced by real ones.
    pub sample_data: bool,
    /// The gallery's street address.
    pub address: String,
    /// Opening hours, one printed line each.
    pub opening_hours: Vec<String>,
    pub contact: Contact,
    /// Base URL of the voucher API, for the Cek Saldo and Kasir pages.
    pub api_base_url: String,
    /// Products per page in paginated lists.
    pub products_per_page: usize,
    /// Offices an online order can be delivered to (the checkout's list); empty: pick-up only.
    pub offices: Vec<String>,
    /// WIB days an online order holds its vouchers' balance before it expires.
    pub order_hold_days: u32,
}

/// How to reach the gallery.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Contact {
    pub phone: Option<String>,
    /// Normalized to `628…`, ready for `https://wa.me/`.
    pub whatsapp: Option<String>,
    pub email: Option<String>,
}

/// A product category; `food` turns on the food permit rules.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Food or drink: P-IRT or BPOM, and halal (or an explicit non-halal declaration).
    pub food: bool,
    /// Where `slug:` is written, for duplicate reports.
    #[serde(skip)]
    pub line: usize,
}

/// Parses `site.yaml`. `None` when a required setting is missing or malformed.
pub fn parse_site(text: &str, path: &Path) -> (Option<SiteConfig>, Vec<Diagnostic>) {
    let value = match parse_yaml(text, 1, path) {
        Ok(value) => value,
        Err(diagnostic) => return (None, vec![*diagnostic]),
    };
    let locator = Locator::new(text, 1);
    let mut fields = Fields::new(value, SITE.fields, &locator, Vec::new(), path, 0);
    let config = read_site(&mut fields);
    (config, fields.finish())
}

/// Reads every field of `schema::SITE`.
pub(crate) fn read_site(fields: &mut Fields<'_>) -> Option<SiteConfig> {
    let title = fields.text("title");
    let tagline = fields.text("tagline");
    let base_url = fields.text("base_url");
    let language = fields.text("language");
    let sample_data = fields.boolean("sample_data").unwrap_or_default();
    let address = fields.text("address");
    let opening_hours = fields.text_list("opening_hours");
    let api_base_url = fields.text("api_base_url");
    let products_per_page = fields
        .integer("products_per_page")
        .and_then(|value| usize::try_from(value).ok());
    let offices = read_offices(fields);
    let order_hold_days = fields
        .integer("order_hold_days")
        .and_then(|value| u32::try_from(value).ok());
    let mut contact = Contact::default();
    let mut contact_valid = true;
    if let Some(mut nested) = fields.nested("contact") {
        contact = Contact {
            phone: nested.text("phone"),
            whatsapp: nested.text("whatsapp"),
            email: nested.text("email"),
        };
        contact_valid = nested.diagnostics.is_empty();
        fields.absorb(nested);
    }
    if !contact_valid {
        return None;
    }
    Some(SiteConfig {
        title: title?,
        tagline,
        base_url: base_url?,
        language: language?,
        sample_data,
        address: address?,
        opening_hours: opening_hours?,
        contact,
        api_base_url: api_base_url?,
        products_per_page: products_per_page?,
        offices: offices?,
        order_hold_days: order_hold_days?,
    })
}

/// `offices`: absent is none; each name written once and not empty, so the checkout's list and
/// the staff queue's grouping by office never show two entries for one place.
fn read_offices(fields: &mut Fields<'_>) -> Option<Vec<String>> {
    let absent = fields.raw("offices").is_none();
    let offices = fields.text_list("offices");
    if absent {
        return Some(Vec::new());
    }
    let offices = offices?;
    let mut valid = true;
    for (index, name) in offices.iter().enumerate() {
        if name.is_empty() || offices[..index].contains(name) {
            let position = fields.item_position("offices", index);
            fields.report(position, Problem::Office { name: name.clone() }, None);
            valid = false;
        }
    }
    valid.then_some(offices)
}

/// Parses `categories.yaml`: a list of categories. Also returns every slug written, valid or
/// not, so products naming a category with a typo elsewhere in its entry are not reported twice.
pub fn parse_categories(text: &str, path: &Path) -> (Vec<Category>, Vec<String>, Vec<Diagnostic>) {
    let value = match parse_yaml(text, 1, path) {
        Ok(value) => value,
        Err(diagnostic) => return (Vec::new(), Vec::new(), vec![*diagnostic]),
    };
    let locator = Locator::new(text, 1);
    let items = match value {
        Value::Sequence(items) => items,
        Value::Null => Vec::new(),
        _ => {
            return (
                Vec::new(),
                Vec::new(),
                vec![Diagnostic::new(path, locator.start(), Problem::NotList)],
            )
        }
    };
    let mut categories = Vec::new();
    let mut written = Vec::new();
    let mut diagnostics = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        if let Some(slug) = item.get("slug").and_then(Value::as_str) {
            written.push(slug.to_owned());
        }
        let mut fields = Fields::new(
            item,
            CATEGORY.fields,
            &locator,
            vec![Step::Index(index)],
            path,
            0,
        );
        let category = read_category(&mut fields);
        diagnostics.extend(fields.finish());
        categories.extend(category);
    }
    (categories, written, diagnostics)
}

/// Reads every field of `schema::CATEGORY`.
pub(crate) fn read_category(fields: &mut Fields<'_>) -> Option<Category> {
    let slug = fields.text("slug");
    let name = fields.text("name");
    let description = fields.text("description");
    let food = fields.boolean("food");
    Some(Category {
        slug: slug?,
        name: name?,
        description: description?,
        food: food?,
        line: fields.anchor().line,
    })
}

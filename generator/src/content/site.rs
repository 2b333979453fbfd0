//! `site.yaml` (the gallery's settings) and `categories.yaml` (the category list).

use super::diagnostics::{Diagnostic, Hint, Problem};
use super::frontmatter::{parse_yaml, Fields, Locator, Step};
use super::permits::{check_email, normalize_whatsapp};
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

const SITE_KEYS: &[&str] = &[
    "title",
    "tagline",
    "base_url",
    "language",
    "sample_data",
    "address",
    "opening_hours",
    "contact",
    "api_base_url",
    "products_per_page",
];
const CONTACT_KEYS: &[&str] = &["phone", "whatsapp", "email"];
const CATEGORY_KEYS: &[&str] = &["slug", "name", "description", "food"];

/// Parses `site.yaml`. `None` when a required setting is missing or malformed.
pub fn parse_site(text: &str, path: &Path) -> (Option<SiteConfig>, Vec<Diagnostic>) {
    let value = match parse_yaml(text, 1, path) {
        Ok(value) => value,
        Err(diagnostic) => return (None, vec![*diagnostic]),
    };
    let locator = Locator::new(text, 1);
    let mut fields = Fields::new(value, SITE_KEYS, &locator, Vec::new(), path);
    let title = fields.text("title", true);
    let tagline = fields.text("tagline", false);
    let base_url = fields.text("base_url", true).and_then(|url| {
        let trimmed = url.trim_end_matches('/').to_owned();
        let host = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"));
        if host.is_some_and(|host| !host.is_empty() && !host.contains(char::is_whitespace)) {
            Some(trimmed)
        } else {
            let position = fields.value_position("base_url");
            fields.report(position, Problem::BaseUrl { value: url }, None);
            None
        }
    });
    let language = fields.text("language", true).and_then(|language| {
        if language == "id" {
            Some(language)
        } else {
            let position = fields.value_position("language");
            fields.report(
                position,
                Problem::Language { value: language },
                Some(Hint::WriteAs("language: id".into())),
            );
            None
        }
    });
    let sample_data = fields.boolean("sample_data", false).unwrap_or(false);
    let address = fields.text("address", true);
    let opening_hours = fields.text_list("opening_hours", true);
    let api_base_url = fields.text("api_base_url", true);
    let products_per_page = match fields.integer("products_per_page", false) {
        None => Some(24),
        Some(value) if (1..=500).contains(&value) => usize::try_from(value).ok(),
        Some(value) => {
            let position = fields.value_position("products_per_page");
            fields.report(position, Problem::ProductsPerPage { value }, None);
            None
        }
    };
    let mut contact = Contact::default();
    let mut contact_valid = true;
    if let Some(value) = fields.mapping("contact") {
        let mut nested = Fields::new(
            value,
            CONTACT_KEYS,
            &locator,
            fields.nested("contact"),
            path,
        );
        contact.phone = nested.text("phone", false);
        contact.email = nested.text("email", false).and_then(|email| {
            check_email(&email)
                .map_err(|problem| {
                    let position = nested.value_position("email");
                    nested.report(position, problem, None);
                })
                .ok()
                .map(|()| email)
        });
        if let Some(number) = nested.text("whatsapp", false) {
            match normalize_whatsapp(&number) {
                Ok(normalized) => contact.whatsapp = Some(normalized),
                Err(problem) => {
                    let position = nested.value_position("whatsapp");
                    nested.report(position, problem, None);
                }
            }
        }
        let problems = nested.finish();
        contact_valid = problems.is_empty();
        fields.diagnostics.extend(problems);
    }
    let diagnostics = fields.finish();
    let config = match (
        title,
        base_url,
        language,
        address,
        opening_hours,
        api_base_url,
        products_per_page,
    ) {
        (
            Some(title),
            Some(base_url),
            Some(language),
            Some(address),
            Some(opening_hours),
            Some(api_base_url),
            Some(products_per_page),
        ) if contact_valid => Some(SiteConfig {
            title,
            tagline,
            base_url,
            language,
            sample_data,
            address,
            opening_hours,
            contact,
            api_base_url,
            products_per_page,
        }),
        _ => None,
    };
    (config, diagnostics)
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
            CATEGORY_KEYS,
            &locator,
            vec![Step::Index(index)],
            path,
        );
        let slug = fields.text("slug", true).and_then(|slug| {
            if super::is_slug(&slug) {
                Some(slug)
            } else {
                let position = fields.value_position("slug");
                fields.report(position, Problem::BadSlug { slug }, None);
                None
            }
        });
        let name = fields.text("name", true);
        let description = fields.text("description", true);
        let food = fields.boolean("food", true);
        let line = fields.anchor().line;
        diagnostics.extend(fields.finish());
        if let (Some(slug), Some(name), Some(description), Some(food)) =
            (slug, name, description, food)
        {
            categories.push(Category {
                slug,
                name,
                description,
                food,
                line,
            });
        }
    }
    (categories, written, diagnostics)
}

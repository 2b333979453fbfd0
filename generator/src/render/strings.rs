//! The theme's strings file (`<theme>/strings.yaml`): the visible Indonesian copy that the
//! generator, not a template, puts together (list titles, fallback descriptions, prefilled
//! WhatsApp messages), so no copy lives in Rust.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Every string the generator needs; a missing or misspelt key is a theme error at load.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    pub not_found_title: String,
    pub products_title: String,
    pub products_description: String,
    pub producers_title: String,
    pub producers_description: String,
    pub categories_title: String,
    pub categories_description: String,
    pub kecamatan_list_title: String,
    pub kecamatan_list_description: String,
    /// `{kecamatan}`.
    pub kecamatan_title: String,
    /// `{kecamatan}`.
    pub kecamatan_intro: String,
    /// `{kecamatan}`.
    pub kecamatan_description: String,
    /// `{judul}`, `{nomor}`.
    pub numbered_title: String,
    /// `{produk}`, `{produsen}`, `{kecamatan}`.
    pub product_description: String,
    /// `{produsen}`, `{desa}`, `{kecamatan}`.
    pub producer_description: String,
    pub whatsapp_gallery: String,
    /// `{produk}`, `{sku}`.
    pub whatsapp_product: String,
    pub whatsapp_producer: String,
    /// The Atom feed's subtitle.
    pub feed_subtitle: String,
    /// The slug of the free page on paying with an ASN voucher, linked from product pages.
    pub voucher_page: String,
    /// Title and description per app page slug (`cari`, `cek-saldo`, `kasir`).
    pub app_pages: BTreeMap<String, AppStrings>,
    /// The `/transparansi/` page.
    pub transparency: TransparencyStrings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransparencyStrings {
    pub title: String,
    pub description: String,
    /// The row of merged small cells, in tables, charts and the CSV.
    pub other: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppStrings {
    pub title: String,
    pub description: Option<String>,
}

impl Strings {
    /// Reads `<theme>/strings.yaml`; errors name the file, line and column.
    pub fn load(theme: &Path) -> Result<Strings, String> {
        let path = theme.join("strings.yaml");
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        serde_yaml::from_str(&text).map_err(|error| match error.location() {
            Some(at) => format!("{}:{}:{}: {error}", path.display(), at.line(), at.column()),
            None => format!("{}: {error}", path.display()),
        })
    }

    /// "Kopi" on page 1, "Kopi — halaman 2" after.
    pub fn numbered(&self, title: &str, page: usize) -> String {
        if page > 1 {
            fill(
                &self.numbered_title,
                &[("judul", title), ("nomor", &page.to_string())],
            )
        } else {
            title.to_owned()
        }
    }
}

/// Replaces each `{name}` in `text` with its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn default_theme() -> Strings {
        Strings::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/default")).unwrap()
    }

    #[test]
    fn the_default_theme_has_every_string_and_app_page() {
        let strings = default_theme();
        for page in super::super::urls::APP_PAGES {
            assert!(strings.app_pages.contains_key(page.slug), "{}", page.slug);
        }
        assert_eq!(strings.numbered("Kopi", 1), "Kopi");
        assert_eq!(strings.numbered("Kopi", 2), "Kopi — halaman 2");
        let message = fill(
            &strings.whatsapp_product,
            &[("produk", "Kopi Robusta"), ("sku", "KTA-KOP-001")],
        );
        assert!(message.contains("Kopi Robusta (KTA-KOP-001)") && !message.contains('{'));
    }

    #[test]
    fn a_misspelt_key_names_the_line() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("strings.yaml"), "not_found_titel: x\n").unwrap();
        let error = Strings::load(folder.path()).unwrap_err();
        assert!(error.contains("strings.yaml:1:1"), "{error}");
        assert!(error.contains("not_found_titel"), "{error}");
    }
}

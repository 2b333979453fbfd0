//! A producer (`producers/<slug>.md`): the UKM/IKM behind the products; body = its story.

use super::diagnostics::{did_you_mean, Diagnostic, Hint, Problem};
use super::frontmatter::{self, Fields, Locator};
use super::kecamatan;
use super::permits::{check_nib, normalize_whatsapp};
use super::{check_image, Image, ImageRoot};
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

const KEYS: &[&str] = &[
    "name",
    "kecamatan",
    "desa",
    "address",
    "whatsapp",
    "nib",
    "photo",
    "since",
];

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
    let mut fields = Fields::new(value, KEYS, &locator, Vec::new(), relative);
    let name = fields.text("name", true);
    let kecamatan = fields.text("kecamatan", true).and_then(|given| {
        let found = kecamatan::find(&given);
        if found.is_none() {
            let hint = did_you_mean(&given, kecamatan::KECAMATAN).or(Some(Hint::SeeKecamatanList));
            let position = fields.value_position("kecamatan");
            fields.report(position, Problem::UnknownKecamatan { name: given }, hint);
        }
        found
    });
    let desa = fields.text("desa", true);
    let address = fields.text("address", false);
    let whatsapp =
        fields
            .text("whatsapp", false)
            .and_then(|number| match normalize_whatsapp(&number) {
                Ok(normalized) => Some(normalized),
                Err(problem) => {
                    let position = fields.value_position("whatsapp");
                    fields.report(position, problem, None);
                    None
                }
            });
    let nib = fields
        .text("nib", true)
        .and_then(|nib| match check_nib(&nib) {
            Ok(()) => Some(nib),
            Err(problem) => {
                let position = fields.value_position("nib");
                fields.report(position, problem, None);
                None
            }
        });
    let photo =
        fields
            .text("photo", false)
            .and_then(|file| match check_image(root, relative, &file) {
                Ok(image) => Some(image),
                Err(problem) => {
                    let position = fields.value_position("photo");
                    fields.report(position, problem, None);
                    None
                }
            });
    let since = fields.integer("since", false).and_then(|year| {
        if (1900..=i64::from(this_year)).contains(&year) {
            Some(year)
        } else {
            let position = fields.value_position("since");
            fields.report(position, Problem::Year { year }, None);
            None
        }
    });
    // `/produk/halaman/<n>/` is the all-products pagination.
    fields.check_file_slug(slug, &["halaman"]);
    let diagnostics = fields.finish();
    if !diagnostics.is_empty() {
        return (None, diagnostics);
    }
    let producer = match (name, kecamatan, desa, nib) {
        (Some(name), Some(kecamatan), Some(desa), Some(nib)) => Some(Producer {
            slug: slug.into(),
            name,
            kecamatan,
            kecamatan_slug: kecamatan::slug(kecamatan),
            desa,
            address,
            whatsapp,
            nib,
            photo,
            since,
            body: parts.body.to_owned(),
        }),
        _ => None,
    };
    (producer, diagnostics)
}

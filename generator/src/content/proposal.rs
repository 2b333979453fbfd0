//! Pages that `galeri new` and `galeri import` propose to write, checked before anything is
//! written with every rule `galeri check` applies: each page on its own, then against the
//! catalog as it would be (references, unique SKUs and slugs, food permits).

use super::diagnostics::{Diagnostic, Hint, Problem};
use super::product::Product;
use super::table::Written;
use super::{producer, product, validate, Loaded};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A page to be written: its path inside the content folder and its whole text.
#[derive(Debug, Clone)]
pub struct Proposed {
    pub file: PathBuf,
    pub text: String,
}

/// The problems of proposed product pages (only theirs; the rest of the catalog is judged by
/// `galeri check`). A proposed page replaces the page at the same path.
pub fn check_products(loaded: &Loaded, proposed: &[Proposed]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut parsed: Vec<Product> = Vec::new();
    for page in proposed {
        let Some((folder, slug)) = product_place(&page.file) else {
            continue;
        };
        let (product, problems) = product::parse(
            &page.text,
            &page.file,
            &folder,
            &slug,
            &loaded.root,
            loaded.this_year,
        );
        if product.is_none() && !problems.is_empty() {
            // Its own problems do not hide those across files: they are reported in one run.
            parsed.extend(product::stand_in(&page.text, &page.file, &folder, &slug));
        }
        diagnostics.extend(problems);
        parsed.extend(product);
    }
    let replaced: HashSet<&Path> = proposed.iter().map(|page| page.file.as_path()).collect();
    let others: Vec<&Product> = loaded
        .products
        .iter()
        .filter(|product| !replaced.contains(product.file.as_path()))
        .collect();
    // `cross_check` names the first file in path order as the owner of a SKU or slug; a proposed
    // page must be told about an existing owner even when its own path sorts first.
    for product in &parsed {
        let owner = others
            .iter()
            .find(|other| !product.sku.is_empty() && other.sku == product.sku);
        if let Some(owner) = owner {
            diagnostics.push(Diagnostic::new(
                &product.file,
                product.spots.sku,
                Problem::DuplicateSku {
                    sku: product.sku.clone(),
                    first: owner.file.clone(),
                },
            ));
        }
        let same_place =
            |other: &&&Product| other.producer == product.producer && other.slug == product.slug;
        if let Some(owner) = others.iter().find(same_place) {
            diagnostics.push(Diagnostic::new(
                &product.file,
                product.spots.producer,
                Problem::DuplicateSlug {
                    slug: format!("{}/{}", product.producer, product.slug),
                    first: owner.file.clone(),
                },
            ));
        }
    }
    let mut all: Vec<Product> = others.into_iter().cloned().collect();
    all.extend(parsed);
    all.sort_by(|a, b| a.file.cmp(&b.file));
    diagnostics.extend(
        validate::cross_check(
            &loaded.categories,
            &loaded.category_slugs,
            &loaded.producer_slugs,
            &all,
        )
        .into_iter()
        .filter(|diagnostic| replaced.contains(diagnostic.path.as_path()))
        // A stand-in without a category or SKU says nothing about them: its own problems do.
        .filter(|diagnostic| match &diagnostic.problem {
            Problem::UnknownCategory { slug } => !slug.is_empty(),
            Problem::DuplicateSku { sku, .. } => !sku.is_empty(),
            _ => true,
        }),
    );
    diagnostics
}

/// The problems of a proposed producer page.
pub fn check_producer(loaded: &Loaded, page: &Proposed) -> Vec<Diagnostic> {
    let slug = page
        .file
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (_, problems) = producer::parse(
        &page.text,
        &page.file,
        &slug,
        &loaded.root,
        loaded.this_year,
    );
    problems
}

/// `products/<folder>/<slug>.md` → (folder, slug).
pub fn product_place(file: &Path) -> Option<(String, String)> {
    let parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [products, folder, slug] if products == "products" => Some((folder.clone(), slug.clone())),
        _ => None,
    }
}

/// The field path a problem of a page written from cells belongs to, so it can be reported at
/// the cell (import) or the flag (`galeri new`) the value came from. `slug` and `producer`
/// stand for the file's place.
pub fn field_of(diagnostic: &Diagnostic, written: &Written) -> Option<String> {
    let fixed = match &diagnostic.problem {
        Problem::UnknownProducer { .. } | Problem::DuplicateSlug { .. } => "producer",
        Problem::DuplicateSku { .. } => "sku",
        Problem::UnknownCategory { .. } => "category",
        Problem::FoodNeedsPermit { .. } => "permits.pirt",
        Problem::FoodNeedsHalal { .. } => "permits.halal",
        Problem::BadSlug { .. } | Problem::ReservedSlug { .. } | Problem::FileExists => "slug",
        Problem::MissingKey { key } => return Some(key.clone()),
        _ => return written.path_at(diagnostic.position.line).map(str::to_owned),
    };
    Some(fixed.to_owned())
}

/// A hint for a value given as a cell or a flag: `write `price: 45000`` names the key, but
/// there the value alone is what to write.
pub fn value_hint(hint: Option<&Hint>, path: Option<&str>) -> Option<Hint> {
    match (hint, path) {
        (Some(Hint::WriteAs(text)), Some(path)) => Some(Hint::WriteAs(
            text.strip_prefix(&format!("{path}: "))
                .unwrap_or(text)
                .to_owned(),
        )),
        (hint, _) => hint.cloned(),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed into place
/// once complete and flushed: a reader sees the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(folder)?;
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

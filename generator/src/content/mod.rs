//! The content model: loading `content/` (site settings, categories, producers, products, free
//! pages) into a checked `Library`, or every problem found, with its position.

pub mod diagnostics;
pub mod frontmatter;
pub mod kecamatan;
pub mod page;
pub mod permits;
pub mod producer;
pub mod product;
pub mod proposal;
pub mod schema;
pub mod site;
pub mod table;
pub mod validate;

use chrono::{Datelike, NaiveDate};
use diagnostics::{Diagnostic, Diagnostics, Position, Problem};
use page::Page;
use producer::Producer;
use product::Product;
use rayon::prelude::*;
use serde::Serialize;
use site::{Category, SiteConfig};
use std::path::{Component, Path, PathBuf};

/// Everything the site is built from, checked and cross-referenced.
#[derive(Debug, Clone)]
pub struct Library {
    pub site: SiteConfig,
    pub categories: Vec<Category>,
    /// Sorted by slug.
    pub producers: Vec<Producer>,
    /// Sorted by producer, then slug.
    pub products: Vec<Product>,
    /// Sorted by weight, then title.
    pub pages: Vec<Page>,
    /// The program's figures (`data/transparency.json`, written by `galeri report
    /// transparency`), when the content has them: published at `/transparansi/`.
    pub transparency: Option<crate::transparency::Transparency>,
}

/// An image file referenced by content: checked to exist, to be inside `content/` and to be
/// a real image.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    /// The file name as published, beside the page that shows it.
    pub name: String,
    pub width: usize,
    pub height: usize,
    /// The source file on disk.
    #[serde(skip)]
    pub source: PathBuf,
}

/// The content folder, resolved once, against which image paths are checked.
#[derive(Debug, Clone)]
pub struct ImageRoot {
    /// The content folder as given (for joining relative paths).
    pub content: PathBuf,
    /// Its canonical form, for the "stays inside" check (symlinks resolved).
    pub canonical: PathBuf,
}

/// Checks an image path written in `page` (relative to the content folder).
pub fn check_image(root: &ImageRoot, page: &Path, file: &str) -> Result<Image, Problem> {
    let written = Path::new(file);
    let escapes = written.is_absolute()
        || written
            .components()
            .any(|component| matches!(component, Component::Prefix(_) | Component::RootDir));
    if escapes {
        return Err(Problem::PathEscapes { file: file.into() });
    }
    let folder = page.parent().unwrap_or(Path::new(""));
    let path = root.content.join(folder).join(written);
    // Resolving symlinks and `..` shows where the file really is.
    let canonical = match path.canonicalize() {
        Ok(canonical) => canonical,
        Err(_) => {
            if lexically_escapes(&folder.join(written)) {
                return Err(Problem::PathEscapes { file: file.into() });
            }
            return Err(Problem::ImageMissing { file: file.into() });
        }
    };
    if !canonical.starts_with(&root.canonical) {
        return Err(Problem::PathEscapes { file: file.into() });
    }
    if !canonical.is_file() {
        return Err(Problem::ImageMissing { file: file.into() });
    }
    let size =
        imagesize::size(&canonical).map_err(|_| Problem::NotAnImage { file: file.into() })?;
    let name = canonical
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Image {
        name,
        width: size.width,
        height: size.height,
        source: canonical,
    })
}

/// Whether a relative path climbs above its start with `..`.
fn lexically_escapes(path: &Path) -> bool {
    let mut depth: i32 = 0;
    for component in path.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// Lowercase letters and digits in dash-separated words: `kopi-dampit`.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// A slug made from a name: `Kopi Robusta Dampit (250 g)` → `kopi-robusta-dampit-250-g`.
/// Letters outside ASCII are dropped; the result may be empty.
pub fn slug_from(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// One file found under `content/`, with what its place says about it.
enum Source {
    Producer { slug: String },
    Product { folder: String, slug: String },
    Page { slug: String },
    Misplaced { expected: &'static str },
}

/// Everything read from `content/`, each file checked on its own but not yet against the
/// others: what `load` cross-checks, and what `galeri new` and `galeri import` check the pages
/// they propose against.
#[derive(Debug)]
pub struct Loaded {
    pub site: Option<SiteConfig>,
    pub categories: Vec<Category>,
    /// Every category slug written, including those of entries with problems of their own.
    pub category_slugs: Vec<String>,
    /// Every producer file's slug, including those with problems of their own.
    pub producer_slugs: Vec<String>,
    /// Sorted by slug.
    pub producers: Vec<Producer>,
    /// Sorted by producer, then slug.
    pub products: Vec<Product>,
    /// Sorted by weight, then title.
    pub pages: Vec<Page>,
    /// Problems found in single files.
    pub diagnostics: Vec<Diagnostic>,
    pub root: ImageRoot,
    pub this_year: i32,
}

/// Loads and checks everything under `content`. `today` (WIB) decides which P-IRT are expired.
pub fn load(content: &Path, today: NaiveDate) -> Result<Library, Diagnostics> {
    let loaded = read_all(content, today)?;
    let mut diagnostics = loaded.diagnostics;
    let transparency = read_transparency(content).unwrap_or_else(|diagnostic| {
        diagnostics.push(*diagnostic);
        None
    });
    diagnostics.extend(validate::cross_check(
        &loaded.categories,
        &loaded.category_slugs,
        &loaded.producer_slugs,
        &loaded.products,
    ));
    match loaded.site {
        Some(site) if diagnostics.is_empty() => Ok(Library {
            site,
            categories: loaded.categories,
            producers: loaded.producers,
            products: loaded.products,
            pages: loaded.pages,
            transparency,
        }),
        _ => Err(Diagnostics::new(diagnostics)),
    }
}

/// `data/transparency.json` if the content has it, checked; a problem names its line and
/// column.
fn read_transparency(
    content: &Path,
) -> Result<Option<crate::transparency::Transparency>, Box<Diagnostic>> {
    let relative = Path::new(crate::transparency::CONTENT_PATH);
    if !content.join(relative).exists() {
        return Ok(None);
    }
    let text = read(content, relative)?;
    crate::transparency::Transparency::parse(&text)
        .map(Some)
        .map_err(|error| {
            Box::new(Diagnostic::new(
                relative,
                Position {
                    line: error.line.max(1),
                    col: error.column.max(1),
                },
                Problem::TransparencyData {
                    detail: error.message,
                },
            ))
        })
}

/// Reads and checks every file under `content` on its own. Fails only when `content` is not a
/// folder.
pub fn read_all(content: &Path, today: NaiveDate) -> Result<Loaded, Diagnostics> {
    let this_year = today.year();
    let mut diagnostics = Vec::new();
    let root = ImageRoot {
        content: content.to_path_buf(),
        canonical: content
            .canonicalize()
            .unwrap_or_else(|_| content.to_path_buf()),
    };
    if !content.is_dir() {
        return Err(Diagnostics::new(vec![Diagnostic::new(
            "",
            Position::START,
            Problem::MissingFile,
        )]));
    }

    let site = match read(content, Path::new("site.yaml")) {
        Ok(text) => {
            let (site, problems) = site::parse_site(&text, Path::new("site.yaml"));
            diagnostics.extend(problems);
            site
        }
        Err(diagnostic) => {
            diagnostics.push(*diagnostic);
            None
        }
    };
    let (categories, category_slugs) = match read(content, Path::new("categories.yaml")) {
        Ok(text) => {
            let (categories, written, problems) =
                site::parse_categories(&text, Path::new("categories.yaml"));
            diagnostics.extend(problems);
            (categories, written)
        }
        Err(diagnostic) => {
            diagnostics.push(*diagnostic);
            (Vec::new(), Vec::new())
        }
    };

    let sources = discover(content);
    // Every producer file counts as existing for references, even one with its own problems:
    // those are reported in its file, not again in each of its products.
    let producer_slugs: Vec<String> = sources
        .iter()
        .filter_map(|(_, source)| match source {
            Source::Producer { slug } => Some(slug.clone()),
            _ => None,
        })
        .collect();
    // Files are independent until cross-checking, so parse them in parallel.
    let parsed: Vec<(Parsed, Vec<Diagnostic>)> = sources
        .into_par_iter()
        .map(|(relative, source)| parse_source(content, &root, relative, source, this_year))
        .collect();
    let mut producers = Vec::new();
    let mut products = Vec::new();
    let mut pages = Vec::new();
    for (item, problems) in parsed {
        diagnostics.extend(problems);
        match item {
            Parsed::Producer(producer) => producers.push(*producer),
            Parsed::Product(product) => products.push(*product),
            Parsed::Page(page) => pages.push(page),
            Parsed::Nothing => {}
        }
    }
    producers.sort_by(|a, b| a.slug.cmp(&b.slug));
    products.sort_by(|a, b| (&a.producer, &a.slug).cmp(&(&b.producer, &b.slug)));
    pages.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
    Ok(Loaded {
        site,
        categories,
        category_slugs,
        producer_slugs,
        producers,
        products,
        pages,
        diagnostics,
        root,
        this_year,
    })
}

enum Parsed {
    Producer(Box<Producer>),
    Product(Box<Product>),
    Page(Page),
    Nothing,
}

fn parse_source(
    content: &Path,
    root: &ImageRoot,
    relative: PathBuf,
    source: Source,
    this_year: i32,
) -> (Parsed, Vec<Diagnostic>) {
    if let Source::Misplaced { expected } = source {
        return (
            Parsed::Nothing,
            vec![Diagnostic::new(
                relative,
                Position::START,
                Problem::MisplacedFile { expected },
            )],
        );
    }
    let text = match read(content, &relative) {
        Ok(text) => text,
        Err(diagnostic) => return (Parsed::Nothing, vec![*diagnostic]),
    };
    match source {
        Source::Producer { slug } => {
            let (producer, problems) = producer::parse(&text, &relative, &slug, root, this_year);
            (
                producer.map_or(Parsed::Nothing, |producer| {
                    Parsed::Producer(Box::new(producer))
                }),
                problems,
            )
        }
        Source::Product { folder, slug } => {
            let (product, problems) =
                product::parse(&text, &relative, &folder, &slug, root, this_year);
            (
                product.map_or(Parsed::Nothing, |product| {
                    Parsed::Product(Box::new(product))
                }),
                problems,
            )
        }
        Source::Page { slug } => {
            let (page, problems) = page::parse(&text, &relative, &slug);
            (page.map_or(Parsed::Nothing, Parsed::Page), problems)
        }
        Source::Misplaced { .. } => (Parsed::Nothing, Vec::new()),
    }
}

pub(crate) fn read(content: &Path, relative: &Path) -> Result<String, Box<Diagnostic>> {
    let path = content.join(relative);
    std::fs::read_to_string(&path).map_err(|error| {
        let problem = if error.kind() == std::io::ErrorKind::NotFound {
            Problem::MissingFile
        } else {
            Problem::Unreadable {
                reason: error.to_string(),
            }
        };
        Box::new(Diagnostic::new(relative, Position::START, problem))
    })
}

/// Every `.md` file under producers/, products/ and pages/, classified by where it sits.
fn discover(content: &Path) -> Vec<(PathBuf, Source)> {
    let mut found = Vec::new();
    for (folder, expected) in [
        ("producers", "producers/<slug>.md"),
        ("products", "products/<producer>/<slug>.md"),
        ("pages", "pages/<slug>.md"),
    ] {
        let base = content.join(folder);
        let walker = walkdir::WalkDir::new(&base).sort_by_file_name().into_iter();
        for entry in walker.filter_map(Result::ok) {
            let is_markdown = entry.file_type().is_file()
                && entry.path().extension().is_some_and(|ext| ext == "md");
            if !is_markdown {
                continue;
            }
            let Ok(inside) = entry.path().strip_prefix(&base) else {
                continue;
            };
            let relative = Path::new(folder).join(inside);
            let parts: Vec<String> = inside
                .with_extension("")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            let source = match (folder, parts.as_slice()) {
                ("producers", [slug]) => Source::Producer { slug: slug.clone() },
                ("products", [producer, slug]) => Source::Product {
                    folder: producer.clone(),
                    slug: slug.clone(),
                },
                ("pages", [slug]) => Source::Page { slug: slug.clone() },
                _ => Source::Misplaced { expected },
            };
            found.push((relative, source));
        }
    }
    found
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_kebab() {
        assert!(is_slug("kopi-dampit-2"));
        assert!(!is_slug("Kopi"));
        assert!(!is_slug("kopi--dampit"));
        assert!(!is_slug("-kopi"));
        assert!(!is_slug(""));
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(
            slug_from("Kopi Robusta Dampit (250 g)"),
            "kopi-robusta-dampit-250-g"
        );
        assert_eq!(slug_from("  Madu -- Klanceng! "), "madu-klanceng");
        assert!(is_slug(&slug_from("Tempe Keripik Sanan")));
    }

    #[test]
    fn parent_steps_that_climb_out_are_caught() {
        assert!(lexically_escapes(Path::new("products/a/../../../x.png")));
        assert!(!lexically_escapes(Path::new("products/a/../b/x.png")));
    }
}

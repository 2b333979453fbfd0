//! The `Site`: a checked content `Library` plus parsed templates, and the build as a short list
//! of named phases (`Site::build`): load and validate → render Markdown → publish images →
//! render pages → sitemap, feed, search index, catalog, static files, all into an in-memory
//! `Tree` → `output::atomic::sync` writes only the files that changed. Each page kind has its own renderer in `render::pages`; every URL comes from
//! `render::urls`.
//!
//! Library API (used by `galeri build`, `galeri check` and `galeri serve`):
//! `check_site(content, today)` and `build_site(&BuildOptions)`.

use crate::content::diagnostics::Diagnostics;
use crate::content::{self, Library};
use crate::markdown::RenderedBodies;
use crate::output::{self, atomic::Contents, atomic::Tree};
use crate::render;
use crate::render::index::Index;
use crate::render::pages::{self, Page, Renderer};
use crate::render::strings::Strings;
use crate::render::urls;
use crate::render::views::{Card, ImageView, Photos};
use chrono::{NaiveDate, Utc};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tera::Tera;

/// Threads for rendering and writing pages: several per core, since each page also waits on
/// the filesystem (folder and file creation).
const IO_THREADS: usize = 16;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The content folder (`content`).
    pub content: PathBuf,
    /// The theme folder (`themes/default`).
    pub theme: PathBuf,
    /// The output folder (`public`): only changed files are written, after every check.
    pub out: PathBuf,
    /// Replaces `base_url` of site.yaml (e.g. for a preview host).
    pub base_url: Option<String>,
    /// Replaces `api_base_url` of site.yaml (`galeri serve` serves the API at `/api/v1`).
    pub api_base_url: Option<String>,
    /// "Today" in WIB, for P-IRT expiry and undated feed entries; `None` = now.
    pub today: Option<NaiveDate>,
    /// Where resized photos are cached between builds; `None` = `.galeri/image-cache` beside
    /// the content folder.
    pub image_cache: Option<PathBuf>,
}

impl BuildOptions {
    pub fn new(
        content: impl Into<PathBuf>,
        theme: impl Into<PathBuf>,
        out: impl Into<PathBuf>,
    ) -> BuildOptions {
        BuildOptions {
            content: content.into(),
            theme: theme.into(),
            out: out.into(),
            base_url: None,
            api_base_url: None,
            today: None,
            image_cache: None,
        }
    }
}

/// What a successful build wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// HTML pages written (including 404).
    pub pages: usize,
    pub products: usize,
    pub producers: usize,
    /// Every file written.
    pub files: usize,
    /// Photos published.
    pub photos: usize,
    /// Photos resized and encoded by this build (the rest came from the cache).
    pub photos_processed: usize,
    /// The web editor's Decap bundle was installed and shipped at `/admin/`.
    pub editor_bundled: bool,
    /// What reached the disk: files written, left alone, removed.
    pub sync: output::atomic::SyncReport,
}

/// Why a build failed. The previous output is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Content problems; render them with `Diagnostics::render`.
    #[error("{} problems in the content", .0.len())]
    Content(Diagnostics),
    #[error("theme: {0}")]
    Theme(String),
    #[error("--base-url `{0}` must start with https:// or http://")]
    BaseUrl(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("photo {0}")]
    Image(#[from] output::images::ImageError),
    /// Writing the output failed part-way (e.g. the disk is full): every file is whole, either
    /// its previous or its new version; the next successful build completes it.
    #[error("writing the output: {0}")]
    Write(#[from] output::atomic::SyncError),
    #[error("rendering {page}: {message}")]
    Render { page: String, message: String },
    /// The output folder contains the content, the theme or the working folder: replacing it
    /// would delete them.
    #[error("refusing to replace {0}: it contains the content, the theme or the current folder")]
    UnsafeOutput(PathBuf),
}

/// Today's date in WIB.
pub fn today_wib() -> NaiveDate {
    galeri_vouchers::store::wib_date(Utc::now())
}

/// Checks the content without writing anything.
pub fn check_site(content: &Path, today: Option<NaiveDate>) -> Result<Library, Diagnostics> {
    content::load(content, today.unwrap_or_else(today_wib))
}

/// Checks the content and renders the whole site, then writes what changed into `options.out`.
pub fn build_site(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    Site::load(options)?.build(&options.out)
}

/// A loaded site: content checked, templates parsed once.
pub struct Site {
    pub library: Library,
    templates: Tera,
    strings: Strings,
    theme: PathBuf,
    base_url: String,
    api_base: String,
    image_cache: PathBuf,
    today: NaiveDate,
}

impl Site {
    /// Load and validate the content; parse the templates and the strings file.
    pub fn load(options: &BuildOptions) -> Result<Site, BuildError> {
        let today = options.today.unwrap_or_else(today_wib);
        let library = content::load(&options.content, today).map_err(BuildError::Content)?;
        let base_url = match &options.base_url {
            None => library.site.base_url.clone(),
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(url) => return Err(BuildError::BaseUrl(url.clone())),
        };
        let api_base = options
            .api_base_url
            .as_deref()
            .unwrap_or(&library.site.api_base_url)
            .trim_end_matches('/')
            .to_owned();
        let templates = render::load(&options.theme).map_err(BuildError::Theme)?;
        let strings = Strings::load(&options.theme).map_err(BuildError::Theme)?;
        check_output_is_safe(&options.out, &[&options.content, &options.theme])?;
        let image_cache = options.image_cache.clone().unwrap_or_else(|| {
            options
                .content
                .parent()
                .unwrap_or(Path::new(""))
                .join(".galeri/image-cache")
        });
        Ok(Site {
            library,
            templates,
            strings,
            theme: options.theme.clone(),
            base_url,
            api_base,
            image_cache,
            today,
        })
    }

    /// The build phases into memory; then, only if all succeeded, the changes onto `out`.
    pub fn build(&self, out: &Path) -> Result<BuildReport, BuildError> {
        // Rendering is CPU work, but writing waits on the filesystem (folder and file creation,
        // comparing old bytes): with more threads than cores, one file's wait overlaps
        // another's work.
        let run = || -> Result<BuildReport, BuildError> {
            let tree = Tree::new();
            // The price list keeps its date while its items are unchanged, so an unchanged
            // catalog rebuilds to the same bytes.
            let previous_catalog =
                std::fs::read_to_string(out.join(urls::output_path(urls::CATALOG)))
                    .ok()
                    .and_then(|text| serde_json::from_str(&text).ok());
            let mut report = self.build_into(&tree, previous_catalog)?;
            report.sync = output::atomic::sync(tree, out)?;
            Ok(report)
        };
        match rayon::ThreadPoolBuilder::new()
            .num_threads(IO_THREADS)
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        }
    }

    fn build_into(
        &self,
        root: &Tree,
        previous_catalog: Option<galeri_vouchers::model::Catalog>,
    ) -> Result<BuildReport, BuildError> {
        let library = &self.library;
        let bodies = RenderedBodies::new(library);
        let index = Index::new(library);
        let (photos, images) = self.publish_images(root)?;
        let cards = self.cards(&index, &photos);
        let sitemap = self.render_pages(root, &index, &cards, &bodies, &photos)?;
        let pages = sitemap.pages;
        let mut files = 0;
        files += self.write_sitemap(root, &sitemap.urls)?;
        files += self.write_feed(root, &index)?;
        files += self.write_search_index(root, &index, &cards)?;
        files += self.write_catalog(root, previous_catalog)?;
        files += self.write_transparency_csv(root)?;
        files += copy_static(&self.theme.join("static"), root, Path::new("static"))?;
        let editor =
            render::admin::write(root, &self.theme, library).map_err(|source| BuildError::Io {
                context: "writing the web editor /admin/".into(),
                source,
            })?;
        files += editor.files;
        Ok(BuildReport {
            pages,
            products: library.products.len(),
            producers: library.producers.len(),
            files: pages + images.files + files,
            photos: images.photos,
            photos_processed: images.processed,
            editor_bundled: editor.bundled,
            sync: output::atomic::SyncReport::default(),
        })
    }

    /// Publishes every product image and producer photo beside the page that shows it, as
    /// responsive variants from the image cache.
    fn publish_images(&self, root: &Tree) -> Result<(Photos, output::images::Report), BuildError> {
        let library = &self.library;
        let mut jobs = Vec::new();
        // (product or producer, position, page URL, image) per job, to build the views after.
        let mut owners: Vec<(bool, usize, String, &content::Image)> = Vec::new();
        for (position, product) in library.products.iter().enumerate() {
            let url = urls::product(&product.producer, &product.slug);
            for image in &product.images {
                owners.push((true, position, url.clone(), image));
            }
        }
        for (position, producer) in library.producers.iter().enumerate() {
            if let Some(image) = &producer.photo {
                owners.push((false, position, urls::producer(&producer.slug), image));
            }
        }
        for (_, _, url, image) in &owners {
            jobs.push(output::images::Job {
                source: image.source.clone(),
                folder: PathBuf::from(url.trim_start_matches('/')),
                stem: Path::new(&image.name)
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            });
        }
        let (published, report) =
            output::images::Cache::new(&self.image_cache).publish(&jobs, root)?;
        let mut photos = Photos {
            products: vec![Vec::new(); library.products.len()],
            producers: vec![None; library.producers.len()],
        };
        for ((is_product, position, url, image), published) in owners.iter().zip(&published) {
            if *is_product {
                let name = &library.products[*position].name;
                photos.products[*position].push(ImageView::new(image, published, url, name));
            } else {
                let name = &library.producers[*position].name;
                photos.producers[*position] = Some(ImageView::new(image, published, url, name));
            }
        }
        Ok((photos, report))
    }

    /// A card per product (same order as the library), for lists, search and related products.
    fn cards<'a>(&'a self, index: &Index, photos: &Photos) -> Vec<Card<'a>> {
        let library = &self.library;
        library
            .products
            .par_iter()
            .enumerate()
            .map(|(position, product)| {
                Card::new(
                    library,
                    product,
                    index.product_producer[position],
                    photos.products[position].first().cloned(),
                )
            })
            .collect()
    }

    /// Renders every page, in parallel, into the tree.
    fn render_pages(
        &self,
        root: &Tree,
        index: &Index,
        cards: &[Card<'_>],
        bodies: &RenderedBodies,
        photos: &Photos,
    ) -> Result<SitemapUrls, BuildError> {
        let library = &self.library;
        let base = pages::base_context(library, &self.strings, &self.base_url, index);
        let renderer = Renderer {
            library,
            strings: &self.strings,
            base_url: &self.base_url,
            api_base: &self.api_base,
            index,
            cards,
            bodies,
            photos,
            base: &base,
        };
        let jobs = renderer.jobs(|template| {
            self.templates
                .get_template_names()
                .any(|name| name == template)
        });
        let written: Vec<Option<String>> = jobs
            .par_iter()
            .map(|job| self.write_page(root, renderer.render(*job)))
            .collect::<Result<_, _>>()?;
        let pages = written.len();
        let mut urls: Vec<String> = written.into_iter().flatten().collect();
        urls.sort();
        Ok(SitemapUrls { pages, urls })
    }

    /// Runs the page's template and adds it; returns its URL if it belongs in the sitemap.
    fn write_page(&self, root: &Tree, page: Page) -> Result<Option<String>, BuildError> {
        let Page {
            url,
            template,
            title,
            description,
            mut context,
            in_sitemap,
        } = page;
        context.insert("page_title", &title);
        context.insert("description", &description);
        context.insert("current_url", &url);
        context.insert("canonical", &format!("{}{}", self.base_url, url));
        let html =
            self.templates
                .render(template, &context)
                .map_err(|error| BuildError::Render {
                    page: url.clone(),
                    message: render::error_chain(&error),
                })?;
        root.add(urls::output_path(&url), Contents::Bytes(html.into_bytes()));
        Ok(in_sitemap.then_some(url))
    }

    /// `sitemap.xml` and `robots.txt`.
    fn write_sitemap(&self, root: &Tree, paths: &[String]) -> Result<usize, BuildError> {
        write_file(
            root,
            urls::SITEMAP,
            &output::sitemap::sitemap(&self.base_url, paths),
        )?;
        write_file(root, urls::ROBOTS, &output::sitemap::robots(&self.base_url))?;
        Ok(2)
    }

    /// The Atom feed of the newest products.
    fn write_feed(&self, root: &Tree, index: &Index) -> Result<usize, BuildError> {
        let library = &self.library;
        let newest: Vec<&content::product::Product> = index
            .newest
            .iter()
            .map(|position| &library.products[*position])
            .collect();
        let feed = output::feed::atom(
            library,
            &self.base_url,
            &self.strings.feed_subtitle,
            &newest,
            self.today,
        );
        write_file(root, urls::FEED, &feed)?;
        Ok(1)
    }

    /// The in-browser search's index of available products.
    fn write_search_index(
        &self,
        root: &Tree,
        index: &Index,
        cards: &[Card<'_>],
    ) -> Result<usize, BuildError> {
        let library = &self.library;
        let kecamatan: Vec<&str> = content::kecamatan::KECAMATAN.to_vec();
        let category_position = |slug: &str| {
            library
                .categories
                .iter()
                .position(|category| category.slug == slug)
                .unwrap_or(0)
        };
        let search = output::search::SearchIndex {
            fields: output::search::FIELDS,
            categories: library
                .categories
                .iter()
                .map(|category| (category.slug.as_str(), category.name.as_str()))
                .collect(),
            kecamatan: kecamatan
                .iter()
                .map(|name| (content::kecamatan::slug(name), *name))
                .collect(),
            producers: library
                .producers
                .iter()
                .map(|producer| {
                    let at = kecamatan
                        .iter()
                        .position(|name| *name == producer.kecamatan)
                        .unwrap_or(0);
                    (producer.name.as_str(), at)
                })
                .collect(),
            products: library
                .products
                .iter()
                .zip(cards)
                .zip(&index.product_producer)
                .filter(|((product, _), _)| product.available)
                .map(|((product, card), producer)| {
                    (
                        product.sku.as_str(),
                        product.name.as_str(),
                        *producer,
                        category_position(&product.category),
                        product.price.rupiah(),
                        u8::from(card.halal),
                        card.url.clone(),
                        card.image
                            .as_ref()
                            .map(|image| image.thumbnail.clone())
                            .unwrap_or_default(),
                        product.tags.join(" "),
                    )
                })
                .collect(),
        };
        write_file(root, urls::SEARCH_INDEX, &to_json(&search, false)?)?;
        Ok(1)
    }

    /// The figures of `/transparansi/` as a spreadsheet beside the page, when the content has
    /// them.
    fn write_transparency_csv(&self, root: &Tree) -> Result<usize, BuildError> {
        let Some(data) = &self.library.transparency else {
            return Ok(0);
        };
        let names = pages::transparency::names(&self.library, &self.strings);
        let csv =
            crate::transparency::to_csv(data, &names).map_err(|error| BuildError::Render {
                page: urls::TRANSPARENCY_CSV.into(),
                message: format!("{error:#}"),
            })?;
        write_file(root, urls::TRANSPARENCY_CSV, &csv)?;
        Ok(1)
    }

    /// `catalog.json`, the price list the voucher functions trust; `generated_at` is the
    /// previous build's when the items are the same.
    fn write_catalog(
        &self,
        root: &Tree,
        previous: Option<galeri_vouchers::model::Catalog>,
    ) -> Result<usize, BuildError> {
        let mut catalog = output::catalog::catalog(&self.library, Utc::now());
        if let Some(previous) = previous.filter(|previous| previous.items == catalog.items) {
            catalog.generated_at = previous.generated_at;
        }
        write_file(root, urls::CATALOG, &to_json(&catalog, true)?)?;
        Ok(1)
    }
}

/// What the page phase wrote.
struct SitemapUrls {
    /// HTML pages written (including 404).
    pages: usize,
    /// Root-relative URLs for the sitemap, sorted.
    urls: Vec<String>,
}

fn write_file(root: &Tree, url: &str, text: &str) -> Result<(), BuildError> {
    root.add(
        urls::output_path(url),
        Contents::Bytes(text.as_bytes().to_vec()),
    );
    Ok(())
}

/// The build removes from `out` whatever it did not produce, so `out` must not hold anything
/// precious.
fn check_output_is_safe(out: &Path, keep: &[&Path]) -> Result<(), BuildError> {
    let Ok(out_canonical) = out.canonicalize() else {
        // Does not exist yet: nothing to lose.
        return Ok(());
    };
    let current = std::env::current_dir().ok();
    let precious = keep
        .iter()
        .filter_map(|path| path.canonicalize().ok())
        .chain(current.and_then(|path| path.canonicalize().ok()));
    for path in precious {
        if path.starts_with(&out_canonical) {
            return Err(BuildError::UnsafeOutput(out.to_path_buf()));
        }
    }
    Ok(())
}

fn to_json<T: Serialize>(value: &T, pretty: bool) -> Result<String, BuildError> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    text.map_err(|error| BuildError::Render {
        page: "json".into(),
        message: error.to_string(),
    })
}

/// Copies the theme's static files (CSS, JS) to `/static/`.
fn copy_static(from: &Path, root: &Tree, to: &Path) -> Result<usize, BuildError> {
    if !from.is_dir() {
        return Ok(0);
    }
    let mut count = 0;
    for entry in walkdir::WalkDir::new(from).into_iter() {
        let entry = entry.map_err(|error| BuildError::Io {
            context: format!("reading {}", from.display()),
            source: error.into(),
        })?;
        let Ok(relative) = entry.path().strip_prefix(from) else {
            continue;
        };
        if !entry.file_type().is_dir() {
            root.add(
                to.join(relative),
                Contents::Copy(entry.path().to_path_buf()),
            );
            count += 1;
        }
    }
    Ok(count)
}

//! The `Site`: a checked content `Library` plus parsed templates, and the build as a short list
//! of phases: load → validate → render markdown → render pages → sitemap, feed, search index,
//! catalog → swap the output folder in atomically.
//!
//! Library API (used by `galeri build`, `galeri check` and `galeri serve`):
//! `check_site(content, today)` and `build_site(&BuildOptions)`.

use crate::content::diagnostics::Diagnostics;
use crate::content::{self, Library};
use crate::markdown;
use crate::output::{self, atomic::Staging};
use crate::render::{self, views::*};
use chrono::{NaiveDate, Utc};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tera::{Context, Tera};

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
    /// The output folder (`public`), replaced atomically.
    pub out: PathBuf,
    /// Replaces `base_url` of site.yaml (e.g. for a preview host).
    pub base_url: Option<String>,
    /// "Today" in WIB, for P-IRT expiry and undated feed entries; `None` = now.
    pub today: Option<NaiveDate>,
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
            today: None,
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
    #[error("rendering {page}: {message}")]
    Render { page: String, message: String },
    /// The output folder contains the content, the theme or the working folder: replacing it
    /// would delete them.
    #[error("refusing to replace {0}: it contains the content, the theme or the current folder")]
    UnsafeOutput(PathBuf),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BuildError {
    let context = context.into();
    move |source| BuildError::Io { context, source }
}

/// Today's date in WIB.
pub fn today_wib() -> NaiveDate {
    galeri_vouchers::store::wib_date(Utc::now())
}

/// Checks the content without writing anything.
pub fn check_site(content: &Path, today: Option<NaiveDate>) -> Result<Library, Diagnostics> {
    content::load(content, today.unwrap_or_else(today_wib))
}

/// Checks the content and builds the site into `options.out`, atomically.
pub fn build_site(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    Site::load(options)?.build(&options.out)
}

/// A loaded site: content checked, templates parsed once.
pub struct Site {
    pub library: Library,
    templates: Tera,
    theme: PathBuf,
    base_url: String,
    today: NaiveDate,
}

impl Site {
    /// Phase 1 and 2: load and validate the content; parse the templates.
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
        let templates = render::load(&options.theme).map_err(BuildError::Theme)?;
        check_output_is_safe(&options.out, &[&options.content, &options.theme])?;
        Ok(Site {
            library,
            templates,
            theme: options.theme.clone(),
            base_url,
            today,
        })
    }

    /// The remaining phases, into a staging folder that replaces `out` only on success.
    pub fn build(&self, out: &Path) -> Result<BuildReport, BuildError> {
        let staging = Staging::create(out).map_err(io_error(format!(
            "creating a build folder beside {}",
            out.display()
        )))?;
        // Rendering is CPU work, but every page is also a folder and a file: with more threads
        // than cores, one page's render overlaps another's wait on the filesystem. The old
        // output is deleted on the same pool, in parallel (see `atomic::remove_tree`).
        let run = || -> Result<BuildReport, BuildError> {
            let report = self.write_all(staging.path())?;
            staging
                .commit()
                .map_err(io_error(format!("replacing {}", out.display())))?;
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

    fn write_all(&self, root: &Path) -> Result<BuildReport, BuildError> {
        let library = &self.library;
        // Render markdown.
        let product_html: Vec<String> = library
            .products
            .par_iter()
            .map(|product| markdown::render(&product.body))
            .collect();
        let producer_html: Vec<String> = library
            .producers
            .par_iter()
            .map(|producer| markdown::render(&producer.body))
            .collect();
        let page_html: Vec<String> = library
            .pages
            .iter()
            .map(|page| markdown::render(&page.body))
            .collect();

        let index = Index::new(library);
        let cards: Vec<Card<'_>> = library
            .products
            .par_iter()
            .enumerate()
            .map(|(position, product)| {
                Card::new(library, product, index.product_producer[position])
            })
            .collect();
        let base = self.base_context(&index);
        let renderer = Renderer {
            site: self,
            index: &index,
            cards: &cards,
            product_html: &product_html,
            producer_html: &producer_html,
            page_html: &page_html,
            base: &base,
            root,
        };

        // Render pages, in parallel, each written as soon as it is rendered.
        let jobs = renderer.jobs();
        let written: Vec<Written> = jobs
            .par_iter()
            .map(|job| renderer.run(job))
            .collect::<Result<_, _>>()?;
        let pages = written.len();
        let assets: usize = written.iter().map(|page| page.assets).sum();
        let mut sitemap_paths: Vec<String> = written
            .into_iter()
            .filter_map(|page| page.sitemap)
            .collect();
        sitemap_paths.sort();

        // Sitemap, robots, feed, search index, catalog.
        let newest: Vec<&content::product::Product> = index
            .newest
            .iter()
            .map(|position| &library.products[*position])
            .collect();
        let mut files = vec![
            (
                "sitemap.xml",
                output::sitemap::sitemap(&self.base_url, &sitemap_paths),
            ),
            ("robots.txt", output::sitemap::robots(&self.base_url)),
            (
                "atom.xml",
                output::feed::atom(library, &self.base_url, &newest, self.today),
            ),
        ];
        let search = output::search::SearchIndex {
            fields: output::search::FIELDS,
            products: library
                .products
                .iter()
                .zip(&cards)
                .filter(|(product, _)| product.available)
                .map(|(product, card)| {
                    (
                        product.sku.as_str(),
                        product.name.as_str(),
                        card.producer,
                        card.kecamatan,
                        product.category.as_str(),
                        product.price.rupiah(),
                        card.halal,
                        card.url.clone(),
                        product.tags.join(" "),
                    )
                })
                .collect(),
        };
        files.push(("search-index.json", to_json(&search, false)?));
        let catalog = output::catalog::catalog(library, Utc::now());
        files.push(("catalog.json", to_json(&catalog, true)?));
        for (name, text) in &files {
            std::fs::write(root.join(name), text).map_err(io_error(format!("writing {name}")))?;
        }
        let statics = copy_static(&self.theme.join("static"), &root.join("static"))?;

        Ok(BuildReport {
            pages,
            products: library.products.len(),
            producers: library.producers.len(),
            files: pages + assets + files.len() + statics,
        })
    }

    /// What every page shares: the site settings, menu and category navigation.
    fn base_context(&self, index: &Index) -> Context {
        let library = &self.library;
        let mut context = Context::new();
        context.insert("site", &library.site);
        context.insert("base_url", &self.base_url);
        let menu: Vec<Link> = library
            .pages
            .iter()
            .filter(|page| page.menu)
            .map(|page| Link {
                title: page.title.clone(),
                url: format!("/{}/", page.slug),
            })
            .collect();
        context.insert("menu", &menu);
        context.insert("categories", &index.category_links(library));
        context.insert(
            "gallery_whatsapp_url",
            &library
                .site
                .contact
                .whatsapp
                .as_ref()
                .map(|number| whatsapp_url(number, "Halo Galeri Dekranasda Kabupaten Malang")),
        );
        // `tel:` links want the number without spaces; computed once, not per page.
        context.insert(
            "phone_link",
            &library.site.contact.phone.as_ref().map(|phone| {
                let digits: String = phone
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                format!("tel:{digits}")
            }),
        );
        context.insert("search_index_url", "/search-index.json");
        context.insert("og_image", &Option::<String>::None);
        context.insert("json_ld", &Option::<String>::None);
        context
    }
}

/// The build replaces `out` wholesale, so `out` must not hold anything precious.
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

/// Copies the theme's static files (CSS, later JS) to `/static/`.
fn copy_static(from: &Path, to: &Path) -> Result<usize, BuildError> {
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
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(io_error(format!("creating {}", target.display())))?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(io_error(format!("copying {}", entry.path().display())))?;
            count += 1;
        }
    }
    Ok(count)
}

/// Lookups and groupings computed once per build (positions into the library's vectors).
struct Index {
    /// For each product, its producer's position.
    product_producer: Vec<usize>,
    /// All products by name.
    by_name: Vec<usize>,
    /// Newest first; undated last.
    newest: Vec<usize>,
    /// Per category (same order as `library.categories`), its products by name.
    by_category: Vec<Vec<usize>>,
    /// Per producer, its products by name.
    by_producer: Vec<Vec<usize>>,
    /// Kecamatan with at least one producer: (name, slug, producers, products by name).
    kecamatan: Vec<KecamatanGroup>,
}

struct KecamatanGroup {
    name: &'static str,
    slug: String,
    producers: Vec<usize>,
    products: Vec<usize>,
}

impl Index {
    fn new(library: &Library) -> Index {
        let producer_position: HashMap<&str, usize> = library
            .producers
            .iter()
            .enumerate()
            .map(|(position, producer)| (producer.slug.as_str(), position))
            .collect();
        let category_position: HashMap<&str, usize> = library
            .categories
            .iter()
            .enumerate()
            .map(|(position, category)| (category.slug.as_str(), position))
            .collect();
        // Validation guarantees every reference resolves; 0 is never used for a missing one.
        let product_producer: Vec<usize> = library
            .products
            .iter()
            .map(|product| {
                producer_position
                    .get(product.producer.as_str())
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        let mut by_name: Vec<usize> = (0..library.products.len()).collect();
        by_name.sort_by(|a, b| {
            let (a, b) = (&library.products[*a], &library.products[*b]);
            (&a.name, &a.sku).cmp(&(&b.name, &b.sku))
        });
        let mut newest = by_name.clone();
        newest.sort_by(|a, b| {
            let (a, b) = (&library.products[*a], &library.products[*b]);
            // Dated before undated, then newest first; the stable sort keeps name order.
            (b.added.is_some(), b.added).cmp(&(a.added.is_some(), a.added))
        });
        let mut by_category = vec![Vec::new(); library.categories.len()];
        let mut by_producer = vec![Vec::new(); library.producers.len()];
        for &position in &by_name {
            let product = &library.products[position];
            if let Some(category) = category_position.get(product.category.as_str()) {
                by_category[*category].push(position);
            }
            by_producer[product_producer[position]].push(position);
        }
        let mut kecamatan: Vec<KecamatanGroup> = Vec::new();
        for name in content::kecamatan::KECAMATAN {
            let producers: Vec<usize> = library
                .producers
                .iter()
                .enumerate()
                .filter(|(_, producer)| producer.kecamatan == name)
                .map(|(position, _)| position)
                .collect();
            if producers.is_empty() {
                continue;
            }
            let products = by_name
                .iter()
                .copied()
                .filter(|position| library.producers[product_producer[*position]].kecamatan == name)
                .collect();
            kecamatan.push(KecamatanGroup {
                name,
                slug: content::kecamatan::slug(name),
                producers,
                products,
            });
        }
        Index {
            product_producer,
            by_name,
            newest,
            by_category,
            by_producer,
            kecamatan,
        }
    }

    fn category_links(&self, library: &Library) -> Vec<CountedLink> {
        library
            .categories
            .iter()
            .zip(&self.by_category)
            .map(|(category, products)| CountedLink {
                title: category.name.clone(),
                url: category_url(&category.slug),
                count: products.len(),
                description: Some(category.description.clone()),
            })
            .collect()
    }

    fn kecamatan_links(&self) -> Vec<CountedLink> {
        self.kecamatan
            .iter()
            .map(|group| CountedLink {
                title: group.name.to_owned(),
                url: kecamatan_url(&group.slug),
                count: group.products.len(),
                description: None,
            })
            .collect()
    }
}

/// One page to render.
enum Job {
    Home,
    NotFound,
    Product(usize),
    Producer(usize),
    Producers,
    Categories,
    Category { position: usize, page: usize },
    KecamatanList,
    Kecamatan { position: usize, page: usize },
    AllProducts { page: usize },
    Page(usize),
}

/// What one job wrote.
struct Written {
    /// Root-relative URL for the sitemap (none for 404).
    sitemap: Option<String>,
    /// Image files copied beside the page.
    assets: usize,
}

struct Renderer<'a> {
    site: &'a Site,
    index: &'a Index,
    cards: &'a [Card<'a>],
    product_html: &'a [String],
    producer_html: &'a [String],
    page_html: &'a [String],
    base: &'a Context,
    root: &'a Path,
}

impl Renderer<'_> {
    fn per_page(&self) -> usize {
        self.site.library.site.products_per_page.max(1)
    }

    fn page_count(&self, items: usize) -> usize {
        items.div_ceil(self.per_page()).max(1)
    }

    fn jobs(&self) -> Vec<Job> {
        let library = &self.site.library;
        let mut jobs = vec![
            Job::Home,
            Job::NotFound,
            Job::Producers,
            Job::Categories,
            Job::KecamatanList,
        ];
        jobs.extend((0..library.products.len()).map(Job::Product));
        jobs.extend((0..library.producers.len()).map(Job::Producer));
        jobs.extend((0..library.pages.len()).map(Job::Page));
        for page in 1..=self.page_count(library.products.len()) {
            jobs.push(Job::AllProducts { page });
        }
        for (position, products) in self.index.by_category.iter().enumerate() {
            for page in 1..=self.page_count(products.len()) {
                jobs.push(Job::Category { position, page });
            }
        }
        for (position, group) in self.index.kecamatan.iter().enumerate() {
            for page in 1..=self.page_count(group.products.len()) {
                jobs.push(Job::Kecamatan { position, page });
            }
        }
        jobs
    }

    fn cards_of(&self, positions: &[usize]) -> Vec<&Card<'_>> {
        positions
            .iter()
            .map(|position| &self.cards[*position])
            .collect()
    }

    /// A page of a list: its cards and pagination.
    fn list_page(&self, context: &mut Context, base_url: &str, positions: &[usize], page: usize) {
        let per_page = self.per_page();
        let start = (page - 1) * per_page;
        let slice = positions
            .get(start..(start + per_page).min(positions.len()))
            .unwrap_or(&[]);
        context.insert("products", &self.cards_of(slice));
        context.insert(
            "pagination",
            &Pagination::new(base_url, page, self.page_count(positions.len())),
        );
    }

    fn run(&self, job: &Job) -> Result<Written, BuildError> {
        let site = self.site;
        let library = &site.library;
        let mut context = self.base.clone();
        let mut assets = 0;
        let (url, template, title, description): (String, &str, String, Option<String>) = match job
        {
            Job::Home => {
                let newest: Vec<usize> = self.index.newest.iter().take(12).copied().collect();
                context.insert("products", &self.cards_of(&newest));
                context.insert("kecamatan", &self.index.kecamatan_links());
                context.insert("product_count", &library.products.len());
                context.insert("producer_count", &library.producers.len());
                (
                    "/".into(),
                    "index.html",
                    library.site.title.clone(),
                    library.site.tagline.clone(),
                )
            }
            Job::NotFound => (
                "/404.html".into(),
                "404.html",
                "Halaman tidak ditemukan".into(),
                None,
            ),
            Job::Product(position) => {
                let product = &library.products[*position];
                let card = &self.cards[*position];
                let producer = &library.producers[self.index.product_producer[*position]];
                let category = library
                    .categories
                    .iter()
                    .find(|category| category.slug == product.category);
                let folder = self.root.join(card.url.trim_start_matches('/'));
                std::fs::create_dir_all(&folder)
                    .map_err(io_error(format!("creating {}", folder.display())))?;
                for image in &product.images {
                    output::images::publish(image, &folder)
                        .map_err(io_error(format!("copying {}", image.source.display())))?;
                    assets += 1;
                }
                let images: Vec<ImageView> = product
                    .images
                    .iter()
                    .map(|image| ImageView::new(image, &card.url, &product.name))
                    .collect();
                let summary = markdown_summary(&product.body).unwrap_or_else(|| {
                    format!(
                        "{} dari {}, {}",
                        product.name, producer.name, producer.kecamatan
                    )
                });
                let view = ProductView {
                    card,
                    description_html: &self.product_html[*position],
                    category: Link {
                        title: category.map(|c| c.name.clone()).unwrap_or_default(),
                        url: category_url(&product.category),
                    },
                    producer_slug: &producer.slug,
                    desa: &producer.desa,
                    kecamatan_url: kecamatan_url(&producer.kecamatan_slug),
                    images,
                    permits: &product.permits,
                    tags: &product.tags,
                    added: product
                        .added
                        .map(|date| date.format("%Y-%m-%d").to_string()),
                    whatsapp_url: library.site.contact.whatsapp.as_ref().map(|number| {
                        whatsapp_url(
                            number,
                            &format!(
                                "Halo, saya ingin bertanya tentang {} ({}) di Galeri Dekranasda.",
                                product.name, product.sku
                            ),
                        )
                    }),
                };
                let related: Vec<&Card<'_>> = self.index.by_producer
                    [self.index.product_producer[*position]]
                    .iter()
                    .filter(|other| **other != *position)
                    .take(4)
                    .map(|other| &self.cards[*other])
                    .collect();
                let absolute = format!("{}{}", site.base_url, card.url);
                let image_urls: Vec<String> = view
                    .images
                    .iter()
                    .map(|image| format!("{}{}", site.base_url, image.url))
                    .collect();
                let mut json_ld = serde_json::json!({
                    "@context": "https://schema.org",
                    "@type": "Product",
                    "name": product.name,
                    "sku": product.sku,
                    "description": summary,
                    "image": image_urls,
                    "category": view.category.title,
                    "brand": {"@type": "Brand", "name": producer.name},
                    "offers": {
                        "@type": "Offer",
                        "url": absolute,
                        "price": product.price.rupiah().to_string(),
                        "priceCurrency": "IDR",
                        "availability": if product.available {
                            "https://schema.org/InStock"
                        } else {
                            "https://schema.org/OutOfStock"
                        },
                        "seller": {"@type": "Organization", "name": library.site.title},
                    },
                });
                if image_urls.is_empty() {
                    if let Some(object) = json_ld.as_object_mut() {
                        object.remove("image");
                    }
                }
                context.insert("json_ld", &output::script_safe_json(&json_ld));
                context.insert("og_image", &image_urls.first());
                context.insert("product", &view);
                context.insert("related", &related);
                (
                    card.url.clone(),
                    "product.html",
                    product.name.clone(),
                    Some(summary),
                )
            }
            Job::Producer(position) => {
                let producer = &library.producers[*position];
                let url = producer_url(&producer.slug);
                let photo = producer
                    .photo
                    .as_ref()
                    .map(|image| ImageView::new(image, &url, &producer.name));
                if let Some(image) = &producer.photo {
                    let folder = self.root.join(url.trim_start_matches('/'));
                    std::fs::create_dir_all(&folder)
                        .map_err(io_error(format!("creating {}", folder.display())))?;
                    output::images::publish(image, &folder)
                        .map_err(io_error(format!("copying {}", image.source.display())))?;
                    assets += 1;
                    context.insert(
                        "og_image",
                        &Some(format!("{}{}{}", site.base_url, url, image.name)),
                    );
                }
                context.insert("producer", producer);
                context.insert("photo", &photo);
                context.insert("story_html", &self.producer_html[*position]);
                context.insert("kecamatan_url", &kecamatan_url(&producer.kecamatan_slug));
                context.insert(
                    "whatsapp_url",
                    &producer.whatsapp.as_ref().map(|number| {
                        whatsapp_url(
                            number,
                            "Halo, saya melihat produk Anda di Galeri Dekranasda.",
                        )
                    }),
                );
                context.insert(
                    "products",
                    &self.cards_of(&self.index.by_producer[*position]),
                );
                let description = markdown_summary(&producer.body).unwrap_or_else(|| {
                    format!(
                        "{} dari Desa {}, Kecamatan {}",
                        producer.name, producer.desa, producer.kecamatan
                    )
                });
                (
                    url,
                    "producer.html",
                    producer.name.clone(),
                    Some(description),
                )
            }
            Job::Producers => {
                let groups: Vec<serde_json::Value> = self
                    .index
                    .kecamatan
                    .iter()
                    .map(|group| {
                        let producers = producer_links(library, &group.producers);
                        serde_json::json!({
                            "title": group.name,
                            "url": kecamatan_url(&group.slug),
                            "producers": producers,
                        })
                    })
                    .collect();
                context.insert("groups", &groups);
                (
                    "/produsen/".into(),
                    "producers.html",
                    "Produsen".into(),
                    Some("Semua produsen UKM/IKM di Galeri Dekranasda, per kecamatan.".into()),
                )
            }
            Job::Categories => (
                "/kategori/".into(),
                "categories.html",
                "Kategori".into(),
                Some("Semua kategori produk di Galeri Dekranasda.".into()),
            ),
            Job::KecamatanList => {
                context.insert("kecamatan", &self.index.kecamatan_links());
                (
                    "/kecamatan/".into(),
                    "kecamatan_list.html",
                    "Kecamatan".into(),
                    Some("Produk menurut kecamatan asal produsennya.".into()),
                )
            }
            Job::AllProducts { page } => {
                let base = "/produk/";
                self.list_page(&mut context, base, &self.index.by_name, *page);
                context.insert("heading", "Semua produk");
                context.insert("intro", &Option::<String>::None);
                (
                    page_url(base, *page),
                    "list.html",
                    numbered("Semua produk", *page),
                    Some("Semua produk UKM/IKM Kabupaten Malang di Galeri Dekranasda.".into()),
                )
            }
            Job::Category { position, page } => {
                let category = &library.categories[*position];
                let base = category_url(&category.slug);
                self.list_page(
                    &mut context,
                    &base,
                    &self.index.by_category[*position],
                    *page,
                );
                context.insert("heading", &category.name);
                context.insert("intro", &category.description);
                (
                    page_url(&base, *page),
                    "list.html",
                    numbered(&category.name, *page),
                    Some(category.description.clone()),
                )
            }
            Job::Kecamatan { position, page } => {
                let group = &self.index.kecamatan[*position];
                let base = kecamatan_url(&group.slug);
                self.list_page(&mut context, &base, &group.products, *page);
                let heading = format!("Kecamatan {}", group.name);
                let producers = producer_links(library, &group.producers);
                context.insert("heading", &heading);
                context.insert(
                    "intro",
                    &format!(
                        "Produk dari produsen di Kecamatan {}, Kabupaten Malang.",
                        group.name
                    ),
                );
                context.insert("producers", &producers);
                (
                    page_url(&base, *page),
                    "list.html",
                    numbered(&heading, *page),
                    Some(format!(
                        "Produk UKM/IKM dari Kecamatan {}, Kabupaten Malang.",
                        group.name
                    )),
                )
            }
            Job::Page(position) => {
                let page = &library.pages[*position];
                context.insert("page", page);
                context.insert("content_html", &self.page_html[*position]);
                (
                    format!("/{}/", page.slug),
                    "page.html",
                    page.title.clone(),
                    page.description.clone(),
                )
            }
        };
        let is_not_found = matches!(job, Job::NotFound);
        context.insert("page_title", &title);
        context.insert("description", &description);
        context.insert("current_url", &url);
        context.insert("canonical", &format!("{}{}", site.base_url, url));
        let html =
            site.templates
                .render(template, &context)
                .map_err(|error| BuildError::Render {
                    page: url.clone(),
                    message: render::error_chain(&error),
                })?;
        let relative = url.trim_start_matches('/');
        let path = if url.ends_with('/') {
            self.root.join(relative).join("index.html")
        } else {
            self.root.join(relative)
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(io_error(format!("creating {}", parent.display())))?;
        }
        std::fs::write(&path, html).map_err(io_error(format!("writing {}", path.display())))?;
        Ok(Written {
            sitemap: (!is_not_found).then_some(url),
            assets,
        })
    }
}

/// "Kopi" / "Kopi — halaman 2".
/// Links to the producers at these positions of the library.
fn producer_links(library: &Library, positions: &[usize]) -> Vec<Link> {
    positions
        .iter()
        .map(|position| {
            let producer = &library.producers[*position];
            Link {
                title: producer.name.clone(),
                url: producer_url(&producer.slug),
            }
        })
        .collect()
}

fn numbered(title: &str, page: usize) -> String {
    if page > 1 {
        format!("{title} — halaman {page}")
    } else {
        title.to_owned()
    }
}

/// The first paragraph of a Markdown body as plain text, at most ~160 characters.
fn markdown_summary(body: &str) -> Option<String> {
    markdown::summary(body, 160)
}

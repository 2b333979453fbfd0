//! One renderer per page kind. Each takes the build-wide `Renderer` and returns a `Page` (its
//! URL, template, title, description and context); `Site` writes it. Which pages exist is
//! `Renderer::jobs`.

pub mod app;
pub mod category;
pub mod free;
pub mod home;
pub mod kecamatan;
pub mod list;
pub mod producer;
pub mod product;
pub mod transparency;

use super::index::Index;
use super::strings::Strings;
use super::urls::{self, AppPage};
use super::views::{Card, Link, Photos};
use crate::content::Library;
use crate::markdown::RenderedBodies;
use tera::Context;

/// A rendered page's parts, before the template runs.
pub struct Page {
    pub url: String,
    pub template: &'static str,
    pub title: String,
    pub description: Option<String>,
    /// The base context plus what this page shows.
    pub context: Context,
    /// Listed in `sitemap.xml`.
    pub in_sitemap: bool,
}

impl Page {
    fn new(url: String, template: &'static str, title: String, context: Context) -> Page {
        Page {
            url,
            template,
            title,
            description: None,
            context,
            in_sitemap: true,
        }
    }

    fn described(mut self, description: impl Into<Option<String>>) -> Page {
        self.description = description.into();
        self
    }
}

/// One page to render.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    Home,
    NotFound,
    Product(usize),
    Producer(usize),
    Producers,
    Categories,
    Category {
        position: usize,
        page: usize,
    },
    KecamatanList,
    Kecamatan {
        position: usize,
        page: usize,
    },
    AllProducts {
        page: usize,
    },
    Page(usize),
    App(AppPage),
    /// `/transparansi/`, when the content has the figures.
    Transparency,
}

/// What every renderer reads: the library, its groupings, the product cards, the rendered
/// Markdown, the theme's strings and the context every page starts from.
pub struct Renderer<'a> {
    pub library: &'a Library,
    pub strings: &'a Strings,
    pub base_url: &'a str,
    /// The voucher API's base URL, for the app pages.
    pub api_base: &'a str,
    pub index: &'a Index,
    pub cards: &'a [Card<'a>],
    pub bodies: &'a RenderedBodies,
    pub photos: &'a Photos,
    pub base: &'a Context,
}

impl Renderer<'_> {
    /// Every page of the site; app pages only when the theme has their template.
    pub fn jobs(&self, has_template: impl Fn(&str) -> bool) -> Vec<Job> {
        let library = self.library;
        let mut jobs = vec![
            Job::Home,
            Job::NotFound,
            Job::Producers,
            Job::Categories,
            Job::KecamatanList,
        ];
        jobs.extend(
            urls::APP_PAGES
                .into_iter()
                .filter(|page| has_template(page.template))
                .map(Job::App),
        );
        jobs.extend((0..library.products.len()).map(Job::Product));
        jobs.extend((0..library.producers.len()).map(Job::Producer));
        jobs.extend((0..library.pages.len()).map(Job::Page));
        if library.transparency.is_some() {
            jobs.push(Job::Transparency);
        }
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

    /// Runs the renderer of the job's page kind.
    pub fn render(&self, job: Job) -> Page {
        match job {
            Job::Home => home::render(self),
            Job::NotFound => free::not_found(self),
            Job::Product(position) => product::render(self, position),
            Job::Producer(position) => producer::render(self, position),
            Job::Producers => producer::list(self),
            Job::Categories => category::list(self),
            Job::Category { position, page } => category::render(self, position, page),
            Job::KecamatanList => kecamatan::list(self),
            Job::Kecamatan { position, page } => kecamatan::render(self, position, page),
            Job::AllProducts { page } => list::all_products(self, page),
            Job::Page(position) => free::render(self, position),
            Job::App(page) => app::render(self, page),
            Job::Transparency => match &self.library.transparency {
                Some(data) => transparency::render(self, data),
                // `jobs` lists this page only when the content has the figures.
                None => free::not_found(self),
            },
        }
    }

    /// A fresh copy of the base context.
    fn context(&self) -> Context {
        self.base.clone()
    }

    fn per_page(&self) -> usize {
        self.library.site.products_per_page.max(1)
    }

    fn page_count(&self, items: usize) -> usize {
        items.div_ceil(self.per_page()).max(1)
    }

    fn cards_of(&self, positions: &[usize]) -> Vec<&Card<'_>> {
        positions
            .iter()
            .map(|position| &self.cards[*position])
            .collect()
    }

    /// Links to the producers at these positions of the library.
    fn producer_links(&self, positions: &[usize]) -> Vec<Link> {
        positions
            .iter()
            .map(|position| {
                let producer = &self.library.producers[*position];
                Link {
                    title: producer.name.clone(),
                    url: urls::producer(&producer.slug),
                }
            })
            .collect()
    }
}

/// What every page shares: the site settings, menu, category navigation and contact links.
pub fn base_context(
    library: &Library,
    strings: &Strings,
    base_url: &str,
    index: &Index,
) -> Context {
    let mut context = Context::new();
    context.insert("site", &library.site);
    context.insert("base_url", base_url);
    let menu: Vec<Link> = library
        .pages
        .iter()
        .filter(|page| page.menu)
        .map(|page| Link {
            title: page.title.clone(),
            url: urls::free_page(&page.slug),
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
            .map(|number| urls::whatsapp(number, &strings.whatsapp_gallery)),
    );
    context.insert(
        "phone_link",
        &library.site.contact.phone.as_deref().map(urls::telephone),
    );
    let voucher_howto = library
        .pages
        .iter()
        .find(|page| page.slug == strings.voucher_page)
        .map(|page| Link {
            title: page.title.clone(),
            url: urls::free_page(&page.slug),
        });
    context.insert("voucher_howto", &voucher_howto);
    context.insert("search_url", urls::SEARCH.url);
    context.insert("search_index_url", urls::SEARCH_INDEX);
    context.insert("catalog_url", urls::CATALOG);
    context.insert("feed_url", urls::FEED);
    context.insert(
        "transparency_url",
        &library.transparency.as_ref().map(|_| urls::TRANSPARENCY),
    );
    context.insert("og_image", &Option::<String>::None);
    context.insert("json_ld", &Option::<String>::None);
    context
}

//! The home page: the newest products, categories and kecamatan.

use super::{Page, Renderer};
use crate::render::urls;

/// Products shown on the home page.
const NEWEST: usize = 12;

pub fn render(renderer: &Renderer<'_>) -> Page {
    let library = renderer.library;
    let mut context = renderer.context();
    let newest: Vec<usize> = renderer.index.newest.iter().take(NEWEST).copied().collect();
    context.insert("products", &renderer.cards_of(&newest));
    context.insert("kecamatan", &renderer.index.kecamatan_links());
    context.insert("product_count", &library.products.len());
    context.insert("producer_count", &library.producers.len());
    Page::new(
        urls::HOME.into(),
        "index.html",
        library.site.title.clone(),
        context,
    )
    .described(library.site.tagline.clone())
}

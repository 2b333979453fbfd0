//! Free pages (`content/pages/*.md`) and the 404 page.

use super::{Page, Renderer};
use crate::render::urls;

pub fn render(renderer: &Renderer<'_>, position: usize) -> Page {
    let page = &renderer.library.pages[position];
    let mut context = renderer.context();
    context.insert("page", page);
    context.insert("content_html", &renderer.bodies.pages[position]);
    Page::new(
        urls::free_page(&page.slug),
        "page.html",
        page.title.clone(),
        context,
    )
    .described(page.description.clone())
}

pub fn not_found(renderer: &Renderer<'_>) -> Page {
    let mut page = Page::new(
        urls::NOT_FOUND.into(),
        "404.html",
        renderer.strings.not_found_title.clone(),
        renderer.context(),
    );
    page.in_sitemap = false;
    page
}

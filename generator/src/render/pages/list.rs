//! Paginated product lists: every product (`/produk/`), and the shared page-of-a-list helper the
//! category and kecamatan renderers use.

use super::{Page, Renderer};
use crate::render::urls;
use crate::render::views::Pagination;
use tera::Context;

pub fn all_products(renderer: &Renderer<'_>, page: usize) -> Page {
    let strings = renderer.strings;
    let mut context = renderer.context();
    fill(
        renderer,
        &mut context,
        urls::PRODUCTS,
        &renderer.index.by_name,
        page,
    );
    context.insert("heading", &strings.products_title);
    context.insert("intro", &Option::<String>::None);
    context.insert("parent", &Option::<String>::None);
    Page::new(
        urls::numbered(urls::PRODUCTS, page),
        "list.html",
        strings.numbered(&strings.products_title, page),
        context,
    )
    .described(strings.products_description.clone())
}

/// Page `page` of the list at `base_url`: its cards and pagination.
pub fn fill(
    renderer: &Renderer<'_>,
    context: &mut Context,
    base_url: &str,
    positions: &[usize],
    page: usize,
) {
    let per_page = renderer.per_page();
    let start = (page - 1) * per_page;
    let slice = positions
        .get(start..(start + per_page).min(positions.len()))
        .unwrap_or(&[]);
    context.insert("products", &renderer.cards_of(slice));
    context.insert(
        "pagination",
        &Pagination::new(base_url, page, renderer.page_count(positions.len())),
    );
}

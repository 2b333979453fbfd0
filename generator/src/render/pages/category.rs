//! Category pages: the list of categories and each category's paginated products.

use super::{list, Page, Renderer};
use crate::render::urls;

pub fn list(renderer: &Renderer<'_>) -> Page {
    let strings = renderer.strings;
    Page::new(
        urls::CATEGORIES.into(),
        "categories.html",
        strings.categories_title.clone(),
        renderer.context(),
    )
    .described(strings.categories_description.clone())
}

pub fn render(renderer: &Renderer<'_>, position: usize, page: usize) -> Page {
    let category = &renderer.library.categories[position];
    let base = urls::category(&category.slug);
    let mut context = renderer.context();
    list::fill(
        renderer,
        &mut context,
        &base,
        &renderer.index.by_category[position],
        page,
    );
    context.insert("heading", &category.name);
    context.insert("intro", &category.description);
    context.insert(
        "parent",
        &super::Link {
            title: renderer.strings.categories_title.clone(),
            url: urls::CATEGORIES.into(),
        },
    );
    Page::new(
        urls::numbered(&base, page),
        "list.html",
        renderer.strings.numbered(&category.name, page),
        context,
    )
    .described(category.description.clone())
}

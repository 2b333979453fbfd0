//! Kecamatan pages: the list of kecamatan with producers, and each one's paginated products.

use super::{list, Link, Page, Renderer};
use crate::render::strings::fill;
use crate::render::urls;

pub fn list(renderer: &Renderer<'_>) -> Page {
    let strings = renderer.strings;
    let mut context = renderer.context();
    context.insert("kecamatan", &renderer.index.kecamatan_links());
    Page::new(
        urls::KECAMATAN.into(),
        "kecamatan_list.html",
        strings.kecamatan_list_title.clone(),
        context,
    )
    .described(strings.kecamatan_list_description.clone())
}

pub fn render(renderer: &Renderer<'_>, position: usize, page: usize) -> Page {
    let strings = renderer.strings;
    let group = &renderer.index.kecamatan[position];
    let base = urls::kecamatan(&group.slug);
    let name = [("kecamatan", group.name)];
    let mut context = renderer.context();
    list::fill(renderer, &mut context, &base, &group.products, page);
    let heading = fill(&strings.kecamatan_title, &name);
    context.insert("heading", &heading);
    context.insert("intro", &fill(&strings.kecamatan_intro, &name));
    context.insert("producers", &renderer.producer_links(&group.producers));
    context.insert(
        "parent",
        &Link {
            title: strings.kecamatan_list_title.clone(),
            url: urls::KECAMATAN.into(),
        },
    );
    Page::new(
        urls::numbered(&base, page),
        "list.html",
        strings.numbered(&heading, page),
        context,
    )
    .described(fill(&strings.kecamatan_description, &name))
}

//! Producer pages: each producer's story and products, and the list of producers by kecamatan.

use super::{Page, Renderer};
use crate::render::strings::fill;
use crate::render::urls;

pub fn render(renderer: &Renderer<'_>, position: usize) -> Page {
    let strings = renderer.strings;
    let producer = &renderer.library.producers[position];
    let url = urls::producer(&producer.slug);
    let mut context = renderer.context();
    let photo = &renderer.photos.producers[position];
    if let Some(photo) = photo {
        context.insert(
            "og_image",
            &Some(format!("{}{}", renderer.base_url, photo.largest_url)),
        );
    }
    context.insert("producer", producer);
    context.insert("photo", &photo);
    context.insert("story_html", &renderer.bodies.producers[position]);
    context.insert("kecamatan_url", &urls::kecamatan(&producer.kecamatan_slug));
    context.insert(
        "whatsapp_url",
        &producer
            .whatsapp
            .as_ref()
            .map(|number| urls::whatsapp(number, &strings.whatsapp_producer)),
    );
    context.insert(
        "products",
        &renderer.cards_of(&renderer.index.by_producer[position]),
    );
    let description = crate::markdown::summary(&producer.body, 160).unwrap_or_else(|| {
        fill(
            &strings.producer_description,
            &[
                ("produsen", &producer.name),
                ("desa", &producer.desa),
                ("kecamatan", producer.kecamatan),
            ],
        )
    });
    Page::new(url, "producer.html", producer.name.clone(), context).described(description)
}

pub fn list(renderer: &Renderer<'_>) -> Page {
    let strings = renderer.strings;
    let groups: Vec<serde_json::Value> = renderer
        .index
        .kecamatan
        .iter()
        .map(|group| {
            serde_json::json!({
                "title": group.name,
                "url": urls::kecamatan(&group.slug),
                "producers": renderer.producer_links(&group.producers),
            })
        })
        .collect();
    let mut context = renderer.context();
    context.insert("groups", &groups);
    Page::new(
        urls::PRODUCERS.into(),
        "producers.html",
        strings.producers_title.clone(),
        context,
    )
    .described(strings.producers_description.clone())
}

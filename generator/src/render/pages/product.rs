//! Product pages: gallery, price, producer, permits, the WhatsApp question, related products,
//! and schema.org `Product`/`Offer` JSON-LD.

use super::{Link, Page, Renderer};
use crate::output;
use crate::render::strings::fill;
use crate::render::urls;
use crate::render::views::{Card, ImageView, ProductView};

/// Other products of the same producer shown under a product.
const RELATED: usize = 4;

pub fn render(renderer: &Renderer<'_>, position: usize) -> Page {
    let library = renderer.library;
    let strings = renderer.strings;
    let product = &library.products[position];
    let card = &renderer.cards[position];
    let producer_position = renderer.index.product_producer[position];
    let producer = &library.producers[producer_position];
    let category = library
        .categories
        .iter()
        .find(|category| category.slug == product.category);
    let images: Vec<ImageView> = renderer.photos.products[position].clone();
    let summary = crate::markdown::summary(&product.body, 160).unwrap_or_else(|| {
        fill(
            &strings.product_description,
            &[
                ("produk", &product.name),
                ("produsen", &producer.name),
                ("kecamatan", producer.kecamatan),
            ],
        )
    });
    let view = ProductView {
        card,
        description_html: &renderer.bodies.products[position],
        category: Link {
            title: category.map(|c| c.name.clone()).unwrap_or_default(),
            url: urls::category(&product.category),
        },
        producer_slug: &producer.slug,
        desa: &producer.desa,
        kecamatan_url: urls::kecamatan(&producer.kecamatan_slug),
        images,
        permits: &product.permits,
        tags: &product.tags,
        added: product
            .added
            .map(|date| date.format("%Y-%m-%d").to_string()),
        whatsapp_url: library.site.contact.whatsapp.as_ref().map(|number| {
            urls::whatsapp(
                number,
                &fill(
                    &strings.whatsapp_product,
                    &[("produk", &product.name), ("sku", &product.sku)],
                ),
            )
        }),
    };
    let related: Vec<&Card<'_>> = renderer.index.by_producer[producer_position]
        .iter()
        .filter(|other| **other != position)
        .take(RELATED)
        .map(|other| &renderer.cards[*other])
        .collect();
    let image_urls: Vec<String> = view
        .images
        .iter()
        .map(|image| format!("{}{}", renderer.base_url, image.largest_url))
        .collect();
    let json_ld = json_ld(renderer, position, &view, &summary, &image_urls);

    let mut context = renderer.context();
    context.insert("json_ld", &output::script_safe_json(&json_ld));
    context.insert("og_image", &image_urls.first());
    context.insert("product", &view);
    context.insert("related", &related);
    Page::new(
        card.url.clone(),
        "product.html",
        product.name.clone(),
        context,
    )
    .described(summary)
}

/// schema.org `Product` with one `Offer` in IDR.
fn json_ld(
    renderer: &Renderer<'_>,
    position: usize,
    view: &ProductView<'_>,
    summary: &str,
    image_urls: &[String],
) -> serde_json::Value {
    let library = renderer.library;
    let product = &library.products[position];
    let producer = &library.producers[renderer.index.product_producer[position]];
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
            "url": format!("{}{}", renderer.base_url, view.card.url),
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
    json_ld
}

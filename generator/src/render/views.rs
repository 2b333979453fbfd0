//! What templates see: small serializable views borrowed from the library, so a page's context
//! holds only what that page shows (tera copies whatever is inserted).

use super::urls;
use crate::content::product::{Permits, Product};
use crate::content::{Image, Library};
use crate::output::images::{self, Published};
use serde::Serialize;

/// A title and a root-relative URL.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub title: String,
    pub url: String,
}

/// A link with a count, for category and kecamatan lists.
#[derive(Debug, Clone, Serialize)]
pub struct CountedLink {
    pub title: String,
    /// The category or kecamatan slug (the search filters' values).
    pub slug: String,
    pub url: String,
    pub count: usize,
    pub description: Option<String>,
}

/// A published image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    /// The fallback `src`.
    pub url: String,
    pub width: usize,
    pub height: usize,
    pub alt: String,
    /// `srcset` of the WebP variants, when resized.
    pub webp_srcset: Option<String>,
    /// `srcset` of the JPEG variants, when resized.
    pub jpeg_srcset: Option<String>,
    /// The widest JPEG (Open Graph, JSON-LD).
    #[serde(skip)]
    pub largest_url: String,
    /// The narrowest JPEG's file name, beside the page (search results).
    #[serde(skip)]
    pub thumbnail: String,
}

impl ImageView {
    /// The view of a photo published as `published` beside the page at `folder_url`.
    pub fn new(image: &Image, published: &Published, folder_url: &str, alt: &str) -> ImageView {
        let stem = std::path::Path::new(&image.name)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let srcset = |extension: &str| {
            published
                .variants
                .iter()
                .map(|variant| {
                    let file = Published::file(&stem, variant.width, extension);
                    format!("{} {}w", urls::beside(folder_url, &file), variant.width)
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let fallback = published
            .nearest(images::FALLBACK_WIDTH)
            .unwrap_or(images::Variant {
                width: image.width as u32,
                height: image.height as u32,
            });
        let largest = published.variants.last().copied().unwrap_or(fallback);
        ImageView {
            url: urls::beside(folder_url, &Published::file(&stem, fallback.width, "jpg")),
            width: fallback.width as usize,
            height: fallback.height as usize,
            alt: alt.to_owned(),
            webp_srcset: Some(srcset("webp")),
            jpeg_srcset: Some(srcset("jpg")),
            largest_url: urls::beside(folder_url, &Published::file(&stem, largest.width, "jpg")),
            thumbnail: Published::file(
                &stem,
                published
                    .nearest(images::THUMBNAIL_WIDTH)
                    .map_or(fallback.width, |variant| variant.width),
                "jpg",
            ),
        }
    }
}

/// Every published photo as templates see it, by library position.
#[derive(Debug, Default)]
pub struct Photos {
    pub products: Vec<Vec<ImageView>>,
    pub producers: Vec<Option<ImageView>>,
}

/// A product in a list.
#[derive(Debug, Clone, Serialize)]
pub struct Card<'a> {
    pub name: &'a str,
    pub sku: &'a str,
    pub url: String,
    pub price: i64,
    pub unit: &'a str,
    pub producer: &'a str,
    pub producer_url: String,
    pub kecamatan: &'a str,
    pub image: Option<ImageView>,
    pub available: bool,
    pub halal: bool,
    pub non_halal: bool,
}

impl<'a> Card<'a> {
    pub fn new(
        library: &'a Library,
        product: &'a Product,
        producer_index: usize,
        image: Option<ImageView>,
    ) -> Card<'a> {
        let producer = &library.producers[producer_index];
        let url = urls::product(&product.producer, &product.slug);
        Card {
            name: &product.name,
            sku: &product.sku,
            url,
            price: product.price.rupiah(),
            unit: &product.unit,
            producer: &producer.name,
            producer_url: urls::producer(&producer.slug),
            kecamatan: producer.kecamatan,
            image,
            available: product.available,
            halal: product.permits.halal.is_some(),
            non_halal: product.permits.non_halal,
        }
    }
}

/// A product page.
#[derive(Debug, Serialize)]
pub struct ProductView<'a> {
    #[serde(flatten)]
    pub card: &'a Card<'a>,
    pub description_html: &'a str,
    pub category: Link,
    pub producer_slug: &'a str,
    pub desa: &'a str,
    pub kecamatan_url: String,
    pub images: Vec<ImageView>,
    pub permits: &'a Permits,
    pub tags: &'a [String],
    pub added: Option<String>,
    /// `https://wa.me/…` to ask the gallery about this product.
    pub whatsapp_url: Option<String>,
}

/// Page numbers of a paginated list.
#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    pub current: usize,
    pub total: usize,
    pub previous: Option<String>,
    pub next: Option<String>,
    /// A window of page links around the current page, plus the first and last.
    pub pages: Vec<PageNumber>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageNumber {
    pub number: usize,
    pub url: String,
    pub current: bool,
}

impl Pagination {
    /// `base` is page 1's URL (`/kategori/kopi/`); page n is `<base>halaman/<n>/`.
    pub fn new(base: &str, current: usize, total: usize) -> Pagination {
        let url = |number: usize| urls::numbered(base, number);
        let pages = (1..=total)
            .filter(|number| *number == 1 || *number == total || number.abs_diff(current) <= 2)
            .map(|number| PageNumber {
                number,
                url: url(number),
                current: number == current,
            })
            .collect();
        Pagination {
            current,
            total,
            previous: (current > 1).then(|| url(current - 1)),
            next: (current < total).then(|| url(current + 1)),
            pages,
        }
    }
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn pagination_window_and_urls() {
        let pagination = Pagination::new("/kategori/kopi/", 1, 10);
        assert_eq!(pagination.previous, None);
        assert_eq!(
            pagination.next.as_deref(),
            Some("/kategori/kopi/halaman/2/")
        );
        let numbers: Vec<usize> = pagination.pages.iter().map(|page| page.number).collect();
        assert_eq!(numbers, vec![1, 2, 3, 10]);
        let last = Pagination::new("/kategori/kopi/", 10, 10);
        assert_eq!(last.previous.as_deref(), Some("/kategori/kopi/halaman/9/"));
        assert_eq!(last.next, None);
    }
}

//! What templates see: small serializable views borrowed from the library, so a page's context
//! holds only what that page shows (tera copies whatever is inserted).

use crate::content::product::{Permits, Product};
use crate::content::{Image, Library};
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
    pub url: String,
    pub count: usize,
    pub description: Option<String>,
}

/// A published image.
#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    pub url: String,
    pub width: usize,
    pub height: usize,
    pub alt: String,
}

impl ImageView {
    pub fn new(image: &Image, folder_url: &str, alt: &str) -> ImageView {
        ImageView {
            url: format!("{folder_url}{}", image.name),
            width: image.width,
            height: image.height,
            alt: alt.to_owned(),
        }
    }
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
    pub fn new(library: &'a Library, product: &'a Product, producer_index: usize) -> Card<'a> {
        let producer = &library.producers[producer_index];
        let url = product_url(&product.producer, &product.slug);
        let image = product
            .images
            .first()
            .map(|image| ImageView::new(image, &url, &product.name));
        Card {
            name: &product.name,
            sku: &product.sku,
            url,
            price: product.price.rupiah(),
            unit: &product.unit,
            producer: &producer.name,
            producer_url: producer_url(&producer.slug),
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
        let url = |number: usize| page_url(base, number);
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

pub fn page_url(base: &str, number: usize) -> String {
    if number <= 1 {
        base.to_owned()
    } else {
        format!("{base}halaman/{number}/")
    }
}

pub fn product_url(producer: &str, slug: &str) -> String {
    format!("/produk/{producer}/{slug}/")
}

pub fn producer_url(slug: &str) -> String {
    format!("/produsen/{slug}/")
}

pub fn category_url(slug: &str) -> String {
    format!("/kategori/{slug}/")
}

pub fn kecamatan_url(slug: &str) -> String {
    format!("/kecamatan/{slug}/")
}

/// `https://wa.me/<number>?text=<message>` with the message percent-encoded.
pub fn whatsapp_url(number: &str, message: &str) -> String {
    let mut encoded = String::with_capacity(message.len() * 3);
    for byte in message.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("https://wa.me/{number}?text={encoded}")
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

    #[test]
    fn whatsapp_links_are_encoded() {
        assert_eq!(
            whatsapp_url("6281234567890", "Halo, kopi & teh?"),
            "https://wa.me/6281234567890?text=Halo%2C%20kopi%20%26%20teh%3F"
        );
    }
}

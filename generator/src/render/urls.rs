//! Every URL the site publishes, in one place. The public addresses are a contract (DESIGN.md:
//! links in chats and search engines must keep working), so pages, lists, the sitemap, the
//! search index and the tests all derive them from here.

/// The home page.
pub const HOME: &str = "/";
/// The 404 page, served by the host for any miss.
pub const NOT_FOUND: &str = "/404.html";
/// Every product, by name.
pub const PRODUCTS: &str = "/produk/";
/// Every producer, by kecamatan.
pub const PRODUCERS: &str = "/produsen/";
/// Every category.
pub const CATEGORIES: &str = "/kategori/";
/// Every kecamatan with a producer.
pub const KECAMATAN: &str = "/kecamatan/";
/// The theme's static files (CSS, JS, favicon).
pub const STATIC: &str = "/static/";
pub const SITEMAP: &str = "/sitemap.xml";
pub const ROBOTS: &str = "/robots.txt";
pub const FEED: &str = "/atom.xml";
/// The in-browser search's index of available products.
pub const SEARCH_INDEX: &str = "/search-index.json";
/// The price list the voucher functions and the Kasir page trust.
pub const CATALOG: &str = "/catalog.json";

/// The program's public figures (`content/data/transparency.json`), when the content has them.
pub const TRANSPARENCY: &str = "/transparansi/";
/// The same figures as a spreadsheet, written by the build beside the page.
pub const TRANSPARENCY_CSV: &str = "/transparansi/transparansi.csv";

/// A page that talks to the API or runs in the browser, at a fixed address, rendered from the
/// theme template of the same name when the theme has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppPage {
    /// The slug, also the key of its title in the strings file.
    pub slug: &'static str,
    pub url: &'static str,
    pub template: &'static str,
    /// Listed in the sitemap (staff pages are not).
    pub public: bool,
}

/// Search and filters.
pub const SEARCH: AppPage = AppPage {
    slug: "cari",
    url: "/cari/",
    template: "search.html",
    public: true,
};

/// The app pages, in build order. `/cek-saldo/` and `/kasir/` appear once their templates do.
pub const APP_PAGES: [AppPage; 3] = [
    SEARCH,
    AppPage {
        slug: "cek-saldo",
        url: "/cek-saldo/",
        template: "cek-saldo.html",
        public: true,
    },
    AppPage {
        slug: "kasir",
        url: "/kasir/",
        template: "kasir.html",
        public: false,
    },
];

/// The first path segments the site itself uses (a free page may not take one; the content
/// loader's list is checked against these in the tests below).
pub fn reserved_segments() -> impl Iterator<Item = &'static str> {
    [
        PRODUCTS,
        PRODUCERS,
        CATEGORIES,
        KECAMATAN,
        STATIC,
        TRANSPARENCY,
    ]
    .into_iter()
    .chain(APP_PAGES.iter().map(|page| page.url))
    .map(|url| url.trim_matches('/'))
}

pub fn product(producer: &str, slug: &str) -> String {
    format!("{PRODUCTS}{producer}/{slug}/")
}

pub fn producer(slug: &str) -> String {
    format!("{PRODUCERS}{slug}/")
}

pub fn category(slug: &str) -> String {
    format!("{CATEGORIES}{slug}/")
}

pub fn kecamatan(slug: &str) -> String {
    format!("{KECAMATAN}{slug}/")
}

/// A free page (`content/pages/<slug>.md`).
pub fn free_page(slug: &str) -> String {
    format!("/{slug}/")
}

/// Page `number` of a list whose first page is `base` (`/kategori/kopi/halaman/2/`).
pub fn numbered(base: &str, number: usize) -> String {
    if number <= 1 {
        base.to_owned()
    } else {
        format!("{base}halaman/{number}/")
    }
}

/// A file published beside the page at `page_url` (an image variant).
pub fn beside(page_url: &str, file: &str) -> String {
    format!("{page_url}{file}")
}

/// The file a root-relative URL is written to, relative to the output folder: folder URLs get
/// an `index.html`.
pub fn output_path(url: &str) -> std::path::PathBuf {
    let relative = std::path::Path::new(url.trim_start_matches('/'));
    if url.ends_with('/') {
        relative.join("index.html")
    } else {
        relative.to_path_buf()
    }
}

/// `https://wa.me/<number>?text=<message>`, the message percent-encoded. `number` is already
/// normalized to `628…` by the content loader (DOMAIN.md).
pub fn whatsapp(number: &str, message: &str) -> String {
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

/// `tel:` wants the number without spaces.
pub fn telephone(phone: &str) -> String {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_public_scheme() {
        assert_eq!(product("kopi-a", "robusta"), "/produk/kopi-a/robusta/");
        assert_eq!(producer("kopi-a"), "/produsen/kopi-a/");
        assert_eq!(category("kopi"), "/kategori/kopi/");
        assert_eq!(kecamatan("dampit"), "/kecamatan/dampit/");
        assert_eq!(free_page("tentang"), "/tentang/");
        assert_eq!(numbered("/kategori/kopi/", 1), "/kategori/kopi/");
        assert_eq!(numbered("/kategori/kopi/", 2), "/kategori/kopi/halaman/2/");
        assert_eq!(
            output_path("/produk/a/b/"),
            std::path::Path::new("produk/a/b/index.html")
        );
        assert_eq!(output_path(NOT_FOUND), std::path::Path::new("404.html"));
        for segment in reserved_segments() {
            assert!(
                crate::content::page::RESERVED.contains(&segment),
                "a free page could take /{segment}/"
            );
        }
    }

    #[test]
    fn whatsapp_links_are_encoded() {
        assert_eq!(
            whatsapp("6281234567890", "Halo, kopi & teh?"),
            "https://wa.me/6281234567890?text=Halo%2C%20kopi%20%26%20teh%3F"
        );
        assert_eq!(telephone("0341 000000"), "tel:0341000000");
    }
}

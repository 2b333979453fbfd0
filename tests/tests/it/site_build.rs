//! `galeri build` over the valid fixture: every product gets a page with JSON-LD and Open Graph,
//! lists paginate, `catalog.json` matches the content, and a failed build leaves the previous
//! output byte-identical.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use galeri::site::{build_site, BuildError, BuildOptions};
use galeri_tests::site::{fixture, fixture_today, snapshot, theme};
use galeri_vouchers::model::Catalog;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn build_valid(out: &Path) {
    let mut options = BuildOptions::new(fixture("valid").join("content"), theme(), out);
    options.today = Some(fixture_today());
    if let Err(error) = build_site(&options) {
        match error {
            BuildError::Content(diagnostics) => panic!(
                "{}",
                diagnostics.render(galeri::cli::Lang::En, Path::new("content"))
            ),
            other => panic!("{other}"),
        }
    }
}

/// The product files of the valid fixture, read independently of the generator: the producer
/// is the folder unless overridden.
fn fixture_products() -> Vec<(PathBuf, serde_yaml::Value)> {
    let root = fixture("valid").join("content/products");
    let mut products = Vec::new();
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.expect("walk");
        if entry.path().extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let yaml = text.split("---\n").nth(1).expect("front matter");
        let value: serde_yaml::Value = serde_yaml::from_str(yaml).expect("yaml");
        products.push((
            entry
                .path()
                .strip_prefix(&root)
                .expect("inside")
                .to_path_buf(),
            value,
        ));
    }
    products
}

#[test]
fn every_product_gets_a_page_with_structured_data() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    let products = fixture_products();
    assert_eq!(products.len(), 8);
    for (path, value) in products {
        let producer = path
            .parent()
            .expect("folder")
            .to_string_lossy()
            .into_owned();
        let slug = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let page = out
            .join("produk")
            .join(&producer)
            .join(&slug)
            .join("index.html");
        let html =
            std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("no page {}", page.display()));
        let name = value["name"].as_str().expect("name");
        let price = value["price"].as_i64().expect("price");
        assert!(html.contains(&format!("<h1>{}</h1>", name)), "{page:?}");
        assert!(
            html.contains(&galeri_vouchers::format_rupiah(price)),
            "{page:?}"
        );
        assert!(html.contains(r#""@type":"Product""#), "{page:?}");
        assert!(html.contains(r#""priceCurrency":"IDR""#), "{page:?}");
        assert!(html.contains(&format!(r#""price":"{price}""#)), "{page:?}");
        assert!(html.contains(&format!(
            r#"<meta property="og:url" content="https://uji.example/produk/{producer}/{slug}/">"#
        )), "{page:?}");
        assert!(html.contains(r#"<meta property="og:type" content="product">"#));
        assert!(html.contains("<html lang=\"id\">"));
    }
}

#[test]
fn prices_print_the_official_way_and_raw_html_is_escaped() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    let html =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-bubuk/index.html"))
            .expect("page");
    assert!(html.contains("<span class=\"price\">Rp45.000</span>"));
    assert!(!html.contains("<script>alert"), "raw script passed through");
    assert!(html.contains("&lt;script&gt;alert"));
    assert!(!html.contains("<b onclick"));
    assert!(!html.contains("javascript:"));
    assert!(html.contains("<table>") && html.contains("<del>"));
    assert!(html.contains("<h2 id=\"cara-seduh\">"));
    // An unavailable product still has a page, marked sold out.
    let sold_out =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-hijau/index.html"))
            .expect("page");
    assert!(sold_out.contains("Stok habis") && sold_out.contains("OutOfStock"));
}

#[test]
fn catalog_json_matches_the_content() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    let catalog: Catalog =
        serde_json::from_slice(&std::fs::read(out.join("catalog.json")).expect("catalog"))
            .expect("json");
    assert_eq!(catalog.currency, "IDR");
    let actual: BTreeSet<(String, String, String, String, i64)> = catalog
        .items
        .iter()
        .map(|item| {
            (
                item.sku.clone(),
                item.name.clone(),
                item.producer.clone(),
                item.category.clone(),
                item.price.rupiah(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, String, i64)> = fixture_products()
        .into_iter()
        .filter(|(_, value)| value["available"].as_bool().unwrap_or(true))
        .map(|(path, value)| {
            let folder = path
                .parent()
                .expect("folder")
                .to_string_lossy()
                .into_owned();
            (
                value["sku"].as_str().expect("sku").to_owned(),
                value["name"].as_str().expect("name").to_owned(),
                value["producer"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or(folder),
                value["category"].as_str().expect("category").to_owned(),
                value["price"].as_i64().expect("price"),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(actual.len(), 7, "the unavailable product is left out");
}

#[test]
fn lists_paginate_and_the_extra_files_are_written() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    // products_per_page: 2 → 8 products make 4 pages of /produk/.
    assert!(out.join("produk/index.html").is_file());
    assert!(out.join("produk/halaman/4/index.html").is_file());
    assert!(!out.join("produk/halaman/5").exists());
    assert!(out.join("kategori/kopi/halaman/2/index.html").is_file());
    assert!(out.join("kecamatan/dampit/index.html").is_file());
    assert!(out.join("kecamatan/index.html").is_file());
    assert!(out.join("produsen/kopi-sumber-rejeki/index.html").is_file());
    assert!(out
        .join("produsen/kopi-sumber-rejeki/kebun-4.webp")
        .is_file());
    assert!(out
        .join("produsen/kopi-sumber-rejeki/kebun-4.jpg")
        .is_file());
    assert!(out.join("cara-belanja/index.html").is_file());
    assert!(out.join("404.html").is_file());
    assert!(out.join("static/galeri.css").is_file());

    let robots = std::fs::read_to_string(out.join("robots.txt")).expect("robots");
    assert!(robots.contains("Sitemap: https://uji.example/sitemap.xml"));
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    assert!(
        sitemap.contains("<loc>https://uji.example/produk/keripik-bantur/keripik-pisang/</loc>")
    );
    assert!(!sitemap.contains("404"));
    let feed = std::fs::read_to_string(out.join("atom.xml")).expect("feed");
    let newest = feed.find("Biji Sangrai").expect("newest in feed");
    let older = feed.find("Robusta Dampit Bubuk").expect("older in feed");
    assert!(newest < older, "feed is newest first");
    assert!(feed.contains("Rp85.000"));

    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("search-index.json")).expect("index"))
            .expect("json");
    assert_eq!(index["fields"][0], "sku");
    assert_eq!(index["products"].as_array().map(Vec::len), Some(7));
    let home = std::fs::read_to_string(out.join("index.html")).expect("home");
    // The header search box, labelled, submits to /cari/ on every page but the search itself.
    assert!(home.contains(r#"<form class="wrap header-search" action="/cari/" method="get""#));
    assert!(home.contains(r#"<label for="cari-atas">Cari produk</label>"#));
    let search = std::fs::read_to_string(out.join("cari/index.html")).expect("search page");
    assert!(!search.contains("cari-atas"));
    assert!(search.contains(r#"data-index="/search-index.json""#));
    assert!(sitemap.contains("<loc>https://uji.example/cari/</loc>"));
    // The page with `menu: false` is built but not in the menu.
    assert!(out.join("privasi/index.html").is_file());
    assert!(!home.contains("href=\"/privasi/\""));
}

#[test]
fn base_url_option_overrides_site_yaml() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    let mut options = BuildOptions::new(fixture("valid").join("content"), theme(), &out);
    options.today = Some(fixture_today());
    options.base_url = Some("https://pratinjau.example/".into());
    build_site(&options).expect("build");
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    assert!(sitemap.contains("<loc>https://pratinjau.example/</loc>"));
    options.base_url = Some("pratinjau.example".into());
    assert!(matches!(build_site(&options), Err(BuildError::BaseUrl(_))));
}

#[test]
fn the_output_may_not_contain_the_content_or_theme() {
    let base = tempfile::tempdir().expect("temp");
    let content = base.path().join("site/content");
    std::fs::create_dir_all(&content).expect("mkdir");
    for entry in walkdir::WalkDir::new(fixture("valid").join("content")) {
        let entry = entry.expect("walk");
        let relative = entry
            .path()
            .strip_prefix(fixture("valid").join("content"))
            .expect("inside");
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(content.join(relative)).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), content.join(relative)).expect("copy");
        }
    }
    let mut options = BuildOptions::new(&content, theme(), base.path().join("site"));
    options.today = Some(fixture_today());
    assert!(matches!(
        build_site(&options),
        Err(BuildError::UnsafeOutput(_))
    ));
    assert!(content.join("site.yaml").is_file(), "the content survived");
}

#[test]
fn a_failed_build_leaves_the_previous_output_byte_identical() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    let before = snapshot(&out);
    assert!(before.len() > 30);

    for case in ["invalid-values", "invalid-images"] {
        let mut options = BuildOptions::new(fixture(case).join("content"), theme(), &out);
        options.today = Some(fixture_today());
        assert!(
            matches!(build_site(&options), Err(BuildError::Content(_))),
            "{case}"
        );
        assert_eq!(snapshot(&out), before, "{case} changed the output");
    }
    // A theme error happens after the content is loaded, while building: still untouched.
    let broken_theme = base.path().join("theme");
    std::fs::create_dir_all(broken_theme.join("templates")).expect("mkdir");
    std::fs::write(broken_theme.join("templates/base.html"), "{% if %}").expect("write");
    let mut options = BuildOptions::new(fixture("valid").join("content"), &broken_theme, &out);
    options.today = Some(fixture_today());
    assert!(matches!(build_site(&options), Err(BuildError::Theme(_))));
    assert_eq!(snapshot(&out), before);
    // A theme missing a template fails while rendering pages, after writing some of them.
    std::fs::write(broken_theme.join("templates/base.html"), "ok").expect("write");
    std::fs::copy(
        theme().join("strings.yaml"),
        broken_theme.join("strings.yaml"),
    )
    .expect("strings");
    std::fs::write(
        broken_theme.join("templates/index.html"),
        "{{ missing.value }}",
    )
    .expect("write");
    assert!(matches!(
        build_site(&options),
        Err(BuildError::Render { .. })
    ));
    assert_eq!(snapshot(&out), before);

    // Nothing is left beside the output folder.
    let siblings: Vec<String> = std::fs::read_dir(base.path())
        .expect("read")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings.len(), 2, "{siblings:?}"); // public + theme

    // And a good build replaces it.
    build_valid(&out);
    assert!(out.join("index.html").is_file());
}

#[test]
fn photos_are_published_as_responsive_variants_processed_once() {
    let base = tempfile::tempdir().expect("temp");
    let cache = base.path().join("cache");
    let build = |out: &Path| {
        let mut options = BuildOptions::new(fixture("valid").join("content"), theme(), out);
        options.today = Some(fixture_today());
        options.image_cache = Some(cache.clone());
        build_site(&options).expect("build")
    };
    let first = build(&base.path().join("one"));
    assert_eq!(first.photos, 3);
    assert!(first.photos_processed > 0);
    let second = build(&base.path().join("two"));
    assert_eq!(
        second.photos_processed, 0,
        "unchanged photos were processed again"
    );

    let out = base.path().join("two");
    let html =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-bubuk/index.html"))
            .expect("page");
    assert!(html.contains(
        r#"<source type="image/webp" srcset="/produk/kopi-sumber-rejeki/robusta-bubuk/robusta-"#
    ));
    assert!(html.contains(r#" width=""#) && html.contains(r#" height=""#));
    // Originals are never shipped: only the variants.
    let originals: Vec<String> = snapshot(&out)
        .into_keys()
        .map(|path| path.display().to_string())
        .filter(|path| path.ends_with(".png"))
        .collect();
    assert!(originals.is_empty(), "{originals:?}");
}

#[test]
fn app_pages_render_from_their_templates_with_the_api_base() {
    let base = tempfile::tempdir().expect("temp");
    let theme_copy = base.path().join("theme");
    galeri_tests::site::copy_folder(&theme(), &theme_copy);
    std::fs::write(
        theme_copy.join("templates/cek-saldo.html"),
        r#"{% extends "base.html" %}{% block content %}<p id="api" data-api="{{ api_base }}">{{ page_title }}</p>{% endblock content %}"#,
    )
    .expect("write");
    let _ = std::fs::remove_file(theme_copy.join("templates/kasir.html"));
    let out = base.path().join("public");
    let mut options = BuildOptions::new(fixture("valid").join("content"), &theme_copy, &out);
    options.today = Some(fixture_today());
    build_site(&options).expect("build");
    let page = std::fs::read_to_string(out.join("cek-saldo/index.html")).expect("cek-saldo");
    // site.yaml's api_base_url, unless overridden (as `galeri serve` does).
    assert!(
        page.contains(r#"data-api="/api">Cek saldo voucher</p>"#),
        "{page}"
    );
    assert!(page.contains("<title>Cek saldo voucher · "));
    assert!(
        !out.join("kasir/index.html").exists(),
        "no template, no page"
    );

    options.api_base_url = Some("/api/v1".into());
    build_site(&options).expect("build");
    let page = std::fs::read_to_string(out.join("cek-saldo/index.html")).expect("cek-saldo");
    assert!(page.contains(r#"data-api="/api/v1""#));
}

#[test]
fn a_product_page_offers_whatsapp_permits_and_the_voucher_call_out() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    let html =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-bubuk/index.html"))
            .expect("page");
    // The gallery's number normalized to 628…, the message naming the product.
    let link = html
        .split("href=\"https://wa.me/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a WhatsApp link");
    assert!(link.starts_with("628"), "{link}");
    assert!(link.contains("Robusta%20Dampit%20Bubuk"), "{link}");
    assert!(html.contains("Bayar dengan voucher ASN"));
    assert!(html.contains(r#"<a href="/cara-belanja/">"#));
    assert!(html.contains(r#"<span class="badge">P-IRT</span>"#));
    assert!(html.contains(r#"<nav class="breadcrumbs" aria-label="Remah roti">"#));
    assert!(html.contains(r#"<link rel="icon" href="/static/favicon.svg""#));
    assert!(out.join("static/favicon.svg").is_file());
}

#[test]
fn the_order_pages_offer_the_cart_the_offices_and_the_staff_queue() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_valid(&out);
    // An available product can go in the cart (a button the script shows); a sold-out one not.
    let available =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-bubuk/index.html"))
            .expect("page");
    assert!(available.contains(r#"data-add-to-cart="DMP-KOP-001""#));
    assert!(available.contains(r#"<script src="/static/keranjang.js"></script>"#));
    assert!(available.contains(r#"<a class="cart-link" href="/pesan/">Keranjang"#));
    let sold_out =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-hijau/index.html"))
            .expect("page");
    assert!(!sold_out.contains("data-add-to-cart"));

    // The checkout lists site.yaml's offices and says how long the vouchers are held.
    let checkout = std::fs::read_to_string(out.join("pesan/index.html")).expect("checkout");
    assert!(checkout.contains("<option>Kantor Kecamatan Kepanjen (contoh)</option>"));
    assert!(checkout.contains("<option>Kantor Kecamatan Dampit (contoh)</option>"));
    assert!(checkout.contains("selama\n  2 hari"), "order_hold_days");
    assert!(checkout.contains(r#"<label for="nama">Nama</label>"#));
    assert!(checkout.contains(r#"<label for="whatsapp">Nomor WhatsApp</label>"#));
    assert!(checkout.contains(r#"<label for="kode-voucher">Kode voucher</label>"#));
    assert!(checkout.contains(">Kirim pesanan</button>"));
    assert!(checkout.contains(r#"data-whatsapp="6281200000000""#));

    // The buyer's status page and the staff queue are not for search engines.
    let status = std::fs::read_to_string(out.join("pesanan/index.html")).expect("status");
    assert!(status.contains(r#"<meta name="robots" content="noindex">"#));
    let queue = std::fs::read_to_string(out.join("kasir/pesanan/index.html")).expect("queue");
    assert!(queue.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(queue.contains(r#"<label for="token-kasir">Token kasir</label>"#));
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    assert!(sitemap.contains("<loc>https://uji.example/pesan/</loc>"));
    assert!(!sitemap.contains("/pesanan/"));
}

//! Budgets over the gallery's real catalog as built: a product page's HTML+CSS+JS, and the
//! transparency page's, stay within 50 KB gzipped (photos excluded), every image has its width
//! and height (no layout shift), and every form control has a label.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use galeri::site::{build_site, BuildOptions};
use galeri_tests::site::{snapshot, theme, workspace_root};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A product page's HTML+CSS+JS, each file gzipped as a server would send it.
const PRODUCT_PAGE_BUDGET: usize = 50 * 1024;

fn build_catalog(out: &Path) {
    let content = workspace_root().join("content");
    let mut options = BuildOptions::new(&content, theme(), out);
    // The real catalog is checked against today's date, as in `site_links`.
    options.today = None;
    build_site(&options).unwrap_or_else(|error| panic!("{error}"));
}

fn gzipped(bytes: &[u8]) -> usize {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len()
}

/// Every value of `attribute` on tags named `tag` (`<link … href="…">`).
fn tag_attributes<'a>(html: &'a str, tag: &str, attribute: &str) -> Vec<(&'a str, String)> {
    let mut found = Vec::new();
    let opening = format!("<{tag}");
    let mut rest = html;
    while let Some(start) = rest.find(&opening) {
        let after = &rest[start..];
        let end = after.find('>').unwrap_or(after.len());
        let text = &after[..end];
        let marker = format!(" {attribute}=\"");
        if let Some(at) = text.find(&marker) {
            let value = &text[at + marker.len()..];
            let value = value.split('"').next().unwrap_or("");
            found.push((text, value.to_owned()));
        } else {
            found.push((text, String::new()));
        }
        rest = &after[end..];
    }
    found
}

/// A page's HTML with the CSS and JS it loads, each file gzipped as a server would send it.
fn page_weight(path: &Path, html: &str, files: &BTreeMap<PathBuf, Vec<u8>>) -> usize {
    let mut total = gzipped(html.as_bytes());
    let styles = tag_attributes(html, "link", "href")
        .into_iter()
        .filter(|(tag, _)| tag.contains("rel=\"stylesheet\""))
        .map(|(_, href)| href);
    let scripts = tag_attributes(html, "script", "src")
        .into_iter()
        .map(|(_, src)| src)
        .filter(|src| !src.is_empty());
    for url in styles.chain(scripts) {
        let file = files
            .get(Path::new(url.trim_start_matches('/')))
            .unwrap_or_else(|| panic!("{} loads missing {url}", path.display()));
        total += gzipped(file);
    }
    total
}

/// Controls in `html` without a label: neither `<label for=id>` nor wrapped in a `<label>`.
fn unlabelled_controls(html: &str) -> Vec<String> {
    let mut missing = Vec::new();
    for tag in ["input", "select", "textarea"] {
        let opening = format!("<{tag}");
        let mut offset = 0;
        while let Some(found) = html[offset..].find(&opening) {
            let start = offset + found;
            let end = start + html[start..].find('>').unwrap_or(0);
            let text = &html[start..end];
            offset = end.max(start + 1);
            if ["hidden", "submit", "button"]
                .iter()
                .any(|kind| text.contains(&format!("type=\"{kind}\"")))
            {
                continue;
            }
            let id = text
                .split(" id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next());
            let by_for = id.is_some_and(|id| html.contains(&format!("<label for=\"{id}\"")));
            let before = &html[..start];
            let wrapped = before
                .rfind("<label")
                .is_some_and(|open| before.rfind("</label>").is_none_or(|close| close < open));
            if !by_for && !wrapped {
                missing.push(text.to_owned());
            }
        }
    }
    missing
}

#[test]
fn product_pages_stay_within_the_budget_and_every_image_and_input_is_sized_and_labelled() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build_catalog(&out);
    let files = snapshot(&out);
    let pages: BTreeMap<&PathBuf, String> = files
        .iter()
        .filter(|(path, _)| path.extension().is_some_and(|ext| ext == "html"))
        .map(|(path, bytes)| (path, String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    assert!(pages.len() > 100);

    let mut heaviest = (0, PathBuf::new());
    let mut product_pages = 0;
    for (path, html) in &pages {
        // `produk/<producer>/<product>/index.html`; `produk/halaman/<n>/` is the list.
        let is_product = path.starts_with("produk")
            && !path.starts_with("produk/halaman")
            && path.components().count() == 4;
        if !is_product {
            continue;
        }
        product_pages += 1;
        let total = page_weight(path, html, &files);
        if total > heaviest.0 {
            heaviest = (total, (*path).clone());
        }
    }
    assert!(product_pages >= 100, "{product_pages} product pages");
    eprintln!(
        "heaviest product page: {} bytes gzipped ({})",
        heaviest.0,
        heaviest.1.display()
    );
    assert!(
        heaviest.0 <= PRODUCT_PAGE_BUDGET,
        "{} is {} bytes gzipped, over {PRODUCT_PAGE_BUDGET}",
        heaviest.1.display(),
        heaviest.0
    );

    // The transparency page (the sample export's figures, tables and inline charts) is held
    // to the same budget.
    let transparency = PathBuf::from("transparansi/index.html");
    let weight = page_weight(&transparency, &pages[&transparency], &files);
    eprintln!("transparency page: {weight} bytes gzipped");
    assert!(
        weight <= PRODUCT_PAGE_BUDGET,
        "transparansi/ is {weight} bytes gzipped"
    );

    for (path, html) in &pages {
        for (tag, _) in tag_attributes(html, "img", "src") {
            assert!(
                tag.contains(" width=\"") && tag.contains(" height=\""),
                "{}: {tag}",
                path.display()
            );
        }
        let unlabelled = unlabelled_controls(html);
        assert!(unlabelled.is_empty(), "{}: {unlabelled:?}", path.display());
    }
    // The checks are not vacuous: the search page has labelled controls, product pages photos.
    let search = &pages[&PathBuf::from("cari/index.html")];
    assert!(search.contains("<label for=\"q\">Cari produk</label>"));
    assert_eq!(unlabelled_controls("<input id=\"x\" name=\"q\">").len(), 1);
    assert!(unlabelled_controls("<label>Harga <select name=\"h\"></select></label>").is_empty());
}

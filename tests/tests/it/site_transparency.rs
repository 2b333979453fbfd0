//! `/transparansi/`: the valid fixture plus `data/transparency.json` (fixture
//! `transparency/transparency.json`) builds a page that shows the figures as text beside inline
//! SVG charts, a CSV with exactly the JSON's figures, and links from the footer and home page.
//! Without the file there is no page and no link; a broken file is a content error at its line
//! and column.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use galeri::site::{build_site, BuildError, BuildOptions};
use galeri::transparency::{Transparency, OTHER_CODE};
use galeri_tests::site::{fixture, fixture_today, theme};
use std::collections::BTreeMap;
use std::path::Path;

/// A copy of the valid fixture's content under `base`, with `transparency` as its export.
fn content_with(base: &Path, transparency: Option<&str>) -> std::path::PathBuf {
    let from = fixture("valid").join("content");
    let to = base.join("content");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    if let Some(text) = transparency {
        std::fs::create_dir_all(to.join("data")).unwrap();
        std::fs::write(to.join("data/transparency.json"), text).unwrap();
    }
    to
}

fn build(base: &Path, content: &Path) -> Result<std::path::PathBuf, BuildError> {
    let out = base.join("public");
    let mut options = BuildOptions::new(content, theme(), &out);
    options.today = Some(fixture_today());
    options.image_cache = Some(base.join("cache"));
    build_site(&options).map(|_| out)
}

fn fixture_json() -> String {
    std::fs::read_to_string(fixture("transparency").join("transparency.json")).unwrap()
}

#[test]
fn the_page_shows_every_figure_and_the_csv_matches_the_json() {
    let base = tempfile::tempdir().unwrap();
    let json = fixture_json();
    let content = content_with(base.path(), Some(&json));
    let out = build(base.path(), &content).unwrap_or_else(|error| panic!("{error}"));
    let html = std::fs::read_to_string(out.join("transparansi/index.html")).unwrap();

    // The summary since the start, and each month's row (newest first) in words and rupiah.
    for text in [
        "<h1>Transparansi voucher ASN</h1>",
        "Data per 20 November 2026.",
        "<dt>Diterbitkan</dt><dd>Rp4.500.000</dd><dd class=\"note\">50 voucher</dd>",
        "<dt>Dibelanjakan</dt><dd>Rp2.220.000</dd>",
        "<dt>Kedaluwarsa</dt><dd>Rp1.275.000</dd>",
        "<dt>Masih beredar</dt><dd>Rp1.040.000</dd>",
        "<th scope=\"row\">November 2026 <span class=\"note\">(berjalan)</span></th><td>Rp500.000</td><td>Rp20.000</td><td>Rp60.000</td><td>Rp0</td><td>Rp1.275.000</td><td>Rp1.040.000</td><td>-Rp40.000</td><td>1</td>",
        "<th scope=\"row\">September 2026</th><td>Rp4.000.000</td><td>Rp1.250.000</td>",
        // The period's breakdown: monthly published cells added up, names from the content.
        "<th scope=\"row\">Kopi</th><td>Rp1.260.000</td><td>Rp1.440.000</td>",
        "<th scope=\"row\">Makanan Ringan</th><td>Rp400.000</td><td>Rp450.000</td>",
        "<th scope=\"row\">Lainnya (digabung)</th><td>Rp425.000</td><td>Rp460.000</td>",
        "<th scope=\"row\">Dampit</th><td>Rp800.000</td><td>Rp900.000</td>",
        "<th scope=\"row\">Lainnya (digabung)</th><td>Rp1.285.000</td><td>Rp1.450.000</td>",
        "href=\"/transparansi/transparansi.csv\" download",
        "Angka di halaman ini adalah <strong>contoh</strong>",
    ] {
        assert!(html.contains(text), "missing {text:?} in\n{html}");
    }
    // The charts are inline SVG with an accessible name, drawn without any script; the
    // largest category bar is the full length and a month's columns are there.
    assert_eq!(
        html.matches("<svg role=\"img\" aria-labelledby=").count(),
        3
    );
    // The only script is the site-wide cart's (its button is hidden without JavaScript).
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/static/keranjang.js\"></script>")
            .count()
    );
    assert!(html.contains(
        "<text x=\"0\" y=\"13\">Kopi</text><rect class=\"spent\" x=\"0\" y=\"18\" width=\"250\""
    ));
    assert_eq!(html.matches("<rect class=\"issued\"").count(), 3);
    assert!(html.contains(">Sep</text>") && html.contains(">2026</text>"));

    // Linked from every page's footer and from the home page.
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(home.matches("href=\"/transparansi/\"").count(), 2);
    let product =
        std::fs::read_to_string(out.join("produk/kopi-sumber-rejeki/robusta-bubuk/index.html"))
            .unwrap();
    assert!(product.contains("<a href=\"/transparansi/\">Transparansi voucher ASN</a>"));
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("/transparansi/</loc>"));

    // The CSV: every figure of the JSON once, read back the way a spreadsheet would.
    let data = Transparency::parse(&json).unwrap();
    let csv = std::fs::read_to_string(out.join("transparansi/transparansi.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["bulan", "bagian", "kode", "nama", "besaran", "angka"]
    );
    let mut rows: BTreeMap<(String, String, String, String), (String, i64)> = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let key = (
            record[0].to_owned(),
            record[1].to_owned(),
            record[2].to_owned(),
            record[4].to_owned(),
        );
        let previous = rows.insert(
            key.clone(),
            (record[3].to_owned(), record[5].parse().unwrap()),
        );
        assert!(previous.is_none(), "{key:?} twice");
    }
    let mut expected: BTreeMap<(String, String, String, String), (String, i64)> = BTreeMap::new();
    let mut put = |month: &str, part: &str, code: &str, unit: &str, name: &str, value: i64| {
        expected.insert(
            (month.into(), part.into(), code.into(), unit.into()),
            (name.into(), value),
        );
    };
    for month in &data.months {
        let m = month.month.as_str();
        put(
            m,
            "ringkasan",
            "voucher_diterbitkan",
            "jumlah",
            "",
            month.vouchers_issued as i64,
        );
        put(m, "ringkasan", "diterbitkan", "rupiah", "", month.issued);
        put(m, "ringkasan", "dibelanjakan", "rupiah", "", month.spent);
        put(m, "ringkasan", "dikembalikan", "rupiah", "", month.refunded);
        put(m, "ringkasan", "dibatalkan", "rupiah", "", month.voided);
        put(m, "ringkasan", "kedaluwarsa", "rupiah", "", month.expired);
        put(m, "ringkasan", "beredar", "rupiah", "", month.outstanding);
        put(
            m,
            "ringkasan",
            "nilai_penjualan",
            "rupiah",
            "",
            month.sales_value,
        );
        put(
            m,
            "ringkasan",
            "produsen_dibayar",
            "jumlah",
            "",
            month.producers_paid as i64,
        );
        for (part, cells) in [
            ("kategori", &month.by_category),
            ("kecamatan", &month.by_kecamatan),
        ] {
            for cell in cells {
                let code = cell.slug.as_deref().unwrap_or(OTHER_CODE);
                let name = match (part, code) {
                    (_, OTHER_CODE) => "Lainnya (digabung)",
                    ("kategori", "kopi") => "Kopi",
                    ("kategori", "makanan-ringan") => "Makanan Ringan",
                    ("kecamatan", "dampit") => "Dampit",
                    other => panic!("unexpected cell {other:?}"),
                };
                put(m, part, code, "rupiah_nilai", name, cell.value);
                put(m, part, code, "rupiah_voucher", name, cell.voucher);
            }
        }
    }
    assert_eq!(rows, expected);
}

#[test]
fn without_the_export_there_is_no_page_and_a_broken_one_is_a_content_error() {
    let base = tempfile::tempdir().unwrap();
    let content = content_with(base.path(), None);
    let out = build(base.path(), &content).unwrap();
    assert!(!out.join("transparansi").exists());
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!home.contains("/transparansi/"));

    // A hand edit that breaks the JSON names the file, line and column.
    let broken = fixture_json().replacen("\"spent\": 950000", "\"spent\": \"950.000\"", 1);
    let base = tempfile::tempdir().unwrap();
    let content = content_with(base.path(), Some(&broken));
    let Err(BuildError::Content(diagnostics)) = build(base.path(), &content) else {
        panic!("a broken export must fail the build");
    };
    let text = diagnostics.render(galeri::cli::Lang::Id, Path::new("content"));
    assert!(
        text.starts_with("content/data/transparency.json:35:"),
        "{text}"
    );
    assert!(text.contains("data transparansi tidak terbaca"), "{text}");
    // Another format version is refused, not misread.
    let newer = fixture_json().replacen("\"version\": 1", "\"version\": 2", 1);
    let base = tempfile::tempdir().unwrap();
    let content = content_with(base.path(), Some(&newer));
    assert!(matches!(
        build(base.path(), &content),
        Err(BuildError::Content(_))
    ));
}

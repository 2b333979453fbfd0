//! `galeri labels`: shelf labels for the catalog's available products as an A4 PDF, 21 labels
//! of 63 × 38 mm a page with cut marks. A label shows the name, producer, price and unit, the
//! SKU as a Code 128 barcode (what a USB scanner types into the Kasir page's product field,
//! which looks SKUs up exactly) and a QR code of the product page's full address.

use crate::cli::LabelsArgs;
use crate::content::diagnostics::{did_you_mean, display_path, Hint};
use crate::content::product::Product;
use crate::content::{load, Library};
use crate::pdf::{code128_modules, Align, Document, Font, Grid, Page, MM};
use crate::render::urls;
use crate::site::today_wib;
use anyhow::Context;
use std::process::ExitCode;

/// 21 labels a page: three columns of seven.
pub const LABELS: Grid = Grid {
    columns: 3,
    rows: 7,
    width: 63.0 * MM,
    height: 38.0 * MM,
};

pub fn run(args: LabelsArgs) -> anyhow::Result<ExitCode> {
    let library = match load(&args.content, today_wib()) {
        Ok(library) => library,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(Default::default(), &args.content));
            eprintln!("Perbaiki konten dulu (`galeri check`); tidak ada label yang dicetak.");
            return Ok(ExitCode::FAILURE);
        }
    };
    let base_url = match &args.base_url {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.as_str(),
        Some(url) => {
            eprintln!("--base-url `{url}` harus alamat lengkap, mis. https://galeri.example");
            return Ok(ExitCode::FAILURE);
        }
        None => library.site.base_url.as_str(),
    }
    .trim_end_matches('/');

    let problems = unknown_filters(&library, &args.categories, &args.producers);
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        return Ok(ExitCode::FAILURE);
    }
    let chosen: Vec<&Product> = library
        .products
        .iter()
        .filter(|product| args.categories.is_empty() || args.categories.contains(&product.category))
        .filter(|product| args.producers.is_empty() || args.producers.contains(&product.producer))
        .collect();
    let (products, unavailable): (Vec<&Product>, Vec<&Product>) =
        chosen.into_iter().partition(|product| product.available);

    // A SKU the barcode cannot carry is a content problem: say where it is written.
    let unprintable: Vec<String> = products
        .iter()
        .filter(|product| code128_modules(&product.sku).is_err())
        .map(|product| {
            format!(
                "{}:{}:{}: SKU `{}` tidak bisa dijadikan barcode Code 128: pakai huruf, angka dan \
                 tanda baca biasa (ASCII) saja",
                display_path(&args.content.join(&product.file)),
                product.spots.sku.line,
                product.spots.sku.col,
                product.sku
            )
        })
        .collect();
    if !unprintable.is_empty() {
        for problem in &unprintable {
            eprintln!("{problem}");
        }
        eprintln!("Tidak ada label yang dicetak.");
        return Ok(ExitCode::FAILURE);
    }
    if products.is_empty() {
        eprintln!(
            "Tidak ada produk tersedia yang cocok{}; tidak ada label yang dicetak.",
            if unavailable.is_empty() {
                ""
            } else {
                " (yang cocok semuanya `available: false`)"
            }
        );
        return Ok(ExitCode::FAILURE);
    }

    let document = labels_pdf(&library, &products, base_url)?;
    let pages = document.page_count();
    let pdf = document.finish()?;
    crate::content::proposal::write_atomically(&args.out, &pdf)
        .with_context(|| format!("menulis {}", args.out.display()))?;
    let skipped = if unavailable.is_empty() {
        String::new()
    } else {
        format!(
            " {} produk yang tidak tersedia (`available: false`) dilewati.",
            unavailable.len()
        )
    };
    eprintln!(
        "{} label ({pages} halaman A4) ditulis ke {}.{skipped}",
        products.len(),
        display_path(&args.out)
    );
    Ok(ExitCode::SUCCESS)
}

/// A `--category` or `--producer` that names nothing in the catalog, with the likely slug.
fn unknown_filters(library: &Library, categories: &[String], producers: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut check = |given: &[String], known: Vec<&str>, flag: &str, file: &str| {
        for slug in given.iter().filter(|slug| !known.contains(&slug.as_str())) {
            let hint = match did_you_mean(slug, known.iter().copied()) {
                Some(Hint::DidYouMean(word)) => format!(" (maksud Anda `{word}`?)"),
                _ => String::new(),
            };
            problems.push(format!("--{flag} `{slug}` tidak ada di {file}{hint}"));
        }
    };
    check(
        categories,
        library.categories.iter().map(|c| c.slug.as_str()).collect(),
        "category",
        "categories.yaml",
    );
    check(
        producers,
        library.producers.iter().map(|p| p.slug.as_str()).collect(),
        "producer",
        "producers/",
    );
    problems
}

/// The labels of `products`, 21 to a page.
pub fn labels_pdf(
    library: &Library,
    products: &[&Product],
    base_url: &str,
) -> anyhow::Result<Document> {
    let mut document = Document::new("Label rak Galeri");
    for page_products in products.chunks(LABELS.per_page()) {
        let mut page = Document::grid_page(&LABELS);
        for (index, product) in page_products.iter().enumerate() {
            let (x, y) = LABELS.origin(index);
            let producer = library
                .producers
                .iter()
                .find(|producer| producer.slug == product.producer)
                .map_or(product.producer.as_str(), |producer| producer.name.as_str());
            let url = format!(
                "{base_url}{}",
                urls::product(&product.producer, &product.slug)
            );
            draw_label(&mut page, x, y, product, producer, &url)?;
        }
        document.push(page);
    }
    Ok(document)
}

/// One label with its lower left corner at (x, y).
fn draw_label(
    page: &mut Page,
    x: f32,
    y: f32,
    product: &Product,
    producer: &str,
    url: &str,
) -> anyhow::Result<()> {
    let (width, height) = (LABELS.width, LABELS.height);
    let pad = 3.0 * MM;
    let left = x + pad;
    let top = y + height - pad;
    // The QR code's square (quiet zone included) in the upper right corner.
    let qr_size = 20.0 * MM;
    let qr_x = x + width - 1.0 * MM - qr_size;
    let qr_y = y + height - 1.0 * MM - qr_size;
    page.qr(url.as_bytes(), qr_x, qr_y, qr_size)?;
    let column = qr_x - left - 1.5 * MM;

    let mut line = top - 7.0;
    for name_line in Font::Bold.wrap(&product.name, 9.0, column, 2) {
        page.text(Font::Bold, 9.0, left, line, Align::Left, &name_line);
        line -= 10.5;
    }
    let producer = Font::Regular.truncate(producer, 7.0, column);
    page.text(Font::Regular, 7.0, left, line + 1.0, Align::Left, &producer);

    let price = product.price.format();
    let price_size = Font::Bold.fit(&price, 14.0, 10.0, column);
    let price_y = y + 51.0;
    page.text(Font::Bold, price_size, left, price_y, Align::Left, &price);
    if !product.unit.is_empty() {
        let after = left + Font::Bold.width(&price, price_size) + 3.0;
        let unit =
            Font::Regular.truncate(&format!("/ {}", product.unit), 7.0, left + column - after);
        page.text(Font::Regular, 7.0, after, price_y, Align::Left, &unit);
    }

    // The barcode across the label's width; modules of at most 0.38 mm keep it short enough
    // for a hand scanner's window.
    let bars_y = y + 14.0;
    page.code128(
        &product.sku,
        x + 1.0 * MM,
        bars_y,
        width - 2.0 * MM,
        9.0 * MM,
        0.38 * MM,
    )?;
    page.text(
        Font::Regular,
        7.0,
        x + width / 2.0,
        y + 5.0,
        Align::Center,
        &product.sku,
    );
    Ok(())
}

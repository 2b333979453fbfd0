//! The printed PDFs, read back as a scanner would: `galeri vouchers print` over a batch issued
//! by `galeri vouchers issue` on a real SQLite store, and `galeri labels` over the real
//! catalog, rendered with `pdftoppm` (poppler-utils) and decoded with `zbarimg` (zbar-tools):
//! every card's QR code is its voucher code, every label's Code 128 is its SKU and its QR code
//! the product page's address. A codes file with an altered code prints nothing.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::staff_support::galeri;
use galeri::cmd::labels::LABELS;
use galeri::cmd::print::CARDS;
use galeri::pdf::{Grid, A4_HEIGHT};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `galeri` without a pepper from the test's environment: (exit code, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(galeri())
        .args(args)
        .current_dir(dir)
        .env_remove("GALERI_PEPPER")
        .env_remove("GALERI_PEPPER_PARAM")
        .env_remove("GALERI_STORE")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A tool from poppler-utils or zbar-tools; `tests/run.sh` installs them.
fn tool(name: &str, args: &[&str]) -> std::process::Output {
    Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|error| {
            panic!("{name} is missing ({error}): apt-get install poppler-utils zbar-tools")
        })
}

/// What zbarimg reads in each of the first `count` cells of `grid` in `pdf`, one cell at a
/// time as a person scans one card or label: `TYPE:data` per symbol, sorted. The pages are
/// rendered at `dpi` and cut into cells (zbar misses some QR codes in a page full of them,
/// whose finder patterns line up from cell to cell).
fn scan_cells(pdf: &Path, grid: &Grid, count: usize, dpi: u32) -> Vec<Vec<String>> {
    let prefix = pdf.with_extension("");
    let rendered = tool(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    // pdftoppm numbers pages `-1`, or `-01` from ten pages on: sorting by length, then name,
    // keeps page order either way.
    let stem = format!("{}-", prefix.file_name().unwrap().to_str().unwrap());
    let mut files: Vec<PathBuf> = std::fs::read_dir(pdf.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            name.starts_with(&stem) && name.ends_with(".png")
        })
        .collect();
    files.sort_by_key(|path| (path.as_os_str().len(), path.clone()));
    let pages: Vec<image::DynamicImage> = files
        .iter()
        .map(|file| image::open(file).unwrap())
        .collect();
    assert_eq!(pages.len(), count.div_ceil(grid.per_page()));
    let px = |points: f32| (points / 72.0 * dpi as f32).round() as u32;
    (0..count)
        .map(|index| {
            let (x, y) = grid.origin(index);
            let cell = pages[index / grid.per_page()].crop_imm(
                px(x),
                px(A4_HEIGHT - y - grid.height),
                px(grid.width),
                px(grid.height),
            );
            let file = pdf.with_file_name(format!("cell-{index}.png"));
            cell.save(&file).unwrap();
            let decoded = tool("zbarimg", &["--quiet", file.to_str().unwrap()]);
            let mut symbols: Vec<String> = String::from_utf8_lossy(&decoded.stdout)
                .lines()
                .map(str::to_owned)
                .collect();
            symbols.sort();
            symbols
        })
        .collect()
}

/// The text pdftotext reads from `pdf`.
fn text(pdf: &Path) -> String {
    let output = tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Issues `count` vouchers of Rp50.000 on a new SQLite store in `dir`; returns the codes file.
fn issue(dir: &Path, count: u32) -> PathBuf {
    let store = format!("sqlite:{}", dir.join("vouchers.db").display());
    let (code, stderr) = run(
        dir,
        &[
            "vouchers",
            "issue",
            "--count",
            &count.to_string(),
            "--amount",
            "50000",
            "--expires",
            "2026-12-31",
            "--unit",
            "Dinas Komunikasi dan Informatika",
            "--out",
            "codes.csv",
            "--store",
            &store,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    dir.join("codes.csv")
}

fn codes_in(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap().to_owned())
        .collect()
}

#[test]
fn every_card_qr_code_decodes_back_to_its_voucher_code() {
    let dir = tempfile::tempdir().unwrap();
    // 12 cards: a full page of ten and a second page of two.
    let codes_file = issue(dir.path(), 12);
    let codes = codes_in(&codes_file);
    assert_eq!(codes.len(), 12);
    let content = repo().join("content");
    let (code, stderr) = run(
        dir.path(),
        &[
            "vouchers",
            "print",
            "--codes",
            "codes.csv",
            "--out",
            "cards.pdf",
            "--content",
            content.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("12 kartu voucher (2 halaman A4) ditulis ke cards.pdf"),
        "{stderr}"
    );
    for code in &codes {
        assert!(!stderr.contains(code.as_str()), "a code reached the screen");
    }
    let pdf = dir.path().join("cards.pdf");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pdf).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the cards hold the codes");
    }

    // Each card's QR code is its own code, cards in the file's order.
    let scanned = scan_cells(&pdf, &CARDS, codes.len(), 150);
    let expected: Vec<Vec<String>> = codes
        .iter()
        .map(|code| vec![format!("QR-Code:{code}")])
        .collect();
    assert_eq!(scanned, expected);

    // What a person reads on the card: the code, the face value as `Rp50.000`, expiry and unit.
    let text = text(&pdf);
    for code in &codes {
        assert!(text.contains(code.as_str()), "{code} not printed:\n{text}");
    }
    assert_eq!(text.matches("Rp50.000").count(), 12, "{text}");
    assert!(text.contains("Berlaku s.d. 31 Desember 2026"), "{text}");
    assert!(
        text.contains("Unit: Dinas Komunikasi dan Informatika"),
        "{text}"
    );
    assert!(
        text.contains("galeri.malangkab.example/cek-saldo/"),
        "{text}"
    );
}

#[test]
fn a_codes_file_with_an_altered_code_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let codes_file = issue(dir.path(), 4);
    let text = std::fs::read_to_string(&codes_file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Rows 3 and 5 as a spreadsheet numbers them (the heading is row 1): one character of the
    // random part changed, and two neighbours swapped.
    let change = |line: &str, edit: &dyn Fn(&mut Vec<char>)| {
        let (code, rest) = line.split_once(',').unwrap();
        let mut chars: Vec<char> = code.chars().collect();
        edit(&mut chars);
        format!("{},{rest}", chars.into_iter().collect::<String>())
    };
    lines[2] = change(&lines[2], &|chars| {
        chars[5] = if chars[5] == '7' { '8' } else { '7' };
    });
    lines[4] = change(&lines[4], &|chars| {
        let (a, b) = (chars[10], chars[11]);
        chars[10] = b;
        chars[11] = a;
        if a == b {
            chars[11] = if a == 'X' { 'Y' } else { 'X' };
        }
    });
    std::fs::write(&codes_file, lines.join("\n") + "\n").unwrap();

    let (code, stderr) = run(
        dir.path(),
        &[
            "vouchers",
            "print",
            "--codes",
            "codes.csv",
            "--out",
            "cards.pdf",
            "--content",
            repo().join("content").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let problems: Vec<&str> = stderr.lines().collect();
    assert!(
        problems[0].starts_with("codes.csv:3: kode …")
            && problems[0].ends_with("kode voucher salah ketik: karakter pemeriksa tidak cocok"),
        "{stderr}"
    );
    assert!(problems[1].starts_with("codes.csv:5: kode …"), "{stderr}");
    assert!(
        problems[2].starts_with("2 masalah di codes.csv; tidak ada kartu yang dicetak."),
        "{stderr}"
    );
    assert_eq!(problems.len(), 3, "{stderr}");
    for line in &lines[1..] {
        let code = line.split(',').next().unwrap();
        assert!(!stderr.contains(code), "a code reached the screen");
    }
    assert!(!dir.path().join("cards.pdf").exists());
}

#[test]
fn label_barcodes_are_the_skus_and_their_qr_codes_the_product_pages() {
    let dir = tempfile::tempdir().unwrap();
    let content = repo().join("content");
    let (code, stderr) = run(
        dir.path(),
        &[
            "labels",
            "--category",
            "kopi",
            "--category",
            "madu",
            "--out",
            "labels.pdf",
            "--content",
            content.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");

    let library = galeri::content::load(&content, galeri::site::today_wib()).unwrap();
    let products: Vec<_> = library
        .products
        .iter()
        .filter(|p| p.available && (p.category == "kopi" || p.category == "madu"))
        .collect();
    // More than one page, so the second page is read too.
    assert!(products.len() > 21, "{}", products.len());
    assert!(
        stderr.contains(&format!("{} label (2 halaman A4)", products.len())),
        "{stderr}"
    );
    // Each label: its product's SKU as Code 128 and its page as a QR code, in catalog order.
    let expected: Vec<Vec<String>> = products
        .iter()
        .map(|p| {
            let page = format!(
                "{}{}",
                library.site.base_url,
                galeri::render::urls::product(&p.producer, &p.slug)
            );
            assert!(page.starts_with("https://galeri.malangkab.example/produk/"));
            vec![format!("CODE-128:{}", p.sku), format!("QR-Code:{page}")]
        })
        .collect();
    let scanned = scan_cells(&dir.path().join("labels.pdf"), &LABELS, products.len(), 300);
    assert_eq!(scanned, expected);

    // Name, producer and price as printed.
    let text = text(&dir.path().join("labels.pdf"));
    let first = products[0];
    assert!(text.contains(&first.price.format()), "{text}");
}

#[test]
fn labels_refuse_an_unknown_category_with_the_likely_one() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = run(
        dir.path(),
        &[
            "labels",
            "--category",
            "kopii",
            "--out",
            "labels.pdf",
            "--content",
            repo().join("content").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr.trim(),
        "--category `kopii` tidak ada di categories.yaml (maksud Anda `kopi`?)"
    );
    assert!(!dir.path().join("labels.pdf").exists());
}

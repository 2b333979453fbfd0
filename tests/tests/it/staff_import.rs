//! `galeri import` and `galeri export` run as staff would, on copies of the real catalog and of
//! the valid fixture: export → import changes nothing; a sheet with `;`, a BOM and Windows line
//! ends updates a price, keeps the Markdown body and creates a product that passes `galeri
//! check`; `--dry-run` writes nothing; a sheet of bad rows is reported all at once, exactly as
//! the user sees it, and nothing is written.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::staff_support::{catalog_copy, galeri_in};
use galeri_tests::site::{fixture, snapshot, workspace_root};

fn sheet(name: &str) -> String {
    fixture("staff-import")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn expected(name: &str) -> String {
    std::fs::read_to_string(fixture("staff-import").join(name)).unwrap()
}

#[test]
fn export_then_import_changes_nothing_on_the_real_catalog() {
    let dir = catalog_copy(&workspace_root().join("content"));
    let before = snapshot(dir.path());
    let export = galeri_in(dir.path(), &["export", "produk.csv"], "");
    assert_eq!(export.code, 0, "{export:?}");
    let products = walkdir::WalkDir::new(dir.path().join("content/products"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "md"))
        .count();
    assert_eq!(
        export.stdout,
        format!("{products} produk ditulis ke produk.csv.\n")
    );
    let csv = std::fs::read(dir.path().join("produk.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBFproducer,slug,name,sku,category,price,unit,images,pirt,bpom,halal,non_halal,available,tags,added\n"));
    assert_eq!(
        csv.iter().filter(|byte| **byte == b'\n').count(),
        products + 1
    );

    let import = galeri_in(dir.path(), &["import", "produk.csv"], "");
    assert_eq!(import.code, 0, "{import:?}");
    assert_eq!(
        import.stdout,
        format!("{products} baris: 0 produk baru, 0 diubah, {products} tetap.\n")
    );
    let mut after = snapshot(dir.path());
    after.remove(std::path::Path::new("produk.csv"));
    assert!(before == after, "the import changed the catalog");

    // The same with `;`, as a spreadsheet in the Indonesian locale saves it.
    let export = galeri_in(
        dir.path(),
        &["export", "produk-id.csv", "--separator", "semicolon"],
        "",
    );
    assert_eq!(export.code, 0, "{export:?}");
    let import = galeri_in(dir.path(), &["import", "produk-id.csv", "--lang", "en"], "");
    assert_eq!(
        import.stdout,
        format!("{products} rows: 0 new products, 0 changed, {products} unchanged.\n")
    );
}

#[test]
fn a_sheet_updates_creates_and_keeps_the_body() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    let before = snapshot(dir.path());
    let stok = sheet("stok.csv");

    let dry = galeri_in(dir.path(), &["import", &stok, "--dry-run"], "");
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.stdout, expected("stok.dry-run.txt"));
    assert!(snapshot(dir.path()) == before, "--dry-run wrote something");

    let run = galeri_in(dir.path(), &["import", &stok], "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, expected("stok.import.txt"));
    let updated = std::fs::read_to_string(
        dir.path()
            .join("content/products/kopi-sumber-rejeki/robusta-bubuk.md"),
    )
    .unwrap();
    assert_eq!(updated, expected("robusta-bubuk.md"));
    let created = std::fs::read_to_string(
        dir.path()
            .join("content/products/topeng-kedungmonggo/topeng-klana-sewandana.md"),
    )
    .unwrap();
    assert_eq!(created, expected("topeng-klana-sewandana.md"));
    let check = galeri_in(dir.path(), &["check"], "");
    assert_eq!(check.code, 0, "{check:?}");
    assert!(check.stdout.contains("9 produk"), "{}", check.stdout);

    // Importing the same sheet again changes nothing; a sheet of two columns changes one price.
    let again = galeri_in(dir.path(), &["import", &stok], "");
    assert_eq!(again.stdout, "3 baris: 0 produk baru, 0 diubah, 3 tetap.\n");
    let prices = galeri_in(dir.path(), &["import", &sheet("harga.csv")], "");
    assert_eq!(
        prices.stdout,
        "ubah   content/products/kopi-sumber-rejeki/robusta-hijau.md (price)\n\
         1 baris: 0 produk baru, 1 diubah, 0 tetap.\n"
    );
    let hijau = std::fs::read_to_string(
        dir.path()
            .join("content/products/kopi-sumber-rejeki/robusta-hijau.md"),
    )
    .unwrap();
    assert!(
        hijau.contains("price: 27000\n") && hijau.contains("available: false\n"),
        "{hijau}"
    );
    // Spreadsheets write booleans as `TRUE`/`FALSE`: the same values, so nothing changes for
    // the page that says `available: false`; the other one gains an explicit `available: true`.
    let flags = galeri_in(dir.path(), &["import", &sheet("tersedia.csv")], "");
    assert_eq!(
        flags.stdout,
        "ubah   content/products/kopi-sumber-rejeki/robusta-bubuk.md (available)\n\
         2 baris: 0 produk baru, 1 diubah, 1 tetap.\n"
    );
}

#[test]
fn bad_rows_are_reported_all_at_once_and_nothing_is_written() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    let before = snapshot(dir.path());
    let rusak = sheet("rusak.csv");
    for (lang, file) in [
        ("id", "rusak.expected.id.txt"),
        ("en", "rusak.expected.en.txt"),
    ] {
        let run = galeri_in(dir.path(), &["import", &rusak, "--lang", lang], "");
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stdout, "");
        let shown = run.stderr.replace(&rusak, "rusak.csv");
        assert_eq!(shown, expected(file), "{lang}");
    }
    assert!(
        snapshot(dir.path()) == before,
        "a failed import wrote something"
    );
}

#[test]
fn a_heading_row_with_the_wrong_separator_or_unknown_columns_is_refused() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    std::fs::write(dir.path().join("tab.csv"), "sku\tprice\nDMP-KOP-001\t1\n").unwrap();
    let run = galeri_in(dir.path(), &["import", "tab.csv"], "");
    assert_eq!(
        run.stderr,
        "tab.csv:1:1: kolom dipisah dengan tab; simpan sebagai CSV dengan pemisah `,` atau `;`\n\
         1 masalah ditemukan di 1 berkas.\n\
         Tidak ada berkas yang ditulis.\n"
    );
    std::fs::write(
        dir.path().join("typo.csv"),
        "sku,prise,harga\nDMP-KOP-001,1,2\n",
    )
    .unwrap();
    let run = galeri_in(dir.path(), &["import", "typo.csv", "--lang", "en"], "");
    assert_eq!(
        run.stderr,
        "typo.csv:1:2: unknown column `prise` (did you mean `price`?)\n\
         typo.csv:1:3: unknown column `harga`\n\
         2 problems in 1 file.\n\
         No file was written.\n"
    );
    std::fs::write(
        dir.path().join("latin1.csv"),
        b"sku,name\nDMP-KOP-001,Caf\xe9\n",
    )
    .unwrap();
    let run = galeri_in(dir.path(), &["import", "latin1.csv"], "");
    assert!(
        run.stderr
            .starts_with("latin1.csv:1:1: berkas bukan teks UTF-8"),
        "{}",
        run.stderr
    );
}

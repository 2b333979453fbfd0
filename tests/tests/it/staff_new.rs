//! `galeri new producer|product` run as staff would (stdin is never a terminal here): pages
//! from flags are written with their help comments and pass `galeri check`; missing keys are
//! listed and bad values reported by their flag, writing nothing; `--interactive` asks for
//! each key in turn; an existing page is never overwritten.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::staff_support::{catalog_copy, galeri_in};
use galeri_tests::site::{fixture, snapshot};

fn expected(name: &str) -> String {
    std::fs::read_to_string(fixture("staff-new").join(name)).unwrap()
}

const PRODUCER: &[&str] = &[
    "new",
    "producer",
    "--name",
    "Madu Lawang Asri (contoh)",
    "--kecamatan",
    "lawang",
    "--desa",
    "Bedali",
    "--nib",
    "9120000000999",
    "--whatsapp",
    "0812 3456 7890",
];

const PRODUCT: &[&str] = &[
    "new",
    "product",
    "--producer",
    "madu-lawang-asri-contoh",
    "--name",
    "Madu Klanceng 250 ml",
    "--sku",
    "LWG-MDU-001",
    "--category",
    "makanan-ringan",
    "--price",
    "85000",
    "--unit",
    "1 botol 250 ml",
    "--pirt",
    "2153507010031-30",
    "--halal",
    "ID35110000000501031",
    "--tags",
    "madu, klanceng",
    "--added",
    "2026-11-28",
];

#[test]
fn pages_from_flags_are_commented_and_pass_check() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    let run = galeri_in(dir.path(), PRODUCER, "");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "Ditulis: content/producers/madu-lawang-asri-contoh.md\n\
         Lengkapi isinya (kunci opsional ada sebagai komentar `#`), taruh foto di sampingnya, lalu jalankan `galeri check`.\n"
    );
    let page = std::fs::read_to_string(
        dir.path()
            .join("content/producers/madu-lawang-asri-contoh.md"),
    )
    .unwrap();
    assert_eq!(page, expected("madu-lawang-asri-contoh.md"));

    let run = galeri_in(dir.path(), PRODUCT, "");
    assert_eq!(run.code, 0, "{run:?}");
    let page = std::fs::read_to_string(
        dir.path()
            .join("content/products/madu-lawang-asri-contoh/madu-klanceng-250-ml.md"),
    )
    .unwrap();
    assert_eq!(page, expected("madu-klanceng-250-ml.md"));

    let check = galeri_in(dir.path(), &["check"], "");
    assert_eq!(check.code, 0, "{check:?}");
    assert_eq!(
        check.stdout,
        "Konten baik: 4 produsen, 9 produk, 3 kategori, 3 halaman.\n"
    );

    // The same page again is refused, and the first one is left as it was.
    let before = snapshot(dir.path());
    let again = galeri_in(dir.path(), PRODUCT, "");
    assert_eq!(again.code, 1);
    assert_eq!(
        again.stderr,
        "--slug: berkas ini sudah ada; tidak ditimpa\n\
         1 masalah; content/products/madu-lawang-asri-contoh/madu-klanceng-250-ml.md tidak ditulis.\n"
    );
    assert!(snapshot(dir.path()) == before);
}

#[test]
fn missing_keys_are_listed_and_nothing_is_written() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    let before = snapshot(dir.path());
    let run = galeri_in(
        dir.path(),
        &["new", "product", "--name", "Kopi Baru", "--price", "30000"],
        "",
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "galeri new: belum diisi: --sku, --category, --unit, --producer \
         (atau jalankan di terminal untuk ditanya satu per satu)\n"
    );
    assert!(snapshot(dir.path()) == before);
}

#[test]
fn bad_values_are_reported_by_their_flag() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    let before = snapshot(dir.path());
    for (lang, file) in [
        ("id", "salah.expected.id.txt"),
        ("en", "salah.expected.en.txt"),
    ] {
        let run = galeri_in(
            dir.path(),
            &[
                "new",
                "product",
                "--producer",
                "kopi-sumber-rejeki",
                "--name",
                "Kopi Luwak",
                "--sku",
                "dmp-kop-009",
                "--category",
                "kopi",
                "--price",
                "45.000",
                "--unit",
                "250 g",
                "--pirt",
                "207350701012329",
                "--available",
                "ya",
                "--lang",
                lang,
            ],
            "",
        );
        assert_eq!(run.code, 1, "{run:?}");
        assert_eq!(run.stderr, expected(file), "{lang}");
    }
    // Rules across files: the producer, the category and the SKU's uniqueness.
    let run = galeri_in(
        dir.path(),
        &[
            "new",
            "product",
            "--producer",
            "kopi-sumber-rejki",
            "--name",
            "Kopi",
            "--sku",
            "DMP-KOP-001",
            "--category",
            "kopii",
            "--price",
            "1",
            "--unit",
            "1",
        ],
        "",
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stderr, expected("silang.expected.id.txt"));
    assert!(snapshot(dir.path()) == before);
}

#[test]
fn interactive_prompts_ask_for_each_key() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    // Answers in the order asked: producer first, then the keys in schema order; the slug
    // question follows the name; Enter skips an optional key; an empty answer to a required key
    // asks again.
    let answers = "topeng-kedungmonggo\nTopeng Bapang\n\nPKS-TOP-009\nkriya\n\n150000\n1 buah\n\n\n\n\n\n\ntopeng, bapang\n";
    let run = galeri_in(
        dir.path(),
        &["new", "product", "--interactive", "--added", "2026-11-28"],
        answers,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, expected("prompts.txt"));
    let page = std::fs::read_to_string(
        dir.path()
            .join("content/products/topeng-kedungmonggo/topeng-bapang.md"),
    )
    .unwrap();
    assert_eq!(page, expected("topeng-bapang.md"));
    assert_eq!(galeri_in(dir.path(), &["check"], "").code, 0);
}

#[test]
fn a_refused_answer_is_asked_again() {
    let dir = catalog_copy(&fixture("valid").join("content"));
    let run = galeri_in(
        dir.path(),
        &[
            "new",
            "producer",
            "--interactive",
            "--name",
            "Kopi Amstirdam Jaya (contoh)",
            "--kecamatan",
            "Dampi",
            "--desa",
            "Amadanom",
            "--nib",
            "9120000000998",
        ],
        // address, whatsapp, photo and since skipped; then the kecamatan again.
        "\n\n\n\nDampit\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains(
            "--kecamatan: `Dampi` bukan kecamatan di Kabupaten Malang (maksud Anda `Dampit`?)\n  \
             Salah satu dari 33 kecamatan Kabupaten Malang.\nkecamatan (wajib, mis. Dampit): "
        ),
        "{}",
        run.stderr
    );
    let page = std::fs::read_to_string(
        dir.path()
            .join("content/producers/kopi-amstirdam-jaya-contoh.md"),
    )
    .unwrap();
    assert!(page.contains("\nkecamatan: Dampit\n"), "{page}");
    assert_eq!(galeri_in(dir.path(), &["check"], "").code, 0);
}

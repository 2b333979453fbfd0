//! `galeri check` over fixture sites: the valid site passes; each invalid site reports exactly
//! the expected problems (Indonesian and English), and neither check nor build writes anything.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use galeri::cli::Lang;
use galeri::site::{build_site, check_site, BuildError, BuildOptions};
use galeri_tests::site::{fixture, fixture_today, theme};
use std::path::Path;

const INVALID: [&str; 4] = [
    "invalid-structure",
    "invalid-values",
    "invalid-permits",
    "invalid-images",
];

#[test]
fn the_valid_fixture_passes() {
    let library = match check_site(&fixture("valid").join("content"), Some(fixture_today())) {
        Ok(library) => library,
        Err(diagnostics) => panic!("{}", diagnostics.render(Lang::En, Path::new("content"))),
    };
    assert_eq!(library.producers.len(), 3);
    assert_eq!(library.products.len(), 8);
    assert_eq!(library.pages.len(), 3);
    assert_eq!(library.categories.len(), 3);
}

#[test]
fn each_invalid_fixture_reports_exactly_the_expected_problems() {
    for case in INVALID {
        let diagnostics = match check_site(&fixture(case).join("content"), Some(fixture_today())) {
            Ok(_) => panic!("{case}: check passed but should fail"),
            Err(diagnostics) => diagnostics,
        };
        for (lang, file) in [(Lang::Id, "expected.id.txt"), (Lang::En, "expected.en.txt")] {
            let expected = std::fs::read_to_string(fixture(case).join(file))
                .unwrap_or_else(|error| panic!("{case}/{file}: {error}"));
            let actual = diagnostics.render(lang, Path::new("content"));
            assert_eq!(actual, expected, "{case}/{file}");
        }
    }
}

#[test]
fn every_rule_is_covered_by_some_fixture() {
    // A guard against fixtures silently losing a case: each rule's message appears somewhere.
    let all: String = INVALID
        .iter()
        .map(|case| {
            std::fs::read_to_string(fixture(case).join("expected.en.txt")).unwrap_or_default()
        })
        .collect();
    for needle in [
        "unknown key",
        "did you mean",
        "required key",
        "invalid YAML",
        "whole number of rupiah",
        "must be more than zero",
        "producer `topen` does not exist",
        "category `kopii` does not exist",
        "is not a kecamatan",
        "SKU `VAL-007` is already used",
        "slug `kopi/robusta` is already used",
        "NIB",
        "P-IRT `",
        "P-IRT has expired",
        "BPOM number",
        "halal certificate `ID12`",
        "halal decree (KH)",
        "needs `pirt` or `bpom`",
        "needs `halal` or `non_halal: true`",
        "not found",
        "is not an image",
        "outside the content/ folder",
        "WhatsApp number",
        "no front matter",
        "duplicate entry with key",
    ] {
        assert!(all.contains(needle), "no fixture covers: {needle}");
    }
}

#[test]
fn a_failed_build_writes_nothing() {
    let base = tempfile::tempdir().expect("temp dir");
    let out = base.path().join("public");
    let mut options = BuildOptions::new(fixture("invalid-values").join("content"), theme(), &out);
    options.today = Some(fixture_today());
    match build_site(&options) {
        Err(BuildError::Content(diagnostics)) => assert_eq!(diagnostics.len(), 15),
        other => panic!("expected content errors, got {other:?}"),
    }
    let left: Vec<_> = std::fs::read_dir(base.path()).expect("read").collect();
    assert!(left.is_empty(), "build left files behind: {left:?}");
}

#[test]
fn expired_pirt_depends_on_the_date() {
    // The same fixture, a year earlier: the P-IRT expiring 2024 was still valid in 2024.
    let earlier = chrono::NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
    let diagnostics = match check_site(&fixture("invalid-permits").join("content"), Some(earlier)) {
        Ok(_) => panic!("other problems remain"),
        Err(diagnostics) => diagnostics.render(Lang::En, Path::new("content")),
    };
    assert!(!diagnostics.contains("pirt-kedaluwarsa"), "{diagnostics}");
    assert!(diagnostics.contains("pirt-terlalu-jauh"), "{diagnostics}");
}

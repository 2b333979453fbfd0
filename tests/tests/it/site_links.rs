//! Every internal link and image in the built site resolves: the valid fixture, and the
//! gallery's real `content/` when it is present.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use galeri::site::{build_site, BuildError, BuildOptions};
use galeri_tests::site::{broken_links, fixture, fixture_today, theme, workspace_root};
use std::path::Path;

fn build(content: &Path, out: &Path, today: Option<chrono::NaiveDate>) {
    let mut options = BuildOptions::new(content, theme(), out);
    options.today = today;
    match build_site(&options) {
        Ok(_) => {}
        Err(BuildError::Content(diagnostics)) => {
            panic!(
                "{}",
                diagnostics.render(galeri::cli::Lang::En, Path::new("content"))
            )
        }
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn every_internal_link_of_the_fixture_site_resolves() {
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    build(
        &fixture("valid").join("content"),
        &out,
        Some(fixture_today()),
    );
    let broken = broken_links(&out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_internal_link_of_the_real_catalog_resolves() {
    let content = workspace_root().join("content");
    if !content.join("site.yaml").is_file() {
        eprintln!("no content/site.yaml yet; skipped");
        return;
    }
    let base = tempfile::tempdir().expect("temp");
    let out = base.path().join("public");
    // The real catalog is checked against today's date: an expired P-IRT must fail CI.
    build(&content, &out, None);
    let broken = broken_links(&out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

//! Incremental output: a rebuild of an unchanged catalog writes nothing (every file keeps its
//! inode and mtime), a changed product rewrites exactly the files whose bytes change, a removed
//! product takes only its own files with it, and a failed build touches nothing at all.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use galeri::site::{build_site, BuildError, BuildOptions, BuildReport};
use galeri_tests::site::{fixture, fixture_today, snapshot, theme};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A copy of the valid fixture's content, to edit.
pub struct Catalog {
    _base: tempfile::TempDir,
    pub content: PathBuf,
    pub out: PathBuf,
    pub cache: PathBuf,
}

impl Catalog {
    pub fn new() -> Catalog {
        let base = tempfile::tempdir().expect("temp");
        let from = fixture("valid").join("content");
        let content = base.path().join("content");
        for entry in walkdir::WalkDir::new(&from) {
            let entry = entry.expect("walk");
            let target = content.join(entry.path().strip_prefix(&from).expect("inside"));
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
        Catalog {
            out: base.path().join("public"),
            cache: base.path().join("image-cache"),
            content,
            _base: base,
        }
    }

    pub fn options(&self) -> BuildOptions {
        let mut options = BuildOptions::new(&self.content, theme(), &self.out);
        options.today = Some(fixture_today());
        options.image_cache = Some(self.cache.clone());
        options
    }

    pub fn build(&self) -> Result<BuildReport, BuildError> {
        build_site(&self.options())
    }

    /// Replaces `from` with `to` in a content file, as an editor saves: the new text is
    /// written beside the file and renamed over it, so a watcher never reads half of it.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.content.join(relative);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{relative} has no {from:?}");
        let folder = path.parent().expect("folder");
        let mut saved = tempfile::Builder::new()
            .prefix(".galeri-test")
            .tempfile_in(folder)
            .expect("temp");
        std::io::Write::write_all(&mut saved, text.replacen(from, to, 1).as_bytes())
            .expect("write");
        saved.persist(&path).expect("rename");
    }
}

/// Every file's inode and modification time: what a write, even of the same bytes, changes.
fn stamps(root: &Path) -> BTreeMap<PathBuf, (u64, i64, i64)> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|entry| entry.expect("walk"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let metadata = entry.metadata().expect("stat");
            (
                entry
                    .path()
                    .strip_prefix(root)
                    .expect("inside")
                    .to_path_buf(),
                (metadata.ino(), metadata.mtime(), metadata.mtime_nsec()),
            )
        })
        .collect()
}

/// Paths whose bytes differ between two snapshots, or that exist in only one.
fn differing(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> BTreeSet<PathBuf> {
    before
        .keys()
        .chain(after.keys())
        .filter(|path| before.get(*path) != after.get(*path))
        .cloned()
        .collect()
}

/// Paths whose inode or mtime changed, among files present in both.
fn touched(
    before: &BTreeMap<PathBuf, (u64, i64, i64)>,
    after: &BTreeMap<PathBuf, (u64, i64, i64)>,
) -> BTreeSet<PathBuf> {
    before
        .iter()
        .filter(|(path, stamp)| after.get(*path).is_some_and(|now| now != *stamp))
        .map(|(path, _)| path.clone())
        .collect()
}

#[test]
fn a_rebuild_of_an_unchanged_catalog_writes_nothing() {
    let catalog = Catalog::new();
    let first = catalog.build().expect("first build");
    let files = snapshot(&catalog.out).len();
    assert_eq!(first.sync.written, files, "a first build writes every file");
    assert_eq!(first.sync.unchanged, 0);
    let before = stamps(&catalog.out);

    let second = catalog.build().expect("second build");
    assert_eq!(second.sync.written, 0, "{:?}", second.sync);
    assert_eq!(second.sync.removed, 0);
    assert_eq!(second.sync.unchanged, files);
    assert_eq!(stamps(&catalog.out), before, "some file was rewritten");
}

#[test]
fn a_changed_product_rewrites_only_the_files_it_affects() {
    let catalog = Catalog::new();
    catalog.build().expect("first build");
    let bytes_before = snapshot(&catalog.out);
    let stamps_before = stamps(&catalog.out);

    catalog.edit(
        "products/keripik-bantur/keripik-pisang.md",
        "price: 15000",
        "price: 17500",
    );
    let report = catalog.build().expect("rebuild");
    let bytes_after = snapshot(&catalog.out);
    let changed = differing(&bytes_before, &bytes_after);

    // Exactly the files whose bytes changed were written, and no other file was touched.
    assert_eq!(report.sync.written, changed.len(), "{changed:?}");
    assert_eq!(report.sync.removed, 0);
    assert_eq!(touched(&stamps_before, &stamps(&catalog.out)), changed);
    // The new price reaches its page and the price list; other producers' pages keep theirs.
    for affected in [
        "produk/keripik-bantur/keripik-pisang/index.html",
        "catalog.json",
        "search-index.json",
    ] {
        assert!(
            changed.contains(Path::new(affected)),
            "{affected}: {changed:?}"
        );
    }
    let page = String::from_utf8(
        bytes_after[Path::new("produk/keripik-bantur/keripik-pisang/index.html")].clone(),
    )
    .expect("utf-8");
    assert!(page.contains("Rp17.500"), "the page shows the new price");
    for unaffected in [
        "produk/topeng-kedungmonggo/topeng-panji/index.html",
        "produk/kopi-sumber-rejeki/robusta-bubuk/index.html",
        "static/galeri.css",
        "robots.txt",
    ] {
        assert!(!changed.contains(Path::new(unaffected)), "{unaffected}");
    }
    assert!(changed.len() < bytes_after.len() / 2, "{changed:?}");
}

#[test]
fn a_removed_product_takes_only_its_own_files() {
    let catalog = Catalog::new();
    catalog.build().expect("first build");
    let before = snapshot(&catalog.out);
    let folders_before = walkdir::WalkDir::new(&catalog.out)
        .into_iter()
        .filter(|entry| entry.as_ref().expect("walk").file_type().is_dir())
        .count();
    std::fs::remove_file(
        catalog
            .content
            .join("products/keripik-bantur/kerupuk-kulit.md"),
    )
    .expect("remove");
    let report = catalog.build().expect("rebuild");
    let page = catalog.out.join("produk/keripik-bantur/kerupuk-kulit");
    assert!(!page.exists(), "its page folder is gone");
    let after = snapshot(&catalog.out);
    let gone: Vec<&PathBuf> = before
        .keys()
        .filter(|path| !after.contains_key(*path))
        .collect();
    // Its page, and list pages that one product fewer no longer fills.
    assert!(
        gone.iter().all(
            |path| path.starts_with("produk/keripik-bantur/kerupuk-kulit")
                || path.to_string_lossy().contains("/halaman/")
        ),
        "{gone:?}"
    );
    assert!(gone.contains(&&PathBuf::from(
        "produk/keripik-bantur/kerupuk-kulit/index.html"
    )));
    // The files and their folders.
    let folders = |root: &Path| {
        walkdir::WalkDir::new(root)
            .into_iter()
            .filter(|entry| entry.as_ref().expect("walk").file_type().is_dir())
            .count()
    };
    let removed_folders = folders_before - folders(&catalog.out);
    assert!(removed_folders >= 1);
    assert_eq!(report.sync.removed, gone.len() + removed_folders);
}

#[test]
fn a_failed_build_touches_no_file() {
    let catalog = Catalog::new();
    catalog.build().expect("first build");
    let bytes = snapshot(&catalog.out);
    let before = stamps(&catalog.out);
    catalog.edit(
        "products/keripik-bantur/keripik-pisang.md",
        "price: 15000",
        "price: 15.000",
    );
    assert!(matches!(catalog.build(), Err(BuildError::Content(_))));
    assert_eq!(stamps(&catalog.out), before);
    assert_eq!(snapshot(&catalog.out), bytes);
}

#[test]
fn files_that_are_not_the_builds_are_removed_and_edited_ones_restored() {
    let catalog = Catalog::new();
    catalog.build().expect("first build");
    let bytes = snapshot(&catalog.out);
    // Someone edits a page by hand and leaves a stray file and folder behind.
    std::fs::write(catalog.out.join("index.html"), "edited").expect("write");
    std::fs::create_dir_all(catalog.out.join("lama/sekali")).expect("mkdir");
    std::fs::write(catalog.out.join("lama/sekali/index.html"), "old").expect("write");
    let report = catalog.build().expect("rebuild");
    assert_eq!(report.sync.written, 1);
    assert_eq!(report.sync.removed, 3);
    assert_eq!(snapshot(&catalog.out), bytes);
}

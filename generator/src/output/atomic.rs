//! Incremental output: a build first renders the whole site into a `Tree` in memory (every check
//! and every render done, nothing written yet), then `sync` makes the output folder equal to it
//! by writing only the files whose bytes changed and removing only the files that left the
//! build. A failed build therefore never touches the previous output, and a rebuild of an
//! unchanged catalog writes nothing (on these disks metadata writes cost more than rendering).
//!
//! A changed file is written beside its old version and renamed over it, so a reader (the
//! preview server, a copy to the bucket) sees either the old or the new file, never half of
//! one. Files other than HTML are written before pages, and removals come last, so a page is
//! never live before the files it links to.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Suffix of a file being written; a leftover from a crash is removed by the next `sync`.
const PARTIAL: &str = ".galeri-partial";

/// What a file of the new site holds.
#[derive(Debug, Clone)]
pub enum Contents {
    /// Rendered bytes.
    Bytes(Vec<u8>),
    /// An immutable file (an image cache variant): shared by a hard link, a copy across
    /// filesystems.
    Link(PathBuf),
    /// A file to copy (the theme's static files, which staff may edit in place).
    Copy(PathBuf),
}

/// The new site, in memory: relative path → contents. Filled from many threads.
#[derive(Debug, Default)]
pub struct Tree {
    files: Mutex<BTreeMap<PathBuf, Contents>>,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Adds (or replaces) the file at `relative` (a path inside the site, no leading `/`).
    pub fn add(&self, relative: impl Into<PathBuf>, contents: Contents) {
        let mut files = match self.files.lock() {
            Ok(files) => files,
            // A panic elsewhere cannot leave the map half-updated: insert is one call.
            Err(poisoned) => poisoned.into_inner(),
        };
        files.insert(relative.into(), contents);
    }

    /// The bytes of a rendered file, if the tree has it as bytes.
    pub fn bytes(&self, relative: &Path) -> Option<Vec<u8>> {
        let files = self.files.lock().ok()?;
        match files.get(relative)? {
            Contents::Bytes(bytes) => Some(bytes.clone()),
            Contents::Link(_) | Contents::Copy(_) => None,
        }
    }

    pub fn len(&self) -> usize {
        self.files.lock().map(|files| files.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn into_files(self) -> BTreeMap<PathBuf, Contents> {
        match self.files.into_inner() {
            Ok(files) => files,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// What `sync` did to the output folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Files created or replaced.
    pub written: usize,
    /// Files whose bytes were already right (not touched).
    pub unchanged: usize,
    /// Files (and emptied folders) removed because they left the build.
    pub removed: usize,
}

/// Why `sync` stopped: the file it was writing or removing, and the error.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct SyncError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> SyncError + '_ {
    move |source| SyncError {
        path: path.to_path_buf(),
        source,
    }
}

/// Makes `out` hold exactly `tree`: writes what differs, removes what is gone, leaves the rest
/// alone (same inode, same mtime). Runs on the current rayon pool.
pub fn sync(tree: Tree, out: &Path) -> Result<SyncReport, SyncError> {
    let files = tree.into_files();
    std::fs::create_dir_all(out).map_err(at(out))?;
    let existing = Existing::scan(out)?;

    // Folders the new site needs. A file standing where a folder must go (or a folder where a
    // file must go) is removed first.
    let mut needed: BTreeSet<PathBuf> = BTreeSet::new();
    for relative in files.keys() {
        let mut parent = relative.parent();
        while let Some(folder) = parent.filter(|folder| !folder.as_os_str().is_empty()) {
            if !needed.insert(folder.to_path_buf()) {
                break;
            }
            parent = folder.parent();
        }
    }
    let mut report = SyncReport::default();
    for folder in &needed {
        if existing.files.contains(folder) {
            let path = out.join(folder);
            std::fs::remove_file(&path).map_err(at(&path))?;
            report.removed += 1;
        }
    }
    for relative in files.keys() {
        if existing.folders.contains(relative) {
            let path = out.join(relative);
            std::fs::remove_dir_all(&path).map_err(at(&path))?;
            report.removed += 1;
        }
    }
    // Missing folders, shallowest first; each level in parallel (mkdir waits on the journal).
    let mut missing: Vec<&PathBuf> = needed
        .iter()
        .filter(|folder| !existing.folders.contains(*folder))
        .collect();
    missing.sort_by_key(|folder| folder.components().count());
    for level in missing.chunk_by(|a, b| a.components().count() == b.components().count()) {
        level.par_iter().try_for_each(|folder| {
            let path = out.join(folder);
            match std::fs::create_dir(&path) {
                Ok(()) => Ok(()),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
                Err(error) => Err(at(&path)(error)),
            }
        })?;
    }

    // Everything but pages first, then pages.
    let (pages, others): (Vec<_>, Vec<_>) = files
        .iter()
        .partition(|(relative, _)| relative.extension().is_some_and(|ext| ext == "html"));
    for batch in [others, pages] {
        let outcomes = batch
            .par_iter()
            .map(|(relative, contents)| {
                let path = out.join(relative);
                let present = existing.files.contains(*relative);
                put(&path, contents, present)
            })
            .collect::<Result<Vec<bool>, SyncError>>()?;
        let written = outcomes.iter().filter(|wrote| **wrote).count();
        report.written += written;
        report.unchanged += outcomes.len() - written;
    }

    // What left the build: files, then folders no longer needed, deepest first.
    let gone: Vec<&PathBuf> = existing
        .files
        .iter()
        .filter(|relative| !files.contains_key(*relative) && !needed.contains(*relative))
        .collect();
    gone.par_iter().try_for_each(|relative| {
        let path = out.join(relative);
        ignore_missing(std::fs::remove_file(&path)).map_err(at(&path))
    })?;
    report.removed += gone.len();
    let mut empty: Vec<&PathBuf> = existing
        .folders
        .iter()
        .filter(|folder| !needed.contains(*folder) && !files.contains_key(*folder))
        .collect();
    empty.sort_by_key(|folder| std::cmp::Reverse(folder.components().count()));
    for level in empty.chunk_by(|a, b| a.components().count() == b.components().count()) {
        level.par_iter().try_for_each(|folder| {
            let path = out.join(folder);
            ignore_missing(std::fs::remove_dir(&path)).map_err(at(&path))
        })?;
        report.removed += level.len();
    }
    Ok(report)
}

/// Something already removed (inside a folder that gave way to a file) is not an error.
fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// What the output folder holds now, relative to it.
struct Existing {
    files: BTreeSet<PathBuf>,
    folders: BTreeSet<PathBuf>,
}

impl Existing {
    fn scan(out: &Path) -> Result<Existing, SyncError> {
        let mut files = BTreeSet::new();
        let mut folders = BTreeSet::new();
        for entry in walkdir::WalkDir::new(out).min_depth(1) {
            let entry = entry.map_err(|error| SyncError {
                path: out.to_path_buf(),
                source: error.into(),
            })?;
            let Ok(relative) = entry.path().strip_prefix(out) else {
                continue;
            };
            if entry.file_type().is_dir() {
                folders.insert(relative.to_path_buf());
            } else {
                files.insert(relative.to_path_buf());
            }
        }
        Ok(Existing { files, folders })
    }
}

/// Writes `contents` to `path` unless it already holds those bytes; true if it wrote.
fn put(path: &Path, contents: &Contents, present: bool) -> Result<bool, SyncError> {
    if present && same(path, contents).map_err(at(path))? {
        return Ok(false);
    }
    if present {
        // Replace: the new version is complete under another name before it takes the place.
        let partial = partial_path(path);
        let written = create(&partial, contents).and_then(|()| std::fs::rename(&partial, path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(at(path)(error));
        }
    } else if let Err(error) = create(path, contents) {
        // A new file that could not be finished (disk full) must not stay half-written.
        let _ = std::fs::remove_file(path);
        return Err(at(path)(error));
    }
    Ok(true)
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(PARTIAL);
    path.with_file_name(name)
}

fn create(path: &Path, contents: &Contents) -> io::Result<()> {
    match contents {
        Contents::Bytes(bytes) => std::fs::write(path, bytes),
        Contents::Link(source) => {
            let _ = std::fs::remove_file(path);
            match std::fs::hard_link(source, path) {
                Ok(()) => Ok(()),
                Err(_) => std::fs::copy(source, path).map(|_| ()),
            }
        }
        Contents::Copy(source) => std::fs::copy(source, path).map(|_| ()),
    }
}

/// Whether the file at `path` already holds `contents`. Sizes first (one `stat`); bytes only
/// when they match. A hard link to the same cached variant is the same file.
fn same(path: &Path, contents: &Contents) -> io::Result<bool> {
    let metadata = std::fs::symlink_metadata(path)?;
    if !metadata.file_type().is_file() {
        return Ok(false);
    }
    match contents {
        Contents::Bytes(bytes) => {
            Ok(metadata.len() == bytes.len() as u64 && equal_bytes(path, bytes)?)
        }
        Contents::Link(source) | Contents::Copy(source) => {
            let source_metadata = std::fs::metadata(source)?;
            if same_inode(&metadata, &source_metadata) {
                return Ok(true);
            }
            if metadata.len() != source_metadata.len() {
                return Ok(false);
            }
            let bytes = std::fs::read(source)?;
            equal_bytes(path, &bytes)
        }
    }
}

fn equal_bytes(path: &Path, expected: &[u8]) -> io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut found = Vec::with_capacity(expected.len());
    file.read_to_end(&mut found)?;
    Ok(found == expected)
}

#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn tree(files: &[(&str, &str)]) -> Tree {
        let tree = Tree::new();
        for (path, text) in files {
            tree.add(*path, Contents::Bytes(text.as_bytes().to_vec()));
        }
        tree
    }

    fn inode(path: &Path) -> (u64, i64, i64) {
        let metadata = std::fs::metadata(path).unwrap();
        (metadata.ino(), metadata.mtime(), metadata.mtime_nsec())
    }

    #[test]
    fn writes_only_what_changed_and_removes_only_what_left() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("public");
        let first = sync(
            tree(&[
                ("index.html", "home"),
                ("a/b/index.html", "b"),
                ("a/c/index.html", "c"),
                ("data.json", "{}"),
            ]),
            &out,
        )
        .unwrap();
        assert_eq!(first.written, 4);
        let kept = inode(&out.join("a/b/index.html"));
        let home = inode(&out.join("index.html"));

        let second = sync(
            tree(&[
                ("index.html", "home, changed"),
                ("a/b/index.html", "b"),
                ("data.json", "{}"),
                ("x/index.html", "new"),
            ]),
            &out,
        )
        .unwrap();
        assert_eq!(
            second,
            SyncReport {
                written: 2,
                unchanged: 2,
                removed: 2
            }
        );
        assert_eq!(inode(&out.join("a/b/index.html")), kept);
        assert_ne!(inode(&out.join("index.html")).0, home.0);
        assert_eq!(
            std::fs::read_to_string(out.join("index.html")).unwrap(),
            "home, changed"
        );
        assert!(!out.join("a/c").exists());
        assert!(out.join("x/index.html").is_file());
        // No partial file is left behind.
        let names: Vec<_> = walkdir::WalkDir::new(&out)
            .into_iter()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(PARTIAL))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn a_file_and_a_folder_may_trade_places() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("public");
        sync(tree(&[("a", "file"), ("b/index.html", "b")]), &out).unwrap();
        sync(
            tree(&[("a/index.html", "now a folder"), ("b", "now a file")]),
            &out,
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a/index.html")).unwrap(),
            "now a folder"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("b")).unwrap(),
            "now a file"
        );
    }

    #[test]
    fn a_linked_variant_is_not_linked_again() {
        let base = tempfile::tempdir().unwrap();
        let cached = base.path().join("cached.jpg");
        std::fs::write(&cached, "jpeg").unwrap();
        let out = base.path().join("public");
        let linked = || {
            let tree = Tree::new();
            tree.add("p/foto.jpg", Contents::Link(cached.clone()));
            tree
        };
        assert_eq!(sync(linked(), &out).unwrap().written, 1);
        assert_eq!(
            inode(&out.join("p/foto.jpg")).0,
            inode(&cached).0,
            "hard link"
        );
        assert_eq!(sync(linked(), &out).unwrap().written, 0);
    }
}

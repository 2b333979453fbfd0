//! Atomic output: the site is built into a temporary folder beside the output folder (same
//! filesystem) and swapped in with renames, so a failed build leaves the previous output as it
//! was, byte for byte.

use rayon::prelude::*;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A temporary build folder; removed on drop unless it was swapped into place.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    target: PathBuf,
    done: bool,
}

impl Staging {
    /// Creates `<out>.tmp-<pid>-<nanos>` beside `out`.
    pub fn create(out: &Path) -> io::Result<Staging> {
        let target = absolute(out)?;
        let parent = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&parent)?;
        let path = sibling(&target, "tmp");
        std::fs::create_dir(&path)?;
        Ok(Staging {
            path,
            target,
            done: false,
        })
    }

    /// Where to write the new site.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the new site in place: old output → `<out>.old-…`, new → `<out>`, old removed.
    /// If the second rename fails, the old output is put back.
    pub fn commit(mut self) -> io::Result<()> {
        let old = sibling(&self.target, "old");
        let had_old = match std::fs::symlink_metadata(&self.target) {
            Ok(_) => {
                std::fs::rename(&self.target, &old)?;
                true
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(error) => return Err(error),
        };
        if let Err(error) = std::fs::rename(&self.path, &self.target) {
            if had_old {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(error);
        }
        self.done = true;
        if had_old {
            // The new site is live; failing to delete the old copy is not a failed build.
            if remove_tree(&old).is_err() {
                let _ = std::fs::remove_dir_all(&old);
            }
        }
        Ok(())
    }
}

/// Removes a folder tree with parallel deletes: files first, then folders deepest level first.
/// On filesystems mounted with online discard each folder removal waits on the journal, so one
/// at a time a 12,000-page site takes a minute to delete; overlapping them takes a second. Runs
/// on the current rayon pool (the build's I/O pool).
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let mut files = Vec::new();
    let mut folders: Vec<(usize, PathBuf)> = Vec::new();
    for entry in walkdir::WalkDir::new(path) {
        let entry = entry.map_err(io::Error::from)?;
        if entry.file_type().is_dir() {
            folders.push((entry.depth(), entry.into_path()));
        } else {
            files.push(entry.into_path());
        }
    }
    files.par_iter().try_for_each(std::fs::remove_file)?;
    folders.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    for level in folders.chunk_by(|a, b| a.0 == b.0) {
        level
            .par_iter()
            .try_for_each(|(_, folder)| std::fs::remove_dir(folder))?;
    }
    Ok(())
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn absolute(path: &Path) -> io::Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(path))
    }
}

fn sibling(target: &Path, kind: &str) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".to_owned());
    target.with_file_name(format!(".{name}.{kind}-{}-{nanos}", std::process::id()))
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_discards() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("public");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.txt"), "old").unwrap();

        let staging = Staging::create(&out).unwrap();
        std::fs::write(staging.path().join("new.txt"), "new").unwrap();
        drop(staging);
        assert!(out.join("old.txt").exists());
        assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 1);

        let staging = Staging::create(&out).unwrap();
        std::fs::write(staging.path().join("new.txt"), "new").unwrap();
        staging.commit().unwrap();
        assert!(!out.join("old.txt").exists());
        assert!(out.join("new.txt").exists());
        assert_eq!(std::fs::read_dir(base.path()).unwrap().count(), 1);
    }
}

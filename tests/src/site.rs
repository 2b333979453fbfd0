//! Helpers for the catalog generator tests: fixture paths, a fixed "today", a byte snapshot of
//! an output folder, and a link checker over a built site.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `tests/fixtures/<case>`.
pub fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(case)
}

/// The workspace root (for `content/` and `themes/default/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The default theme.
pub fn theme() -> PathBuf {
    workspace_root().join("themes/default")
}

/// The date the fixtures were written against, so P-IRT expiry results never drift.
pub fn fixture_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
}

/// Every file under `root` with its bytes, keyed by relative path.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| {
            let relative = entry.path().strip_prefix(root).ok()?.to_path_buf();
            let bytes = std::fs::read(entry.path()).ok()?;
            Some((relative, bytes))
        })
        .collect()
}

/// Decodes the few entities that appear in attribute values.
fn decode_entities(value: &str) -> String {
    value
        .replace("&#x2F;", "/")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Every `href="…"` and `src="…"` value, and every URL of a `srcset="…"`, in an HTML text.
pub fn links_in(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in [" href=\"", " src=\"", " srcset=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            let after = &rest[start + attribute.len()..];
            let Some(end) = after.find('"') else { break };
            let value = decode_entities(&after[..end]);
            if attribute == " srcset=\"" {
                // `a.webp 320w, b.webp 640w`: the URL is each candidate's first word.
                links.extend(
                    value
                        .split(',')
                        .filter_map(|candidate| candidate.split_whitespace().next())
                        .map(str::to_owned),
                );
            } else {
                links.push(value);
            }
            rest = &after[end..];
        }
    }
    links
}

/// A copy of the folder `from` at `to` (fixture content or a theme a test modifies).
pub fn copy_folder(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let Ok(relative) = entry.path().strip_prefix(from) else {
            continue;
        };
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            let _ = std::fs::create_dir_all(&target);
        } else {
            let _ = std::fs::copy(entry.path(), &target);
        }
    }
}

/// Every `id="…"` in an HTML text.
fn ids_in(html: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut rest = html;
    while let Some(start) = rest.find(" id=\"") {
        let after = &rest[start + 5..];
        let Some(end) = after.find('"') else { break };
        ids.insert(decode_entities(&after[..end]));
        rest = &after[end..];
    }
    ids
}

/// Checks every internal link of every HTML page under `root`: root-relative and relative URLs
/// must name a file (a folder URL needs its `index.html`), and `#fragment`s must name an id on
/// the target page. External links (`https:`, `mailto:`, `tel:`) are not followed. Returns
/// one line per broken link: `page -> link`.
pub fn broken_links(root: &Path) -> Vec<String> {
    let pages: BTreeMap<PathBuf, String> = snapshot(root)
        .into_iter()
        .filter(|(path, _)| path.extension().is_some_and(|ext| ext == "html"))
        .map(|(path, bytes)| (path, String::from_utf8_lossy(&bytes).into_owned()))
        .collect();
    let mut broken = Vec::new();
    for (page, html) in &pages {
        for link in links_in(html) {
            if link.contains("://") || link.starts_with("mailto:") || link.starts_with("tel:") {
                continue;
            }
            let (path_part, fragment) = match link.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (link.as_str(), None),
            };
            let path_part = path_part.split('?').next().unwrap_or("");
            let target = if path_part.is_empty() {
                page.clone()
            } else if let Some(absolute) = path_part.strip_prefix('/') {
                resolve(Path::new(""), absolute)
            } else {
                resolve(page.parent().unwrap_or(Path::new("")), path_part)
            };
            let exists = root.join(&target).is_file();
            if !exists {
                broken.push(format!("{} -> {link}", page.display()));
                continue;
            }
            if let Some(fragment) = fragment.filter(|fragment| !fragment.is_empty()) {
                let found = pages
                    .get(&target)
                    .is_some_and(|html| ids_in(html).contains(fragment));
                if !found {
                    broken.push(format!("{} -> {link} (no such id)", page.display()));
                }
            }
        }
    }
    broken
}

/// `base` + `path`, with `index.html` for folder URLs.
fn resolve(base: &Path, path: &str) -> PathBuf {
    let mut joined = base.join(path);
    if path.is_empty() || path.ends_with('/') {
        joined = joined.join("index.html");
    }
    // Normalize `..` without touching the filesystem.
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in joined.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(part) => parts.push(part),
            _ => {}
        }
    }
    parts.iter().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_link_checker_finds_broken_links() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("a")).unwrap();
        std::fs::write(
            root.path().join("index.html"),
            r##"<a href="/a/">ok</a> <a href="/b/">broken</a> <a href="a/index.html#x">id ok</a>
<a href="#nope">bad id</a> <img src="/gone.png"> <a href="https://example.id/">external</a>
<source srcset="/a/index.html 1w, /x-640.webp 640w">"##,
        )
        .unwrap();
        std::fs::write(root.path().join("a/index.html"), r#"<h2 id="x">X</h2>"#).unwrap();
        assert_eq!(
            broken_links(root.path()),
            vec![
                "index.html -> /b/".to_owned(),
                "index.html -> #nope (no such id)".to_owned(),
                "index.html -> /gone.png".to_owned(),
                "index.html -> /x-640.webp".to_owned(),
            ]
        );
    }
}

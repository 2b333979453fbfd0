//! Live preview for `galeri serve`: watches the content and theme folders, rebuilds on save
//! (the build writes only the files that changed, see `output::atomic`), and tells open tabs
//! over server-sent events (`/_galeri/events`) to reload. When the content has problems the
//! last good site stays served and the tabs show an overlay listing each `path:line:col`
//! problem in Indonesian. The reload script (`/_galeri/live.js`) is added to HTML answers by
//! the server only: built files never contain it, so a preview folder holds what `galeri build`
//! would write (apart from its base URL).

use crate::content::diagnostics::{display_path, Lang};
use crate::site::{build_site, BuildError, BuildOptions, BuildReport};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use notify::event::{AccessKind, AccessMode};
use notify::{self, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use serde::Serialize;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Where the preview's own routes live; no public address starts with `_`.
pub const EVENTS: &str = "/_galeri/events";
pub const SCRIPT: &str = "/_galeri/live.js";
/// Quiet time after the last change before a rebuild: editors write a file in several steps
/// (temporary file, rename, metadata), and one save should cause one rebuild.
pub const DEBOUNCE: Duration = Duration::from_millis(50);
/// HTML pages larger than this are served without the reload script.
const MAX_PAGE: usize = 16 * 1024 * 1024;
const LIVE_JS: &str = include_str!("live.js");

/// What open tabs are told after every build.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Status {
    /// Successful builds so far; a tab reloads when it changes.
    pub generation: u64,
    /// The last build's problems; empty when it succeeded.
    pub problems: Vec<Problem>,
    /// Files the last successful build wrote (0: nothing changed on disk).
    pub written: usize,
    /// How long the last build took, in milliseconds.
    pub millis: u64,
}

/// One problem as the overlay lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// `content/products/kopi/robusta.md:5:8`, or empty for a problem without a place.
    pub location: String,
    /// In Indonesian.
    pub message: String,
}

/// The preview: how to build, and the status every tab follows.
pub struct Preview {
    options: BuildOptions,
    status: watch::Sender<Status>,
    closing: watch::Sender<bool>,
    /// One build at a time.
    building: Mutex<()>,
}

impl Preview {
    pub fn new(options: BuildOptions) -> Arc<Preview> {
        Arc::new(Preview {
            options,
            status: watch::channel(Status::default()).0,
            closing: watch::channel(false).0,
            building: Mutex::new(()),
        })
    }

    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Follows the status (the current one is marked seen).
    pub fn subscribe(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    pub fn current(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Ends every event stream, so a graceful shutdown does not wait on open tabs.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Builds once (blocking) and publishes the outcome. On failure the output is untouched.
    pub fn rebuild(&self) -> Result<BuildReport, BuildError> {
        let _one_at_a_time = self
            .building
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let started = Instant::now();
        let result = build_site(&self.options);
        let millis = started.elapsed().as_millis() as u64;
        self.status.send_modify(|status| match &result {
            Ok(report) => {
                status.generation += 1;
                status.problems.clear();
                status.written = report.sync.written;
                status.millis = millis;
            }
            Err(error) => {
                status.problems = problems(error, &self.options.content);
                status.millis = millis;
            }
        });
        result
    }

    /// Watches the content and theme folders and rebuilds after each burst of changes, on the
    /// current tokio runtime. Keep the returned watcher: dropping it stops watching.
    pub fn watch(self: &Arc<Self>) -> notify::Result<Watcher> {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Vec<PathBuf>>();
        // Raw events rather than a debouncer's: inotify also reports every open and read, and
        // each build opens every page and template, so counting reads as changes rebuilt the
        // site over and over (and reloaded every open tab). Only writes, creations, removals,
        // renames and attribute changes count; the loop below gathers a burst of them.
        let mut watcher =
            notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
                let Ok(event) = result else {
                    return;
                };
                let read_only = matches!(
                    event.kind,
                    EventKind::Access(kind) if kind != AccessKind::Close(AccessMode::Write)
                );
                if !read_only {
                    let _closed = sender.send(event.paths);
                }
            })?;
        for folder in [&self.options.content, &self.options.theme] {
            watcher.watch(folder, RecursiveMode::Recursive)?;
        }
        let preview = Arc::clone(self);
        let out = absolute(&self.options.out);
        let task = tokio::spawn(async move {
            while let Some(mut paths) = receiver.recv().await {
                // An editor's save is several events (write, close, rename): one build for all.
                tokio::time::sleep(DEBOUNCE).await;
                while let Ok(more) = receiver.try_recv() {
                    paths.extend(more);
                }
                if !paths.iter().any(|path| relevant(path, &out)) {
                    continue;
                }
                let building = Arc::clone(&preview);
                let outcome = tokio::task::spawn_blocking(move || building.rebuild()).await;
                match outcome {
                    Ok(Ok(report)) => eprintln!(
                        "Situs dibangun ulang: {} berkas ditulis, {} dihapus ({} ms).",
                        report.sync.written,
                        report.sync.removed,
                        preview.current().millis
                    ),
                    Ok(Err(error)) => eprint!("{}", describe(&error, &preview.options.content)),
                    Err(error) => eprintln!("Build ulang berhenti: {error}"),
                }
            }
        });
        Ok(Watcher {
            _watcher: watcher,
            task,
        })
    }

    /// `/_galeri/events` and `/_galeri/live.js`.
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route(EVENTS, get(events))
            .route(SCRIPT, get(script))
            .with_state(Arc::clone(self))
    }
}

/// A running watcher; stops watching when dropped.
pub struct Watcher {
    _watcher: RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Adds the preview's routes to `router` and the reload script to its HTML answers.
pub fn attach(router: Router, preview: &Arc<Preview>) -> Router {
    router
        .merge(preview.routes())
        .layer(axum::middleware::from_fn(inject))
}

/// The overlay's list for a failed build.
pub fn problems(error: &BuildError, content: &Path) -> Vec<Problem> {
    match error {
        BuildError::Content(diagnostics) => diagnostics
            .items()
            .iter()
            .map(|item| Problem {
                location: format!(
                    "{}:{}:{}",
                    display_path(&content.join(&item.path)),
                    item.position.line,
                    item.position.col
                ),
                message: item.message(Lang::Id),
            })
            .collect(),
        BuildError::Theme(message) => vec![Problem {
            location: String::new(),
            message: format!("Templat tema bermasalah: {message}"),
        }],
        BuildError::Render { page, message } => vec![Problem {
            location: String::new(),
            message: format!("Halaman {page} tidak dapat dibuat: {message}"),
        }],
        other => vec![Problem {
            location: String::new(),
            message: format!("Build gagal: {other}"),
        }],
    }
}

/// A failed build as the terminal shows it.
pub fn describe(error: &BuildError, content: &Path) -> String {
    let mut text = String::new();
    if let BuildError::Content(diagnostics) = error {
        text.push_str(&diagnostics.render(Lang::Id, content));
    } else {
        for problem in problems(error, content) {
            text.push_str(&problem.message);
            text.push('\n');
        }
    }
    text.push_str("Situs terakhir yang berhasil dibangun tetap disajikan.\n");
    text
}

/// Whether a changed path can change the site: editors' swap, backup and lock files cannot,
/// nor can the output folder itself (when it sits inside a watched folder).
pub fn relevant(path: &Path, out: &Path) -> bool {
    if path.starts_with(out) {
        return false;
    }
    let Some(name) = path.file_name().map(|name| name.to_string_lossy()) else {
        return true;
    };
    !(name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913")
}

fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|current| current.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    joined.canonicalize().unwrap_or(joined)
}

/// The status now, then after every build, until the server closes.
async fn events(
    State(preview): State<Arc<Preview>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let state = (preview.subscribe(), preview.closing.subscribe(), true);
    let stream =
        futures_util::stream::unfold(state, |(mut status, mut closing, first)| async move {
            if *closing.borrow() {
                return None;
            }
            if !first {
                tokio::select! {
                    changed = status.changed() => changed.ok()?,
                    _ = closing.changed() => return None,
                }
            }
            let current = status.borrow_and_update().clone();
            let event = Event::default()
                .event("status")
                .json_data(&current)
                .unwrap_or_else(|_| Event::default().event("status").data("{}"));
            Some((Ok(event), (status, closing, false)))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        LIVE_JS,
    )
}

/// Pages that hold what a person is typing (the web editor, the till, the order queue, the
/// checkout): a reload would throw it away, and the editor's own saves would reload it.
const NO_RELOAD: &[&str] = &["/admin/", "/kasir/", "/pesan/"];

/// Adds `<script src="/_galeri/live.js">` to HTML answers (pages and the 404 page), except on
/// the pages of [`NO_RELOAD`].
async fn inject(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if NO_RELOAD
        .iter()
        .any(|prefix| path.starts_with(prefix) || path == prefix.trim_end_matches('/'))
    {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !is_html || !matches!(response.status(), StatusCode::OK | StatusCode::NOT_FOUND) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let html = String::from_utf8_lossy(&bytes);
    let tag = format!("<script src=\"{SCRIPT}\" defer></script>");
    let injected = match html.rfind("</body>") {
        Some(at) => format!("{}{tag}{}", &html[..at], &html[at..]),
        None => format!("{html}{tag}"),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    // A cached copy would miss the script once preview is off, or keep it after.
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Response::from_parts(parts, Body::from(injected))
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_and_the_output_do_not_trigger_a_rebuild() {
        let out = Path::new("/site/.galeri/preview");
        assert!(relevant(Path::new("/site/content/products/a/b.md"), out));
        assert!(relevant(
            Path::new("/site/themes/default/static/galeri.css"),
            out
        ));
        for ignored in [
            "/site/content/products/a/.b.md.swp",
            "/site/content/products/a/b.md~",
            "/site/content/products/a/4913",
            "/site/content/products/a/#b.md#",
            "/site/.galeri/preview/index.html",
        ] {
            assert!(!relevant(Path::new(ignored), out), "{ignored}");
        }
    }
}

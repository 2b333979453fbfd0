//! The live preview of `galeri serve`: a saved edit is picked up by the watcher and rebuilt
//! (writing only what changed), broken content is reported as `path:line:col` problems in
//! Indonesian while the last good site stays on disk, fixing it rebuilds again; and the
//! server adds the reload script to HTML answers and streams the status as server-sent events.
// Tests may panic: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::site_incremental::Catalog;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use galeri::preview::{self, Preview, Status};
use http_body_util::BodyExt;
use std::time::Duration;
use tokio::sync::watch;
use tower::ServiceExt;

const PAGE: &str = "produk/keripik-bantur/keripik-pisang/index.html";
const SOURCE: &str = "products/keripik-bantur/keripik-pisang.md";

/// Waits (up to 30 s: the machine is shared) for a status that satisfies `done`.
async fn wait_for(
    status: &mut watch::Receiver<Status>,
    what: &str,
    done: impl Fn(&Status) -> bool,
) -> Status {
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let current = status.borrow_and_update().clone();
            if done(&current) {
                return current;
            }
            status.changed().await.expect("preview gone");
        }
    })
    .await;
    waited.unwrap_or_else(|_| panic!("no {what} within 30 s: {:?}", status.borrow()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_rebuilds_a_broken_file_shows_its_problems_and_the_last_site_stays() {
    let catalog = Catalog::new();
    let preview = Preview::new(catalog.options());
    let first = {
        let preview = preview.clone();
        tokio::task::spawn_blocking(move || preview.rebuild())
            .await
            .expect("join")
            .expect("first build")
    };
    assert!(first.sync.written > 0);
    let mut status = preview.subscribe();
    assert_eq!(status.borrow_and_update().generation, 1);
    let _watcher = preview.watch().expect("watch");

    // An editor's swap file is not content: no rebuild.
    std::fs::write(
        catalog.content.join("products/keripik-bantur/.x.md.swp"),
        "x",
    )
    .expect("swap");
    catalog.edit(SOURCE, "price: 15000", "price: 17500");
    let rebuilt = wait_for(&mut status, "rebuild", |s| s.generation >= 2).await;
    assert_eq!(rebuilt.generation, 2, "one save, one rebuild");
    assert!(rebuilt.problems.is_empty(), "{:?}", rebuilt.problems);
    assert!(rebuilt.written > 0 && rebuilt.written < first.sync.written);
    let page = std::fs::read_to_string(catalog.out.join(PAGE)).expect("page");
    assert!(page.contains("Rp17.500"));

    // Broken YAML: problems with their place; the page on disk is the last good one.
    catalog.edit(SOURCE, "price: 17500", "price: [17500");
    let broken = wait_for(&mut status, "problems", |s| !s.problems.is_empty()).await;
    assert_eq!(broken.generation, 2);
    let problem = &broken.problems[0];
    let location = problem.location.replace('\\', "/");
    assert!(
        location.contains("products/keripik-bantur/keripik-pisang.md:"),
        "{problem:?}"
    );
    let mut place = location.rsplit(':');
    let column: usize = place.next().expect("column").parse().expect("number");
    let line: usize = place.next().expect("line").parse().expect("number");
    assert!(line >= 2 && column >= 1, "{problem:?}");
    assert!(!problem.message.is_empty());
    assert_eq!(
        std::fs::read_to_string(catalog.out.join(PAGE)).expect("page"),
        page,
        "the last good page stays"
    );

    // Fixed: rebuilt, no problems.
    catalog.edit(SOURCE, "price: [17500", "price: 19000");
    let fixed = wait_for(&mut status, "fixed rebuild", |s| s.generation >= 3).await;
    assert!(fixed.problems.is_empty());
    assert!(std::fs::read_to_string(catalog.out.join(PAGE))
        .expect("page")
        .contains("Rp19.000"));

    // Every build opens every page and template: reads are no change, so the site rests (a
    // watcher that counted them rebuilt, and reloaded every open tab, without end).
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        status.borrow().generation,
        fixed.generation,
        "rebuilt without a change"
    );
}

/// The next server-sent event of a stream, as text.
async fn next_event(stream: &mut axum::body::Body) -> String {
    let frame = tokio::time::timeout(Duration::from_secs(30), stream.frame())
        .await
        .expect("an event in time")
        .expect("open")
        .expect("frame");
    String::from_utf8(frame.into_data().expect("data").to_vec()).expect("utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_answers_carry_the_reload_script_and_events_stream_the_status() {
    let catalog = Catalog::new();
    let preview = Preview::new(catalog.options());
    let site = Router::new()
        .route(
            "/",
            get(|| async { Html("<!doctype html><html><body><h1>Beranda</h1></body></html>") }),
        )
        .route("/data.json", get(|| async { "{\"ok\":true}" }))
        .route(
            "/admin/",
            get(|| async { Html("<!doctype html><html><body>editor</body></html>") }),
        )
        .route(
            "/kasir/",
            get(|| async { Html("<!doctype html><html><body>kasir</body></html>") }),
        );
    let app = preview::attach(site, &preview);

    let body = |response: axum::response::Response| async move {
        String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes()
                .to_vec(),
        )
        .expect("utf-8")
    };
    let home = app
        .clone()
        .oneshot(
            http::Request::get("/")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(
        body(home).await,
        format!(
            "<!doctype html><html><body><h1>Beranda</h1><script src=\"{}\" defer></script></body></html>",
            preview::SCRIPT
        )
    );
    let data = app
        .clone()
        .oneshot(
            http::Request::get("/data.json")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(body(data).await, "{\"ok\":true}", "only HTML is changed");
    // The web editor and the till hold what a person is typing: never reloaded under them.
    for (path, text) in [("/admin/", "editor"), ("/kasir/", "kasir")] {
        let page = app
            .clone()
            .oneshot(
                http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(
            body(page).await,
            format!("<!doctype html><html><body>{text}</body></html>"),
            "{path}"
        );
    }
    let script = app
        .clone()
        .oneshot(
            http::Request::get(preview::SCRIPT)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert!(body(script).await.contains("EventSource"));

    // The event stream: the current status at once, then one per build.
    let events = app
        .clone()
        .oneshot(
            http::Request::get(preview::EVENTS)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    assert_eq!(
        events.headers()["content-type"].to_str().expect("type"),
        "text/event-stream"
    );
    let mut stream = events.into_body();
    let first = next_event(&mut stream).await;
    assert!(
        first.starts_with("event: status\ndata: {\"generation\":0,"),
        "{first}"
    );
    let rebuilding = preview.clone();
    tokio::task::spawn_blocking(move || rebuilding.rebuild())
        .await
        .expect("join")
        .expect("build");
    let second = next_event(&mut stream).await;
    assert!(
        second.contains("\"generation\":1,\"problems\":[]"),
        "{second}"
    );
    // Closing the server ends the stream, so a shutdown does not wait on open tabs.
    preview.close();
    let end = tokio::time::timeout(Duration::from_secs(5), stream.frame())
        .await
        .expect("closed in time");
    assert!(end.is_none(), "the stream ended");
}

//! The staff-facing commands of the API as users run them: `galeri tokens create | list |
//! revoke` (the token alone on stdout, only its hash stored, a revoked token refused by the
//! API) and `galeri serve` (site and API on one port, demo data on an empty store, a
//! redemption with the printed demo code and token, a clean stop on Ctrl-C).

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use galeri_api::{app, AppState};
use galeri_vouchers::config::{load_pepper, open_store, StoreSpec};
use galeri_vouchers::Ledger;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// The debug `galeri` binary beside this test's executable (`cargo test` builds it).
fn galeri() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = dir.join("galeri");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --bin galeri`",
        bin.display()
    );
    bin
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(galeri()).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[tokio::test]
async fn tokens_are_printed_once_stored_as_hashes_and_revocable() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("v.db");
    let store = format!("sqlite:{}", database.display());

    let (ok, stdout, stderr) = run(&[
        "tokens",
        "create",
        "--role",
        "cashier",
        "--name",
        "Kasir Sari",
        "--store",
        &store,
    ]);
    assert!(ok, "{stderr}");
    let token = stdout.trim_end_matches('\n');
    assert_eq!(
        stdout.lines().count(),
        1,
        "stdout must hold the token alone: {stdout:?}"
    );
    assert!(token.starts_with("glr_") && token.len() == 36, "{token}");
    assert!(
        stderr.contains("Kasir Sari") && !stderr.contains(token),
        "{stderr}"
    );

    let (ok, _, stderr) = run(&[
        "tokens", "create", "--role", "boss", "--name", "x", "--store", &store,
    ]);
    assert!(!ok && stderr.contains("--role"), "{stderr}");

    let (ok, listing, _) = run(&["tokens", "list", "--store", &store]);
    assert!(ok);
    assert!(
        listing.contains("cashier") && listing.contains("Kasir Sari"),
        "{listing}"
    );
    assert!(
        !listing.contains(&token[4..]),
        "the list must not show the token"
    );
    // The database holds the hash, not the token.
    let mut bytes = Vec::new();
    std::fs::File::open(&database)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(&token[4..]));

    let spec = StoreSpec::parse(&store).unwrap();
    let ledger = Ledger::new(
        open_store(&spec).await.unwrap(),
        load_pepper(&spec).unwrap(),
    );
    let router = app(AppState::new(ledger));
    let ask = |router: axum::Router| async move {
        let request = Request::get("/v1/redemptions/R-none")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        router.oneshot(request).await.unwrap().status()
    };
    assert_eq!(
        ask(router.clone()).await,
        StatusCode::NOT_FOUND,
        "a live token is accepted"
    );

    let id = listing
        .lines()
        .find(|line| line.contains("Kasir Sari"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap()
        .to_string();
    let (ok, _, stderr) = run(&["tokens", "revoke", &id, "--store", &store]);
    assert!(ok, "{stderr}");
    assert_eq!(
        ask(router).await,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused"
    );
    let (ok, _, _) = run(&["tokens", "revoke", "tok_unknown", "--store", &store]);
    assert!(!ok);
}

/// One HTTP/1.1 request on its own connection: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_builds_seeds_demo_data_redeems_and_stops_on_ctrl_c() {
    let folder = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", folder.path().join("v.db").display());
    let out = folder.path().join("public");
    let root = repo();
    let mut child = Command::new(galeri())
        .args(["serve", "--port", "0", "--store", &store])
        .arg("--out")
        .arg(&out)
        .arg("--content")
        .arg(root.join("content"))
        .arg("--theme")
        .arg(root.join("themes/default"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The address is announced on stderr once the site is built and the API is up.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let started = Instant::now();
    let mut port = None;
    let mut line = String::new();
    while port.is_none() && started.elapsed() < Duration::from_secs(120) {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            port = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
        }
    }
    let Some(port) = port else {
        let _ = child.kill();
        panic!("galeri serve did not announce its address; last line: {line}");
    };

    let (status, body) = http(port, "GET", "/api/v1/health", &[], "");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, body) = http(port, "GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(body.contains("<html"), "the home page");
    let (status, _) = http(port, "GET", "/no/such/page/", &[], "");
    assert_eq!(status, 404);

    // Ctrl-C, as a person stops it.
    let interrupt = |child: &std::process::Child| {
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    // Redeem with the demo code and cashier token it printed on stdout.
    let mut stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    let mut buffer = [0u8; 4096];
    // Seeding finished before the address was announced, so the lines are already there.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&printed).contains("glr_") && Instant::now() < deadline {
        let read = stdout.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        printed.extend_from_slice(&buffer[..read]);
    }
    let printed = String::from_utf8_lossy(&printed).to_string();
    assert!(printed.contains("DEMO"), "{printed}");
    let code = printed
        .split_whitespace()
        .find(|word| word.starts_with("MLG-"))
        .unwrap()
        .to_string();
    let token = printed
        .split_whitespace()
        .find(|word| word.starts_with("glr_"))
        .unwrap()
        .to_string();
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("catalog.json")).unwrap()).unwrap();
    let sku = catalog["items"][0]["sku"].as_str().unwrap();
    let body = format!(r#"{{"code":"{code}","items":[{{"sku":"{sku}","qty":1}}]}}"#);
    let authorization = format!("Bearer {token}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", "serve-test-idempotency-key-1"),
        ("Content-Type", "application/json"),
    ];
    let (status, answer) = http(port, "POST", "/api/v1/redemptions", &headers, &body);
    assert_eq!(status, 201, "{answer}");

    interrupt(&child);
    let exit = child.wait().unwrap();
    assert!(
        exit.success(),
        "galeri serve should stop cleanly on Ctrl-C: {exit:?}"
    );
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("berhenti"), "{rest}");
}

//! The staff-facing commands of the API as users run them: `galeri tokens create | list |
//! revoke` (the token alone on stdout, only its hash stored, a revoked token refused by the
//! API) and `galeri serve` (site and API on one port; no demo data unless asked, and then its
//! secrets in a 0600 file, never on a DynamoDB store; vouchers and tokens made with the CLI
//! redeemable at once; HTTPS with a certificate from a local CA; the client address behind a
//! trusted proxy; a clean stop on Ctrl-C).

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::staff_support::galeri;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use galeri_api::{app, AppState};
use galeri_vouchers::config::{load_pepper, open_store, StoreSpec};
use galeri_vouchers::Ledger;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> (bool, String, String) {
    run_with(args, &[])
}

/// Runs `galeri` with these environment variables and no pepper from the test's own
/// environment: (success, stdout, stderr).
fn run_with(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(galeri());
    command
        .args(args)
        .env_remove("GALERI_PEPPER")
        .env_remove("GALERI_PEPPER_PARAM");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
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
    let opened = open_store(&spec).await.unwrap();
    let (pepper, _) = load_pepper(&spec, opened.as_ref(), true).await.unwrap();
    let ledger = Ledger::new(opened, pepper);
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

/// Sends one HTTP/1.1 request over `stream` and reads the answer: (status, body).
fn exchange(
    mut stream: impl Read + Write,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut bytes = Vec::new();
    // A TLS peer may close without close_notify; what arrived before that is the answer.
    let _ = stream.read_to_end(&mut bytes);
    let answer = String::from_utf8_lossy(&bytes).to_string();
    let status = answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// One plain HTTP/1.1 request on its own connection: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    exchange(stream, method, path, headers, body)
}

/// One HTTPS request to `localhost:port`, trusting only `ca` (DER).
fn https(
    port: u16,
    ca: &[u8],
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca.to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    exchange(
        rustls::StreamOwned::new(connection, tcp),
        method,
        path,
        headers,
        body,
    )
}

/// A running `galeri serve` on a free port, over the repository's content and theme; killed
/// when dropped (a test that fails must not leave it running).
struct Serve {
    child: Child,
    stderr: BufReader<ChildStderr>,
    port: u16,
    /// Everything it printed on stderr up to the address line.
    announced: String,
}

impl Serve {
    fn start(out: &Path, args: &[&str], env: &[(&str, &str)]) -> Serve {
        let root = repo();
        let mut command = Command::new(galeri());
        command
            .args(["serve", "--port", "0"])
            .args(args)
            .arg("--out")
            .arg(out)
            .arg("--content")
            .arg(root.join("content"))
            .arg("--theme")
            .arg(root.join("themes/default"))
            .env("RUST_LOG", "warn")
            .env_remove("GALERI_PEPPER")
            .env_remove("GALERI_PEPPER_PARAM")
            .env_remove("GALERI_LOOKUP_LIMIT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        // Owned from here on, so a failure below kills and reaps it (`Drop`).
        let mut serve = Serve {
            child,
            stderr,
            port: 0,
            announced: String::new(),
        };
        // The address is announced on stderr once the site is built and the API is up.
        let started = Instant::now();
        let mut line = String::new();
        while started.elapsed() < Duration::from_secs(120) {
            line.clear();
            if serve.stderr.read_line(&mut line).unwrap() == 0 {
                break;
            }
            serve.announced.push_str(&line);
            if let Some(port) = line
                .split("://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|port| port.parse::<u16>().ok())
            {
                serve.port = port;
                return serve;
            }
        }
        panic!(
            "galeri serve did not announce its address:\n{}",
            serve.announced
        );
    }

    /// Ctrl-C, as a person stops it; returns what it printed on stdout and the rest of stderr.
    fn stop(mut self) -> (String, String) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let exit = self.child.wait().unwrap();
        assert!(
            exit.success(),
            "galeri serve should stop cleanly on Ctrl-C: {exit:?}"
        );
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        (stdout, rest)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A redemption body for one of the first product the build priced.
fn sale(out: &Path, code: &str) -> String {
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("catalog.json")).unwrap()).unwrap();
    let sku = catalog["items"][0]["sku"].as_str().unwrap().to_string();
    format!(r#"{{"code":"{code}","items":[{{"sku":"{sku}","qty":1}}]}}"#)
}

/// Issues one voucher with `galeri vouchers issue` and returns its code.
fn issue_one(folder: &Path, store: &str) -> String {
    let codes = folder.join(format!("codes-{}.csv", std::process::id()));
    let _ = std::fs::remove_file(&codes);
    let (ok, _, stderr) = run(&[
        "vouchers",
        "issue",
        "--count",
        "1",
        "--amount",
        "200000",
        "--expires",
        "2099-12-31",
        "--out",
        codes.to_str().unwrap(),
        "--store",
        store,
    ]);
    assert!(ok, "{stderr}");
    let text = std::fs::read_to_string(&codes).unwrap();
    text.lines()
        .nth(1)
        .and_then(|line| line.split(',').next())
        .unwrap()
        .to_string()
}

fn create_token(store: &str, role: &str) -> String {
    let (ok, stdout, stderr) = run(&[
        "tokens",
        "create",
        "--role",
        role,
        "--name",
        "Kasir uji",
        "--store",
        store,
    ]);
    assert!(ok, "{stderr}");
    stdout.trim().to_string()
}

#[test]
fn serve_without_demo_creates_nothing_and_redeems_what_the_cli_issued() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("v.db");
    let store = format!("sqlite:{}", database.display());
    let out = folder.path().join("public");

    let server = Serve::start(&out, &["--store", &store], &[]);
    let port = server.port;
    let (status, body) = http(port, "GET", "/api/v1/health", &[], "");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    let (status, body) = http(port, "GET", "/", &[], "");
    assert_eq!(status, 200);
    assert!(body.contains("<html"), "the home page");
    let (status, _) = http(port, "GET", "/no/such/page/", &[], "");
    assert_eq!(status, 404);

    // Nothing was seeded: no voucher, no token, no secrets file.
    let (ok, listing, _) = run(&["tokens", "list", "--store", &store]);
    assert!(ok);
    assert!(listing.trim().is_empty(), "no token expected: {listing}");
    assert!(!folder.path().join("v.db.demo.txt").exists());

    // What the browser tests do: issue and mint with the CLI while it runs, then sell.
    let code = issue_one(folder.path(), &store);
    let token = create_token(&store, "cashier");
    let authorization = format!("Bearer {token}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", "serve-test-0000001"),
        ("Content-Type", "application/json"),
    ];
    let (status, answer) = http(
        port,
        "POST",
        "/api/v1/redemptions",
        &headers,
        &sale(&out, &code),
    );
    assert_eq!(status, 201, "{answer}");

    let (stdout, rest) = server.stop();
    assert!(rest.contains("berhenti"), "{rest}");
    assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
    let (ok, report, stderr) = run(&["audit", "--store", &store]);
    assert!(ok, "{report}{stderr}");
}

#[test]
fn serve_demo_writes_its_secrets_to_a_0600_file_not_the_screen() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("v.db");
    let store = format!("sqlite:{}", database.display());
    let out = folder.path().join("public");

    let server = Serve::start(&out, &["--demo", "--store", &store], &[]);
    let secrets = folder.path().join("v.db.demo.txt");
    assert!(
        server.announced.contains(&secrets.display().to_string()),
        "the path is printed: {}",
        server.announced
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", secrets.display());
    }
    let text = std::fs::read_to_string(&secrets).unwrap();
    assert!(text.contains("DEMO"), "{text}");
    let code = text
        .split_whitespace()
        .find(|word| word.starts_with("MLG-"))
        .unwrap()
        .to_string();
    let token = text
        .split_whitespace()
        .find(|word| word.starts_with("glr_"))
        .unwrap()
        .to_string();
    for secret in [&code, &token] {
        assert!(
            !server.announced.contains(secret.as_str()),
            "{secret} on stderr"
        );
    }

    let authorization = format!("Bearer {token}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", "serve-test-idempotency-key-1"),
        ("Content-Type", "application/json"),
    ];
    let port = server.port;
    let (status, answer) = http(
        port,
        "POST",
        "/api/v1/redemptions",
        &headers,
        &sale(&out, &code),
    );
    assert_eq!(status, 201, "{answer}");
    assert!(
        answer.contains(r#""demo":true"#),
        "the receipt is marked demo: {answer}"
    );
    let lookup = format!(r#"{{"code":"{code}"}}"#);
    let json = [("Content-Type", "application/json")];
    let (status, answer) = http(port, "POST", "/api/v1/balance", &json, &lookup);
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains(r#""demo":true"#),
        "the balance is marked demo: {answer}"
    );
    let (status, answer) = http(port, "POST", "/api/v1/history", &headers, &lookup);
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains(r#""demo":true"#),
        "the history is marked demo: {answer}"
    );

    let (stdout, rest) = server.stop();
    for secret in [&code, &token] {
        assert!(!stdout.contains(secret.as_str()), "{secret} on stdout");
        assert!(!rest.contains(secret.as_str()), "{secret} on stderr");
    }

    // The same store served without --demo: the demo voucher is refused, nothing is seeded.
    let server = Serve::start(&out, &["--store", &store], &[]);
    let port = server.port;
    let (status, answer) = http(port, "POST", "/api/v1/balance", &json, &lookup);
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("demo-voucher"), "{answer}");
    let retry = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", "serve-test-0000002"),
        ("Content-Type", "application/json"),
    ];
    let sold = sale(&out, &code);
    let (status, answer) = http(port, "POST", "/api/v1/redemptions", &retry, &sold);
    assert_eq!(
        status, 401,
        "the demo token is no key outside demo mode: {answer}"
    );
    assert!(answer.contains("/problems/unauthorized"), "{answer}");
    server.stop();

    // Not even to a real voucher issued into that store afterwards.
    let codes = folder.path().join("codes.csv");
    let issued = Command::new(galeri())
        .args(["vouchers", "issue", "--count", "1", "--amount", "50000"])
        .args([
            "--expires",
            "2099-12-31",
            "--batch",
            "2026-12",
            "--store",
            &store,
        ])
        .arg("--out")
        .arg(&codes)
        .output()
        .unwrap();
    assert!(issued.status.success(), "{issued:?}");
    let real = std::fs::read_to_string(&codes)
        .unwrap()
        .split(|c: char| c == ',' || c.is_whitespace())
        .find(|word| word.starts_with("MLG-"))
        .unwrap()
        .to_string();
    let server = Serve::start(&out, &["--store", &store], &[]);
    let retry = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", "serve-test-0000003"),
        ("Content-Type", "application/json"),
    ];
    let (status, answer) = http(
        server.port,
        "POST",
        "/api/v1/redemptions",
        &retry,
        &sale(&out, &real),
    );
    assert_eq!(status, 401, "{answer}");
    server.stop();

    // Nor can an admin mint a token that passes for the demo one.
    let minted = Command::new(galeri())
        .args([
            "tokens",
            "create",
            "--role",
            "cashier",
            "--name",
            "DEMO-Kasir",
        ])
        .args(["--store", &store])
        .output()
        .unwrap();
    assert!(!minted.status.success(), "{minted:?}");
    assert!(
        String::from_utf8_lossy(&minted.stderr).contains("demo"),
        "{minted:?}"
    );
}

#[test]
fn serve_refuses_demo_on_a_dynamodb_store() {
    // Refused before any connection is made, so no DynamoDB is needed to see it.
    let folder = tempfile::tempdir().unwrap();
    let (ok, stdout, stderr) = run(&[
        "serve",
        "--demo",
        "--port",
        "0",
        "--store",
        "dynamodb:galeri-produksi",
        "--out",
        folder.path().join("public").to_str().unwrap(),
    ]);
    assert!(!ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("--demo") && stderr.contains("DynamoDB"),
        "{stderr}"
    );
    assert!(!folder.path().join("public").exists(), "nothing was built");
}

/// A local CA and a certificate for `localhost`/127.0.0.1 signed by it, as the gallery's
/// set-up in infra/README.md makes them: (CA certificate DER, leaf PEM, leaf key PEM).
fn local_ca_and_certificate() -> (Vec<u8>, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Galeri CA uji");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let leaf = params.signed_by(&key, &ca, &ca_key).unwrap();
    (ca.der().to_vec(), leaf.pem(), key.serialize_pem())
}

#[test]
fn serve_speaks_https_with_the_given_certificate_and_never_plain_http() {
    let folder = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", folder.path().join("v.db").display());
    let out = folder.path().join("public");
    let (ca, cert, key) = local_ca_and_certificate();
    let cert_path = folder.path().join("galeri.crt");
    let key_path = folder.path().join("galeri.key");
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    let code = issue_one(folder.path(), &store);
    let token = create_token(&store, "cashier");

    let server = Serve::start(
        &out,
        &[
            "--store",
            &store,
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        server.announced.contains("https://127.0.0.1:"),
        "{}",
        server.announced
    );
    let port = server.port;
    let (status, body) = https(port, &ca, "GET", "/api/v1/health", &[], "");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));

    // A code and a token cross the connection encrypted, and the sale goes through.
    let authorization = format!("Bearer {token}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", "https-test-000001"),
        ("Content-Type", "application/json"),
    ];
    let (status, answer) = https(
        port,
        &ca,
        "POST",
        "/api/v1/redemptions",
        &headers,
        &sale(&out, &code),
    );
    assert_eq!(status, 201, "{answer}");

    // Plain HTTP on the same port gets no HTTP answer at all.
    let (status, answer) = http(port, "GET", "/api/v1/health", &[], "");
    assert_ne!(status, 200, "{answer}");
    assert!(!answer.contains("status"), "{answer}");
    server.stop();

    // A certificate that is not PEM stops it before it serves anything.
    std::fs::write(&cert_path, "not a certificate").unwrap();
    let (ok, _, stderr) = run(&[
        "serve",
        "--port",
        "0",
        "--store",
        &store,
        "--out",
        out.to_str().unwrap(),
        "--tls-cert",
        cert_path.to_str().unwrap(),
        "--tls-key",
        key_path.to_str().unwrap(),
    ]);
    assert!(!ok && stderr.contains("--tls-cert"), "{stderr}");
}

#[test]
fn serve_counts_failed_lookups_per_client_behind_a_trusted_proxy_only() {
    let folder = tempfile::tempdir().unwrap();
    let store = format!("sqlite:{}", folder.path().join("v.db").display());
    let out = folder.path().join("public");
    let lookup = |port: u16, forwarded_for: &str| {
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", forwarded_for),
        ];
        http(
            port,
            "POST",
            "/api/v1/balance",
            &headers,
            r#"{"code":"MLG-AAAA-AAAA-AAAA"}"#,
        )
        .0
    };

    // The test client is the proxy (127.0.0.1): each forwarded client has its own count.
    let server = Serve::start(
        &out,
        &["--store", &store, "--trusted-proxy", "127.0.0.1/32"],
        &[("GALERI_LOOKUP_LIMIT", "2")],
    );
    let port = server.port;
    let first = "1.1.1.1, 198.51.100.7";
    assert_ne!(lookup(port, first), 429);
    assert_ne!(lookup(port, first), 429);
    assert_eq!(lookup(port, first), 429, "198.51.100.7 is locked out");
    // The same spoofed left part with another real client: not locked out.
    assert_ne!(lookup(port, "1.1.1.1, 198.51.100.8"), 429);
    server.stop();

    // Without --trusted-proxy the header is the client's own word: ignored, so rotating it
    // does not escape the lockout of the address the requests really come from.
    let server = Serve::start(&out, &["--store", &store], &[("GALERI_LOOKUP_LIMIT", "2")]);
    let port = server.port;
    assert_ne!(lookup(port, "203.0.113.1"), 429);
    assert_ne!(lookup(port, "203.0.113.2"), 429);
    assert_eq!(lookup(port, "203.0.113.3"), 429);
    server.stop();
}

/// `galeri vouchers issue` with one voucher into `out`, under `env`: (success, stderr).
fn try_issue(store: &str, out: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let (ok, _, stderr) = run_with(
        &[
            "vouchers",
            "issue",
            "--count",
            "1",
            "--amount",
            "50000",
            "--expires",
            "2099-12-31",
            "--out",
            out.to_str().unwrap(),
            "--batch",
            out.file_stem().unwrap().to_str().unwrap(),
            "--store",
            store,
        ],
        env,
    );
    (ok, stderr)
}

/// `galeri serve` that should refuse to start: (success, stderr).
fn try_serve(store: &str, out: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let root = repo();
    let content = root.join("content");
    let theme = root.join("themes/default");
    let (ok, _, stderr) = run_with(
        &[
            "serve",
            "--port",
            "0",
            "--store",
            store,
            "--out",
            out.to_str().unwrap(),
            "--content",
            content.to_str().unwrap(),
            "--theme",
            theme.to_str().unwrap(),
        ],
        env,
    );
    (ok, stderr)
}

const WRONG_PEPPER: &str = "33333333333333333333333333333333";

#[test]
fn sqlite_records_the_pepper_check_and_refuses_a_wrong_or_lost_pepper() {
    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("v.db");
    let store = format!("sqlite:{}", database.display());
    let pepper = folder.path().join("v.db.pepper");
    let out = folder.path().join("public");

    // First use: the pepper file is created and its check value recorded.
    let (ok, stderr) = try_issue(&store, &folder.path().join("a.csv"), &[]);
    assert!(ok, "{stderr}");
    assert!(pepper.exists());

    // A wrong GALERI_PEPPER: issuing and serving are refused, and say what to do.
    let refused = folder.path().join("b.csv");
    let (ok, stderr) = try_issue(&store, &refused, &[("GALERI_PEPPER", WRONG_PEPPER)]);
    assert!(!ok, "issued under a wrong pepper");
    assert!(
        stderr.contains("tidak cocok") && stderr.contains("does not match"),
        "{stderr}"
    );
    assert!(!refused.exists(), "no codes file is left behind");
    let (ok, stderr) = try_serve(&store, &out, &[("GALERI_PEPPER", WRONG_PEPPER)]);
    assert!(!ok && stderr.contains("tidak cocok"), "{stderr}");
    assert!(!out.exists(), "refused before building");

    // A lost pepper file is not silently replaced by a new pepper.
    let kept = folder.path().join("pepper.backup");
    std::fs::rename(&pepper, &kept).unwrap();
    let (ok, stderr) = try_issue(&store, &refused, &[]);
    assert!(!ok, "issued under a regenerated pepper");
    assert!(
        stderr.contains("tidak ada") && stderr.contains("missing"),
        "{stderr}"
    );
    assert!(!pepper.exists(), "a new pepper file was generated");
    let (ok, stderr) = try_serve(&store, &out, &[]);
    assert!(!ok && stderr.contains("tidak ada"), "{stderr}");
    assert!(!pepper.exists(), "a new pepper file was generated");

    // Restored from the backup: everything works again, and the right pepper in the
    // environment works as well as the file.
    std::fs::rename(&kept, &pepper).unwrap();
    let (ok, stderr) = try_issue(&store, &refused, &[]);
    assert!(ok, "{stderr}");
    let right = std::fs::read_to_string(&pepper).unwrap();
    let (ok, stderr) = try_issue(
        &store,
        &folder.path().join("c.csv"),
        &[("GALERI_PEPPER", right.trim())],
    );
    assert!(ok, "{stderr}");
}

#[test]
fn dynamodb_records_the_pepper_check_and_refuses_a_wrong_or_missing_pepper() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is not set: run tests/services/dynamodb-local.sh start \
         and source tests/.deps/dynamodb.env (tests/run.sh does both)"
    );
    let folder = tempfile::tempdir().unwrap();
    let table = format!("galeri-pepper-{}-{}", std::process::id(), line!());
    let store = format!("dynamodb:{table}");
    let out = folder.path().join("public");
    let right = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

    // No pepper configured: refused, and none is ever generated for DynamoDB.
    let (ok, stderr) = try_issue(&store, &folder.path().join("a.csv"), &[]);
    assert!(!ok && stderr.contains("GALERI_PEPPER_PARAM"), "{stderr}");

    // First use records the check value.
    let (ok, stderr) = try_issue(
        &store,
        &folder.path().join("b.csv"),
        &[("GALERI_PEPPER", right)],
    );
    assert!(ok, "{stderr}");

    // Another pepper: issuing and serving are refused.
    let (ok, stderr) = try_issue(
        &store,
        &folder.path().join("c.csv"),
        &[("GALERI_PEPPER", WRONG_PEPPER)],
    );
    assert!(!ok && stderr.contains("tidak cocok"), "{stderr}");
    let (ok, stderr) = try_serve(&store, &out, &[("GALERI_PEPPER", WRONG_PEPPER)]);
    assert!(!ok && stderr.contains("tidak cocok"), "{stderr}");

    let (ok, stderr) = try_issue(
        &store,
        &folder.path().join("d.csv"),
        &[("GALERI_PEPPER", right)],
    );
    assert!(ok, "{stderr}");
}

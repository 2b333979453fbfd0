//! Many simultaneous redemptions of one voucher over real HTTP connections never overdraw it,
//! on SQLite and on DynamoDB Local: the router is served on a loopback port (as `galeri serve`
//! does) and each request is its own TCP connection.

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::api_support::{request, stranger_code, Harness, StoreKind, FACE_VALUE};
use axum::http::{Method, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;

/// Concurrent requests; each asks for Rp10.000 of a Rp50.000 voucher.
const REQUESTS: usize = 40;
const PRICE: i64 = 10_000;

/// One HTTP/1.1 request on its own connection; returns the status and the body.
async fn post(
    address: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

async fn never_overdrawn(kind: StoreKind) {
    let mut harness = Harness::new(kind, 1).await;
    // Every request holds a lookup slot of the one token while it runs; this suite is about
    // the balance, not the lockout.
    harness.state.limits.failed_lookups_per_token = 1_000;
    harness.router = galeri_api::app(harness.state.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let service = harness
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let code = harness.codes[0].expose();
    let body = serde_json::json!({
        "code": code,
        "items": [{ "sku": "KERIPIK-10", "qty": 1 }],
        "allow_cash": false,
    })
    .to_string();
    let barrier = Arc::new(Barrier::new(REQUESTS));
    let mut tasks = Vec::new();
    for index in 0..REQUESTS {
        let (barrier, body, token) = (barrier.clone(), body.clone(), harness.cashier.clone());
        tasks.push(tokio::spawn(async move {
            let key = format!("concurrent-sale-key-{index}");
            let authorization = format!("Bearer {token}");
            barrier.wait().await;
            let headers = [
                ("Authorization", authorization.as_str()),
                ("Idempotency-Key", key.as_str()),
            ];
            post(address, "/v1/redemptions", &headers, &body).await
        }));
    }
    let mut created = 0;
    let mut busy = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            201 => created += 1,
            422 => assert!(body.contains("insufficient-balance"), "{body}"),
            503 => busy += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    server.abort();

    let voucher = harness
        .state
        .ledger
        .balance(&harness.codes[0])
        .await
        .expect("balance");
    assert_eq!(voucher.balance.rupiah(), FACE_VALUE - PRICE * created);
    assert!(
        created <= FACE_VALUE / PRICE,
        "{created} redemptions of Rp10.000 from Rp50.000"
    );
    if busy == 0 {
        assert_eq!(
            created,
            FACE_VALUE / PRICE,
            "every request that was not refused for balance"
        );
    }
    let audit = harness.state.ledger.audit().await.expect("audit");
    assert!(audit.discrepancies.is_empty(), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_voucher_is_never_overdrawn_through_http() {
    never_overdrawn(StoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_voucher_is_never_overdrawn_through_http() {
    never_overdrawn(StoreKind::Dynamodb).await;
}

/// 60 concurrent wrong codes from one address with a limit of 20: every lookup takes its slot
/// before it is answered, so at most 20 are answered and the rest get 429.
async fn concurrent_guesses_are_counted_before_they_are_answered(kind: StoreKind) {
    let mut harness = Harness::new(kind, 1).await;
    harness.state.limits.failed_lookups_per_address = 20;
    harness.router = galeri_api::app(harness.state.clone());
    let harness = Arc::new(harness);
    let barrier = Arc::new(Barrier::new(60));
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let (harness, barrier) = (harness.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({ "code": stranger_code() });
            let sent = request(
                Method::POST,
                "/v1/balance",
                None,
                None,
                Some(body),
                "198.51.100.60",
            );
            barrier.wait().await;
            harness.send(sent).await.status
        }));
    }
    let (mut answered, mut refused) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            StatusCode::NOT_FOUND => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        answered <= 20,
        "{answered} wrong codes answered under a limit of 20"
    );
    assert_eq!(answered + refused, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_guesses_are_counted_before_they_are_answered() {
    concurrent_guesses_are_counted_before_they_are_answered(StoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_concurrent_guesses_are_counted_before_they_are_answered() {
    concurrent_guesses_are_counted_before_they_are_answered(StoreKind::Dynamodb).await;
}

//! Each Lambda function, fed API Gateway HTTP API (v2) events from `tests/events/` through
//! `lambda_http::request::from_str` into the same service its binary runs
//! (`galeri_lambda::service`), over a real SQLite store. Placeholders in the fixtures
//! (`{{CODE}}`, `{{CASHIER_TOKEN}}`, …) are filled in from the store this test sets up.

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use galeri_api::auth::mint_token;
use galeri_api::{AppState, Function};
use galeri_vouchers::config::{open_store, StoreSpec};
use galeri_vouchers::model::{Catalog, CatalogItem, NewBatch, Role};
use galeri_vouchers::{Ledger, Money, Pepper, VoucherCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use tower::ServiceExt;

struct Setup {
    state: AppState,
    values: HashMap<&'static str, String>,
    _folder: tempfile::TempDir,
}

async fn setup() -> Setup {
    let folder = tempfile::tempdir().unwrap();
    let spec =
        StoreSpec::parse(&format!("sqlite:{}", folder.path().join("v.db").display())).unwrap();
    let store = open_store(&spec).await.unwrap();
    let ledger = Ledger::new(store.clone(), Pepper::generate().unwrap());
    let now = chrono::Utc::now();
    let catalog = Catalog {
        generated_at: now,
        currency: "IDR".into(),
        items: vec![CatalogItem {
            sku: "KOPI-DAMPIT-250".into(),
            name: "Kopi Robusta Dampit 250 g".into(),
            producer: "kopi-sumber-rejeki".into(),
            category: "minuman".into(),
            price: Money::new(35_000).unwrap(),
        }],
    };
    ledger.load_catalog(&catalog).await.unwrap();
    let batch = NewBatch {
        name: "2026-12".into(),
        unit: None,
        count: 1,
        amount: Money::new(50_000).unwrap(),
        expires_on: chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
    };
    let code = ledger.issue(&batch, now).await.unwrap().remove(0);
    let mut values = HashMap::new();
    values.insert("CODE", code.expose());
    values.insert("STRANGER_CODE", VoucherCode::generate().unwrap().expose());
    values.insert("TODAY", galeri_vouchers::store::wib_date(now).to_string());
    for (role, name) in [
        (Role::Cashier, "CASHIER_TOKEN"),
        (Role::Supervisor, "SUPERVISOR_TOKEN"),
    ] {
        let (token, record) = mint_token(role, name, now).unwrap();
        store.put_token(&record).await.unwrap();
        values.insert(name, token);
    }
    Setup {
        state: AppState::new(ledger),
        values,
        _folder: folder,
    }
}

/// Runs one fixture through one function's service: (status, content type, body).
async fn run(setup: &Setup, function: Function, fixture: &str) -> (u16, String, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/events")
        .join(fixture);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (name, value) in &setup.values {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    assert!(!text.contains("{{"), "{fixture}: unfilled placeholder");
    let request = lambda_http::request::from_str(&text).expect("an API Gateway v2 event");
    let response = galeri_lambda::service(function, setup.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn slug(body: &Value) -> &str {
    body["type"]
        .as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

#[tokio::test]
async fn every_function_answers_its_events() {
    let mut setup = setup().await;

    let (status, _, body) = run(&setup, Function::Balance, "health.json").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    let (status, _, body) = run(&setup, Function::Balance, "balance.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["balance"], 50_000);

    let (status, content_type, body) =
        run(&setup, Function::Balance, "balance_not_json.json").await;
    assert_eq!(
        (status, content_type.as_str()),
        (415, "application/problem+json")
    );
    assert_eq!(slug(&body), "unsupported-media-type");

    let (status, _, body) = run(&setup, Function::Balance, "balance_binary_body.json").await;
    assert_eq!((status, slug(&body)), (400, "malformed-request"));

    let (status, _, body) = run(&setup, Function::Redeem, "redeem_without_token.json").await;
    assert_eq!((status, slug(&body)), (401, "unauthorized"));

    let (status, _, body) = run(&setup, Function::Redeem, "redeem.json").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["total"], 35_000);
    let id = body["id"].as_str().unwrap().to_string();
    // The same event again (API Gateway retried it): the same redemption, charged once.
    let (status, _, again) = run(&setup, Function::Redeem, "redeem.json").await;
    assert_eq!((status, &again["id"]), (201, &body["id"]));
    setup.values.insert("REDEMPTION_ID", id.clone());

    let (status, _, body) = run(&setup, Function::History, "redemption.json").await;
    assert_eq!((status, body["id"].as_str()), (200, Some(id.as_str())));

    let (status, _, body) = run(&setup, Function::History, "history.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);

    let (status, _, body) = run(&setup, Function::Report, "report.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["producer"], "kopi-sumber-rejeki");
    let (status, _, body) = run(&setup, Function::Refund, "refund_as_cashier.json").await;
    assert_eq!((status, slug(&body)), (403, "forbidden"));

    let (status, _, body) = run(&setup, Function::Refund, "refund.json").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["balance_after"], 50_000);
}

#[tokio::test]
async fn a_function_serves_only_its_own_routes() {
    let setup = setup().await;
    for (function, fixture) in [
        (Function::Redeem, "balance.json"),
        (Function::Balance, "redeem.json"),
        (Function::Report, "history.json"),
        (Function::History, "report.json"),
    ] {
        let (status, _, body) = run(&setup, function, fixture).await;
        assert_eq!(
            (status, slug(&body)),
            (404, "not-found"),
            "{} got {fixture}",
            function.name()
        );
    }
}

#[tokio::test]
async fn failed_lookups_are_counted_by_the_gateway_source_ip() {
    let mut setup = setup().await;
    setup.state.limits.failed_lookups_per_address = 2;
    // `balance_unknown_code.json` comes from 203.0.113.66 and carries X-Forwarded-For 10.9.9.9,
    // which must not be trusted: the lockout follows sourceIp.
    for _ in 0..2 {
        let (status, _, _) = run(&setup, Function::Balance, "balance_unknown_code.json").await;
        assert_eq!(status, 404);
    }
    let (status, _, body) = run(&setup, Function::Balance, "balance_unknown_code.json").await;
    assert_eq!((status, slug(&body)), (429, "too-many-failed-lookups"));
    // `balance.json` comes from another sourceIp with the same X-Forwarded-For: not locked out.
    let (status, _, _) = run(&setup, Function::Balance, "balance.json").await;
    assert_eq!(status, 200);
}

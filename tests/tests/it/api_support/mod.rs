//! Shared set-up of the API suites: a real store (SQLite in a temp folder, or DynamoDB Local
//! on a fresh table), a price list, a batch of vouchers and one token per role, and a helper
//! that sends one request through the router and reads the answer.

#![allow(dead_code)] // Each suite uses its own part of the harness.
#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use galeri_api::auth::mint_token;
use galeri_api::{app, AppState, ClientAddress, Clock};
use galeri_vouchers::model::{Catalog, CatalogItem, NewBatch, Role};
use galeri_vouchers::{Ledger, Money, Pepper, VoucherCode, VoucherStore};
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

/// Which store a suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Dynamodb,
}

/// Keeps the temp folder of a SQLite store alive as long as the harness.
pub struct Fresh {
    pub store: Arc<dyn VoucherStore>,
    _folder: Option<tempfile::TempDir>,
}

pub fn random_hex() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    format!("{:016x}", hasher.finish())
}

pub async fn fresh_store(kind: StoreKind) -> Fresh {
    match kind {
        StoreKind::Sqlite => {
            let folder = tempfile::tempdir().expect("temp folder");
            let path = folder.path().join("vouchers.db");
            let spec =
                galeri_vouchers::config::StoreSpec::parse(&format!("sqlite:{}", path.display()))
                    .expect("store spec");
            let store = galeri_vouchers::config::open_store(&spec)
                .await
                .expect("sqlite store");
            store.prepare().await.expect("prepare");
            Fresh {
                store,
                _folder: Some(folder),
            }
        }
        StoreKind::Dynamodb => {
            assert!(
                std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
                "AWS_ENDPOINT_URL_DYNAMODB is not set: run tests/services/dynamodb-local.sh start \
                 and source tests/.deps/dynamodb.env (tests/run.sh does both)"
            );
            let table = format!("galeri-api-{}", random_hex());
            let store = galeri_vouchers::dynamodb::DynamoStore::from_env(&table)
                .await
                .expect("dynamodb store");
            store
                .prepare()
                .await
                .expect("DynamoDB Local did not answer");
            Fresh {
                store: Arc::new(store),
                _folder: None,
            }
        }
    }
}

/// The price list every suite uses.
pub fn catalog() -> Catalog {
    let item = |sku: &str, name: &str, producer: &str, category: &str, price: i64| CatalogItem {
        sku: sku.into(),
        name: name.into(),
        producer: producer.into(),
        category: category.into(),
        price: Money::new(price).expect("price"),
    };
    Catalog {
        generated_at: Utc::now(),
        currency: "IDR".into(),
        items: vec![
            item(
                "KOPI-DAMPIT-250",
                "Kopi Robusta Dampit 250 g",
                "kopi-sumber-rejeki",
                "minuman",
                35_000,
            ),
            item(
                "TOPENG-PANJI",
                "Topeng Panji",
                "sanggar-topeng-asri",
                "kriya",
                150_000,
            ),
            item(
                "KERIPIK-10",
                "Keripik Singkong",
                "dapur-bu-sri",
                "makanan-ringan",
                10_000,
            ),
        ],
    }
}

/// A store with a price list, vouchers and tokens, and the router over it.
pub struct Harness {
    pub state: AppState,
    pub router: Router,
    pub pepper: Pepper,
    /// Rp50.000 vouchers, expiring on `EXPIRES_ON`.
    pub codes: Vec<VoucherCode>,
    pub cashier: String,
    pub supervisor: String,
    pub admin: String,
    pub revoked: String,
    /// Unix seconds of the clock the handlers see.
    pub clock: Arc<AtomicI64>,
    _fresh: Fresh,
}

pub const FACE_VALUE: i64 = 50_000;

pub fn expires_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).expect("date")
}

impl Harness {
    pub async fn new(kind: StoreKind, vouchers: u32) -> Harness {
        let fresh = fresh_store(kind).await;
        let pepper = Pepper::generate().expect("pepper");
        let ledger = Ledger::new(fresh.store.clone(), pepper.clone());
        let now = Utc::now();
        ledger.load_catalog(&catalog()).await.expect("catalog");
        let batch = NewBatch {
            name: format!("2026-12-{}", random_hex()),
            unit: Some("Dinas Koperasi".into()),
            count: vouchers,
            amount: Money::new(FACE_VALUE).expect("amount"),
            expires_on: expires_on(),
        };
        let codes = ledger.issue(&batch, now).await.expect("issue");
        let mut tokens = Vec::new();
        for (role, name) in [
            (Role::Cashier, "Kasir Sari"),
            (Role::Supervisor, "Pak Budi"),
            (Role::Admin, "Admin"),
            (Role::Supervisor, "Mantan"),
        ] {
            let (token, record) = mint_token(role, name, now).expect("token");
            fresh.store.put_token(&record).await.expect("put token");
            tokens.push((token, record));
        }
        fresh
            .store
            .revoke_token(&tokens[3].1.id, now)
            .await
            .expect("revoke");
        let clock = Arc::new(AtomicI64::new(now.timestamp_millis()));
        let seen = clock.clone();
        let mut state = AppState::new(ledger);
        state.clock = Clock::new(move || {
            Utc.timestamp_millis_opt(seen.load(Ordering::SeqCst))
                .single()
                .unwrap_or_default()
        });
        let router = app(state.clone());
        Harness {
            state,
            router,
            pepper,
            codes,
            cashier: tokens[0].0.clone(),
            supervisor: tokens[1].0.clone(),
            admin: tokens[2].0.clone(),
            revoked: tokens[3].0.clone(),
            clock,
            _fresh: fresh,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.clock.load(Ordering::SeqCst))
            .single()
            .unwrap_or_default()
    }

    /// Moves the handlers' clock.
    pub fn advance(&self, by: Duration) {
        self.clock
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    pub fn store(&self) -> &Arc<dyn VoucherStore> {
        self.state.ledger.store()
    }

    /// Sends one request through the router.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw: bytes.to_vec(),
        }
    }

    /// A JSON request with an optional bearer token and idempotency key.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send(request(method, path, token, key, body, "198.51.100.7"))
            .await
    }

    pub async fn balance(&self, code: &str) -> Reply {
        self.call(
            Method::POST,
            "/v1/balance",
            None,
            None,
            Some(serde_json::json!({ "code": code })),
        )
        .await
    }

    pub async fn redeem(&self, key: &str, body: Value) -> Reply {
        self.call(
            Method::POST,
            "/v1/redemptions",
            Some(&self.cashier),
            Some(key),
            Some(body),
        )
        .await
    }
}

/// Builds a request; `address` is the client address the host would report.
pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
    address: &str,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(key) = key {
        builder = builder.header("idempotency-key", key);
    }
    let body = match body {
        Some(value) => {
            builder = builder.header("content-type", "application/json");
            Body::from(value.to_string())
        }
        None => Body::empty(),
    };
    let mut request = builder.body(body).expect("request");
    request
        .extensions_mut()
        .insert(ClientAddress(address.to_string()));
    request
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    /// The problem slug, after checking that this is a well-formed problem+json answer.
    pub fn problem(&self) -> String {
        let content_type = self
            .headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        assert_eq!(content_type, "application/problem+json", "{self:?}");
        assert_eq!(self.body["status"], self.status.as_u16(), "{self:?}");
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{self:?}"
        );
        let kind = self.body["type"].as_str().unwrap_or_default();
        kind.strip_prefix(galeri_api::problem::PROBLEM_BASE)
            .unwrap_or_else(|| panic!("problem type {kind:?} outside the base"))
            .to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A well-formed code (valid check character) that no voucher has.
pub fn stranger_code() -> String {
    VoucherCode::generate().expect("randomness").expose()
}

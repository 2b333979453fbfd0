//! Keeps `infra/openapi.yaml` and the router in step: every documented route is served, every
//! served route is documented, each Lambda function serves exactly its own routes, mutations
//! require `Idempotency-Key`, staff routes declare the bearer scheme, and every problem type
//! the API can answer with is in the contract.

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::api_support::{Harness, StoreKind};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use galeri_api::problem::ApiError;
use galeri_api::{function_app, Function};
use http_body_util::BodyExt;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::Path;
use tower::ServiceExt;

fn contract() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/openapi.yaml");
    let text = std::fs::read_to_string(&path).expect("infra/openapi.yaml");
    serde_yaml::from_str(&text).expect("openapi.yaml is YAML")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn documented_routes(contract: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in contract["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    routes
}

fn served_routes() -> BTreeSet<(String, String)> {
    Function::ALL
        .iter()
        .flat_map(|function| function.routes().iter())
        .map(|route| (route.method.as_str().to_string(), route.path.to_string()))
        .collect()
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_listed() {
    let contract = contract();
    assert_eq!(contract["openapi"].as_str(), Some("3.1.0"));
    assert_eq!(documented_routes(&contract), served_routes());
}

/// Sends a bare request: a served route answers with anything but `not-found`.
async fn slug_of(router: &axum::Router, method: &str, path: &str) -> (StatusCode, String) {
    let uri = path.replace("{id}", "rdm-x");
    let request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let slug = body["type"]
        .as_str()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    (status, slug)
}

#[tokio::test]
async fn the_router_serves_what_the_contract_documents_and_each_function_only_its_own() {
    let harness = Harness::new(StoreKind::Sqlite, 1).await;
    for (method, path) in documented_routes(&contract()) {
        let (status, slug) = slug_of(&harness.router, &method, &path).await;
        assert!(
            slug != "not-found" && status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but not served ({status} {slug})"
        );
    }
    for function in Function::ALL {
        let router = function_app(function, harness.state.clone());
        for (method, path) in served_routes() {
            let own = function
                .routes()
                .iter()
                .any(|route| route.method.as_str() == method && route.path == path);
            let (status, slug) = slug_of(&router, &method, &path).await;
            // A path shared with another function answers 405 for the other's method.
            let refused = slug == "not-found" || status == StatusCode::METHOD_NOT_ALLOWED;
            assert_eq!(
                !refused,
                own,
                "{} serving {method} {path}: {status} {slug}",
                function.name()
            );
        }
    }
}

#[test]
fn mutations_require_an_idempotency_key_and_staff_routes_declare_bearer_auth() {
    let contract = contract();
    let key = &contract["components"]["parameters"]["IdempotencyKey"];
    assert_eq!(key["in"].as_str(), Some("header"));
    assert_eq!(key["required"].as_bool(), Some(true));
    assert_eq!(
        key["schema"]["maxLength"].as_u64(),
        Some(galeri_api::extract::MAX_IDEMPOTENCY_KEY as u64)
    );
    assert_eq!(
        contract["components"]["securitySchemes"]["bearerAuth"]["scheme"].as_str(),
        Some("bearer")
    );
    for (method, path) in served_routes() {
        let operation = &contract["paths"][path.as_str()][method.to_lowercase().as_str()];
        let parameters: Vec<String> = operation["parameters"]
            .as_sequence()
            .map(|list| {
                list.iter()
                    .filter_map(|p| p["$ref"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let has_key = parameters.iter().any(|p| p.ends_with("/IdempotencyKey"));
        let mutation =
            path == "/v1/redemptions" || path.ends_with("/refund") || path == "/v1/vouchers/void";
        assert_eq!(has_key, mutation, "{method} {path}: Idempotency-Key");
        let public = path == "/v1/balance" || path == "/v1/health";
        assert_eq!(
            operation["security"].is_null(),
            public,
            "{method} {path}: security"
        );
        // Every operation can fail; those that fail must say how, as problem+json.
        for (status, response) in operation["responses"].as_mapping().unwrap() {
            let status = status.as_str().unwrap();
            if status.starts_with('4') || status.starts_with('5') {
                let name = response["$ref"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap();
                let shared = &contract["components"]["responses"][name];
                assert!(
                    shared["content"]["application/problem+json"].is_mapping(),
                    "{method} {path} {status}"
                );
            }
        }
    }
}

#[test]
fn every_problem_type_is_in_the_contract() {
    let contract = contract();
    let description = contract["info"]["description"].as_str().unwrap();
    let money = galeri_vouchers::Money::ZERO;
    let every = [
        ApiError::Malformed {
            detail: String::new(),
            errors: vec![],
        },
        ApiError::Validation { errors: vec![] },
        ApiError::IdempotencyKey {
            detail: String::new(),
        },
        ApiError::IdempotencyConflict { redemption: None },
        ApiError::PayloadTooLarge { limit: 1 },
        ApiError::UnsupportedMediaType,
        ApiError::InvalidCode {
            detail: String::new(),
        },
        ApiError::UnknownCode,
        ApiError::Expired {
            expires_on: chrono::NaiveDate::MIN,
        },
        ApiError::Void,
        ApiError::InsufficientBalance {
            balance: money,
            total: money,
        },
        ApiError::UnknownSku { errors: vec![] },
        ApiError::UnknownRedemption,
        ApiError::AlreadyRefunded {
            refund_id: String::new(),
        },
        ApiError::Unauthorized {
            invalid_token: false,
        },
        ApiError::Forbidden,
        ApiError::TooManyLookups { retry_after: 1 },
        ApiError::NotFound,
        ApiError::MethodNotAllowed,
        ApiError::Busy,
        ApiError::Internal(String::new()),
    ];
    for error in every {
        let row = format!("| `{}` | {} |", error.slug(), error.status().as_u16());
        assert!(
            description.contains(&row),
            "openapi.yaml lacks the row {row}"
        );
    }
}

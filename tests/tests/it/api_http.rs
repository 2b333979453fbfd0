//! The voucher API through HTTP requests on the router (`galeri_api::app`), over a real store:
//! every route's success, each problem type, the auth matrix, idempotent replay, the lookup
//! limit, and bodies that must be refused without a panic or a 500. Every check runs on SQLite
//! and on DynamoDB Local.

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::api_support::{request, stranger_code, Harness, StoreKind, FACE_VALUE};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration;
use serde_json::{json, Value};

/// One `#[tokio::test]` per check and store.
macro_rules! on_both_stores {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::StoreKind::Sqlite).await
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::StoreKind::Dynamodb).await
                }
            )*
        }
    };
}

on_both_stores!(
    health_and_unknown_routes,
    balance_of_a_voucher,
    balance_refuses_bad_and_unknown_codes,
    failed_lookups_lock_out_an_address,
    failed_lookups_lock_out_a_token,
    anonymous_failures_never_stop_a_till,
    a_locked_out_till_still_gets_its_receipt,
    key_conflicts_count_as_failed_lookups,
    malformed_bodies_are_problems,
    auth_matrix,
    redemption_and_its_receipt,
    idempotent_replay_and_conflict,
    redemption_problems,
    expired_and_void_vouchers,
    refund_once,
    history_of_a_voucher,
    settlement_report,
    hostile_inputs_never_fail_the_server,
);

fn one_coffee(code: &str) -> Value {
    json!({ "code": code, "items": [{ "sku": "KOPI-DAMPIT-250", "qty": 1 }] })
}

async fn health_and_unknown_routes(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let reply = harness
        .call(Method::GET, "/v1/health", None, None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({ "status": "ok" }));
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    let reply = harness
        .call(Method::GET, "/v1/nothing-here", None, None, None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.problem(), "not-found");

    let reply = harness
        .call(Method::DELETE, "/v1/balance", None, None, None)
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.problem(), "method-not-allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
}

async fn balance_of_a_voucher(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = &harness.codes[0];
    let reply = harness.balance(&code.expose()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["hint"], code.hint());
    assert_eq!(reply.body["balance"], FACE_VALUE);
    assert_eq!(reply.body["balance_text"], "Rp50.000");
    assert_eq!(reply.body["face_value"], FACE_VALUE);
    assert_eq!(reply.body["status"], "active");
    assert_eq!(reply.body["expires_on"], "2099-12-31");
    // The code is never echoed, only its hint.
    assert!(!String::from_utf8_lossy(&reply.raw).contains(&code.expose()[4..13]));

    // Typed the way people type it: lowercase, no dashes, spaces.
    let typed = code.expose().to_lowercase().replace('-', " ");
    let reply = harness.balance(&typed).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["hint"], code.hint());
}

async fn balance_refuses_bad_and_unknown_codes(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let reply = harness.balance(&stranger_code()).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.problem(), "unknown-code");

    let printed = harness.codes[0].expose();
    // One character changed: the check character catches it before the store is asked.
    let last = printed.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &printed[..printed.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    for bad in [typo.as_str(), "MLG-123", "", "MLG-UUUU-UUUU-UUUU-UUUU"] {
        let reply = harness.balance(bad).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {reply:?}"
        );
        assert_eq!(reply.problem(), "invalid-code");
        assert_eq!(reply.body["errors"][0]["pointer"], "/code");
    }
    let long = "A".repeat(5_000);
    assert_eq!(harness.balance(&long).await.problem(), "invalid-code");
}

async fn failed_lookups_lock_out_an_address(kind: StoreKind) {
    let mut harness = Harness::new(kind, 1).await;
    harness.state.limits.failed_lookups_per_address = 3;
    harness.router = galeri_api::app(harness.state.clone());
    for _ in 0..3 {
        assert_eq!(
            harness.balance(&stranger_code()).await.problem(),
            "unknown-code"
        );
    }
    // Locked out, even for the right code: the check comes before the lookup.
    let reply = harness.balance(&harness.codes[0].expose()).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.problem(), "too-many-failed-lookups");
    let retry_after: i64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(reply.body["retry_after"], retry_after);

    // Another address is not affected.
    let body = json!({ "code": harness.codes[0].expose() });
    let other = request(
        Method::POST,
        "/v1/balance",
        None,
        None,
        Some(body),
        "203.0.113.9",
    );
    assert_eq!(harness.send(other).await.status, StatusCode::OK);

    // When the window ends, the address may try again.
    harness.advance(Duration::seconds(retry_after));
    assert_eq!(
        harness.balance(&harness.codes[0].expose()).await.status,
        StatusCode::OK
    );
}

async fn failed_lookups_lock_out_a_token(kind: StoreKind) {
    let mut harness = Harness::new(kind, 1).await;
    harness.state.limits.failed_lookups_per_token = 2;
    harness.router = galeri_api::app(harness.state.clone());
    let mut addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3"].into_iter();
    // Failures from different addresses still add up on the token.
    for _ in 0..2 {
        let body = json!({ "code": "MLG-0000" });
        let address = addresses.next().unwrap();
        let sent = request(
            Method::POST,
            "/v1/history",
            Some(&harness.cashier),
            None,
            Some(body),
            address,
        );
        assert_eq!(harness.send(sent).await.problem(), "invalid-code");
    }
    let body = one_coffee(&harness.codes[0].expose());
    let sent = request(
        Method::POST,
        "/v1/redemptions",
        Some(&harness.cashier),
        Some("after-lockout-idempotency-key"),
        Some(body),
        addresses.next().unwrap(),
    );
    let reply = harness.send(sent).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.header("retry-after").is_some());
    // Nothing was redeemed.
    let balance = harness.balance(&harness.codes[0].expose()).await;
    assert_eq!(balance.body["balance"], FACE_VALUE);
}

/// Guest Wi-Fi and the tills share one public address: anonymous guesses lock out the address
/// for anonymous lookups only; a signed-in cashier is limited by their own token alone.
async fn anonymous_failures_never_stop_a_till(kind: StoreKind) {
    let mut harness = Harness::new(kind, 1).await;
    harness.state.limits.failed_lookups_per_address = 20;
    harness.router = galeri_api::app(harness.state.clone());
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(harness.balance(&stranger_code()).await.status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        5,
        "{statuses:?}"
    );
    // Same address (the harness's), valid code, signed-in cashier: the sale goes through.
    let reply = harness
        .redeem(
            "till-after-guests-0001",
            one_coffee(&harness.codes[0].expose()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    // The address itself stays locked out for anonymous lookups.
    let anonymous = harness.balance(&harness.codes[0].expose()).await;
    assert_eq!(anonymous.status, StatusCode::TOO_MANY_REQUESTS);
}

/// A till that retries a sale that went through gets its receipt even after its token was
/// locked out by wrong codes; a new sale from it is still refused.
async fn a_locked_out_till_still_gets_its_receipt(kind: StoreKind) {
    let mut harness = Harness::new(kind, 2).await;
    harness.state.limits.failed_lookups_per_token = 2;
    harness.router = galeri_api::app(harness.state.clone());
    let code = harness.codes[0].expose();
    let first = harness
        .redeem("sale-before-lockout-1", one_coffee(&code))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    for attempt in 0..2 {
        let wrong = harness
            .redeem(
                &format!("wrong-code-attempt-{attempt}"),
                one_coffee(&stranger_code()),
            )
            .await;
        assert_eq!(wrong.problem(), "unknown-code");
    }
    let locked = harness
        .redeem(
            "new-sale-while-locked",
            one_coffee(&harness.codes[1].expose()),
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    harness.advance(Duration::seconds(5));
    let retry = harness
        .redeem("sale-before-lockout-1", one_coffee(&code))
        .await;
    assert_eq!(retry.status, StatusCode::CREATED, "{retry:?}");
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
    // Another body under that key while locked out learns nothing.
    let other = json!({ "code": code, "items": [{ "sku": "KERIPIK-10", "qty": 1 }] });
    let probing = harness.redeem("sale-before-lockout-1", other).await;
    assert_eq!(probing.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        harness.balance(&code).await.body["balance"],
        FACE_VALUE - 35_000
    );
}

/// Reusing a key for another request counts against the token like a wrong code.
async fn key_conflicts_count_as_failed_lookups(kind: StoreKind) {
    let mut harness = Harness::new(kind, 2).await;
    harness.state.limits.failed_lookups_per_token = 2;
    harness.router = galeri_api::app(harness.state.clone());
    let code = harness.codes[0].expose();
    let sale = harness
        .redeem("conflict-count-key-1", one_coffee(&code))
        .await;
    assert_eq!(sale.status, StatusCode::CREATED);
    let other = json!({ "code": code, "items": [{ "sku": "KERIPIK-10", "qty": 1 }] });
    for _ in 0..2 {
        let reply = harness.redeem("conflict-count-key-1", other.clone()).await;
        assert_eq!(reply.problem(), "idempotency-key-reused");
    }
    let next = harness
        .redeem(
            "conflict-count-key-2",
            one_coffee(&harness.codes[1].expose()),
        )
        .await;
    assert_eq!(next.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn malformed_bodies_are_problems(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let raw = |content_type: Option<&str>, body: Vec<u8>| {
        let mut builder = Request::builder().method(Method::POST).uri("/v1/balance");
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        builder.body(Body::from(body)).unwrap()
    };
    let json_type = Some("application/json");

    let reply = harness
        .send(raw(json_type, b"\xff\xfe\x00{".to_vec()))
        .await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::BAD_REQUEST, "malformed-request")
    );

    let reply = harness.send(raw(json_type, b"{\"code\": ".to_vec())).await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::BAD_REQUEST, "malformed-request")
    );

    let reply = harness
        .send(raw(json_type, br#"{"code": 12}"#.to_vec()))
        .await;
    assert_eq!(reply.problem(), "malformed-request");
    assert_eq!(reply.body["errors"][0]["pointer"], "/code");

    let reply = harness
        .send(raw(json_type, br#"{"code": "x", "pin": 1}"#.to_vec()))
        .await;
    assert_eq!(reply.problem(), "malformed-request");

    let reply = harness.send(raw(json_type, br#"{}"#.to_vec())).await;
    assert_eq!(reply.body["errors"][0]["pointer"], "/code");

    let reply = harness.send(raw(None, br#"{"code":"x"}"#.to_vec())).await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
    );

    let reply = harness
        .send(raw(Some("text/plain"), br#"{"code":"x"}"#.to_vec()))
        .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let reply = harness
        .send(raw(
            Some("application/json; charset=utf-8"),
            br#"{"code":"x"}"#.to_vec(),
        ))
        .await;
    assert_eq!(reply.problem(), "invalid-code");

    let big = format!(r#"{{"code":"{}"}}"#, "A".repeat(20_000));
    let reply = harness.send(raw(json_type, big.into_bytes())).await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large")
    );

    // A redemption with 101 lines is refused before the store is asked.
    let items: Vec<Value> = (0..101)
        .map(|i| json!({ "sku": format!("S{i}"), "qty": 1 }))
        .collect();
    let reply = harness
        .redeem(
            "too-many-idempotency-key",
            json!({ "code": harness.codes[0].expose(), "items": items }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.problem(), "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/items");
}

/// Every protected route, without a token, with a bad or revoked one, and with each role.
async fn auth_matrix(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = harness.codes[0].expose();
    // (method, path, body, least role)
    let routes: Vec<(Method, &str, Option<Value>, &str)> = vec![
        (
            Method::POST,
            "/v1/redemptions",
            Some(one_coffee(&code)),
            "cashier",
        ),
        (Method::GET, "/v1/redemptions/rdm-unknown", None, "cashier"),
        (
            Method::POST,
            "/v1/history",
            Some(json!({ "code": code })),
            "cashier",
        ),
        (
            Method::POST,
            "/v1/redemptions/rdm-unknown/refund",
            None,
            "supervisor",
        ),
        (
            Method::GET,
            "/v1/reports/settlement?from=2026-11-01&to=2026-11-30",
            None,
            "supervisor",
        ),
    ];
    let bad = format!("glr_{}", "a".repeat(32));
    for (method, path, body, least) in &routes {
        let send = async |token: Option<String>| {
            let key = format!("auth-key-{}", crate::api_support::random_hex());
            harness
                .call(
                    method.clone(),
                    path,
                    token.as_deref(),
                    Some(&key),
                    body.clone(),
                )
                .await
        };
        let reply = send(None).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path} without token"
        );
        assert_eq!(reply.problem(), "unauthorized");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"galeri\"")
        );
        for token in [bad.clone(), "not-a-token".into(), harness.revoked.clone()] {
            let reply = send(Some(token)).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
            assert!(reply
                .header("www-authenticate")
                .unwrap()
                .contains("invalid_token"));
        }
        for (role, token) in [
            ("cashier", &harness.cashier),
            ("supervisor", &harness.supervisor),
            ("admin", &harness.admin),
        ] {
            let reply = send(Some(token.clone())).await;
            let allowed = *least == "cashier" || role != "cashier";
            if allowed {
                assert!(
                    reply.status != StatusCode::UNAUTHORIZED
                        && reply.status != StatusCode::FORBIDDEN,
                    "{role} on {path}: {reply:?}"
                );
                assert!(
                    !reply.status.is_server_error(),
                    "{role} on {path}: {reply:?}"
                );
            } else {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{role} on {path}");
                assert_eq!(reply.problem(), "forbidden");
            }
        }
    }
    // A wrong scheme is not a bearer token.
    let mut sent = request(
        Method::POST,
        "/v1/history",
        None,
        None,
        Some(json!({ "code": code })),
        "192.0.2.1",
    );
    sent.headers_mut().insert(
        "authorization",
        format!("Basic {}", harness.cashier).parse().unwrap(),
    );
    assert_eq!(harness.send(sent).await.status, StatusCode::UNAUTHORIZED);
}

async fn redemption_and_its_receipt(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = harness.codes[0].expose();
    let body = json!({
        "code": code,
        "items": [{ "sku": "KOPI-DAMPIT-250", "qty": 1 }, { "sku": "KERIPIK-10", "qty": 3 }],
    });
    let reply = harness.redeem("sale-1-idempotency-key", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    assert_eq!(reply.header("idempotent-replayed"), None);
    let redemption = reply.body.clone();
    // Priced from the catalog: 35.000 + 3 × 10.000.
    assert_eq!(redemption["total"], 65_000);
    assert_eq!(redemption["voucher_paid"], 50_000);
    assert_eq!(redemption["cash_due"], 15_000);
    assert_eq!(redemption["balance_after"], 0);
    assert_eq!(redemption["code_hint"], harness.codes[0].hint());
    assert_eq!(redemption["items"][1]["unit_price"], 10_000);
    assert!(redemption["cashier"]
        .as_str()
        .unwrap()
        .contains("Kasir Sari"));
    let id = redemption["id"].as_str().unwrap().to_string();
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/redemptions/{id}").as_str())
    );
    assert!(!String::from_utf8_lossy(&reply.raw).contains(&code[4..13]));

    let receipt = harness
        .call(
            Method::GET,
            &format!("/v1/redemptions/{id}"),
            Some(&harness.cashier),
            None,
            None,
        )
        .await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert_eq!(receipt.body, redemption);

    let balance = harness.balance(&code).await;
    assert_eq!(balance.body["balance"], 0);

    let missing = harness
        .call(
            Method::GET,
            "/v1/redemptions/rdm-nope",
            Some(&harness.cashier),
            None,
            None,
        )
        .await;
    assert_eq!(missing.problem(), "unknown-redemption");
    let long = format!("/v1/redemptions/{}", "x".repeat(300));
    let missing = harness
        .call(Method::GET, &long, Some(&harness.cashier), None, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn idempotent_replay_and_conflict(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = harness.codes[0].expose();
    let first = harness
        .redeem("replay-1-idempotency-key", one_coffee(&code))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    harness.advance(Duration::seconds(5));
    let again = harness
        .redeem("replay-1-idempotency-key", one_coffee(&code))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    // Charged once.
    assert_eq!(
        harness.balance(&code).await.body["balance"],
        FACE_VALUE - 35_000
    );

    let other = json!({ "code": code, "items": [{ "sku": "KERIPIK-10", "qty": 1 }] });
    let conflict = harness.redeem("replay-1-idempotency-key", other).await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(conflict.problem(), "idempotency-key-reused");
    // The same sale (same voucher): the answer points at it instead of advising a new key.
    let location = format!("/v1/redemptions/{}", first.body["id"].as_str().unwrap());
    assert_eq!(conflict.header("location"), Some(location.as_str()));
    assert_eq!(conflict.body["location"], location.as_str());
    // Another voucher under that key: no sale of it to point at.
    let elsewhere = harness
        .redeem("replay-1-idempotency-key", one_coffee(&stranger_code()))
        .await;
    assert_eq!(elsewhere.problem(), "idempotency-key-reused");
    assert_eq!(elsewhere.header("location"), None);

    let missing = harness
        .call(
            Method::POST,
            "/v1/redemptions",
            Some(&harness.cashier),
            None,
            Some(one_coffee(&code)),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.problem(), "idempotency-key-required");
    let too_short = "k".repeat(15);
    let reply = harness.redeem(&too_short, one_coffee(&code)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.problem(), "idempotency-key-required");
    let too_long = "k".repeat(129);
    let reply = harness.redeem(&too_long, one_coffee(&code)).await;
    assert_eq!(reply.problem(), "idempotency-key-required");
    assert_eq!(
        harness.balance(&code).await.body["balance"],
        FACE_VALUE - 35_000
    );
}

async fn redemption_problems(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let code = harness.codes[0].expose();

    let no_cash = json!({ "code": code, "items": [{ "sku": "TOPENG-PANJI", "qty": 1 }], "allow_cash": false });
    let reply = harness.redeem("short-idempotency-key", no_cash).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.problem(), "insufficient-balance");
    assert_eq!(reply.body["balance"], FACE_VALUE);
    assert_eq!(reply.body["total"], 150_000);

    let unknown = json!({ "code": code, "items": [{ "sku": "KOPI-DAMPIT-250", "qty": 1 }, { "sku": "BATIK-X", "qty": 1 }] });
    let reply = harness.redeem("unknown-sku-idempotency-key", unknown).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.problem(), "unknown-sku");
    assert_eq!(reply.body["errors"][0]["pointer"], "/items/1/sku");

    let zero = json!({ "code": code, "items": [{ "sku": "KOPI-DAMPIT-250", "qty": 0 }] });
    let reply = harness.redeem("zero-idempotency-key", zero).await;
    assert_eq!(reply.problem(), "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/items/0/qty");

    let negative = json!({ "code": code, "items": [{ "sku": "KOPI-DAMPIT-250", "qty": -2 }] });
    let reply = harness.redeem("negative-idempotency-key", negative).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["errors"][0]["pointer"], "/items/0/qty");

    let empty = json!({ "code": code, "items": [] });
    assert_eq!(
        harness
            .redeem("empty-idempotency-key", empty)
            .await
            .problem(),
        "validation-failed"
    );

    let reply = harness
        .redeem("stranger-idempotency-key", one_coffee(&stranger_code()))
        .await;
    assert_eq!(reply.problem(), "unknown-code");

    // Spend it all, then a voucher with balance 0 cannot pay anything.
    let all = json!({ "code": code, "items": [{ "sku": "KERIPIK-10", "qty": 5 }] });
    assert_eq!(
        harness.redeem("all-idempotency-key", all).await.status,
        StatusCode::CREATED
    );
    let reply = harness
        .redeem("after-idempotency-key", one_coffee(&code))
        .await;
    assert_eq!(reply.problem(), "insufficient-balance");
    assert_eq!(reply.body["balance"], 0);
    // None of the refusals touched the other voucher or this one's books.
    assert_eq!(
        harness.balance(&harness.codes[1].expose()).await.body["balance"],
        FACE_VALUE
    );
}

async fn expired_and_void_vouchers(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let voided = &harness.codes[1];
    harness
        .store()
        .void_voucher(&voided.hash(&harness.pepper), harness.now())
        .await
        .unwrap();
    let reply = harness
        .redeem("void-idempotency-key", one_coffee(&voided.expose()))
        .await;
    assert_eq!(reply.problem(), "voucher-void");
    assert_eq!(
        harness.balance(&voided.expose()).await.body["status"],
        "void"
    );

    // Move the clock past the expiry date (WIB).
    let days = (crate::api_support::expires_on() - harness.now().date_naive()).num_days() + 2;
    harness.advance(Duration::days(days));
    let code = harness.codes[0].expose();
    let reply = harness
        .redeem("expired-idempotency-key", one_coffee(&code))
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.problem(), "voucher-expired");
    assert_eq!(reply.body["expires_on"], "2099-12-31");
    assert_eq!(harness.balance(&code).await.body["status"], "expired");
}

async fn refund_once(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = harness.codes[0].expose();
    let sale = harness
        .redeem("to-refund-idempotency-key", one_coffee(&code))
        .await;
    let id = sale.body["id"].as_str().unwrap().to_string();
    let path = format!("/v1/redemptions/{id}/refund");

    let missing_key = harness
        .call(Method::POST, &path, Some(&harness.supervisor), None, None)
        .await;
    assert_eq!(missing_key.problem(), "idempotency-key-required");

    let refund = harness
        .call(
            Method::POST,
            &path,
            Some(&harness.supervisor),
            Some("refund-1-idempotency-key"),
            None,
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{refund:?}");
    assert_eq!(refund.body["redemption_id"], id.as_str());
    assert_eq!(refund.body["voucher_amount"], 35_000);
    assert_eq!(refund.body["balance_after"], FACE_VALUE);
    assert!(refund.body["supervisor"]
        .as_str()
        .unwrap()
        .contains("Pak Budi"));
    assert_eq!(harness.balance(&code).await.body["balance"], FACE_VALUE);

    harness.advance(Duration::seconds(3));
    let replay = harness
        .call(
            Method::POST,
            &path,
            Some(&harness.supervisor),
            Some("refund-1-idempotency-key"),
            None,
        )
        .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body["id"], refund.body["id"]);
    // Keys are scoped per staff member: another member's identical key is their own request,
    // here a second refund of the same sale.
    let reused = harness
        .call(
            Method::POST,
            &path,
            Some(&harness.admin),
            Some("refund-1-idempotency-key"),
            None,
        )
        .await;
    assert_eq!(reused.problem(), "already-refunded");

    let twice = harness
        .call(
            Method::POST,
            &path,
            Some(&harness.supervisor),
            Some("refund-2-idempotency-key"),
            None,
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.problem(), "already-refunded");
    assert_eq!(twice.body["refund_id"], refund.body["id"]);
    assert_eq!(harness.balance(&code).await.body["balance"], FACE_VALUE);

    let receipt = harness
        .call(
            Method::GET,
            &format!("/v1/redemptions/{id}"),
            Some(&harness.cashier),
            None,
            None,
        )
        .await;
    assert_eq!(receipt.body["refund"]["id"], refund.body["id"]);

    let unknown = harness
        .call(
            Method::POST,
            "/v1/redemptions/rdm-nope/refund",
            Some(&harness.supervisor),
            Some("refund-3-idempotency-key"),
            None,
        )
        .await;
    assert_eq!(unknown.problem(), "unknown-redemption");
}

async fn history_of_a_voucher(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = harness.codes[0].expose();
    let sale = harness
        .redeem("hist-1-idempotency-key", one_coffee(&code))
        .await;
    let reply = harness
        .call(
            Method::POST,
            "/v1/history",
            Some(&harness.cashier),
            None,
            Some(json!({ "code": code })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["hint"], harness.codes[0].hint());
    let entries = reply.body["entries"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["issued", "redeemed"]);
    assert_eq!(entries[1]["amount"], 35_000);
    assert_eq!(entries[1]["balance_after"], FACE_VALUE - 35_000);
    assert_eq!(entries[1]["reference"], sale.body["id"]);

    let reply = harness
        .call(
            Method::POST,
            "/v1/history",
            Some(&harness.cashier),
            None,
            Some(json!({ "code": stranger_code() })),
        )
        .await;
    assert_eq!(reply.problem(), "unknown-code");
}

async fn settlement_report(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let first = json!({ "code": harness.codes[0].expose(), "items": [{ "sku": "TOPENG-PANJI", "qty": 1 }] });
    assert_eq!(
        harness.redeem("s-1-idempotency-key", first).await.status,
        StatusCode::CREATED
    );
    let second =
        json!({ "code": harness.codes[1].expose(), "items": [{ "sku": "KERIPIK-10", "qty": 2 }] });
    assert_eq!(
        harness.redeem("s-2-idempotency-key", second).await.status,
        StatusCode::CREATED
    );

    let today = galeri_vouchers::store::wib_date(harness.now());
    let path = format!("/v1/reports/settlement?from={today}&to={today}");
    let reply = harness
        .call(Method::GET, &path, Some(&harness.supervisor), None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["total_value"], 170_000);
    assert_eq!(reply.body["total_voucher_share"], 50_000 + 20_000);
    let rows = reply.body["rows"].as_array().unwrap();
    let producers: Vec<&str> = rows
        .iter()
        .map(|r| r["producer"].as_str().unwrap())
        .collect();
    assert_eq!(producers, ["dapur-bu-sri", "sanggar-topeng-asri"]);
    assert_eq!(rows[1]["value"], 150_000);
    assert_eq!(rows[1]["voucher_share"], 50_000);

    for (query, parameter) in [
        ("from=2026-11-30&to=2026-11-01", "to"),
        ("from=2024-01-01&to=2026-01-01", "to"),
        ("from=yesterday&to=2026-11-01", "from"),
        ("to=2026-11-01", "from"),
    ] {
        let path = format!("/v1/reports/settlement?{query}");
        let reply = harness
            .call(Method::GET, &path, Some(&harness.supervisor), None, None)
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.problem(), "validation-failed");
        assert_eq!(reply.body["errors"][0]["parameter"], parameter, "{query}");
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, length: usize) -> Vec<u8> {
        (0..length).map(|_| self.next() as u8).collect()
    }

    fn json(&mut self, depth: u32) -> Value {
        match (self.next() % 8, depth) {
            (0, _) => Value::Null,
            (1, _) => json!(self.next() % 2 == 0),
            (2, _) => json!(self.next() as i64),
            (3, _) => json!(-((self.next() % 1000) as i64)),
            (4, _) => {
                let length = (self.next() % 40) as usize;
                json!(String::from_utf8_lossy(&self.bytes(length)))
            }
            (5, 0) | (6, 0) => json!(1.5e300),
            (5, _) => Value::Array((0..self.next() % 4).map(|_| self.json(depth - 1)).collect()),
            _ => {
                let keys = ["code", "items", "sku", "qty", "allow_cash", "x"];
                let mut object = serde_json::Map::new();
                for _ in 0..self.next() % 4 {
                    let key = keys[(self.next() % keys.len() as u64) as usize];
                    object.insert(key.into(), self.json(depth.saturating_sub(1)));
                }
                Value::Object(object)
            }
        }
    }
}

async fn hostile_inputs_never_fail_the_server(kind: StoreKind) {
    let mut harness = Harness::new(kind, 1).await;
    harness.state.limits.failed_lookups_per_address = 10_000;
    harness.state.limits.failed_lookups_per_token = 10_000;
    harness.router = galeri_api::app(harness.state.clone());
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let routes = [
        (Method::POST, "/v1/balance"),
        (Method::POST, "/v1/redemptions"),
        (Method::POST, "/v1/history"),
        (Method::POST, "/v1/redemptions/x/refund"),
        (Method::GET, "/v1/reports/settlement?from=%FF&to=2026-13-45"),
    ];
    for round in 0..120 {
        let (method, path) = &routes[round % routes.len()];
        let body: Vec<u8> = if round % 3 == 0 {
            let length = (noise.next() % 200) as usize;
            noise.bytes(length)
        } else {
            noise.json(3).to_string().into_bytes()
        };
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(*path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", harness.admin))
            .header("idempotency-key", format!("fuzz-{round}"));
        if round % 4 == 0 {
            builder = builder.header("content-length", "999999999999");
        }
        let reply = harness
            .send(builder.body(Body::from(body.clone())).unwrap())
            .await;
        assert!(
            reply.status.is_client_error() || reply.status.is_success(),
            "{method} {path} {:?}: {reply:?}",
            String::from_utf8_lossy(&body)
        );
        if !reply.status.is_success() {
            reply.problem();
        }
    }
    // Still consistent afterwards.
    assert_eq!(
        harness.balance(&harness.codes[0].expose()).await.status,
        StatusCode::OK
    );
}

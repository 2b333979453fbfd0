//! Program administration over HTTP (issue 9) on the router, on SQLite and DynamoDB Local:
//! `POST /v1/vouchers/void` (supervisor, idempotent, every code checked first, never echoing a
//! code) and the settlement report on events (a refund is a negative line on its own day).

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::api_support::{stranger_code, Harness, StoreKind, FACE_VALUE};
use axum::http::{Method, StatusCode};
use chrono::Duration;
use galeri_api::handlers::{MAX_CODE_CHARS, MAX_VOID_CODES};
use galeri_vouchers::rules::MAX_REASON_CHARS;
use serde_json::json;

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
    a_supervisor_voids_codes_once,
    void_requests_are_checked_before_anything_is_voided,
    settlement_counts_a_refund_on_its_own_day,
);

const VOID: &str = "/v1/vouchers/void";

async fn a_supervisor_voids_codes_once(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let code = harness.codes[0].expose();
    let body = json!({ "codes": [code], "reason": "kartu hilang" });
    let key = Some("void-request-key-0001");

    // Cashiers cannot void.
    let reply = harness
        .call(
            Method::POST,
            VOID,
            Some(&harness.cashier),
            key,
            Some(body.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");

    let reply = harness
        .call(
            Method::POST,
            VOID,
            Some(&harness.supervisor),
            key,
            Some(body.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["voided"], 1);
    assert_eq!(reply.body["already_void"], 0);
    assert_eq!(reply.body["returned"], FACE_VALUE);
    assert_eq!(reply.body["reason"], "kartu hilang");
    assert_eq!(reply.body["vouchers"][0]["hint"], harness.codes[0].hint());
    assert_eq!(reply.body["vouchers"][0]["outcome"], "voided");
    assert_eq!(reply.header("idempotent-replayed"), None);
    // The code itself never comes back.
    assert!(!String::from_utf8_lossy(&reply.raw).contains(&code[4..13]));
    let first = reply.body.clone();

    // A retry answers the first answer.
    let reply = harness
        .call(
            Method::POST,
            VOID,
            Some(&harness.supervisor),
            key,
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body, first);
    assert_eq!(reply.header("idempotent-replayed"), Some("true"));

    // The same key with another request is a conflict.
    let other = json!({ "codes": [code], "reason": "bocor" });
    let reply = harness
        .call(
            Method::POST,
            VOID,
            Some(&harness.supervisor),
            key,
            Some(other),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
    assert_eq!(reply.problem(), "idempotency-key-reused");

    // Void at Cek Saldo and at the till; the other voucher still works.
    assert_eq!(harness.balance(&code).await.body["status"], "void");
    let sale = json!({ "code": code, "items": [{ "sku": "KOPI-DAMPIT-250", "qty": 1 }] });
    let reply = harness.redeem("after-void-sale-key-01", sale).await;
    assert_eq!(reply.problem(), "voucher-void");
    assert_eq!(
        harness.balance(&harness.codes[1].expose()).await.body["status"],
        "active"
    );
}

async fn void_requests_are_checked_before_anything_is_voided(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let code = harness.codes[0].expose();
    let last = code.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &code[..code.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    let supervisor = Some(harness.supervisor.as_str());
    let cases = [
        (
            json!({ "codes": [code, typo], "reason": "hilang" }),
            "/codes/1",
        ),
        (
            json!({ "codes": [stranger_code(), code], "reason": "hilang" }),
            "/codes/0",
        ),
        (json!({ "codes": [code], "reason": "  " }), "/reason"),
        (json!({ "codes": [], "reason": "hilang" }), "/codes"),
        // One code over the limit still fits the body: a field error, not 413.
        (
            json!({ "codes": vec!["0".repeat(MAX_CODE_CHARS); MAX_VOID_CODES + 1], "reason": "x" }),
            "/codes",
        ),
    ];
    for (index, (body, pointer)) in cases.into_iter().enumerate() {
        let key = format!("void-checked-key-{index:04}");
        let reply = harness
            .call(Method::POST, VOID, supervisor, Some(&key), Some(body))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{reply:?}");
        assert_eq!(reply.problem(), "validation-failed");
        assert_eq!(reply.body["errors"][0]["pointer"], pointer, "{reply:?}");
    }
    // Without an idempotency key, or with an unknown field, nothing happens either.
    let body = json!({ "codes": [code], "reason": "hilang" });
    let reply = harness
        .call(Method::POST, VOID, supervisor, None, Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    let body = json!({ "codes": [code], "reason": "hilang", "extra": 1 });
    let reply = harness
        .call(
            Method::POST,
            VOID,
            supervisor,
            Some("void-extra-key-0001"),
            Some(body),
        )
        .await;
    assert!(reply.status.is_client_error(), "{reply:?}");
    assert_eq!(harness.balance(&code).await.body["status"], "active");
}

async fn settlement_counts_a_refund_on_its_own_day(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let sale = json!({ "code": harness.codes[0].expose(), "items": [{ "sku": "TOPENG-PANJI", "qty": 1 }] });
    let reply = harness.redeem("settle-sale-key-0001", sale).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let id = reply.body["id"].as_str().unwrap().to_string();
    let sale_day = galeri_vouchers::store::wib_date(harness.now());
    let report = |day: chrono::NaiveDate| format!("/v1/reports/settlement?from={day}&to={day}");
    let supervisor = Some(harness.supervisor.as_str());
    let before = harness
        .call(Method::GET, &report(sale_day), supervisor, None, None)
        .await;
    assert_eq!(before.status, StatusCode::OK, "{before:?}");
    assert_eq!(before.body["total_value"], 150_000);
    assert_eq!(before.body["total_voucher_share"], FACE_VALUE);
    assert_eq!(before.body["total_cash_share"], 150_000 - FACE_VALUE);

    // Refunded two days later: the sale's day does not change, the refund's day is negative.
    harness.advance(Duration::days(2));
    let reply = harness
        .call(
            Method::POST,
            &format!("/v1/redemptions/{id}/refund"),
            supervisor,
            Some("settle-refund-key-001"),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    let after = harness
        .call(Method::GET, &report(sale_day), supervisor, None, None)
        .await;
    assert_eq!(after.body, before.body);
    let refund_day = galeri_vouchers::store::wib_date(harness.now());
    let negative = harness
        .call(Method::GET, &report(refund_day), supervisor, None, None)
        .await;
    assert_eq!(negative.body["total_value"], 0);
    assert_eq!(negative.body["total_refunds"], 150_000);
    assert_eq!(negative.body["total_refunds_voucher"], FACE_VALUE);
    assert_eq!(negative.body["total_net"], -150_000);
    assert_eq!(negative.body["rows"][0]["refunded_items"], 1);
}

/// The contract states the limits the handler applies.
#[test]
fn the_contract_states_the_void_limits() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/openapi.yaml");
    let contract: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let request = &contract["components"]["schemas"]["VoidRequest"]["properties"];
    assert_eq!(
        request["codes"]["maxItems"].as_u64(),
        Some(MAX_VOID_CODES as u64)
    );
    assert_eq!(
        request["codes"]["items"]["maxLength"].as_u64(),
        Some(MAX_CODE_CHARS as u64)
    );
    assert_eq!(
        request["reason"]["maxLength"].as_u64(),
        Some(MAX_REASON_CHARS as u64)
    );
}

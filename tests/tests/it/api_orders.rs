//! Issue 8 over HTTP (`galeri_api::app` on a real store): sales on several codes, the online
//! order routes (buyer with the order token, cashier with a bearer token), every new problem
//! type, holds in balance answers, and expiry when the clock passes a hold's end. Every check
//! runs on SQLite and on DynamoDB Local.

#![allow(clippy::expect_used, clippy::unwrap_used)] // In tests a failed expectation is the failure.

use crate::api_support::{request, stranger_code, Harness, Reply, StoreKind};
use axum::http::{Method, StatusCode};
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
    a_sale_on_several_codes,
    several_codes_problems,
    an_order_is_placed_read_and_replayed,
    order_problems,
    the_cashier_works_the_queue_and_hands_over,
    the_buyer_cancels_while_new_and_the_money_comes_back,
    an_order_past_its_hold_expires,
);

fn order_body(codes: &[String], fulfilment: &str) -> Value {
    json!({
        "codes": codes,
        "items": [{"sku": "KOPI-DAMPIT-250", "qty": 1}, {"sku": "KERIPIK-10", "qty": 3}],
        "buyer": {"name": "Sari Wulandari", "whatsapp": "0812 3456 7890", "office": "Kantor Kecamatan Dampit"},
        "fulfilment": fulfilment,
        "note": "Titip di resepsionis",
    })
}

async fn place(harness: &Harness, key: &str, body: Value) -> Reply {
    harness
        .call(Method::POST, "/v1/orders", None, Some(key), Some(body))
        .await
}

/// A request with `Authorization: Order <token>`.
async fn as_buyer(harness: &Harness, method: Method, path: &str, token: &str) -> Reply {
    let mut request = request(method, path, None, None, None, "198.51.100.7");
    request.headers_mut().insert(
        "authorization",
        format!("Order {token}").parse().expect("header"),
    );
    harness.send(request).await
}

fn code(harness: &Harness, index: usize) -> String {
    harness.codes[index].expose()
}

async fn a_sale_on_several_codes(kind: StoreKind) {
    let harness = Harness::new(kind, 3).await;
    // Rp150.000 over three Rp50.000 vouchers.
    let body = json!({
        "codes": [code(&harness, 2), code(&harness, 0), code(&harness, 1)],
        "items": [{"sku": "TOPENG-PANJI", "qty": 1}],
        "allow_cash": false,
    });
    let sale = harness.redeem("several-codes-0000001", body.clone()).await;
    assert_eq!(sale.status, StatusCode::CREATED, "{sale:?}");
    let payments = sale.body["payments"].as_array().unwrap();
    let hints: Vec<&str> = payments
        .iter()
        .map(|p| p["code_hint"].as_str().unwrap())
        .collect();
    assert_eq!(
        hints,
        [2, 0, 1]
            .map(|i| harness.codes[i].hint())
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert!(payments
        .iter()
        .all(|p| p["amount"] == 50_000 && p["balance_after"] == 0));
    assert_eq!(sale.body["voucher_paid"], 150_000);
    assert_eq!(sale.body["cash_due"], 0);
    // A retry comes later; the answer is marked as the first one's.
    harness.advance(Duration::seconds(1));
    let replay = harness.redeem("several-codes-0000001", body).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, sale.body);
    let receipt = harness
        .call(
            Method::GET,
            &format!("/v1/redemptions/{}", sale.body["id"].as_str().unwrap()),
            Some(&harness.cashier),
            None,
            None,
        )
        .await;
    assert_eq!(receipt.body, sale.body);
    // The refund returns each share.
    let refund = harness
        .call(
            Method::POST,
            &format!(
                "/v1/redemptions/{}/refund",
                sale.body["id"].as_str().unwrap()
            ),
            Some(&harness.supervisor),
            Some("several-codes-refund-01"),
            None,
        )
        .await;
    assert_eq!(refund.status, StatusCode::CREATED, "{refund:?}");
    for index in 0..3 {
        assert_eq!(
            harness.balance(&code(&harness, index)).await.body["balance"],
            50_000
        );
    }
}

async fn several_codes_problems(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let items = json!([{"sku": "KOPI-DAMPIT-250", "qty": 1}]);
    let both = json!({"code": code(&harness, 0), "codes": [code(&harness, 1)], "items": items});
    let reply = harness.redeem("several-problems-00001", both).await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation-failed")
    );
    let six = json!({"codes": vec![code(&harness, 0); 6], "items": items});
    let reply = harness.redeem("several-problems-00002", six).await;
    assert_eq!(reply.problem(), "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/codes");
    let twice = json!({"codes": [code(&harness, 0), code(&harness, 0)], "items": items});
    let reply = harness.redeem("several-problems-00003", twice).await;
    assert_eq!(reply.problem(), "validation-failed");
    let typo = json!({"codes": [code(&harness, 0), "MLG-XXXX"], "items": items});
    let reply = harness.redeem("several-problems-00004", typo).await;
    assert_eq!(reply.problem(), "invalid-code");
    let unknown = json!({"codes": [code(&harness, 0), stranger_code()], "items": items});
    let reply = harness.redeem("several-problems-00005", unknown).await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::NOT_FOUND, "unknown-code")
    );
    // Nothing was taken from the first voucher by the refused sales.
    assert_eq!(
        harness.balance(&code(&harness, 0)).await.body["balance"],
        50_000
    );
}

async fn an_order_is_placed_read_and_replayed(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let body = order_body(&[code(&harness, 0)], "delivery");
    let placed = place(&harness, "order-placed-000000001", body.clone()).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{placed:?}");
    let id = placed.body["id"].as_str().unwrap().to_string();
    let token = placed.body["order_token"].as_str().unwrap().to_string();
    assert_eq!(
        placed.header("location"),
        Some(format!("/v1/orders/{id}").as_str())
    );
    assert!(id.starts_with("P-") && id.len() == 11, "{id}");
    assert!(token.starts_with("psn_") && token.len() == 68);
    assert_eq!(placed.body["status"], "baru");
    // Rp35.000 + 3 × Rp10.000 = Rp65.000: the voucher holds 50.000, 15.000 is cash at hand-over.
    assert_eq!(placed.body["total"], 65_000);
    assert_eq!(placed.body["held"], 50_000);
    assert_eq!(placed.body["cash_due"], 15_000);
    assert_eq!(
        placed.body["holds"],
        json!([{"code_hint": harness.codes[0].hint(), "amount": 50_000}])
    );
    assert_eq!(placed.body["office"], "Kantor Kecamatan Dampit");
    assert!(placed.body.get("buyer").is_none() && placed.body.get("note").is_none());
    assert!(placed.body["expires_at"].is_string());
    let balance = harness.balance(&code(&harness, 0)).await;
    assert_eq!(
        (
            &balance.body["balance"],
            &balance.body["held"],
            &balance.body["available"]
        ),
        (&json!(50_000), &json!(50_000), &json!(0))
    );
    // A replay answers the same order and token; the hold is not taken twice.
    harness.advance(Duration::seconds(1));
    let replay = place(&harness, "order-placed-000000001", body.clone()).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, placed.body);
    // The buyer reads it with the token, without contact; staff see the contact.
    let path = format!("/v1/orders/{id}");
    let mine = as_buyer(&harness, Method::GET, &path, &token).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.get("buyer").is_none() && mine.body.get("note").is_none());
    assert_eq!(mine.body["status"], "baru");
    let staff = harness
        .call(Method::GET, &path, Some(&harness.cashier), None, None)
        .await;
    assert_eq!(staff.body["buyer"]["whatsapp"], "6281234567890");
    assert_eq!(staff.body["buyer"]["name"], "Sari Wulandari");
    assert_eq!(staff.body["note"], "Titip di resepsionis");
    // A token of another order, a malformed token, no credentials, no such order.
    let wrong = format!("psn_{}", "ab".repeat(32));
    let reply = as_buyer(&harness, Method::GET, &path, &wrong).await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::NOT_FOUND, "unknown-order")
    );
    let reply = as_buyer(&harness, Method::GET, &path, "glr_not-an-order-token").await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let reply = harness.call(Method::GET, &path, None, None, None).await;
    assert_eq!(reply.problem(), "unauthorized");
    let reply = harness
        .call(
            Method::GET,
            "/v1/orders/P-0000-0000",
            Some(&harness.cashier),
            None,
            None,
        )
        .await;
    assert_eq!(reply.problem(), "unknown-order");
}

async fn order_problems(kind: StoreKind) {
    let harness = Harness::new(kind, 2).await;
    let codes = [code(&harness, 0)];
    let reply = harness
        .call(
            Method::POST,
            "/v1/orders",
            None,
            None,
            Some(order_body(&codes, "pickup")),
        )
        .await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::BAD_REQUEST, "idempotency-key-required")
    );
    let mut no_office = order_body(&codes, "delivery");
    no_office["buyer"].as_object_mut().unwrap().remove("office");
    let reply = place(&harness, "order-problem-00000001", no_office).await;
    assert_eq!(reply.problem(), "validation-failed");
    assert_eq!(reply.body["errors"][0]["pointer"], "/buyer/office");
    let mut bad_number = order_body(&codes, "pickup");
    bad_number["buyer"]["whatsapp"] = json!("12345");
    let reply = place(&harness, "order-problem-00000002", bad_number).await;
    assert_eq!(reply.body["errors"][0]["pointer"], "/buyer/whatsapp");
    let mut unknown_sku = order_body(&codes, "pickup");
    unknown_sku["items"] = json!([{"sku": "KOPI-DAMPIT-250", "qty": 1}, {"sku": "GONE", "qty": 1}]);
    let reply = place(&harness, "order-problem-00000003", unknown_sku).await;
    assert_eq!(reply.problem(), "unknown-sku");
    assert_eq!(reply.body["errors"][0]["pointer"], "/items/1/sku");
    let reply = place(
        &harness,
        "order-problem-00000004",
        order_body(&[stranger_code()], "pickup"),
    )
    .await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::NOT_FOUND, "unknown-code")
    );
    let reply = place(&harness, "order-problem-00000005", json!({"codes": codes})).await;
    assert_eq!(reply.problem(), "malformed-request");
    // The voucher held in full: the next order on it has nothing to hold.
    let first = place(
        &harness,
        "order-problem-00000006",
        order_body(&codes, "pickup"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let reply = place(
        &harness,
        "order-problem-00000007",
        order_body(&codes, "pickup"),
    )
    .await;
    assert_eq!(reply.problem(), "insufficient-balance");
    assert_eq!(reply.body["balance"], 0);
    // The same key with another body.
    let reply = place(
        &harness,
        "order-problem-00000006",
        order_body(&[code(&harness, 1)], "pickup"),
    )
    .await;
    assert_eq!(reply.problem(), "idempotency-key-reused");
    // A sale cannot spend what the order holds.
    let sale = harness
        .redeem(
            "order-problem-sale-0001",
            json!({"code": codes[0], "items": [{"sku": "KERIPIK-10", "qty": 1}]}),
        )
        .await;
    assert_eq!(sale.problem(), "insufficient-balance");
    // Not JSON.
    let mut raw = request(
        Method::POST,
        "/v1/orders",
        None,
        Some("order-problem-00000008"),
        None,
        "198.51.100.7",
    );
    *raw.body_mut() = axum::body::Body::from("codes=1");
    let reply = harness.send(raw).await;
    assert_eq!(reply.problem(), "unsupported-media-type");
}

async fn the_cashier_works_the_queue_and_hands_over(kind: StoreKind) {
    let harness = Harness::new(kind, 3).await;
    let first = place(
        &harness,
        "queue-order-0000000001",
        order_body(&[code(&harness, 0)], "pickup"),
    )
    .await;
    harness.advance(Duration::seconds(1));
    let second = place(
        &harness,
        "queue-order-0000000002",
        order_body(&[code(&harness, 1), code(&harness, 2)], "delivery"),
    )
    .await;
    let (first, second) = (
        first.body["id"].as_str().unwrap().to_string(),
        second.body["id"].as_str().unwrap().to_string(),
    );
    let cashier = Some(harness.cashier.as_str());
    let queue = harness
        .call(Method::GET, "/v1/orders", cashier, None, None)
        .await;
    assert_eq!(queue.status, StatusCode::OK);
    let ids: Vec<&str> = queue.body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "oldest first");
    assert_eq!(queue.body["orders"][0]["buyer"]["name"], "Sari Wulandari");
    let reply = harness
        .call(Method::GET, "/v1/orders?status=lama", cashier, None, None)
        .await;
    assert_eq!(reply.problem(), "validation-failed");
    let reply = harness
        .call(Method::GET, "/v1/orders", None, None, None)
        .await;
    assert_eq!(reply.problem(), "unauthorized");
    // Forward to siap; not back.
    let status = |to: &str| Some(json!({ "status": to }));
    let path = format!("/v1/orders/{second}");
    let ready = harness
        .call(
            Method::POST,
            &format!("{path}/status"),
            cashier,
            None,
            status("siap"),
        )
        .await;
    assert_eq!(
        (ready.status, &ready.body["status"]),
        (StatusCode::OK, &json!("siap"))
    );
    let back = harness
        .call(
            Method::POST,
            &format!("{path}/status"),
            cashier,
            None,
            status("diproses"),
        )
        .await;
    assert_eq!(
        (back.status, back.problem().as_str()),
        (StatusCode::CONFLICT, "order-conflict")
    );
    assert_eq!(back.body["order_status"], "siap");
    let reply = harness
        .call(
            Method::POST,
            &format!("{path}/status"),
            cashier,
            None,
            status("selesai"),
        )
        .await;
    assert_eq!(reply.problem(), "validation-failed");
    let ready_queue = harness
        .call(Method::GET, "/v1/orders?status=siap", cashier, None, None)
        .await;
    assert_eq!(ready_queue.body["orders"].as_array().unwrap().len(), 1);
    // Hand-over without one keripik: Rp35.000 + 2 × Rp10.000 from the two vouchers' holds.
    let complete = format!("{path}/complete");
    let reply = harness
        .call(Method::POST, &complete, cashier, None, None)
        .await;
    assert_eq!(reply.problem(), "idempotency-key-required");
    let items = Some(
        json!({"items": [{"sku": "KOPI-DAMPIT-250", "qty": 1}, {"sku": "KERIPIK-10", "qty": 2}]}),
    );
    let sale = harness
        .call(
            Method::POST,
            &complete,
            cashier,
            Some("queue-complete-00000001"),
            items.clone(),
        )
        .await;
    assert_eq!(sale.status, StatusCode::CREATED, "{sale:?}");
    assert_eq!(sale.body["order_id"], second.as_str());
    assert_eq!(sale.body["total"], 55_000);
    assert_eq!(sale.body["payments"][0]["amount"], 50_000);
    assert_eq!(sale.body["payments"][1]["amount"], 5_000);
    let location = format!("/v1/redemptions/{}", sale.body["id"].as_str().unwrap());
    assert_eq!(sale.header("location"), Some(location.as_str()));
    harness.advance(Duration::seconds(1));
    let replay = harness
        .call(
            Method::POST,
            &complete,
            cashier,
            Some("queue-complete-00000001"),
            items,
        )
        .await;
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(replay.body, sale.body);
    let again = harness
        .call(
            Method::POST,
            &complete,
            cashier,
            Some("queue-complete-00000002"),
            None,
        )
        .await;
    assert_eq!(
        (again.problem().as_str(), &again.body["order_status"]),
        ("order-conflict", &json!("selesai"))
    );
    let done = harness.call(Method::GET, &path, cashier, None, None).await;
    assert_eq!(done.body["status"], "selesai");
    assert_eq!(done.body["redemption_id"], sale.body["id"]);
    let balances: Vec<Value> = {
        let mut all = Vec::new();
        for index in [1, 2] {
            let reply = harness.balance(&code(&harness, index)).await;
            all.push(json!([reply.body["balance"], reply.body["held"]]));
        }
        all
    };
    assert_eq!(balances, [json!([0, 0]), json!([45_000, 0])]);
    // Handing over more than ordered is refused, and the order stays open.
    let reply = harness
        .call(
            Method::POST,
            &format!("/v1/orders/{first}/complete"),
            cashier,
            Some("queue-complete-00000003"),
            Some(json!({"items": [{"sku": "KERIPIK-10", "qty": 9}]})),
        )
        .await;
    assert_eq!(reply.problem(), "validation-failed");
    let cancelled = harness
        .call(
            Method::POST,
            &format!("/v1/orders/{first}/cancel"),
            cashier,
            None,
            None,
        )
        .await;
    assert_eq!(cancelled.body["status"], "batal");
    assert_eq!(
        harness.balance(&code(&harness, 0)).await.body["available"],
        50_000
    );
}

async fn the_buyer_cancels_while_new_and_the_money_comes_back(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let placed = place(
        &harness,
        "buyer-cancel-000000001",
        order_body(&[code(&harness, 0)], "pickup"),
    )
    .await;
    let id = placed.body["id"].as_str().unwrap().to_string();
    let token = placed.body["order_token"].as_str().unwrap().to_string();
    assert_eq!(
        harness.balance(&code(&harness, 0)).await.body["available"],
        0
    );
    let cancel = format!("/v1/orders/{id}/cancel");
    let wrong = format!("psn_{}", "cd".repeat(32));
    let reply = as_buyer(&harness, Method::POST, &cancel, &wrong).await;
    assert_eq!(reply.problem(), "unknown-order");
    let cancelled = as_buyer(&harness, Method::POST, &cancel, &token).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    assert_eq!(cancelled.body["status"], "batal");
    assert!(cancelled.body.get("buyer").is_none());
    let again = as_buyer(&harness, Method::POST, &cancel, &token).await;
    assert_eq!(
        (again.status, &again.body["status"]),
        (StatusCode::OK, &json!("batal"))
    );
    let balance = harness.balance(&code(&harness, 0)).await;
    assert_eq!(
        (&balance.body["held"], &balance.body["available"]),
        (&json!(0), &json!(50_000))
    );
    // Once the gallery works on an order, the buyer can no longer cancel it.
    let placed = place(
        &harness,
        "buyer-cancel-000000002",
        order_body(&[code(&harness, 0)], "pickup"),
    )
    .await;
    let id = placed.body["id"].as_str().unwrap();
    let token = placed.body["order_token"].as_str().unwrap();
    let moved = harness
        .call(
            Method::POST,
            &format!("/v1/orders/{id}/status"),
            Some(&harness.cashier),
            None,
            Some(json!({"status": "diproses"})),
        )
        .await;
    assert_eq!(moved.body["status"], "diproses");
    let reply = as_buyer(
        &harness,
        Method::POST,
        &format!("/v1/orders/{id}/cancel"),
        token,
    )
    .await;
    assert_eq!(
        (reply.status, reply.problem().as_str()),
        (StatusCode::CONFLICT, "order-conflict")
    );
}

async fn an_order_past_its_hold_expires(kind: StoreKind) {
    let harness = Harness::new(kind, 1).await;
    let placed = place(
        &harness,
        "expiring-order-0000001",
        order_body(&[code(&harness, 0)], "pickup"),
    )
    .await;
    let id = placed.body["id"].as_str().unwrap();
    let token = placed.body["order_token"].as_str().unwrap();
    harness.advance(Duration::days(3));
    assert_eq!(
        harness.balance(&code(&harness, 0)).await.body["held"],
        50_000,
        "held through the third day after"
    );
    harness.advance(Duration::days(2));
    assert_eq!(
        harness.balance(&code(&harness, 0)).await.body["available"],
        50_000
    );
    let mine = as_buyer(&harness, Method::GET, &format!("/v1/orders/{id}"), token).await;
    assert_eq!(mine.body["status"], "kedaluwarsa");
    assert!(mine.body["closed_at"].is_string());
    let reply = harness
        .call(
            Method::POST,
            &format!("/v1/orders/{id}/complete"),
            Some(&harness.cashier),
            Some("expiring-complete-00001"),
            None,
        )
        .await;
    assert_eq!(reply.body["order_status"], "kedaluwarsa");
    let sale = harness
        .redeem("expiring-sale-00000001", json!({"code": code(&harness, 0), "items": [{"sku": "KERIPIK-10", "qty": 5}], "allow_cash": false}))
        .await;
    assert_eq!(sale.status, StatusCode::CREATED, "{sale:?}");
}

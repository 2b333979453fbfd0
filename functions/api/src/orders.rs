//! The online-order routes: a buyer places an order with voucher codes (the money is held on
//! the vouchers), reads and cancels it with the order token; the cashier works the queue,
//! moves orders forward and completes them at hand-over (the hold becomes a redemption).
//!
//! The buyer's name, WhatsApp number and note are personal data: answered to staff only, and
//! never logged (the request bodies have no `Debug`, the log lines name the order only).

use crate::auth::Staff;
use crate::extract::{ClientAddress, IdempotencyKey, JsonBody, OptionalJsonBody, PathParameter};
use crate::handlers::{
    check_items, created, guarded_codes, validate_codes, Cashier, ItemBody, MAX_ID_CHARS,
};
use crate::lookup::LookupGuard;
use crate::problem::{redemption_location, ApiError, FieldError};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::{header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::Json;
use galeri_vouchers::ledger::{MAX_NAME_CHARS, MAX_NOTE_CHARS};
use galeri_vouchers::model::{
    normalize_whatsapp, Buyer, Fulfilment, LineRequest, Order, OrderStatus, Role,
};
use galeri_vouchers::{CompleteRequest, OrderAccess, OrderRequest, TypedCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Printed in front of every order token.
pub const ORDER_TOKEN_PREFIX: &str = "psn_";
/// Hex characters after the prefix (HMAC-SHA256).
const ORDER_TOKEN_HEX: usize = 64;
/// Longest WhatsApp number text accepted before normalizing.
const MAX_WHATSAPP_CHARS: usize = 32;

/// `buyer` of an order request. No `Debug`: it is personal data.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyerBody {
    pub name: String,
    pub whatsapp: String,
    #[serde(default)]
    pub office: Option<String>,
}

/// The body of `POST /v1/orders`. No `Debug`: it holds codes and personal data.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    pub codes: Vec<TypedCode>,
    pub items: Vec<ItemBody>,
    pub buyer: BuyerBody,
    pub fulfilment: Fulfilment,
    #[serde(default)]
    pub note: Option<String>,
}

/// The body of `POST /v1/orders/{id}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    pub status: String,
}

/// The body of `POST /v1/orders/{id}/complete` (optional).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    #[serde(default)]
    pub items: Option<Vec<ItemBody>>,
}

/// The 201 of `POST /v1/orders`: the buyer's view of the order and its token.
#[derive(Serialize)]
struct Placed<'a> {
    #[serde(flatten)]
    order: &'a Order,
    order_token: &'a str,
}

/// Who calls an order route: the buyer with `Authorization: Order psn_…`, or staff (at least
/// a cashier) with their bearer token.
pub enum OrderCaller {
    Buyer(String),
    Staff(Staff),
}

impl OrderCaller {
    fn access(&self) -> OrderAccess<'_> {
        match self {
            OrderCaller::Buyer(token) => OrderAccess::Buyer { token },
            OrderCaller::Staff(_) => OrderAccess::Staff,
        }
    }

    /// The order as this caller may see it: the buyer sees neither contact nor note.
    fn view(&self, mut order: Order) -> Order {
        if let OrderCaller::Buyer(_) = self {
            order.buyer = None;
            order.note = None;
        }
        order
    }
}

impl FromRequestParts<AppState> for OrderCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let scheme = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.split_once(' '))
            .map(|(scheme, token)| (scheme.to_string(), token.trim().to_string()));
        match scheme {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("order") => {
                let well_formed = token.strip_prefix(ORDER_TOKEN_PREFIX).is_some_and(|hex| {
                    hex.len() == ORDER_TOKEN_HEX && hex.bytes().all(|b| b.is_ascii_hexdigit())
                });
                if well_formed {
                    Ok(OrderCaller::Buyer(token))
                } else {
                    Err(ApiError::Unauthorized {
                        invalid_token: true,
                    })
                }
            }
            _ => {
                let staff = Staff::from_request_parts(parts, state).await?;
                staff.require(Role::Cashier)?;
                Ok(OrderCaller::Staff(staff))
            }
        }
    }
}

/// Refuses ids that cannot be an order's before they reach the store.
fn check_order_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(ApiError::UnknownOrder);
    }
    Ok(())
}

fn order_location(id: &str) -> String {
    format!("/v1/orders/{id}")
}

/// Field errors of an order body that need no lookup, each pointing at its field.
fn validate_order(body: &OrderBody, max_items: usize) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    validate_codes(&body.codes, &mut errors);
    if let Err(ApiError::Validation { errors: more }) = check_items(&body.items, max_items) {
        errors.extend(more);
    }
    let name = body.buyer.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::pointer(
            "/buyer/name",
            format!("nama wajib diisi, paling banyak {MAX_NAME_CHARS} karakter"),
        ));
    }
    if body.buyer.whatsapp.chars().count() > MAX_WHATSAPP_CHARS
        || normalize_whatsapp(&body.buyer.whatsapp).is_none()
    {
        errors.push(FieldError::pointer(
            "/buyer/whatsapp",
            "nomor WhatsApp tidak valid (contoh 0812 3456 7890)",
        ));
    }
    let office = body.buyer.office.as_deref().map(str::trim).unwrap_or("");
    if office.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::pointer(
            "/buyer/office",
            format!("paling banyak {MAX_NAME_CHARS} karakter"),
        ));
    }
    if body.fulfilment == Fulfilment::Delivery && office.is_empty() {
        errors.push(FieldError::pointer(
            "/buyer/office",
            "kantor tujuan wajib diisi untuk diantar",
        ));
    }
    if body
        .note
        .as_deref()
        .is_some_and(|note| note.chars().count() > MAX_NOTE_CHARS)
    {
        errors.push(FieldError::pointer(
            "/note",
            format!("paling banyak {MAX_NOTE_CHARS} karakter"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors })
    }
}

fn lines(items: &[ItemBody]) -> Vec<LineRequest> {
    items
        .iter()
        .map(|item| LineRequest {
            sku: item.sku.trim().to_string(),
            qty: item.qty,
        })
        .collect()
}

/// `POST /v1/orders`: anyone with voucher codes places an order (failed code lookups counted
/// per address, like the balance check).
pub async fn place_order(
    State(state): State<AppState>,
    address: ClientAddress,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<OrderBody>,
) -> Result<Response, ApiError> {
    validate_order(&body, state.limits.max_items)?;
    let now = state.now();
    let guard = LookupGuard::new(&state, &address.0, None);
    let items = lines(&body.items);
    let buyer = Buyer {
        name: body.buyer.name.clone(),
        whatsapp: body.buyer.whatsapp.clone(),
        office: body.buyer.office.clone(),
    };
    let placed = guarded_codes(&state, &guard, now, &body.codes, async |codes| {
        let request = OrderRequest {
            idempotency_key: key.clone(),
            codes,
            items,
            buyer,
            fulfilment: body.fulfilment,
            note: body.note.clone(),
        };
        Ok(state.ledger.place_order(&request, now).await?)
    })
    .await?;
    let order = OrderCaller::Buyer(String::new()).view(placed.order);
    tracing::info!(order = %order.id, total = order.total.rupiah(), held = order.held.rupiah(), "order placed");
    let replayed = order.created_at != now;
    Ok(created(
        order_location(&order.id),
        replayed,
        &Placed {
            order: &order,
            order_token: &placed.token,
        },
    ))
}

/// `GET /v1/orders/{id}`: the buyer (with the order token) or staff.
pub async fn order(
    State(state): State<AppState>,
    caller: OrderCaller,
    PathParameter(id): PathParameter,
) -> Result<Json<Order>, ApiError> {
    check_order_id(&id)?;
    let order = state
        .ledger
        .order(&id, caller.access(), state.now())
        .await?;
    Ok(Json(caller.view(order)))
}

/// The orders of `GET /v1/orders`.
#[derive(Serialize)]
pub struct OrderList {
    pub orders: Vec<Order>,
}

/// Reads `status` (a comma-separated list; default the open statuses).
fn statuses(query: &HashMap<String, String>) -> Result<Vec<OrderStatus>, ApiError> {
    let Some(text) = query.get("status") else {
        return Ok(OrderStatus::OPEN.to_vec());
    };
    let mut statuses = Vec::new();
    for name in text.split(',') {
        match OrderStatus::parse(name.trim()) {
            Some(status) if !statuses.contains(&status) => statuses.push(status),
            Some(_) => {}
            None => {
                return Err(ApiError::Validation {
                    errors: vec![FieldError::parameter(
                        "status",
                        "baru, diproses, siap, selesai, batal atau kedaluwarsa (dipisah koma)",
                    )],
                })
            }
        }
    }
    Ok(statuses)
}

/// `GET /v1/orders?status=…`: the cashier's queue, oldest first, with buyer contact.
pub async fn orders(
    State(state): State<AppState>,
    Cashier(_staff): Cashier,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<OrderList>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::Malformed {
        detail: "Parameter query tidak dapat dibaca.".into(),
        errors: vec![FieldError::parameter("", rejection.body_text())],
    })?;
    let statuses = statuses(&query)?;
    let orders = state.ledger.orders(&statuses, state.now()).await?;
    Ok(Json(OrderList { orders }))
}

/// `POST /v1/orders/{id}/status`: the cashier moves an order to `diproses` or `siap`.
pub async fn order_status(
    State(state): State<AppState>,
    Cashier(_staff): Cashier,
    PathParameter(id): PathParameter,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<Json<Order>, ApiError> {
    check_order_id(&id)?;
    let to = match OrderStatus::parse(&body.status) {
        Some(status @ (OrderStatus::Diproses | OrderStatus::Siap)) => status,
        _ => {
            return Err(ApiError::Validation {
                errors: vec![FieldError::pointer("/status", "diproses atau siap")],
            })
        }
    };
    let order = state.ledger.move_order(&id, to, state.now()).await?;
    tracing::info!(order = %order.id, status = order.status.as_str(), "order moved");
    Ok(Json(order))
}

/// `POST /v1/orders/{id}/cancel`: the buyer while `baru`, or staff; releases the hold.
pub async fn cancel_order(
    State(state): State<AppState>,
    caller: OrderCaller,
    PathParameter(id): PathParameter,
) -> Result<Json<Order>, ApiError> {
    check_order_id(&id)?;
    let order = state
        .ledger
        .cancel_order(&id, caller.access(), state.now())
        .await?;
    tracing::info!(order = %order.id, status = order.status.as_str(), "order cancelled");
    Ok(Json(caller.view(order)))
}

/// `POST /v1/orders/{id}/complete`: the cashier hands the order over; the hold becomes a
/// redemption linked to the order.
pub async fn complete_order(
    State(state): State<AppState>,
    Cashier(staff): Cashier,
    IdempotencyKey(key): IdempotencyKey,
    PathParameter(id): PathParameter,
    OptionalJsonBody(body): OptionalJsonBody<CompleteBody>,
) -> Result<Response, ApiError> {
    check_order_id(&id)?;
    let items = body.and_then(|body| body.items);
    if let Some(items) = &items {
        check_items(items, state.limits.max_items)?;
    }
    let now = state.now();
    let request = CompleteRequest {
        idempotency_key: key,
        cashier: staff.label(),
        member: staff.name.clone(),
        order_id: id,
        items: items.as_deref().map(lines),
    };
    let redemption = state.ledger.complete_order(&request, now).await?;
    tracing::info!(order = %request.order_id, redemption = %redemption.id, "order completed");
    let replayed = redemption.created_at != now;
    Ok(created(redemption_location(&redemption.id), replayed, &redemption).into_response())
}

//! The route handlers and the JSON shapes they read and write. Records the ledger returns
//! (redemption, refund, ledger entries, settlement) are answered as the model serializes them.

use crate::auth::Staff;
use crate::extract::{ClientAddress, IdempotencyKey, JsonBody, PathParameter};
use crate::lookup::{is_failed_lookup, LookupGuard};
use crate::problem::{redemption_location, ApiError, FieldError};
use crate::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use galeri_vouchers::ledger::MAX_QTY;
use galeri_vouchers::model::{LedgerEntry, LineRequest, Role, Settlement, Voucher, VoucherStatus};
use galeri_vouchers::rules::MAX_REASON_CHARS;
use galeri_vouchers::store::wib_date;
use galeri_vouchers::{Money, RedeemRequest, RefundRequest, TypedCode, VoucherCode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Longest voucher code text accepted (a code is 23 characters printed; spaces are forgiven).
pub const MAX_CODE_CHARS: usize = 64;
/// Longest SKU accepted.
pub const MAX_SKU_CHARS: usize = 64;
/// Longest redemption id accepted in a path.
pub const MAX_ID_CHARS: usize = 64;
/// Response header set when a mutation's answer is the stored answer of an earlier request.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// `{code}`: the body of the balance and history lookups.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: TypedCode,
}

/// One line of a redemption request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    pub sku: String,
    pub qty: u32,
}

/// The body of `POST /v1/redemptions`. Prices are never taken from the client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedemptionBody {
    pub code: TypedCode,
    pub items: Vec<ItemBody>,
    /// Whether the buyer pays in cash what the voucher does not cover.
    #[serde(default = "default_allow_cash")]
    pub allow_cash: bool,
}

fn default_allow_cash() -> bool {
    true
}

/// What the public balance check shows.
#[derive(Debug, Serialize)]
pub struct BalanceView {
    /// Last four characters of the code.
    pub hint: String,
    pub balance: Money,
    /// The balance as people read it: `Rp50.000`.
    pub balance_text: String,
    pub face_value: Money,
    /// `active`, `expired` or `void`.
    pub status: &'static str,
    /// Last day (WIB) the voucher can be spent.
    pub expires_on: NaiveDate,
    /// A demo voucher (`galeri serve --demo`), not real money.
    pub demo: bool,
}

impl BalanceView {
    fn new(voucher: Voucher, now: DateTime<Utc>) -> BalanceView {
        let status = match voucher.status {
            VoucherStatus::Void => "void",
            VoucherStatus::Active if wib_date(now) > voucher.expires_on => "expired",
            VoucherStatus::Active => "active",
        };
        BalanceView {
            demo: voucher.is_demo(),
            hint: voucher.hint,
            balance: voucher.balance,
            balance_text: voucher.balance.format(),
            face_value: voucher.face_value,
            status,
            expires_on: voucher.expires_on,
        }
    }
}

/// A voucher's history: its hint and ledger entries, oldest first.
#[derive(Debug, Serialize)]
pub struct HistoryView {
    pub hint: String,
    pub entries: Vec<LedgerEntry>,
    /// A demo voucher (`galeri serve --demo`), not real money.
    pub demo: bool,
}

/// A staff member with at least the cashier role (401 / 403 before anything else is read).
pub struct Cashier(pub Staff);
/// A staff member with at least the supervisor role.
pub struct Supervisor(pub Staff);

impl FromRequestParts<AppState> for Cashier {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        staff.require(Role::Cashier)?;
        Ok(Cashier(staff))
    }
}

impl FromRequestParts<AppState> for Supervisor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        staff.require(Role::Supervisor)?;
        Ok(Supervisor(staff))
    }
}

/// Reads a typed code; every failure is `InvalidCode` (and counts as a failed lookup).
fn parse_code(text: &str) -> Result<VoucherCode, ApiError> {
    if text.chars().count() > MAX_CODE_CHARS {
        return Err(ApiError::InvalidCode {
            detail: format!(
                "kode voucher terlalu panjang (paling banyak {MAX_CODE_CHARS} karakter)"
            ),
        });
    }
    VoucherCode::parse(text).map_err(|error| ApiError::InvalidCode {
        detail: error.to_string(),
    })
}

/// Runs a code lookup under the anti-enumeration guard: a slot is reserved first (429 while
/// locked out); a failure caused by a wrong code keeps it, anything else gives it back.
async fn guarded<T>(
    state: &AppState,
    guard: &LookupGuard,
    now: DateTime<Utc>,
    code: &str,
    lookup: impl AsyncFnOnce(VoucherCode) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    guard.reserve(state, now).await?;
    let result = match parse_code(code) {
        Ok(code) => lookup(code).await,
        Err(error) => Err(error),
    };
    match &result {
        Err(error) if is_failed_lookup(error) => {}
        _ => guard.release(state, now).await,
    }
    result
}

/// `GET /v1/health`: liveness.
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `POST /v1/balance`: anyone, rate limited per address.
pub async fn balance(
    State(state): State<AppState>,
    address: ClientAddress,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<Json<BalanceView>, ApiError> {
    let now = state.now();
    let guard = LookupGuard::new(&state, &address.0, None);
    let voucher = guarded(&state, &guard, now, &body.code.0, async |code| {
        Ok(state.ledger.balance(&code).await?)
    })
    .await?;
    Ok(Json(BalanceView::new(voucher, now)))
}

/// Field errors of a redemption body that need no lookup.
fn validate_items(body: &RedemptionBody, max_items: usize) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if body.items.is_empty() {
        errors.push(FieldError::pointer("/items", "paling sedikit satu produk"));
    }
    if body.items.len() > max_items {
        errors.push(FieldError::pointer(
            "/items",
            format!("paling banyak {max_items} baris produk"),
        ));
    }
    for (index, item) in body.items.iter().enumerate().take(max_items) {
        if item.sku.trim().is_empty() || item.sku.chars().count() > MAX_SKU_CHARS {
            errors.push(FieldError::pointer(
                format!("/items/{index}/sku"),
                format!("SKU harus 1–{MAX_SKU_CHARS} karakter"),
            ));
        }
        if item.qty == 0 || item.qty > MAX_QTY {
            errors.push(FieldError::pointer(
                format!("/items/{index}/qty"),
                format!("jumlah harus 1–{MAX_QTY}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors })
    }
}

/// A 201 for a created resource, marked when it is the replay of an earlier request.
fn created<T: Serialize>(location: String, replayed: bool, body: &T) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// `POST /v1/redemptions`: a cashier redeems a voucher for line items priced from the catalog.
pub async fn redeem(
    State(state): State<AppState>,
    Cashier(staff): Cashier,
    address: ClientAddress,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<RedemptionBody>,
) -> Result<Response, ApiError> {
    validate_items(&body, state.limits.max_items)?;
    let now = state.now();
    let guard = LookupGuard::new(&state, &address.0, Some(&staff.id));
    let items: Vec<LineRequest> = body
        .items
        .iter()
        .map(|item| LineRequest {
            sku: item.sku.trim().to_string(),
            qty: item.qty,
        })
        .collect();
    let cashier = staff.label();
    let make_request = |code: VoucherCode| RedeemRequest {
        idempotency_key: key.clone(),
        cashier: cashier.clone(),
        member: staff.name.clone(),
        code,
        items: items.clone(),
        allow_cash: body.allow_cash,
    };
    let outcome = guarded(&state, &guard, now, &body.code.0, async |code| {
        Ok(state.ledger.redeem(&make_request(code), now).await?)
    })
    .await;
    let redemption = match outcome {
        Ok(redemption) => redemption,
        // Locked out, but a retry of a sale that went through still gets its receipt: the
        // stored answer is read without touching the voucher, and nothing else is revealed.
        Err(locked @ ApiError::TooManyLookups { .. }) => {
            let replay = match parse_code(&body.code.0) {
                Ok(code) => state.ledger.replay(&make_request(code), now).await,
                Err(_) => Ok(None),
            };
            match replay {
                Ok(Some(redemption)) => redemption,
                _ => return Err(locked),
            }
        }
        Err(error) => return Err(error),
    };
    tracing::info!(
        redemption = %redemption.id,
        hint = %redemption.code_hint,
        total = redemption.total.rupiah(),
        "redeemed"
    );
    // A fresh redemption carries the `now` given to the ledger; a replay carries the first's.
    let replayed = redemption.created_at != now;
    let location = redemption_location(&redemption.id);
    Ok(created(location, replayed, &redemption))
}

/// Refuses ids that cannot be a redemption's before they reach the store.
fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return Err(ApiError::UnknownRedemption);
    }
    Ok(())
}

/// `GET /v1/redemptions/{id}`: one redemption, as a receipt.
pub async fn redemption(
    State(state): State<AppState>,
    Cashier(_staff): Cashier,
    PathParameter(id): PathParameter,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let redemption = state.ledger.redemption(&id).await?;
    Ok(Json(redemption).into_response())
}

/// `POST /v1/redemptions/{id}/refund`: a supervisor reverses a whole redemption once.
pub async fn refund(
    State(state): State<AppState>,
    Supervisor(staff): Supervisor,
    IdempotencyKey(key): IdempotencyKey,
    PathParameter(id): PathParameter,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let now = state.now();
    let request = RefundRequest {
        idempotency_key: key,
        supervisor: staff.label(),
        member: staff.name.clone(),
        redemption_id: id.clone(),
    };
    let refund = state.ledger.refund(&request, now).await?;
    tracing::info!(redemption = %id, refund = %refund.id, "refunded");
    let replayed = refund.created_at != now;
    Ok(created(format!("/v1/redemptions/{id}"), replayed, &refund))
}

/// `POST /v1/history`: a voucher's ledger, for a cashier.
pub async fn history(
    State(state): State<AppState>,
    Cashier(staff): Cashier,
    address: ClientAddress,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<Json<HistoryView>, ApiError> {
    let now = state.now();
    let guard = LookupGuard::new(&state, &address.0, Some(&staff.id));
    let view = guarded(&state, &guard, now, &body.code.0, async |code| {
        // `balance` first, so an unknown code is refused the same way on every store.
        let voucher = state.ledger.balance(&code).await?;
        let entries = state.ledger.history(&code).await?;
        Ok(HistoryView {
            demo: voucher.is_demo(),
            hint: voucher.hint,
            entries,
        })
    })
    .await?;
    Ok(Json(view))
}

/// Most codes in one void request over HTTP: one more still fits the 16 KB body, so the limit
/// answers with a field error rather than 413. Longer lists go through `galeri vouchers void`.
pub const MAX_VOID_CODES: usize = 200;

/// The body of `POST /v1/vouchers/void`: the codes travel in the body, never in the URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    pub codes: Vec<TypedCode>,
    /// Why (kept on each voucher's `voided` ledger entry).
    pub reason: String,
}

/// `POST /v1/vouchers/void`: a supervisor voids lost or leaked vouchers; their remaining
/// balance returns to the program. Every code is checked before anything is voided.
pub async fn void(
    State(state): State<AppState>,
    Supervisor(staff): Supervisor,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<VoidBody>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    if body.codes.is_empty() || body.codes.len() > MAX_VOID_CODES {
        errors.push(FieldError::pointer(
            "/codes",
            format!("1–{MAX_VOID_CODES} kode voucher"),
        ));
    }
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        errors.push(FieldError::pointer(
            "/reason",
            format!("alasan wajib diisi, paling banyak {MAX_REASON_CHARS} karakter"),
        ));
    }
    let mut codes = Vec::with_capacity(body.codes.len());
    for (index, typed) in body.codes.iter().enumerate().take(MAX_VOID_CODES) {
        match parse_code(&typed.0) {
            Ok(code) => codes.push(code),
            Err(ApiError::InvalidCode { detail }) => {
                errors.push(FieldError::pointer(format!("/codes/{index}"), detail))
            }
            Err(error) => return Err(error),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation { errors });
    }
    let now = state.now();
    let (report, replayed) = state
        .ledger
        .void_once(&key, &staff.name, &codes, reason, now)
        .await?;
    tracing::info!(
        voided = report.voided,
        already_void = report.already_void,
        returned = report.returned.rupiah(),
        "vouchers voided"
    );
    let mut response = Json(&report).into_response();
    if replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Reads `from` and `to` (YYYY-MM-DD, WIB) and checks the range.
fn report_period(
    query: &HashMap<String, String>,
    max_days: i64,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let mut errors = Vec::new();
    let mut date = |name: &str| match query.get(name) {
        None => {
            errors.push(FieldError::parameter(name, "wajib diisi (YYYY-MM-DD)"));
            None
        }
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) if text.len() == 10 => Some(date),
            _ => {
                errors.push(FieldError::parameter(name, "tanggal harus YYYY-MM-DD"));
                None
            }
        },
    };
    let from = date("from");
    let to = date("to");
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            errors.push(FieldError::parameter("to", "tidak boleh sebelum from"));
        } else if (to - from).num_days() + 1 > max_days {
            errors.push(FieldError::parameter(
                "to",
                format!("periode paling lama {max_days} hari"),
            ));
        }
    }
    match (from, to) {
        (Some(from), Some(to)) if errors.is_empty() => Ok((from, to)),
        _ => Err(ApiError::Validation { errors }),
    }
}

/// `GET /v1/reports/settlement?from=YYYY-MM-DD&to=YYYY-MM-DD`: per producer, for a supervisor.
pub async fn settlement(
    State(state): State<AppState>,
    Supervisor(_staff): Supervisor,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Settlement>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::Malformed {
        detail: "Parameter query tidak dapat dibaca.".into(),
        errors: vec![FieldError::parameter("", rejection.body_text())],
    })?;
    let (from, to) = report_period(&query, state.limits.max_report_days)?;
    Ok(Json(state.ledger.settlement(from, to).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn report_periods_are_checked() {
        let ok = report_period(&query(&[("from", "2026-11-01"), ("to", "2026-11-30")]), 366);
        assert!(ok.is_ok());
        let backwards = report_period(&query(&[("from", "2026-11-30"), ("to", "2026-11-01")]), 366);
        assert!(matches!(backwards, Err(ApiError::Validation { .. })));
        let long = report_period(&query(&[("from", "2024-01-01"), ("to", "2026-01-01")]), 366);
        assert!(matches!(long, Err(ApiError::Validation { .. })));
        let Err(ApiError::Validation { errors }) = report_period(&query(&[("to", "x")]), 366)
        else {
            panic!("expected validation")
        };
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn request_bodies_never_show_a_code_in_debug() {
        let Ok(code) = VoucherCode::generate() else {
            panic!("no randomness")
        };
        let printed = code.expose();
        let body = RedemptionBody {
            code: TypedCode(printed.clone()),
            items: vec![],
            allow_cash: true,
        };
        let shown = format!(
            "{body:?} {:?}",
            CodeBody {
                code: TypedCode(printed.clone())
            }
        );
        assert!(!shown.contains(&printed[4..8]), "{shown}");
        assert!(shown.contains(&printed[printed.len() - 4..]), "{shown}");
    }

    #[test]
    fn item_rules_point_at_each_bad_line() {
        let body = RedemptionBody {
            code: TypedCode(String::new()),
            items: vec![
                ItemBody {
                    sku: "A".into(),
                    qty: 0,
                },
                ItemBody {
                    sku: " ".into(),
                    qty: 2,
                },
            ],
            allow_cash: true,
        };
        let Err(ApiError::Validation { errors }) = validate_items(&body, 100) else {
            panic!()
        };
        let pointers: Vec<_> = errors.iter().filter_map(|e| e.pointer.clone()).collect();
        assert_eq!(pointers, ["/items/0/qty", "/items/1/sku"]);
    }
}

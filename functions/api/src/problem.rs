//! Every error the API answers with, as RFC 9457 `application/problem+json`, in one place.
//!
//! Each variant has one stable `type` URI (`PROBLEM_BASE` + a slug); clients branch on it, not
//! on `title` or `detail` (which are Indonesian text for people). Extension members carry what
//! a client needs to act: `balance` for insufficient balance, `errors: [{pointer, detail}]`
//! (JSON Pointers into the request body, or `parameter` for query parameters) for bad input.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use galeri_vouchers::{LedgerError, Money};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Base of every problem `type`; the slug follows. Documented in `infra/openapi.yaml`.
pub const PROBLEM_BASE: &str = "https://galeri.malangkab.example/problems/";
/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field (by JSON Pointer into the body) or query parameter (by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    pub detail: String,
}

impl FieldError {
    pub fn pointer(pointer: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: Some(pointer.into()),
            parameter: None,
            detail: detail.into(),
        }
    }

    pub fn parameter(name: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: None,
            parameter: Some(name.into()),
            detail: detail.into(),
        }
    }
}

/// Everything the API can refuse a request with, or fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The body is not UTF-8, not JSON, or JSON of the wrong shape.
    #[error("malformed request")]
    Malformed {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Well-formed JSON that breaks a rule (quantity 0, too many items, a bad query).
    #[error("validation failed")]
    Validation { errors: Vec<FieldError> },
    #[error("missing or invalid Idempotency-Key")]
    IdempotencyKey { detail: String },
    /// The key was used for another request; `redemption` is the sale it made when that was
    /// a sale on the same voucher (answered with its `Location`).
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict { redemption: Option<String> },
    #[error("body too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A code that fails the format or the check character (counted as a failed lookup).
    #[error("invalid voucher code")]
    InvalidCode { detail: String },
    #[error("unknown voucher code")]
    UnknownCode,
    #[error("voucher expired")]
    Expired { expires_on: NaiveDate },
    #[error("voucher void")]
    Void,
    /// A demo voucher on a server that is not in demo mode.
    #[error("demo voucher")]
    DemoVoucher,
    #[error("insufficient balance")]
    InsufficientBalance { balance: Money, total: Money },
    #[error("unknown sku")]
    UnknownSku { errors: Vec<FieldError> },
    #[error("unknown redemption")]
    UnknownRedemption,
    #[error("already refunded")]
    AlreadyRefunded { refund_id: String },
    /// No credentials, or credentials that are not a live token.
    #[error("unauthorized")]
    Unauthorized { invalid_token: bool },
    #[error("forbidden")]
    Forbidden,
    #[error("too many failed lookups")]
    TooManyLookups { retry_after: u64 },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Contention that did not clear; safe to retry with the same key.
    #[error("store busy")]
    Busy,
    /// A real failure (store outage, corrupt data). The detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// Stable slug of the problem `type`.
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::Malformed { .. } => "malformed-request",
            ApiError::Validation { .. } => "validation-failed",
            ApiError::IdempotencyKey { .. } => "idempotency-key-required",
            ApiError::IdempotencyConflict { .. } => "idempotency-key-reused",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::InvalidCode { .. } => "invalid-code",
            ApiError::UnknownCode => "unknown-code",
            ApiError::Expired { .. } => "voucher-expired",
            ApiError::Void => "voucher-void",
            ApiError::DemoVoucher => "demo-voucher",
            ApiError::InsufficientBalance { .. } => "insufficient-balance",
            ApiError::UnknownSku { .. } => "unknown-sku",
            ApiError::UnknownRedemption => "unknown-redemption",
            ApiError::AlreadyRefunded { .. } => "already-refunded",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::TooManyLookups { .. } => "too-many-failed-lookups",
            ApiError::NotFound => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Busy => "store-busy",
            ApiError::Internal(_) => "internal-error",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed { .. } | ApiError::IdempotencyKey { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. }
            | ApiError::IdempotencyConflict { .. }
            | ApiError::InvalidCode { .. }
            | ApiError::Expired { .. }
            | ApiError::Void
            | ApiError::DemoVoucher
            | ApiError::InsufficientBalance { .. }
            | ApiError::UnknownSku { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::UnknownCode | ApiError::UnknownRedemption | ApiError::NotFound => {
                StatusCode::NOT_FOUND
            }
            ApiError::AlreadyRefunded { .. } => StatusCode::CONFLICT,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::TooManyLookups { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Short, fixed summary of the problem type (RFC 9457 `title`).
    fn title(&self) -> &'static str {
        match self {
            ApiError::Malformed { .. } => "Permintaan tidak dapat dibaca",
            ApiError::Validation { .. } => "Isian tidak valid",
            ApiError::IdempotencyKey { .. } => "Idempotency-Key wajib diisi",
            ApiError::IdempotencyConflict { .. } => {
                "Idempotency-Key sudah dipakai untuk permintaan lain"
            }
            ApiError::PayloadTooLarge { .. } => "Permintaan terlalu besar",
            ApiError::UnsupportedMediaType => "Jenis isi tidak didukung",
            ApiError::InvalidCode { .. } => "Kode voucher tidak valid",
            ApiError::UnknownCode => "Kode voucher tidak ditemukan",
            ApiError::Expired { .. } => "Voucher sudah kedaluwarsa",
            ApiError::Void => "Voucher sudah dibatalkan",
            ApiError::DemoVoucher => "Voucher demo tidak berlaku di sini",
            ApiError::InsufficientBalance { .. } => "Saldo voucher tidak cukup",
            ApiError::UnknownSku { .. } => "Produk tidak ada di daftar harga",
            ApiError::UnknownRedemption => "Transaksi tidak ditemukan",
            ApiError::AlreadyRefunded { .. } => "Transaksi sudah dikembalikan",
            ApiError::Unauthorized { .. } => "Perlu masuk sebagai petugas",
            ApiError::Forbidden => "Peran petugas tidak berwenang",
            ApiError::TooManyLookups { .. } => "Terlalu banyak kode yang salah",
            ApiError::NotFound => "Alamat tidak ditemukan",
            ApiError::MethodNotAllowed => "Metode tidak diizinkan",
            ApiError::Busy => "Layanan sedang sibuk",
            ApiError::Internal(_) => "Terjadi kesalahan pada layanan",
        }
    }

    /// The explanation of this occurrence, and its extension members.
    fn detail_and_extensions(&self) -> (String, Map<String, Value>) {
        let mut extensions = Map::new();
        let detail = match self {
            ApiError::Malformed { detail, errors } => {
                extensions.insert("errors".into(), json!(errors));
                detail.clone()
            }
            ApiError::Validation { errors } => {
                extensions.insert("errors".into(), json!(errors));
                "Periksa isian yang ditandai.".into()
            }
            ApiError::IdempotencyKey { detail } => detail.clone(),
            ApiError::IdempotencyConflict {
                redemption: Some(id),
            } => {
                extensions.insert("redemption_id".into(), json!(id));
                extensions.insert("location".into(), json!(redemption_location(id)));
                format!(
                    "Kunci ini sudah membuat transaksi {id} pada voucher yang sama, dengan isi \
                     berbeda. Periksa transaksi itu dulu; jangan ulangi penjualan dengan kunci \
                     baru sebelum yakin transaksi itu bukan penjualan yang sama."
                )
            }
            ApiError::IdempotencyConflict { redemption: None } => {
                "Kunci ini sudah dipakai untuk permintaan lain. Bila ini memang transaksi baru, \
                 buat kunci baru."
                    .into()
            }
            ApiError::PayloadTooLarge { limit } => {
                extensions.insert("limit".into(), json!(limit));
                format!("Isi permintaan melebihi {limit} byte.")
            }
            ApiError::UnsupportedMediaType => "Kirim isi sebagai application/json.".into(),
            ApiError::InvalidCode { detail } => {
                extensions.insert(
                    "errors".into(),
                    json!([FieldError::pointer("/code", detail)]),
                );
                detail.clone()
            }
            ApiError::UnknownCode => "Periksa kembali kode pada voucher.".into(),
            ApiError::Expired { expires_on } => {
                extensions.insert("expires_on".into(), json!(expires_on));
                format!("Voucher berlaku sampai {expires_on}.")
            }
            ApiError::Void => "Voucher ini tidak dapat dipakai lagi.".into(),
            ApiError::DemoVoucher => {
                "Ini voucher DEMO (bukan voucher asli); hanya berlaku di `galeri serve --demo`."
                    .into()
            }
            ApiError::InsufficientBalance { balance, total } => {
                extensions.insert("balance".into(), json!(balance));
                extensions.insert("total".into(), json!(total));
                format!("Saldo {balance}, total belanja {total}.")
            }
            ApiError::UnknownSku { errors } => {
                extensions.insert("errors".into(), json!(errors));
                "Ada produk yang tidak dijual (lagi) di galeri.".into()
            }
            ApiError::UnknownRedemption => "Tidak ada transaksi dengan nomor ini.".into(),
            ApiError::AlreadyRefunded { refund_id } => {
                extensions.insert("refund_id".into(), json!(refund_id));
                format!("Transaksi ini sudah dikembalikan ({refund_id}).")
            }
            ApiError::Unauthorized { invalid_token } => {
                if *invalid_token {
                    "Token tidak dikenal atau sudah dicabut.".into()
                } else {
                    "Kirim header Authorization: Bearer <token>.".into()
                }
            }
            ApiError::Forbidden => "Token ini tidak berwenang untuk tindakan ini.".into(),
            ApiError::TooManyLookups { retry_after } => {
                extensions.insert("retry_after".into(), json!(retry_after));
                format!("Coba lagi dalam {retry_after} detik.")
            }
            ApiError::NotFound => "Tidak ada layanan di alamat ini.".into(),
            ApiError::MethodNotAllowed => "Alamat ini tidak menerima metode tersebut.".into(),
            ApiError::Busy => "Coba lagi sebentar lagi dengan Idempotency-Key yang sama.".into(),
            ApiError::Internal(_) => "Coba lagi nanti; bila berulang, hubungi admin.".into(),
        };
        (detail, extensions)
    }

    /// The problem document as JSON.
    pub fn body(&self) -> Value {
        let (detail, extensions) = self.detail_and_extensions();
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("{PROBLEM_BASE}{}", self.slug())),
        );
        body.insert("title".into(), json!(self.title()));
        body.insert("status".into(), json!(self.status().as_u16()));
        body.insert("detail".into(), json!(detail));
        body.extend(extensions);
        Value::Object(body)
    }
}

/// Where a redemption is read (`GET /v1/redemptions/{id}`).
pub fn redemption_location(id: &str) -> String {
    format!("/v1/redemptions/{id}")
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> ApiError {
        match error {
            LedgerError::UnknownCode => ApiError::UnknownCode,
            LedgerError::UnknownCodes { positions } => ApiError::Validation {
                errors: positions
                    .iter()
                    .map(|position| {
                        FieldError::pointer(
                            format!("/codes/{position}"),
                            "kode voucher tidak dikenal (tidak ada yang dibatalkan)",
                        )
                    })
                    .collect(),
            },
            LedgerError::Expired { expires_on } => ApiError::Expired { expires_on },
            LedgerError::Void => ApiError::Void,
            LedgerError::DemoVoucher => ApiError::DemoVoucher,
            LedgerError::InsufficientBalance { balance, total } => {
                ApiError::InsufficientBalance { balance, total }
            }
            LedgerError::UnknownSku { positions, skus } => ApiError::UnknownSku {
                errors: positions
                    .iter()
                    .zip(skus.iter())
                    .map(|(position, sku)| {
                        FieldError::pointer(
                            format!("/items/{position}/sku"),
                            format!("SKU {sku:?} tidak ada di daftar harga"),
                        )
                    })
                    .collect(),
            },
            LedgerError::Invalid(message) => ApiError::Validation {
                errors: vec![FieldError::pointer("", message)],
            },
            LedgerError::UnknownRedemption => ApiError::UnknownRedemption,
            LedgerError::AlreadyRefunded { refund_id } => ApiError::AlreadyRefunded { refund_id },
            LedgerError::IdempotencyConflict => ApiError::IdempotencyConflict { redemption: None },
            LedgerError::KeyMadeThisSale { redemption_id } => ApiError::IdempotencyConflict {
                redemption: Some(redemption_id),
            },
            LedgerError::UnknownToken => ApiError::Unauthorized {
                invalid_token: true,
            },
            LedgerError::Busy => ApiError::Busy,
            // Not reachable from the API (batches are issued by the CLI); an internal error if
            // it ever is.
            LedgerError::DuplicateBatch(batch) => {
                ApiError::Internal(format!("duplicate batch {batch}"))
            }
            LedgerError::Store(message) => ApiError::Internal(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(message) = &self {
            // Logged once, here; store messages never contain codes (only hashes and hints).
            tracing::error!(error = %message, "internal error");
        }
        let status = self.status();
        let mut response = (status, self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            ApiError::TooManyLookups { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            ApiError::Busy => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            }
            ApiError::IdempotencyConflict {
                redemption: Some(id),
            } => {
                if let Ok(location) = HeaderValue::from_str(&redemption_location(id)) {
                    headers.insert(header::LOCATION, location);
                }
            }
            ApiError::Unauthorized { invalid_token } => {
                let challenge = if *invalid_token {
                    "Bearer realm=\"galeri\", error=\"invalid_token\""
                } else {
                    "Bearer realm=\"galeri\""
                };
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(challenge),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insufficient_balance_carries_the_balance() {
        let balance = Money::new(20_000).unwrap_or_default();
        let total = Money::new(35_000).unwrap_or_default();
        let body = ApiError::from(LedgerError::InsufficientBalance { balance, total }).body();
        assert_eq!(body["type"], format!("{PROBLEM_BASE}insufficient-balance"));
        assert_eq!(body["status"], 422);
        assert_eq!(body["balance"], 20_000);
        assert_eq!(body["total"], 35_000);
    }

    #[test]
    fn unknown_skus_point_at_their_lines() {
        let error = ApiError::from(LedgerError::UnknownSku {
            positions: vec![2],
            skus: vec!["KOPI-X".into()],
        });
        assert_eq!(error.body()["errors"][0]["pointer"], "/items/2/sku");
    }

    #[test]
    fn store_failures_do_not_leak_their_message() {
        let body = ApiError::from(LedgerError::Store("disk I/O error at /secret".into())).body();
        assert_eq!(body["status"], 500);
        assert!(!body.to_string().contains("secret"));
    }
}

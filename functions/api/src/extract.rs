//! Request extractors that answer with problem+json instead of axum's plain-text rejections:
//! the JSON body (content type, size limit, UTF-8, shape with JSON Pointers), the
//! `Idempotency-Key` header, the client address and path parameters.

use crate::problem::{ApiError, FieldError};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts, HeaderMap};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// Header that makes a mutation safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Longest accepted `Idempotency-Key` (the ledger's limit on keys).
pub const MAX_IDEMPOTENCY_KEY: usize = galeri_vouchers::ledger::MAX_KEY_CHARS;
/// Shortest accepted `Idempotency-Key` (the ledger's limit; a UUID fits).
pub const MIN_IDEMPOTENCY_KEY: usize = galeri_vouchers::ledger::MIN_KEY_CHARS;

/// A JSON request body, checked in this order: `Content-Type: application/json` (415), size
/// (413), UTF-8 and JSON syntax (400), shape (400 with a pointer to the bad field).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let limit = state.limits.max_body_bytes;
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let bytes = match Limited::new(request.into_body(), limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            Err(_) => {
                return Err(ApiError::Malformed {
                    detail: "Isi permintaan terputus.".into(),
                    errors: vec![],
                })
            }
        };
        parse_json(&bytes).map(JsonBody)
    }
}

/// An optional JSON request body: none at all (no bytes) is `None`; otherwise checked like
/// [`JsonBody`].
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<AppState> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.limits.max_body_bytes;
        let json = is_json(request.headers());
        let bytes = match Limited::new(request.into_body(), limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            Err(_) => {
                return Err(ApiError::Malformed {
                    detail: "Isi permintaan terputus.".into(),
                    errors: vec![],
                })
            }
        };
        if bytes.is_empty() {
            return Ok(OptionalJsonBody(None));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        parse_json(&bytes).map(|body| OptionalJsonBody(Some(body)))
    }
}

/// Whether the request declares a JSON body (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses a body into `T`, turning every failure into a 400 that points at the bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|error| ApiError::Malformed {
        detail: format!(
            "Isi permintaan bukan UTF-8 (byte ke-{}).",
            error.valid_up_to()
        ),
        errors: vec![],
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let pointer = pointer_of(error.path(), error.inner());
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::Malformed {
                detail: format!("JSON tidak valid: {inner}"),
                errors: vec![],
            }
        } else {
            ApiError::Malformed {
                detail: "JSON tidak sesuai bentuk yang diminta.".into(),
                errors: vec![FieldError::pointer(pointer, inner.to_string())],
            }
        }
    })?;
    // Trailing data after the value (`{}{}`) is malformed too.
    deserializer.end().map_err(|error| ApiError::Malformed {
        detail: format!("JSON tidak valid: {error}"),
        errors: vec![],
    })?;
    Ok(value)
}

/// The JSON Pointer (RFC 6901) of a serde path; a missing field points at the field itself.
fn pointer_of(path: &serde_path_to_error::Path, error: &serde_json::Error) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        let token = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => break,
        };
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(&token));
    }
    let message = error.to_string();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        pointer.push('/');
        pointer.push_str(&escape_pointer_token(field));
    }
    pointer
}

fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The `Idempotency-Key` of a mutation: 16 to 128 printable ASCII characters, not all spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY) else {
            return Err(ApiError::IdempotencyKey {
                detail: "Header Idempotency-Key wajib untuk transaksi ini.".into(),
            });
        };
        let bytes = value.as_bytes();
        let printable = bytes.iter().all(|b| (0x20..=0x7e).contains(b));
        let blank = bytes.iter().all(|b| *b == b' ');
        let length = bytes.len();
        if blank || !(MIN_IDEMPOTENCY_KEY..=MAX_IDEMPOTENCY_KEY).contains(&length) || !printable {
            return Err(ApiError::IdempotencyKey {
                detail: format!(
                    "Idempotency-Key harus {MIN_IDEMPOTENCY_KEY}–{MAX_IDEMPOTENCY_KEY} karakter \
                     ASCII yang tercetak (misalnya sebuah UUID)."
                ),
            });
        }
        Ok(IdempotencyKey(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// The caller's network address, for counting failed lookups. Set as a request extension by
/// the host: the Lambda wiring copies API Gateway's `sourceIp` here, `galeri serve` the peer
/// or, behind a proxy it was told to trust, the forwarding header's right-most untrusted hop
/// ([`crate::address`]). Without one, the socket's peer. A forwarding header is never read
/// here: any client can write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(address) = parts.extensions.get::<ClientAddress>() {
            return Ok(address.clone());
        }
        if let Some(ConnectInfo(socket)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return Ok(ClientAddress(socket.ip().to_string()));
        }
        Ok(ClientAddress("unknown".into()))
    }
}

/// A path parameter, with rejections as problem+json.
#[derive(Debug)]
pub struct PathParameter(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParameter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParameter(value)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => Err(ApiError::Malformed {
                detail: "Parameter alamat tidak valid.".into(),
                errors: vec![FieldError::parameter("id", error.body_text())],
            }),
            Err(_) => Err(ApiError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // Fields are read by the deserializer under test only.
    struct Sample {
        code: String,
        items: Vec<Line>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        qty: u32,
    }

    fn pointer(result: Result<Sample, ApiError>) -> String {
        match result {
            Err(ApiError::Malformed { errors, .. }) => errors
                .first()
                .and_then(|error| error.pointer.clone())
                .unwrap_or_else(|| "<none>".into()),
            other => panic!("expected malformed, got {other:?}"),
        }
    }

    #[test]
    fn points_at_the_bad_field() {
        let body = br#"{"code":"x","items":[{"sku":"A","qty":1},{"sku":"B","qty":-3}]}"#;
        assert_eq!(pointer(parse_json(body)), "/items/1/qty");
        assert_eq!(pointer(parse_json(br#"{"items":[]}"#)), "/code");
        assert_eq!(
            pointer(parse_json(br#"{"code":"x","items":[{"qty":1}]}"#)),
            "/items/0/sku"
        );
    }

    #[test]
    fn refuses_non_utf8_and_broken_json_without_panicking() {
        assert!(matches!(
            parse_json::<Sample>(b"\xff\xfe{}"),
            Err(ApiError::Malformed { .. })
        ));
        assert!(matches!(
            parse_json::<Sample>(b"{\"code\":"),
            Err(ApiError::Malformed { .. })
        ));
        assert!(matches!(
            parse_json::<Sample>(b""),
            Err(ApiError::Malformed { .. })
        ));
        let trailing = br#"{"code":"x","items":[]} {}"#;
        assert!(matches!(
            parse_json::<Sample>(trailing),
            Err(ApiError::Malformed { .. })
        ));
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(escape_pointer_token("a/b~c"), "a~1b~0c");
    }
}

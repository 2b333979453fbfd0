//! The voucher HTTP API: one axum router, served by the Lambda binaries and by `galeri serve`.
//!
//! [`app`] builds every route of the DESIGN table under `/v1`; [`function_app`] builds only
//! the routes one Lambda function serves, so each function's IAM policy matches its code.
//! Errors are RFC 9457 problem+json ([`problem`]), staff authenticate with bearer tokens
//! ([`auth`]), failed code lookups are rate limited ([`lookup`]). `infra/openapi.yaml` is the
//! contract; a test keeps the two in step.

pub mod address;
pub mod auth;
pub mod extract;
pub mod handlers;
pub mod logging;
pub mod lookup;
pub mod problem;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use galeri_vouchers::Ledger;
use problem::{ApiError, PROBLEM_JSON};
use std::sync::Arc;
use std::time::Instant;

pub use extract::ClientAddress;

/// Limits that keep requests small and lookups scarce.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest JSON body read (413 beyond).
    pub max_body_bytes: usize,
    /// Most line items in one redemption.
    pub max_items: usize,
    /// Length of the fixed window in which failed lookups are counted.
    pub lookup_window_seconds: u64,
    /// Failed lookups allowed per client address per window.
    pub failed_lookups_per_address: u32,
    /// Failed lookups allowed per staff token per window.
    pub failed_lookups_per_token: u32,
    /// Longest settlement report period, in days.
    pub max_report_days: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 16 * 1024,
            max_items: galeri_vouchers::ledger::MAX_ITEMS,
            lookup_window_seconds: 15 * 60,
            failed_lookups_per_address: 20,
            failed_lookups_per_token: 20,
            max_report_days: 366,
        }
    }
}

impl Limits {
    /// The defaults, with the failed-lookup threshold overridden by `GALERI_LOOKUP_LIMIT`
    /// (both address and token) when it is set to a positive number.
    pub fn from_env() -> Limits {
        let mut limits = Limits::default();
        if let Some(limit) = std::env::var("GALERI_LOOKUP_LIMIT")
            .ok()
            .and_then(|value| value.trim().parse::<u32>().ok())
            .filter(|limit| *limit > 0)
        {
            limits.failed_lookups_per_address = limit;
            limits.failed_lookups_per_token = limit;
        }
        limits
    }
}

/// Where handlers get the time; tests set it to move across windows and expiry dates.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    pub fn new(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Ledger,
    pub limits: Limits,
    pub clock: Clock,
}

impl AppState {
    pub fn new(ledger: Ledger) -> AppState {
        AppState {
            ledger,
            limits: Limits::default(),
            clock: Clock::system(),
        }
    }

    /// The current time to millisecond precision, which every store keeps exactly: a handler
    /// tells a fresh redemption from a replay by comparing `created_at` with it.
    pub fn now(&self) -> DateTime<Utc> {
        let now = (self.clock.0)();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}

/// The voucher functions, as deployed: each Lambda binary serves one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `POST /v1/balance`, `GET /v1/health`.
    Balance,
    /// `POST /v1/redemptions`.
    Redeem,
    /// `POST /v1/redemptions/{id}/refund`.
    Refund,
    /// `POST /v1/history`, `GET /v1/redemptions/{id}`.
    History,
    /// `GET /v1/reports/settlement`.
    Report,
}

impl Function {
    pub const ALL: [Function; 5] = [
        Function::Balance,
        Function::Redeem,
        Function::Refund,
        Function::History,
        Function::Report,
    ];

    /// The binary's name (fixed: the infra template uses it).
    pub fn name(self) -> &'static str {
        match self {
            Function::Balance => "balance",
            Function::Redeem => "redeem",
            Function::Refund => "refund",
            Function::History => "history",
            Function::Report => "report",
        }
    }

    /// `(method, path)` of every route this function serves, as written in the OpenAPI file.
    pub fn routes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Function::Balance => &[("POST", "/v1/balance"), ("GET", "/v1/health")],
            Function::Redeem => &[("POST", "/v1/redemptions")],
            Function::Refund => &[("POST", "/v1/redemptions/{id}/refund")],
            Function::History => &[("POST", "/v1/history"), ("GET", "/v1/redemptions/{id}")],
            Function::Report => &[("GET", "/v1/reports/settlement")],
        }
    }

    fn router(self) -> Router<AppState> {
        match self {
            Function::Balance => Router::new()
                .route("/v1/balance", post(handlers::balance))
                .route("/v1/health", get(handlers::health)),
            Function::Redeem => Router::new().route("/v1/redemptions", post(handlers::redeem)),
            Function::Refund => {
                Router::new().route("/v1/redemptions/{id}/refund", post(handlers::refund))
            }
            Function::History => Router::new()
                .route("/v1/history", post(handlers::history))
                .route("/v1/redemptions/{id}", get(handlers::redemption)),
            Function::Report => {
                Router::new().route("/v1/reports/settlement", get(handlers::settlement))
            }
        }
    }
}

/// Every route of the API, under `/v1`.
pub fn app(state: AppState) -> Router {
    router(&Function::ALL, state)
}

/// Only the routes of one function (what its Lambda binary serves).
pub fn function_app(function: Function, state: AppState) -> Router {
    router(&[function], state)
}

fn router(functions: &[Function], state: AppState) -> Router {
    let mut router = Router::new();
    for function in functions {
        router = router.merge(function.router());
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn(problems_and_access_log))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Turns any error response that is not already problem+json (axum's own 405, a rejection we
/// did not map) into one, marks every answer `no-store` (balances are private), and writes one
/// access-log line: method, route template (never the raw URI), status and latency.
async fn problems_and_access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let mut response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let error = match status.as_u16() {
            404 => ApiError::NotFound,
            405 => ApiError::MethodNotAllowed,
            413 => ApiError::PayloadTooLarge {
                limit: Limits::default().max_body_bytes,
            },
            415 => ApiError::UnsupportedMediaType,
            400..=499 => ApiError::Malformed {
                detail: "Permintaan tidak dapat dibaca.".into(),
                errors: vec![],
            },
            _ => ApiError::Internal(format!("unmapped {status} response")),
        };
        let allow = response.headers().get(header::ALLOW).cloned();
        response = error.into_response();
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    tracing::info!(
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

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
use axum::routing::{on, MethodFilter, MethodRouter};
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
    /// `POST /v1/redemptions/{id}/refund`, `POST /v1/vouchers/void`: a supervisor's
    /// corrections.
    Refund,
    /// `POST /v1/history`, `GET /v1/redemptions/{id}`.
    History,
    /// `GET /v1/reports/settlement`.
    Report,
}

/// Which API Gateway API a route is published on. Anonymous callers and staff get separate
/// APIs so that a flood of public balance checks spends only the public API's throttle
/// buckets, never a till's (infra/README.md, "Throttling").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Open to anyone with a code (the catalog site's Cek Saldo page).
    Public,
    /// Bearer-token routes of the tills and supervisors.
    Staff,
}

/// One route of a function: method and path as written in `infra/openapi.yaml`, the API it is
/// published on, and the handler the router mounts for it.
pub struct Route {
    pub method: HttpMethod,
    pub path: &'static str,
    pub api: Api,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// The methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    /// As written in `infra/openapi.yaml` and the SAM template (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            HttpMethod::Get => MethodFilter::GET,
            HttpMethod::Post => MethodFilter::POST,
        }
    }
}

/// Where a DynamoDB grant applies: the table itself or its one index (`GSI1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum On {
    Table,
    Index,
}

/// One IAM statement of a function's role, as the SAM template must write it.
pub struct Grant {
    /// IAM actions (`dynamodb:GetItem`, …). TransactWriteItems has none of its own: IAM checks
    /// each part as the PutItem/UpdateItem it is.
    pub actions: &'static [&'static str],
    pub on: On,
    /// `dynamodb:LeadingKeys` patterns (partition-key prefixes such as `F#*`) the statement is
    /// limited to; empty for reads, which may touch any item.
    pub leading_keys: &'static [&'static str],
    /// `dynamodb:Attributes` the statement is limited to; empty for no limit.
    pub attributes: &'static [&'static str],
}

/// What reading functions may write: the failed-lookup counter, and only its attributes.
const COUNT_FAILURES: Grant = Grant {
    actions: &["dynamodb:UpdateItem"],
    on: On::Table,
    leading_keys: &["F#*"],
    attributes: &["PK", "SK", "failures", "record", "expires_at"],
};

/// The table every deployment is checked against: each function's routes (from which the
/// router is built) and its DynamoDB grants (which the SAM template must match statement by
/// statement, and which tests/tests/it/infra_template.rs checks against the calls the code
/// makes on DynamoDB Local). Key prefixes follow functions/vouchers/src/dynamodb.
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

    /// Every route this function serves.
    pub fn routes(self) -> &'static [Route] {
        const BALANCE: &[Route] = &[
            Route {
                method: HttpMethod::Post,
                path: "/v1/balance",
                api: Api::Public,
                handler: |method| on(method, handlers::balance),
            },
            Route {
                method: HttpMethod::Get,
                path: "/v1/health",
                api: Api::Public,
                handler: |method| on(method, handlers::health),
            },
        ];
        const REDEEM: &[Route] = &[Route {
            method: HttpMethod::Post,
            path: "/v1/redemptions",
            api: Api::Staff,
            handler: |method| on(method, handlers::redeem),
        }];
        const REFUND: &[Route] = &[
            Route {
                method: HttpMethod::Post,
                path: "/v1/redemptions/{id}/refund",
                api: Api::Staff,
                handler: |method| on(method, handlers::refund),
            },
            Route {
                method: HttpMethod::Post,
                path: "/v1/vouchers/void",
                api: Api::Staff,
                handler: |method| on(method, handlers::void),
            },
        ];
        const HISTORY: &[Route] = &[
            Route {
                method: HttpMethod::Post,
                path: "/v1/history",
                api: Api::Staff,
                handler: |method| on(method, handlers::history),
            },
            Route {
                method: HttpMethod::Get,
                path: "/v1/redemptions/{id}",
                api: Api::Staff,
                handler: |method| on(method, handlers::redemption),
            },
        ];
        const REPORT: &[Route] = &[Route {
            method: HttpMethod::Get,
            path: "/v1/reports/settlement",
            api: Api::Staff,
            handler: |method| on(method, handlers::settlement),
        }];
        match self {
            Function::Balance => BALANCE,
            Function::Redeem => REDEEM,
            Function::Refund => REFUND,
            Function::History => HISTORY,
            Function::Report => REPORT,
        }
    }

    /// Every DynamoDB statement of this function's role. Writes name the partition-key
    /// prefixes they touch: V# voucher and its ledger entries, R# redemption, I#<operation>#
    /// idempotency record, F# failed-lookup counter.
    pub fn grants(self) -> &'static [Grant] {
        const BALANCE: &[Grant] = &[
            Grant {
                actions: &["dynamodb:GetItem"],
                on: On::Table,
                leading_keys: &[],
                attributes: &[],
            },
            COUNT_FAILURES,
        ];
        const REDEEM: &[Grant] = &[
            Grant {
                actions: &["dynamodb:BatchGetItem", "dynamodb:GetItem"],
                on: On::Table,
                leading_keys: &[],
                attributes: &[],
            },
            Grant {
                actions: &["dynamodb:PutItem", "dynamodb:UpdateItem"],
                on: On::Table,
                leading_keys: &["V#*", "R#*", "I#redeem#*"],
                attributes: &[],
            },
            COUNT_FAILURES,
        ];
        const REFUND: &[Grant] = &[
            Grant {
                actions: &["dynamodb:GetItem"],
                on: On::Table,
                leading_keys: &[],
                attributes: &[],
            },
            Grant {
                actions: &["dynamodb:PutItem", "dynamodb:UpdateItem"],
                on: On::Table,
                leading_keys: &["V#*", "R#*", "I#refund#*", "I#void#*"],
                attributes: &[],
            },
        ];
        const HISTORY: &[Grant] = &[
            Grant {
                actions: &["dynamodb:GetItem", "dynamodb:Query"],
                on: On::Table,
                leading_keys: &[],
                attributes: &[],
            },
            COUNT_FAILURES,
        ];
        const REPORT: &[Grant] = &[
            Grant {
                actions: &["dynamodb:GetItem"],
                on: On::Table,
                leading_keys: &[],
                attributes: &[],
            },
            Grant {
                actions: &["dynamodb:Query"],
                on: On::Index,
                leading_keys: &[],
                attributes: &[],
            },
        ];
        match self {
            Function::Balance => BALANCE,
            Function::Redeem => REDEEM,
            Function::Refund => REFUND,
            Function::History => HISTORY,
            Function::Report => REPORT,
        }
    }

    fn router(self) -> Router<AppState> {
        self.routes().iter().fold(Router::new(), |router, route| {
            router.route(route.path, (route.handler)(route.method.filter()))
        })
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

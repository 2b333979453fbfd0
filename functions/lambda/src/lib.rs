//! Shared wiring for the Lambda binaries: JSON logs with voucher codes masked, the store and
//! pepper from the environment, and the one router each function serves.
//!
//! Environment: `GALERI_TABLE` (the DynamoDB table), and the pepper as hex in `GALERI_PEPPER`
//! or in the SSM SecureString parameter named by `GALERI_PEPPER_PARAM`;
//! `GALERI_ORDER_HOLD_DAYS` (default 3) is how many WIB days an online order's hold lasts. `RUST_LOG` sets the log
//! level (default `info`); lambda_http and lambda_runtime are capped at `info` whatever it
//! says, because at TRACE they log raw events, which carry voucher codes.

use anyhow::Context;
use galeri_api::logging::MaskingWriter;
use galeri_api::{function_app, AppState, ClientAddress, Function, Limits};
use galeri_vouchers::config::{load_pepper, PepperCheck, StoreSpec};
use galeri_vouchers::dynamodb::DynamoStore;
use galeri_vouchers::Ledger;
use lambda_http::request::RequestContext;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// What a binary's `main` calls: wire everything, then serve events until Lambda stops us.
pub async fn run(function: Function) -> Result<(), lambda_http::Error> {
    init_tracing();
    let state = state_from_env().await.map_err(|error| {
        // Logged so the cause is in CloudWatch even though the runtime reports it too.
        tracing::error!(error = %format!("{error:#}"), function = function.name(), "start-up failed");
        error
    })?;
    tracing::info!(function = function.name(), "ready");
    lambda_http::run(service(function, state)).await
}

/// The service one function runs: its routes, with the caller's address taken from the API
/// Gateway request context (never from `X-Forwarded-For`).
pub fn service(function: Function, state: AppState) -> axum::Router {
    function_app(function, state).layer(axum::middleware::map_request(client_address))
}

async fn client_address(mut request: axum::extract::Request) -> axum::extract::Request {
    let address = match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.source_ip.clone(),
        _ => None,
    };
    if let Some(address) = address {
        request.extensions_mut().insert(ClientAddress(address));
    }
    request
}

/// JSON logs to stdout (CloudWatch), with voucher codes masked to their last four characters.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(cap("lambda_http"))
        .add_directive(cap("lambda_runtime"));
    let _already_set = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_env_filter(filter)
        .with_writer(|| MaskingWriter(std::io::stdout()))
        .try_init();
}

fn cap(target: &str) -> tracing_subscriber::filter::Directive {
    // Parsing a fixed `target=info` directive cannot fail for these crate names.
    format!("{target}=info")
        .parse()
        .unwrap_or_else(|_| tracing_subscriber::filter::LevelFilter::INFO.into())
}

/// The store and pepper named by the environment. A pepper that does not match the table's
/// check value stops the function here, before it answers anything: with a wrong pepper every
/// code would read unknown and tills would lock out.
pub async fn state_from_env() -> anyhow::Result<AppState> {
    let table = std::env::var("GALERI_TABLE").context("GALERI_TABLE is not set")?;
    let store = DynamoStore::from_env(&table)
        .await
        .with_context(|| format!("opening DynamoDB table {table}"))?;
    let spec = StoreSpec::Dynamodb(table);
    // Verify only: the functions' roles may not write the check, which the first admin
    // command (issuing the first batch) records.
    let (pepper, check) = load_pepper(&spec, &store, false).await?;
    if check == PepperCheck::Unrecorded {
        tracing::warn!(store = %spec, "no pepper check value recorded yet; issue a batch with `galeri vouchers issue` to record it");
    }
    let ledger = Ledger::new(Arc::new(store), pepper).with_order_hold_days(order_hold_days()?);
    let mut state = AppState::new(ledger);
    state.limits = Limits::from_env();
    Ok(state)
}

/// `GALERI_ORDER_HOLD_DAYS`: WIB days an online order's hold lasts after the order day
/// (the site's `order_hold_days`); the ledger's default when unset.
pub fn order_hold_days() -> anyhow::Result<u32> {
    match std::env::var("GALERI_ORDER_HOLD_DAYS") {
        Ok(text) => {
            let days: u32 = text.trim().parse().with_context(|| {
                format!("GALERI_ORDER_HOLD_DAYS must be a whole number of days (got {text:?})")
            })?;
            anyhow::ensure!(
                (1..=galeri_vouchers::ledger::MAX_ORDER_HOLD_DAYS).contains(&days),
                "GALERI_ORDER_HOLD_DAYS must be 1 to {} (got {days})",
                galeri_vouchers::ledger::MAX_ORDER_HOLD_DAYS
            );
            Ok(days)
        }
        Err(_) => Ok(galeri_vouchers::ledger::DEFAULT_ORDER_HOLD_DAYS),
    }
}

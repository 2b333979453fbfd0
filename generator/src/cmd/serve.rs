//! `galeri serve`: build the site, load its price list, and serve both on one port: the site
//! from the output folder (its 404.html for misses) and the voucher API at `/api` (so
//! `/api/v1/balance`). On an empty store it seeds a clearly marked demo batch and a demo
//! cashier token and prints them, so a newcomer can try a redemption at once.

use crate::cli::ServeArgs;
use crate::site::{build_site, today_wib, BuildError, BuildOptions};
use anyhow::Context;
use axum::Router;
use chrono::{Days, Utc};
use galeri_api::auth::mint_token;
use galeri_api::logging::MaskingWriter;
use galeri_api::{app, AppState, Limits};
use galeri_vouchers::model::{Catalog, NewBatch, Role};
use galeri_vouchers::{Ledger, Money};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use tower_http::services::{ServeDir, ServeFile};
use tracing_subscriber::EnvFilter;

/// Vouchers in the demo batch.
const DEMO_VOUCHERS: u32 = 3;
/// Face value of a demo voucher: the program's monthly amount since October 2022.
const DEMO_AMOUNT: i64 = 200_000;
/// Days a demo voucher stays valid.
const DEMO_DAYS: u64 = 90;

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    super::runtime()?.block_on(serve(args))
}

/// Human-readable logs on stderr, voucher codes masked. `RUST_LOG` overrides the level.
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    let _already_set = tracing_subscriber::fmt()
        .compact()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(filter)
        .with_writer(|| MaskingWriter(std::io::stderr()))
        .try_init();
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let address: SocketAddr = format!("{}:{}", args.bind, args.port)
        .parse()
        .with_context(|| {
            format!(
                "--bind {} --port {} is not an address",
                args.bind, args.port
            )
        })?;
    // Bind first: a port in use should fail before the build does any work.
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address}"))?;
    let local = listener.local_addr().context("reading the bound address")?;

    if !build(&args, local).await? {
        return Ok(ExitCode::FAILURE);
    }

    let (ledger, _) = super::ledger(&args.store, true).await?;
    load_catalog(&ledger, &args.out).await?;
    seed_demo(&ledger).await?;

    let mut state = AppState::new(ledger);
    state.limits = Limits::from_env();
    let router = site_and_api(state, &args.out);
    eprintln!(
        "Galeri berjalan di http://{local}/ (API: http://{local}/api/v1). Ctrl-C untuk berhenti."
    );
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("serving")?;
    eprintln!("Galeri berhenti.");
    Ok(ExitCode::SUCCESS)
}

/// The site's files, with the API nested at `/api`.
pub fn site_and_api(state: AppState, out: &Path) -> Router {
    let site = ServeDir::new(out)
        .append_index_html_on_directories(true)
        .not_found_service(ServeFile::new(out.join("404.html")));
    Router::new()
        .nest("/api", app(state))
        .fallback_service(site)
}

/// Builds the site for this address. On content errors, prints them and serves the previous
/// build if there is one (so a typo does not take the till down); with none, gives up.
async fn build(args: &ServeArgs, local: SocketAddr) -> anyhow::Result<bool> {
    let mut options = BuildOptions::new(&args.source.content, &args.source.theme, &args.out);
    options.base_url = Some(format!("http://{local}/"));
    // The API is nested at `/api` on this same origin (see `site_and_api`).
    options.api_base_url = Some("/api/v1".into());
    let content = args.source.content.clone();
    let result = tokio::task::spawn_blocking(move || build_site(&options))
        .await
        .context("the build stopped")?;
    let previous = args.out.join("index.html").exists();
    match result {
        Ok(report) => {
            eprintln!(
                "Situs dibangun: {} halaman, {} produk, {} produsen.",
                report.pages, report.products, report.producers
            );
            Ok(true)
        }
        Err(BuildError::Content(diagnostics)) => {
            eprint!("{}", diagnostics.render(crate::cli::Lang::Id, &content));
            if previous {
                eprintln!(
                    "Konten bermasalah; menyajikan hasil build sebelumnya dari {}.",
                    args.out.display()
                );
            }
            Ok(previous)
        }
        Err(error) if previous => {
            eprintln!("Build gagal ({error}); menyajikan hasil build sebelumnya.");
            Ok(true)
        }
        Err(error) => Err(error).context("building the site"),
    }
}

/// Loads the build's `catalog.json` as the price list, so redemptions price what the site shows.
async fn load_catalog(ledger: &Ledger, out: &Path) -> anyhow::Result<()> {
    let path = out.join("catalog.json");
    let Ok(text) = tokio::fs::read_to_string(&path).await else {
        eprintln!(
            "Tidak ada {}; daftar harga tidak diperbarui.",
            path.display()
        );
        return Ok(());
    };
    let catalog: Catalog =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    ledger
        .load_catalog(&catalog)
        .await
        .context("loading the price list")?;
    eprintln!("Daftar harga: {} produk.", catalog.items.len());
    Ok(())
}

/// On an empty store: a demo batch and a demo cashier token, printed once.
async fn seed_demo(ledger: &Ledger) -> anyhow::Result<()> {
    let store = ledger.store();
    if store.voucher_count().await.context("counting vouchers")? > 0 {
        return Ok(());
    }
    let now = Utc::now();
    let expires_on = today_wib()
        .checked_add_days(Days::new(DEMO_DAYS))
        .context("demo expiry date")?;
    let batch = NewBatch {
        name: format!("DEMO-{}", now.format("%Y%m%d%H%M%S")),
        unit: Some("DEMO (bukan voucher asli)".into()),
        count: DEMO_VOUCHERS,
        amount: Money::new(DEMO_AMOUNT).context("demo amount")?,
        expires_on,
    };
    let codes = ledger
        .issue(&batch, now)
        .await
        .context("issuing the demo batch")?;
    let (token, record) = mint_token(Role::Cashier, "Kasir demo", now)
        .map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    store
        .put_token(&record)
        .await
        .context("storing the demo token")?;
    println!("Penyimpanan voucher kosong: dibuat data DEMO (bukan voucher asli).");
    println!(
        "Voucher demo ({}, berlaku s.d. {expires_on}):",
        Money::new(DEMO_AMOUNT).unwrap_or_default()
    );
    for code in &codes {
        println!("  {}", code.expose());
    }
    println!("Token kasir demo ({}): {token}", record.id);
    Ok(())
}

/// Resolves on Ctrl-C (or SIGTERM on Unix), letting in-flight requests finish.
async fn shutdown() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

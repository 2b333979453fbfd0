//! `galeri serve`: build the site, load its price list, and serve both on one port: the site
//! from the output folder (its 404.html for misses) and the voucher API at `/api` (so
//! `/api/v1/balance`). It is a live preview (`preview`): it watches the content and the theme,
//! rebuilds on save, reloads open tabs and reloads the price list; `--no-watch` turns that off. It is also the single-machine gallery server: HTTPS with
//! `--tls-cert`/`--tls-key` (rustls), so tokens and codes never cross the LAN in clear, and
//! `--trusted-proxy` for a reverse proxy in front. With `--demo` (SQLite only) an empty store
//! gets a clearly marked demo batch and a demo cashier token, written to a 0600 file.

use crate::cli::{ForwardedHeaderArg, ServeArgs};
use crate::preview::{self, Preview};
use crate::site::{today_wib, BuildError, BuildOptions};
use anyhow::Context;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use chrono::{Days, Utc};
use galeri_api::address::{set_client_address, ForwardedHeader, TrustedProxies};
use galeri_api::auth::mint_token;
use galeri_api::logging::MaskingWriter;
use galeri_api::{app, AppState, Limits};
use galeri_vouchers::config::StoreSpec;
use galeri_vouchers::model::{Catalog, NewBatch, Role, DEMO_TOKEN_NAME};
use galeri_vouchers::{Ledger, Money};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tower_http::services::{ServeDir, ServeFile};
use tracing_subscriber::EnvFilter;

/// Vouchers in the demo batch.
const DEMO_VOUCHERS: u32 = 3;
/// Face value of a demo voucher: the program's monthly amount since October 2022.
const DEMO_AMOUNT: i64 = 200_000;
/// Days a demo voucher stays valid.
const DEMO_DAYS: u64 = 90;
/// How long in-flight requests may take to finish after Ctrl-C.
const GRACE: Duration = Duration::from_secs(10);

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
    let spec = StoreSpec::parse_or_default(args.store.store.as_deref())?;
    // Demo data never goes near a production table, not even to be refused later.
    if args.demo && matches!(spec, StoreSpec::Dynamodb(_)) {
        anyhow::bail!(
            "--demo menolak penyimpanan {spec}: data demo hanya untuk penyimpanan SQLite lokal, \
             tidak pernah di DynamoDB (produksi). Jalankan tanpa --demo, atau pakai --store \
             sqlite:PATH. (--demo is refused on a DynamoDB store: demo data is for a local \
             SQLite store only.)"
        );
    }
    // Certificate problems should fail before the build does any work.
    let tls = tls_config(&args).await?;
    // Bind first: a port in use should fail before the build does any work.
    let listener =
        std::net::TcpListener::bind(address).with_context(|| format!("listening on {address}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let scheme = if tls.is_some() { "https" } else { "http" };

    // A wrong or lost pepper, too, is refused before the build.
    let (ledger, spec) = super::ledger(&args.store, true).await?;
    let ledger = ledger
        .with_demo(args.demo)
        .with_order_hold_days(order_hold_days(&args.source.content));

    let preview = Preview::new(build_options(&args, local, scheme));
    if !build(&args, &preview).await? {
        return Ok(ExitCode::FAILURE);
    }
    load_catalog(&ledger, &args.out).await?;
    if args.demo {
        seed_demo(&ledger, &spec).await?;
    }

    let mut state = AppState::new(ledger.clone());
    state.limits = Limits::from_env();
    let header = match args.forwarded_header {
        ForwardedHeaderArg::XForwardedFor => ForwardedHeader::XForwardedFor,
        ForwardedHeaderArg::Forwarded => ForwardedHeader::Forwarded,
    };
    let proxies = TrustedProxies::new(args.trusted_proxies.clone(), header);
    let router = site_and_api(state, &args.out, proxies);
    let (router, _watcher) = if args.no_watch {
        (router, None)
    } else {
        let watcher = preview
            .watch()
            .context("watching the content and theme folders")?;
        tokio::spawn(reload_catalog(
            preview.subscribe(),
            ledger,
            args.out.clone(),
        ));
        eprintln!(
            "Pratinjau langsung: perubahan di {} dan {} dibangun ulang otomatis.",
            args.source.content.display(),
            args.source.theme.display()
        );
        (preview::attach(router, &preview), Some(watcher))
    };
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    tokio::spawn({
        let handle = handle.clone();
        let preview = preview.clone();
        async move {
            shutdown().await;
            preview.close();
            handle.graceful_shutdown(Some(GRACE));
        }
    });
    eprintln!(
        "Galeri berjalan di {scheme}://{local}/ (API: {scheme}://{local}/api/v1). Ctrl-C untuk \
         berhenti."
    );
    let served = match tls {
        Some(config) => {
            axum_server::from_tcp_rustls(listener, config)
                .context("serving")?
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            axum_server::from_tcp(listener)
                .context("serving")?
                .handle(handle)
                .serve(service)
                .await
        }
    };
    served.context("serving")?;
    eprintln!("Galeri berhenti.");
    Ok(ExitCode::SUCCESS)
}

/// The rustls configuration of `--tls-cert`/`--tls-key`, or none for plain HTTP.
async fn tls_config(args: &ServeArgs) -> anyhow::Result<Option<RustlsConfig>> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    let config = RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "sertifikat TLS tidak dapat dibaca (--tls-cert {}, --tls-key {}): keduanya harus \
                 berkas PEM, sertifikat dan kunci privat yang berpasangan",
                cert.display(),
                key.display()
            )
        })?;
    Ok(Some(config))
}

/// The site's files, with the API nested at `/api`; every request's client address is set from
/// the peer and, behind a trusted proxy, its forwarding header.
pub fn site_and_api(state: AppState, out: &Path, proxies: TrustedProxies) -> Router {
    let site = ServeDir::new(out)
        .append_index_html_on_directories(true)
        .not_found_service(ServeFile::new(out.join("404.html")));
    Router::new()
        .nest("/api", app(state))
        .fallback_service(site)
        .layer(axum::middleware::map_request_with_state(
            Arc::new(proxies),
            set_client_address,
        ))
}

/// The preview build: this server's address as the base URL, the API on the same origin.
fn build_options(args: &ServeArgs, local: SocketAddr, scheme: &str) -> BuildOptions {
    let mut options = BuildOptions::new(&args.source.content, &args.source.theme, &args.out);
    options.base_url = Some(format!("{scheme}://{local}/"));
    // The API is nested at `/api` on this same origin (see `site_and_api`).
    options.api_base_url = Some("/api/v1".into());
    options
}

/// After each successful rebuild, the new price list, so a sale prices what the page shows.
async fn reload_catalog(
    mut status: tokio::sync::watch::Receiver<preview::Status>,
    ledger: Ledger,
    out: PathBuf,
) {
    let mut generation = status.borrow_and_update().generation;
    while status.changed().await.is_ok() {
        let current = status.borrow_and_update().generation;
        if current != generation {
            generation = current;
            if let Err(error) = load_catalog(&ledger, &out).await {
                eprintln!("Daftar harga tidak dimuat ulang: {error:#}");
            }
        }
    }
}

/// Builds the site for this address. On content errors, prints them and serves the previous
/// build if there is one (so a typo does not take the till down); with none, gives up.
async fn build(args: &ServeArgs, preview: &Arc<Preview>) -> anyhow::Result<bool> {
    let content = args.source.content.clone();
    let building = Arc::clone(preview);
    let result = tokio::task::spawn_blocking(move || building.rebuild())
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

/// The site's `order_hold_days` (how long an online order holds its vouchers), read from
/// `site.yaml` as the build reads it; the ledger's default while the file does not parse (the
/// build then reports why, and the preview rebuilds once it is fixed).
fn order_hold_days(content: &Path) -> u32 {
    let path = content.join("site.yaml");
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| crate::content::site::parse_site(&text, &path).0)
        .map_or(galeri_vouchers::ledger::DEFAULT_ORDER_HOLD_DAYS, |site| {
            site.order_hold_days
        })
}

/// On an empty store: a demo batch and a demo cashier token, whose secrets are written to a
/// 0600 file beside the database (never to the screen or the log, which may be shared).
async fn seed_demo(ledger: &Ledger, spec: &StoreSpec) -> anyhow::Result<()> {
    let StoreSpec::Sqlite(database) = spec else {
        anyhow::bail!("--demo is for a SQLite store only");
    };
    let secrets = demo_secrets_path(database);
    let store = ledger.store();
    if store.voucher_count().await.context("counting vouchers")? > 0 {
        if secrets.exists() {
            eprintln!(
                "Mode DEMO. Kode voucher dan token kasir demo ada di {}.",
                secrets.display()
            );
        } else {
            eprintln!("Mode DEMO. Penyimpanan sudah berisi voucher; data demo tidak dibuat.");
        }
        return Ok(());
    }
    let now = Utc::now();
    let expires_on = today_wib()
        .checked_add_days(Days::new(DEMO_DAYS))
        .context("demo expiry date")?;
    let amount = Money::new(DEMO_AMOUNT).context("demo amount")?;
    let batch = NewBatch {
        name: format!("DEMO-{}", now.format("%Y%m%d%H%M%S")),
        unit: Some("DEMO (bukan voucher asli)".into()),
        count: DEMO_VOUCHERS,
        amount,
        expires_on,
    };
    let codes = ledger
        .issue(&batch, now)
        .await
        .context("issuing the demo batch")?;
    let (token, record) = mint_token(Role::Cashier, DEMO_TOKEN_NAME, now)
        .map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
    store
        .put_token(&record)
        .await
        .context("storing the demo token")?;
    let mut text = format!(
        "# Data DEMO dari `galeri serve --demo`: bukan voucher asli, hanya berlaku dalam mode \
         demo.\n# Rahasia: jangan dibagikan.\n\nVoucher demo ({amount}, berlaku s.d. \
         {expires_on}):\n"
    );
    for code in &codes {
        text.push_str(&format!("  {}\n", code.expose()));
    }
    text.push_str(&format!("\nToken kasir demo ({}): {token}\n", record.id));
    write_secret(&secrets, &text)
        .with_context(|| format!("writing the demo secrets to {}", secrets.display()))?;
    eprintln!(
        "Penyimpanan voucher kosong: dibuat data DEMO (bukan voucher asli): {DEMO_VOUCHERS} \
         voucher {amount} dan satu token kasir. Kode dan token ditulis ke {} (hanya dapat \
         dibaca pemiliknya).",
        secrets.display()
    );
    Ok(())
}

/// `vouchers.db` → `vouchers.db.demo.txt`.
pub fn demo_secrets_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".demo.txt");
    PathBuf::from(name)
}

/// Replaces `path` with `text` in a file only its owner can read (a temporary file in the same
/// folder, mode 0600, renamed over it).
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    let folder = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path)?;
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

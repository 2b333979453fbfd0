//! The store conformance suite against the SQLite store, each check on a new database file in
//! its own temp folder.

use galeri_tests::conformance::StoreUnderTest;
use galeri_vouchers::sqlite::SqliteStore;
use galeri_vouchers::VoucherStore;
use std::sync::Arc;

/// A prepared store on a new file; the temp folder lives as long as the check.
async fn fresh_store() -> StoreUnderTest {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("temp dir: {error}"),
    };
    let store = match SqliteStore::open(&dir.path().join("vouchers.db")) {
        Ok(store) => store,
        Err(error) => panic!("opening SQLite: {error}"),
    };
    if let Err(error) = store.prepare().await {
        panic!("preparing SQLite: {error}");
    }
    StoreUnderTest {
        store: Arc::new(store),
        guard: Some(Box::new(dir)),
    }
}

galeri_tests::conformance_tests!(fresh_store());

/// Program administration (void, expiry, settlement on events, daily close) on SQLite.
mod admin {
    galeri_tests::admin_conformance_tests!(super::fresh_store());
}

/// The admin commands over a SQLite file: issue writes the codes once (0600, never over an
/// existing file), load-catalog sets the price list, audit passes on honest books.
mod cli {
    use anyhow::{ensure, Context, Result};
    use chrono::Utc;
    use galeri::cli::{IssueArgs, LoadCatalogArgs, StoreArgs};
    use galeri::cmd;
    use galeri_tests::conformance::test_catalog;
    use galeri_vouchers::config::{load_pepper, open_store, StoreSpec};
    use galeri_vouchers::model::LineRequest;
    use galeri_vouchers::{Ledger, RedeemRequest, VoucherCode};
    use std::process::ExitCode;

    #[test]
    fn issue_load_catalog_redeem_and_audit() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let database = dir.path().join("store/vouchers.db");
        let store = StoreArgs {
            store: Some(format!("sqlite:{}", database.display())),
        };
        let out = dir.path().join("codes.csv");
        let issue = |out: &std::path::Path, batch: &str| {
            cmd::vouchers::issue(IssueArgs {
                count: 5,
                amount: 50_000,
                expires: "2099-12-31".into(),
                batch: Some(batch.into()),
                unit: Some("Dinas Koperasi, UKM".into()),
                out: out.to_path_buf(),
                store: store.clone(),
            })
        };
        ensure!(issue(&out, "2099-12")? == ExitCode::SUCCESS);
        let csv = std::fs::read_to_string(&out)?;
        let rows: Vec<&str> = csv.lines().collect();
        ensure!(
            rows[0] == "code,amount,expires,batch,unit",
            "header {}",
            rows[0]
        );
        ensure!(rows.len() == 6, "{} rows", rows.len());
        ensure!(
            rows[1].ends_with(",50000,2099-12-31,2099-12,\"Dinas Koperasi, UKM\""),
            "row {}",
            rows[1]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out)?.permissions().mode() & 0o777;
            ensure!(mode == 0o600, "codes file mode {mode:o}");
        }
        // Never over an existing file, and nothing issued when refused.
        ensure!(issue(&out, "2099-12b").is_err(), "overwrote the codes file");
        ensure!(std::fs::read_to_string(&out)? == csv, "codes file changed");
        // A refused batch leaves no empty file behind.
        let second = dir.path().join("again.csv");
        ensure!(
            issue(&second, "2099-12").is_err(),
            "duplicate batch accepted"
        );
        ensure!(!second.exists(), "a failed issue left {}", second.display());

        let catalog = dir.path().join("catalog.json");
        std::fs::write(&catalog, serde_json::to_string(&test_catalog())?)?;
        let loaded = cmd::load_catalog::run(LoadCatalogArgs {
            catalog: catalog.clone(),
            store: store.clone(),
        })?;
        ensure!(loaded == ExitCode::SUCCESS);

        let code = VoucherCode::parse(rows[1].split(',').next().context("no code")?)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let spec = StoreSpec::Sqlite(database.clone());
            let store = open_store(&spec).await?;
            let (pepper, _) = load_pepper(&spec, store.as_ref(), true).await?;
            let ledger = Ledger::new(store, pepper);
            ensure!(ledger.balance(&code).await?.balance.rupiah() == 50_000);
            let request = RedeemRequest {
                idempotency_key: "cli-sale-idempotency-key-1".into(),
                cashier: "kasir".into(),
                member: "kasir".into(),
                code: code.clone(),
                items: vec![LineRequest {
                    sku: "TOPENG-S".into(),
                    qty: 1,
                }],
                allow_cash: true,
            };
            let redemption = ledger.redeem(&request, Utc::now()).await?;
            ensure!(redemption.balance_after.rupiah() == 15_000);
            Ok(())
        })?;
        ensure!(
            cmd::audit::run(store.clone())? == ExitCode::SUCCESS,
            "audit failed on honest books"
        );
        Ok(())
    }
}

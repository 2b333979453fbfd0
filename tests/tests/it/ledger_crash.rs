//! Crash safety of the SQLite store: a writer process is killed with SIGKILL in the middle of
//! a redemption load; after reopening, every redemption it acknowledged is there and the audit
//! holds.
//!
//! The writer is this test binary itself, started again with `GALERI_CRASH_WRITER=<db path>`:
//! it redeems from several tasks at once and prints `ACK <id>` (flushed) after each commit.

use anyhow::{ensure, Context, Result};
use chrono::{Duration, NaiveDate, Utc};
use galeri_tests::conformance::{rp, test_catalog, test_pepper};
use galeri_vouchers::model::{LineRequest, NewBatch};
use galeri_vouchers::sqlite::SqliteStore;
use galeri_vouchers::{Ledger, RedeemRequest, VoucherStore};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

const WRITER_VARIABLE: &str = "GALERI_CRASH_WRITER";
const TEST_NAME: &str = "ledger_crash::acknowledged_redemptions_survive_sigkill";

#[test]
fn acknowledged_redemptions_survive_sigkill() -> Result<()> {
    if let Ok(path) = std::env::var(WRITER_VARIABLE) {
        return writer(Path::new(&path));
    }
    let dir = tempfile::tempdir()?;
    let database = dir.path().join("vouchers.db");
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(WRITER_VARIABLE, &database)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the writer")?;
    let stdout = child.stdout.take().context("writer stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let mut acknowledged = Vec::new();
    let mut started: Option<Instant> = None;
    // Read acknowledgements for about a second after the first, then kill mid-load.
    for line in lines.by_ref() {
        let line = line?;
        if let Some(id) = line.strip_prefix("ACK ") {
            acknowledged.push(id.to_string());
            let first = *started.get_or_insert_with(Instant::now);
            if first.elapsed() >= std::time::Duration::from_secs(1) {
                break;
            }
        }
    }
    child.kill().context("SIGKILL to the writer")?;
    child.wait()?;
    // Whatever it printed before dying was acknowledged too.
    for line in lines {
        if let Some(id) = line?.strip_prefix("ACK ") {
            acknowledged.push(id.to_string());
        }
    }
    ensure!(
        acknowledged.len() >= 20,
        "the writer acknowledged only {} redemptions",
        acknowledged.len()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Arc::new(SqliteStore::open(&database)?);
        store.prepare().await?;
        let ledger = Ledger::new(store.clone(), test_pepper()?);
        for id in &acknowledged {
            ensure!(
                store.redemption(id).await?.is_some(),
                "acknowledged redemption {id} is missing"
            );
        }
        let report = ledger.audit().await?;
        ensure!(
            report.discrepancies.is_empty(),
            "audit after the crash: {report:?}"
        );
        ensure!(
            report.redeemed.rupiah() >= 10_000 * acknowledged.len() as i64,
            "redeemed {}",
            report.redeemed
        );
        eprintln!(
            "crash test: {} acknowledged redemptions all present; {} redeemed in total",
            acknowledged.len(),
            report.redeemed
        );
        Ok(())
    })
}

/// The child: redeems Rp10.000 from four tasks until killed, acknowledging each commit.
fn writer(database: &Path) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = Arc::new(SqliteStore::open(database)?);
        store.prepare().await?;
        let ledger = Ledger::new(store, test_pepper()?);
        ledger.load_catalog(&test_catalog()).await?;
        let now = Utc::now();
        let batch = NewBatch {
            name: "crash".into(),
            unit: None,
            count: 64,
            amount: rp(100_000_000),
            expires_on: NaiveDate::from_ymd_opt(2099, 12, 31).context("date")?,
        };
        let codes = ledger.issue(&batch, now).await?;
        let mut tasks = Vec::new();
        for (task, code) in codes.into_iter().enumerate().take(4) {
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0u64.. {
                    let request = RedeemRequest {
                        idempotency_key: format!("crash-sale-key-{task}-{round}"),
                        cashier: "kasir".into(),
                        member: "kasir".into(),
                        code: code.clone(),
                        items: vec![LineRequest {
                            sku: "KOPI-250".into(),
                            qty: 1,
                        }],
                        allow_cash: true,
                    };
                    let redemption = ledger
                        .redeem(&request, now + Duration::milliseconds(round as i64))
                        .await?;
                    // Printed only after the commit returned: this is the acknowledgement.
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {}", redemption.id)?;
                    out.flush()?;
                }
                Ok::<(), anyhow::Error>(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        Ok(())
    })
}

//! Benchmark of the SQLite store: redemptions per second and p50/p99 latency of
//! `Ledger::redeem` (pricing from the stored price list, the `BEGIN IMMEDIATE` transaction,
//! the durable commit) at 1, 8 and 32 concurrent callers, beside the raw SQLite durable-commit
//! rate on the same disk: the ceiling for one writer with `synchronous=FULL`.
//!
//! ```sh
//! cargo bench -p galeri-tests --bench ledger_bench                  # 2000 redemptions a level
//! GALERI_BENCH_ROUNDS=5000 cargo bench -p galeri-tests --bench ledger_bench
//! GALERI_BENCH_DIR=/var/tmp cargo bench -p galeri-tests --bench ledger_bench   # another disk
//! ```

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use galeri_tests::conformance::{rp, test_catalog, test_pepper};
use galeri_vouchers::ledger::{Ledger, RedeemRequest};
use galeri_vouchers::model::{LineRequest, NewBatch};
use galeri_vouchers::sqlite::{time_durable_commits, SqliteStore};
use galeri_vouchers::VoucherStore;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LEVELS: [usize; 3] = [1, 8, 32];

fn main() -> Result<()> {
    let rounds: usize = match std::env::var("GALERI_BENCH_ROUNDS") {
        Ok(text) => text.parse().context("GALERI_BENCH_ROUNDS")?,
        Err(_) => 2_000,
    };
    let dir = match std::env::var("GALERI_BENCH_DIR") {
        Ok(parent) => tempfile::tempdir_in(parent)?,
        Err(_) => tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?,
    };
    println!(
        "SQLite ledger benchmark ({rounds} redemptions a level, files in {})",
        dir.path().display()
    );

    let raw = time_durable_commits(&dir.path().join("raw.db"), rounds as u32)?;
    let ceiling = rounds as f64 / raw.as_secs_f64();
    println!("raw durable commits (one row, WAL, synchronous=FULL): {ceiling:.0}/s");
    println!();
    println!("| callers | redemptions/s | p50 ms | p99 ms | ratio to raw commits |");
    println!("|---:|---:|---:|---:|---:|");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for callers in LEVELS {
        let path = dir.path().join(format!("ledger-{callers}.db"));
        let (rate, mut latencies) = runtime.block_on(run_level(&path, callers, rounds))?;
        latencies.sort();
        println!(
            "| {callers} | {rate:.0} | {:.2} | {:.2} | {:.2} |",
            millis(percentile(&latencies, 50)),
            millis(percentile(&latencies, 99)),
            rate / ceiling
        );
    }
    Ok(())
}

/// `rounds` redemptions shared among `callers` tasks, each on its own voucher (so the load is
/// the store's, not one voucher's balance running out).
async fn run_level(
    path: &std::path::Path,
    callers: usize,
    rounds: usize,
) -> Result<(f64, Vec<Duration>)> {
    let store = Arc::new(SqliteStore::open(path)?);
    store.prepare().await?;
    let ledger = Ledger::new(store, test_pepper()?);
    ledger.load_catalog(&test_catalog()).await?;
    let batch = NewBatch {
        name: format!("bench-{callers}"),
        unit: None,
        count: u32::try_from(callers)?,
        amount: rp(1_000_000_000_000),
        expires_on: NaiveDate::from_ymd_opt(2099, 12, 31).context("date")?,
    };
    let codes = ledger.issue(&batch, Utc::now()).await?;
    let per_caller = rounds.div_ceil(callers);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (caller, code) in codes.into_iter().enumerate() {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_caller);
            for round in 0..per_caller {
                let request = RedeemRequest {
                    idempotency_key: format!("bench-{caller}-{round}"),
                    cashier: format!("kasir-{caller}"),
                    code: code.clone(),
                    items: vec![
                        LineRequest {
                            sku: "KOPI-250".into(),
                            qty: 2,
                        },
                        LineRequest {
                            sku: "TOPENG-S".into(),
                            qty: 1,
                        },
                    ],
                    allow_cash: true,
                };
                let began = Instant::now();
                ledger.redeem(&request, Utc::now()).await?;
                latencies.push(began.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(rounds);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    let report = ledger.audit().await?;
    anyhow::ensure!(
        report.discrepancies.is_empty(),
        "audit failed after the benchmark"
    );
    Ok((rate, latencies))
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = (sorted.len() * percent).div_ceil(100).saturating_sub(1);
    sorted[index.min(sorted.len() - 1)]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

//! Benchmark of the SQLite store: redemptions per second and p50/p99 latency of
//! `Ledger::redeem` (pricing from the stored price list, the `BEGIN IMMEDIATE` transaction,
//! the durable commit) at 1, 8 and 32 concurrent callers, beside the raw SQLite durable-commit
//! rate on the same disk: the ceiling for one writer with `synchronous=FULL`.
//!
//! The disk is shared (other builds write to it, and an fsync on ext4 waits for their data
//! too), so the fsync cost drifts by 10x within minutes. The benchmark therefore alternates
//! short slices of ledger load and raw commits and compares the sums, so both see the same
//! conditions.
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
use galeri_vouchers::sqlite::{CommitProbe, SqliteStore};
use galeri_vouchers::{VoucherCode, VoucherStore};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LEVELS: [usize; 3] = [1, 8, 32];
/// Slices of ledger load, each followed by a slice of raw commits.
const SLICES: usize = 5;
/// Untimed raw commits (one page each) before measuring: enough to wrap the WAL.
const WARM_UP_COMMITS: usize = 1_200;
/// Untimed redemptions (several pages each) before measuring, shared by the callers.
const WARM_UP_REDEMPTIONS: usize = 256;

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
        "SQLite ledger benchmark: {rounds} redemptions a level in {SLICES} slices, each slice \
         followed by as many raw commits (files in {})",
        dir.path().display()
    );
    println!();
    println!("| callers | redemptions/s | p50 ms | p99 ms | raw durable commits/s | ratio |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    for callers in LEVELS {
        let level = runtime.block_on(run_level(dir.path(), callers, rounds))?;
        let mut latencies = level.latencies;
        latencies.sort();
        let rate = latencies.len() as f64 / level.ledger_time.as_secs_f64();
        let raw = level.raw_commits as f64 / level.raw_time.as_secs_f64();
        println!(
            "| {callers} | {rate:.0} | {:.2} | {:.2} | {raw:.0} | {:.2} |",
            millis(percentile(&latencies, 50)),
            millis(percentile(&latencies, 99)),
            rate / raw
        );
    }
    Ok(())
}

struct Level {
    latencies: Vec<Duration>,
    ledger_time: Duration,
    raw_commits: usize,
    raw_time: Duration,
}

/// `rounds` redemptions shared among `callers` tasks, each on its own voucher (so the load is
/// the store's, not one voucher's balance running out), interleaved with raw commits.
async fn run_level(dir: &Path, callers: usize, rounds: usize) -> Result<Level> {
    let store = Arc::new(SqliteStore::open(
        &dir.join(format!("ledger-{callers}.db")),
    )?);
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
    let per_slice = rounds.div_ceil(SLICES).div_ceil(callers);
    let probe = Arc::new(Mutex::new(CommitProbe::open(
        &dir.join(format!("raw-{callers}.db")),
    )?));
    // Warm up both until their WAL files have reached full size and wrapped (1000 pages):
    // steady state, not the first minutes of a new file.
    {
        let probe = probe.clone();
        tokio::task::spawn_blocking(move || {
            Ok::<_, anyhow::Error>(lock(&probe)?.time(WARM_UP_COMMITS)?)
        })
        .await??;
    }
    for (caller, code) in codes.iter().enumerate() {
        caller_slice(
            &ledger,
            code,
            caller,
            usize::MAX,
            WARM_UP_REDEMPTIONS / callers,
        )
        .await?;
    }
    let mut level = Level {
        latencies: Vec::with_capacity(rounds),
        ledger_time: Duration::ZERO,
        raw_commits: 0,
        raw_time: Duration::ZERO,
    };
    for slice in 0..SLICES {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (caller, code) in codes.iter().enumerate() {
            let (ledger, code) = (ledger.clone(), code.clone());
            tasks.push(tokio::spawn(async move {
                caller_slice(&ledger, &code, caller, slice, per_slice).await
            }));
        }
        let before = level.latencies.len();
        for task in tasks {
            level.latencies.extend(task.await??);
        }
        level.ledger_time += started.elapsed();
        let commits = level.latencies.len() - before;
        let probe = probe.clone();
        level.raw_time += tokio::task::spawn_blocking(move || {
            Ok::<_, anyhow::Error>(lock(&probe)?.time(commits)?)
        })
        .await??;
        level.raw_commits += commits;
    }
    let report = ledger.audit().await?;
    anyhow::ensure!(
        report.discrepancies.is_empty(),
        "audit failed after the benchmark"
    );
    Ok(level)
}

/// One caller's redemptions in one slice; returns their latencies.
async fn caller_slice(
    ledger: &Ledger,
    code: &VoucherCode,
    caller: usize,
    slice: usize,
    count: usize,
) -> Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(count);
    for round in 0..count {
        let request = RedeemRequest {
            idempotency_key: format!("bench-sale-key-{caller}-{slice}-{round}"),
            cashier: format!("kasir-{caller}"),
            member: format!("kasir-{caller}"),
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
    Ok(latencies)
}

fn lock(probe: &Mutex<CommitProbe>) -> Result<std::sync::MutexGuard<'_, CommitProbe>> {
    probe
        .lock()
        .map_err(|_| anyhow::anyhow!("probe lock poisoned"))
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

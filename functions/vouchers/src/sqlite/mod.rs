//! The embedded store: one SQLite file (bundled SQLite, WAL, `synchronous=FULL` so a commit
//! that returned survives a crash or power cut). The default for `galeri serve` and a
//! single-machine gallery.
//!
//! rusqlite is synchronous, so every call runs on `spawn_blocking` over one of two connections,
//! each behind a mutex: the writer and a read-only reader. SQLite serialises writers anyway, so
//! one writer connection loses nothing, and every state change is a single `BEGIN IMMEDIATE`
//! transaction, so checks and writes see the same state: no lost updates, no negative balance
//! (also enforced by a `CHECK` in the schema). The reader lets lookups (token checks, balance,
//! prices) proceed while the writer waits for its fsync. Other processes (the CLI while `serve`
//! runs) wait on `busy_timeout`.
//!
//! This file holds the store and the trait's entry points; each operation lives in the module
//! named after it (`redeem`, `refund`, `vouchers`, `tokens`, …), the schema in `schema`.

mod idempotency;
mod lookups;
mod pepper;
mod prices;
mod probe;
mod redeem;
mod refund;
mod reports;
mod rows;
mod schema;
mod tokens;
mod vouchers;

pub use probe::CommitProbe;

use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    CatalogItem, LedgerEntry, NewBatch, Redemption, Refund, StaffToken, VoidOutcome, Voucher,
    VoucherBooks, VoucherEntry, VoucherLedger,
};
use crate::store::{RedeemCommand, RefundCommand, VoucherStore};
use chrono::{DateTime, Utc};
use rows::sql_error;
use rusqlite::Connection;
use schema::{connect, migrate, prune};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// The SQLite store. Cheap to clone (shares the connection).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The one writer: every state change goes through it, one transaction at a time.
    connection: Mutex<Connection>,
    /// A read-only connection for lookups (balance, tokens, prices, reports): with WAL it
    /// reads the last commit without waiting behind the writer's fsync.
    reader: Mutex<Connection>,
    /// When idempotency records were last pruned (seconds since 1970).
    last_prune: AtomicI64,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its folder, sets the durability
    /// pragmas and applies pending migrations.
    pub fn open(path: &Path) -> LedgerResult<SqliteStore> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|error| {
                LedgerError::Store(format!("creating {}: {error}", parent.display()))
            })?;
        }
        let mut connection = connect(path)?;
        migrate(&mut connection)?;
        let reader = connect(path)?;
        reader
            .execute_batch("PRAGMA query_only = ON")
            .map_err(sql_error)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                connection: Mutex::new(connection),
                reader: Mutex::new(reader),
                last_prune: AtomicI64::new(0),
            }),
        })
    }

    /// Runs `work` on the blocking pool with the writer connection.
    async fn with<T, F>(&self, work: F) -> LedgerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> LedgerResult<T> + Send + 'static,
    {
        self.on(|inner| &inner.connection, work).await
    }

    /// Runs a lookup on the blocking pool with the read-only connection.
    async fn read<T, F>(&self, work: F) -> LedgerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> LedgerResult<T> + Send + 'static,
    {
        self.on(|inner| &inner.reader, work).await
    }

    /// Runs `work` on the blocking pool with the connection `pick` chooses.
    async fn on<T, F>(&self, pick: fn(&Inner) -> &Mutex<Connection>, work: F) -> LedgerResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> LedgerResult<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves no half-done write: an open transaction
            // rolls back when dropped. So a poisoned lock is safe to take over.
            let mut connection = pick(&inner)
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut connection)
        })
        .await
        .map_err(LedgerError::store)?
    }

    /// Prunes idempotency records and old failure windows at most once an hour.
    fn prune_due(&self, now: DateTime<Utc>) -> bool {
        let seconds = now.timestamp();
        let last = self.inner.last_prune.load(Ordering::Relaxed);
        seconds - last >= 3600
            && self
                .inner
                .last_prune
                .compare_exchange(last, seconds, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[async_trait::async_trait]
impl VoucherStore for SqliteStore {
    async fn prepare(&self) -> LedgerResult<()> {
        self.with(|connection| {
            migrate(connection)?;
            prune(connection, Utc::now())
        })
        .await
    }

    async fn insert_batch(
        &self,
        batch: &NewBatch,
        vouchers: &[(CodeHash, String)],
        now: DateTime<Utc>,
    ) -> LedgerResult<()> {
        let batch = batch.clone();
        let vouchers = vouchers.to_vec();
        self.with(move |connection| vouchers::insert_batch(connection, &batch, &vouchers, now))
            .await
    }

    async fn voucher(&self, code: &CodeHash) -> LedgerResult<Option<Voucher>> {
        let code = code.clone();
        self.read(move |connection| vouchers::load_voucher(connection, code.as_str()))
            .await
    }

    async fn voucher_count(&self) -> LedgerResult<u64> {
        self.read(vouchers::voucher_count).await
    }

    async fn void_with_reason(
        &self,
        code: &CodeHash,
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<VoidOutcome> {
        let (code, reason) = (code.clone(), reason.to_string());
        self.with(move |connection| vouchers::void_with_reason(connection, &code, &reason, now))
            .await
    }

    async fn list_vouchers(&self, batch: Option<&str>) -> LedgerResult<Vec<Voucher>> {
        let batch = batch.map(str::to_string);
        self.read(move |connection| vouchers::list_vouchers(connection, batch.as_deref()))
            .await
    }

    async fn expire_voucher(
        &self,
        code: &CodeHash,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<LedgerEntry>> {
        let code = code.clone();
        self.with(move |connection| vouchers::expire_voucher(connection, &code, now))
            .await
    }

    async fn replace_price_list(&self, items: &[CatalogItem]) -> LedgerResult<()> {
        let items = items.to_vec();
        self.with(move |connection| prices::replace_price_list(connection, &items))
            .await
    }

    async fn prices(&self, skus: &[String]) -> LedgerResult<HashMap<String, CatalogItem>> {
        let skus = skus.to_vec();
        self.read(move |connection| prices::prices(connection, &skus))
            .await
    }

    async fn redeem(&self, command: &RedeemCommand) -> LedgerResult<Redemption> {
        let command = command.clone();
        let prune_now = self.prune_due(command.now);
        self.with(move |connection| {
            let result = redeem::redeem_in(connection, &command);
            if prune_now {
                // Housekeeping only: a failed prune must not fail the sale.
                if let Err(error) = prune(connection, command.now) {
                    tracing::warn!(%error, "pruning idempotency records failed");
                }
            }
            result
        })
        .await
    }

    async fn redemption(&self, id: &str) -> LedgerResult<Option<Redemption>> {
        let id = id.to_string();
        self.read(move |connection| redeem::load_redemption(connection, &id))
            .await
    }

    async fn idempotent_redemption(
        &self,
        idempotency_key: &str,
        _now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, Redemption)>> {
        let key = idempotency_key.to_string();
        self.read(
            move |connection| match idempotency::stored_record(connection, &key)? {
                Some((request_hash, response)) => {
                    let redemption = serde_json::from_str(&response).map_err(LedgerError::store)?;
                    Ok(Some((request_hash, redemption)))
                }
                None => Ok(None),
            },
        )
        .await
    }

    async fn refund(&self, command: &RefundCommand) -> LedgerResult<Refund> {
        let command = command.clone();
        self.with(move |connection| refund::refund_in(connection, &command))
            .await
    }

    async fn history(&self, code: &CodeHash) -> LedgerResult<Vec<LedgerEntry>> {
        let code = code.clone();
        self.read(move |connection| vouchers::history(connection, &code))
            .await
    }

    async fn redemptions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>> {
        self.read(move |connection| reports::redemptions_between(connection, from, to))
            .await
    }

    async fn refunds_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>> {
        self.read(move |connection| reports::refunds_between(connection, from, to))
            .await
    }

    async fn entries_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<VoucherEntry>> {
        self.read(move |connection| vouchers::entries_between(connection, from, to))
            .await
    }

    async fn stored_answer(
        &self,
        operation: &str,
        key: &str,
        _now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, serde_json::Value)>> {
        let key = format!("{operation}#{key}");
        self.read(move |connection| idempotency::stored_answer(connection, &key))
            .await
    }

    async fn remember_answer(
        &self,
        operation: &str,
        key: &str,
        request_hash: &str,
        answer: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> LedgerResult<(String, serde_json::Value)> {
        let key = format!("{operation}#{key}");
        let (request_hash, answer) = (request_hash.to_string(), answer.clone());
        self.with(move |connection| {
            idempotency::remember_answer(connection, &key, &request_hash, &answer, now)
        })
        .await
    }

    async fn books(&self) -> LedgerResult<Vec<VoucherBooks>> {
        self.read(reports::books).await
    }

    async fn batches(&self) -> LedgerResult<Vec<NewBatch>> {
        self.read(reports::batches).await
    }

    async fn ledgers(&self) -> LedgerResult<Vec<VoucherLedger>> {
        self.read(reports::ledgers).await
    }

    async fn put_token(&self, token: &StaffToken) -> LedgerResult<()> {
        let token = token.clone();
        self.with(move |connection| tokens::put_token(connection, &token))
            .await
    }

    async fn token_by_hash(&self, token_hash: &str) -> LedgerResult<Option<StaffToken>> {
        let token_hash = token_hash.to_string();
        self.read(move |connection| tokens::token_by_hash(connection, &token_hash))
            .await
    }

    async fn tokens(&self) -> LedgerResult<Vec<StaffToken>> {
        self.read(tokens::tokens).await
    }

    async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> LedgerResult<StaffToken> {
        let id = id.to_string();
        self.with(move |connection| tokens::revoke_token(connection, &id, now))
            .await
    }

    async fn reserve_lookup(
        &self,
        subject: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> LedgerResult<bool> {
        let subject = subject.to_string();
        self.with(move |connection| {
            lookups::reserve_lookup(connection, &subject, window_start, limit)
        })
        .await
    }

    async fn release_lookup(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<()> {
        let subject = subject.to_string();
        self.with(move |connection| lookups::release_lookup(connection, &subject, window_start))
            .await
    }

    async fn pepper_check(&self) -> LedgerResult<Option<String>> {
        self.read(|connection| pepper::pepper_check(connection))
            .await
    }

    async fn record_pepper_check(&self, check: &str) -> LedgerResult<String> {
        let check = check.to_string();
        self.with(move |connection| pepper::record_pepper_check(connection, &check))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::NewBatch;
    use crate::money::Money;
    use chrono::{Duration, NaiveDate};
    use rusqlite::params;

    #[tokio::test]
    async fn audit_finds_a_tampered_balance() {
        use crate::ledger::Ledger;
        use crate::Pepper;
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = dir.path().join("v.db");
        let store = Arc::new(SqliteStore::open(&path).unwrap_or_else(|error| panic!("{error}")));
        let ledger = Ledger::new(
            store,
            Pepper::new(vec![1; 32]).unwrap_or_else(|error| panic!("{error}")),
        );
        let batch = NewBatch {
            name: "b".into(),
            unit: None,
            count: 3,
            amount: Money::new(50_000).unwrap_or_default(),
            expires_on: NaiveDate::from_ymd_opt(2099, 1, 1).unwrap_or_default(),
        };
        let codes = ledger.issue(&batch, Utc::now()).await.unwrap_or_default();
        assert_eq!(codes.len(), 3);
        assert!(ledger
            .audit()
            .await
            .map(|report| report.discrepancies.is_empty())
            .unwrap_or(false));
        // Someone adds money behind the ledger's back: the audit must name that voucher.
        let connection = Connection::open(&path).unwrap_or_else(|error| panic!("{error}"));
        connection
            .execute(
                "UPDATE vouchers SET balance = 60000 WHERE hint = ?1",
                [codes[1].hint()],
            )
            .unwrap_or_else(|error| panic!("{error}"));
        let report = ledger.audit().await.unwrap_or_default();
        assert_eq!(report.discrepancies.len(), 1);
        assert_eq!(report.discrepancies[0].hint, codes[1].hint());
        assert_eq!(report.balance.rupiah(), 160_000);
        assert!(report.batches.is_empty(), "{report:?}");
        // A voucher that vanished altogether: its batch no longer adds up.
        connection
            .execute_batch(&format!(
                "PRAGMA foreign_keys = OFF; DELETE FROM vouchers WHERE hint = '{}';",
                codes[2].hint()
            ))
            .unwrap_or_else(|error| panic!("{error}"));
        let report = ledger.audit().await.unwrap_or_default();
        assert_eq!(report.batches.len(), 1, "{report:?}");
        let batch = &report.batches[0];
        assert_eq!((batch.name.as_str(), batch.count, batch.found), ("b", 3, 2));
        assert_eq!(batch.found_value.rupiah(), 100_000);
    }

    #[tokio::test]
    async fn idempotency_records_are_kept_a_week_then_pruned() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = dir.path().join("v.db");
        let store = SqliteStore::open(&path).unwrap_or_else(|error| panic!("{error}"));
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut connection = Connection::open(&path).unwrap_or_else(|error| panic!("{error}"));
        for (key, age_days) in [("old", 8), ("recent", 6)] {
            connection
                .execute(
                    "INSERT INTO idempotency (key, request_hash, response, created_at) \
                     VALUES (?1, 'h', '{}', ?2)",
                    params![key, (start - Duration::days(age_days)).timestamp()],
                )
                .unwrap_or_else(|error| panic!("{error}"));
        }
        assert!(store.prune_due(start));
        assert!(
            !store.prune_due(start + Duration::minutes(5)),
            "pruned twice within the hour"
        );
        prune(&mut connection, start).unwrap_or_else(|error| panic!("{error}"));
        let keys: Vec<String> = connection
            .prepare("SELECT key FROM idempotency ORDER BY key")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| row.get(0))
                    .and_then(|rows| rows.collect())
            })
            .unwrap_or_default();
        assert_eq!(keys, vec!["recent".to_string()]);
    }
}

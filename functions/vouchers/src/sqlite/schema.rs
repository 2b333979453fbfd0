//! The SQLite schema and connection settings: migrations, the durability pragmas, the
//! transaction every write opens, and the pruning of records that have served their time.

use super::rows::sql_error;
use crate::error::{LedgerError, LedgerResult};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;

/// How long a call waits for another process's write lock before answering `Busy`.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Idempotency records are kept at least this long (the contract says 24 h).
const IDEMPOTENCY_DAYS: i64 = 7;
/// Failure-counter windows older than this are pruned.
const FAILURE_WINDOW_DAYS: i64 = 1;

/// Schema migrations, applied in order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE batches (
    name        TEXT PRIMARY KEY,
    unit        TEXT,
    count       INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    expires_on  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE vouchers (
    code_hash   TEXT PRIMARY KEY,
    hint        TEXT NOT NULL,
    face_value  INTEGER NOT NULL CHECK (face_value > 0),
    balance     INTEGER NOT NULL CHECK (balance >= 0),
    status      TEXT NOT NULL CHECK (status IN ('active', 'void')),
    expires_on  TEXT NOT NULL,
    batch       TEXT NOT NULL REFERENCES batches(name),
    unit        TEXT,
    issued_at   TEXT NOT NULL
);
CREATE INDEX vouchers_by_batch ON vouchers(batch, hint);
CREATE TABLE price_list (
    sku         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    producer    TEXT NOT NULL,
    category    TEXT NOT NULL,
    price       INTEGER NOT NULL CHECK (price > 0)
);
CREATE TABLE redemptions (
    id            TEXT PRIMARY KEY,
    code_hash     TEXT NOT NULL REFERENCES vouchers(code_hash),
    code_hint     TEXT NOT NULL,
    cashier       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    total         INTEGER NOT NULL CHECK (total >= 0),
    voucher_paid  INTEGER NOT NULL CHECK (voucher_paid >= 0),
    cash_due      INTEGER NOT NULL CHECK (cash_due >= 0),
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0)
);
CREATE INDEX redemptions_by_time ON redemptions(created_at);
CREATE INDEX redemptions_by_voucher ON redemptions(code_hash);
CREATE TABLE redemption_lines (
    redemption_id TEXT NOT NULL REFERENCES redemptions(id),
    position      INTEGER NOT NULL,
    sku           TEXT NOT NULL,
    name          TEXT NOT NULL,
    producer      TEXT NOT NULL,
    category      TEXT NOT NULL,
    unit_price    INTEGER NOT NULL,
    qty           INTEGER NOT NULL,
    total         INTEGER NOT NULL,
    PRIMARY KEY (redemption_id, position)
) WITHOUT ROWID;
CREATE TABLE refunds (
    id             TEXT PRIMARY KEY,
    redemption_id  TEXT NOT NULL UNIQUE REFERENCES redemptions(id),
    supervisor     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    voucher_amount INTEGER NOT NULL,
    cash_amount    INTEGER NOT NULL,
    balance_after  INTEGER NOT NULL
);
CREATE TABLE ledger_entries (
    sequence      INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash     TEXT NOT NULL REFERENCES vouchers(code_hash),
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reference     TEXT NOT NULL
);
CREATE INDEX ledger_entries_by_voucher ON ledger_entries(code_hash, sequence);
CREATE TABLE idempotency (
    key           TEXT PRIMARY KEY,
    request_hash  TEXT NOT NULL,
    response      TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX idempotency_by_age ON idempotency(created_at);
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE failures (
    subject       TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (subject, window_start)
) WITHOUT ROWID;
"#,
    r#"
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
"#,
    // Administration (issue 9): when `vouchers expire` marked a voucher (its balance returned
    // once), refunds by their own date (settlement on events) and entries by time (daily
    // close, transparency).
    r#"
ALTER TABLE vouchers ADD COLUMN expired_at TEXT;
CREATE INDEX refunds_by_time ON refunds(created_at);
CREATE INDEX ledger_entries_by_time ON ledger_entries(at);
"#,
];

/// A connection with the store's settings: WAL, `synchronous=FULL`, foreign keys, busy timeout.
pub(super) fn connect(path: &Path) -> LedgerResult<Connection> {
    let connection = Connection::open(path).map_err(sql_error)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
    let mode: String = connection
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sql_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(LedgerError::Store(format!(
            "journal mode is {mode}, not WAL"
        )));
    }
    // FULL: in WAL mode NORMAL may lose the last commits on power loss; an acknowledged
    // redemption must not vanish.
    connection
        .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(sql_error)?;
    Ok(connection)
}

pub(super) fn migrate(connection: &mut Connection) -> LedgerResult<()> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error)?;
    let version: i64 = transaction
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql_error)?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(LedgerError::Store(format!(
            "database schema version {version} is newer than this program ({known})"
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        transaction.execute_batch(migration).map_err(sql_error)?;
        transaction
            .pragma_update(None, "user_version", index as i64 + 1)
            .map_err(sql_error)?;
    }
    transaction.commit().map_err(sql_error)
}

pub(super) fn begin(connection: &mut Connection) -> LedgerResult<Transaction<'_>> {
    connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error)
}

pub(super) fn prune(connection: &mut Connection, now: DateTime<Utc>) -> LedgerResult<()> {
    let idempotency_cutoff = (now - Duration::days(IDEMPOTENCY_DAYS)).timestamp();
    let failure_cutoff = (now - Duration::days(FAILURE_WINDOW_DAYS)).timestamp();
    connection
        .execute(
            "DELETE FROM idempotency WHERE created_at < ?1",
            [idempotency_cutoff],
        )
        .and_then(|_| {
            connection.execute(
                "DELETE FROM failures WHERE window_start < ?1",
                [failure_cutoff],
            )
        })
        .map_err(sql_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStore;

    #[test]
    fn migrations_apply_once_and_refuse_newer_schemas() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = dir.path().join("nested/v.db");
        let store = SqliteStore::open(&path).unwrap_or_else(|error| panic!("{error}"));
        drop(store);
        // Reopening applies nothing new.
        let mut connection = Connection::open(&path).unwrap_or_else(|error| panic!("{error}"));
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap_or(-1);
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert!(migrate(&mut connection).is_ok());
        connection
            .pragma_update(None, "user_version", 99)
            .unwrap_or_else(|error| panic!("{error}"));
        drop(connection);
        assert!(SqliteStore::open(&path).is_err());
    }
}

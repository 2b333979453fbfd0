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

use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    CatalogItem, EntryKind, LedgerEntry, LineItem, NewBatch, Redemption, Refund, Role, StaffToken,
    Voucher, VoucherBooks, VoucherStatus,
};
use crate::money::Money;
use crate::rules;
use crate::store::{RedeemCommand, RefundCommand, VoucherStore};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// How long a call waits for another process's write lock before answering `Busy`.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Idempotency records are kept at least this long (the contract says 24 h).
const IDEMPOTENCY_DAYS: i64 = 7;
/// Failure-counter windows older than this are pruned.
const FAILURE_WINDOW_DAYS: i64 = 1;

/// Schema migrations, applied in order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[r#"
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
"#];

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
    path: PathBuf,
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
                path: path.to_path_buf(),
                last_prune: AtomicI64::new(0),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
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

/// A connection with the store's settings: WAL, `synchronous=FULL`, foreign keys, busy timeout.
fn connect(path: &Path) -> LedgerResult<Connection> {
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

/// The ceiling for any store on this file system: single-row transactions, one after another,
/// on a connection with the store's durability settings, in a scratch database. The benchmark
/// compares redemptions per second with its rate. The connection stays open so the WAL keeps
/// its size, as the store's does (a fresh WAL grows on every commit, which costs more).
pub struct CommitProbe {
    connection: Connection,
    next: i64,
}

impl CommitProbe {
    pub fn open(path: &Path) -> LedgerResult<CommitProbe> {
        let connection = connect(path)?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS commit_probe (id INTEGER PRIMARY KEY, at INTEGER)",
            )
            .map_err(sql_error)?;
        Ok(CommitProbe {
            connection,
            next: 0,
        })
    }

    /// Time taken by `commits` durable commits.
    pub fn time(&mut self, commits: usize) -> LedgerResult<std::time::Duration> {
        let started = std::time::Instant::now();
        for _ in 0..commits {
            let transaction = begin(&mut self.connection)?;
            transaction
                .execute("INSERT INTO commit_probe (at) VALUES (?1)", [self.next])
                .map_err(sql_error)?;
            transaction.commit().map_err(sql_error)?;
            self.next += 1;
        }
        Ok(started.elapsed())
    }
}

fn migrate(connection: &mut Connection) -> LedgerResult<()> {
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

/// SQLite errors as ledger errors: lock contention is `Busy` (retry), the rest a store failure.
fn sql_error(error: rusqlite::Error) -> LedgerError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LedgerError::Busy,
        _ => LedgerError::Store(error.to_string()),
    }
}

/// Timestamps as fixed-width RFC 3339 text with nanoseconds: sorts as text, round-trips exactly.
fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn parse_stamp(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| conversion_error(format!("timestamp {text:?}: {error}")))
}

fn parse_date(text: &str) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| conversion_error(format!("date {text:?}: {error}")))
}

fn money(value: i64) -> rusqlite::Result<Money> {
    Money::new(value).map_err(|error| conversion_error(error.to_string()))
}

fn conversion_error(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Issued => "issued",
        EntryKind::Redeemed => "redeemed",
        EntryKind::Refunded => "refunded",
        EntryKind::Voided => "voided",
    }
}

fn parse_kind(text: &str) -> rusqlite::Result<EntryKind> {
    match text {
        "issued" => Ok(EntryKind::Issued),
        "redeemed" => Ok(EntryKind::Redeemed),
        "refunded" => Ok(EntryKind::Refunded),
        "voided" => Ok(EntryKind::Voided),
        other => Err(conversion_error(format!("entry kind {other:?}"))),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

fn parse_role(text: &str) -> rusqlite::Result<Role> {
    match text {
        "cashier" => Ok(Role::Cashier),
        "supervisor" => Ok(Role::Supervisor),
        "admin" => Ok(Role::Admin),
        other => Err(conversion_error(format!("role {other:?}"))),
    }
}

const VOUCHER_COLUMNS: &str =
    "code_hash, hint, face_value, balance, status, expires_on, batch, unit, issued_at";

fn voucher_from_row(row: &Row<'_>) -> rusqlite::Result<Voucher> {
    let status: String = row.get(4)?;
    Ok(Voucher {
        code_hash: CodeHash(row.get(0)?),
        hint: row.get(1)?,
        face_value: money(row.get(2)?)?,
        balance: money(row.get(3)?)?,
        status: if status == "void" {
            VoucherStatus::Void
        } else {
            VoucherStatus::Active
        },
        expires_on: parse_date(&row.get::<_, String>(5)?)?,
        batch: row.get(6)?,
        unit: row.get(7)?,
        issued_at: parse_stamp(&row.get::<_, String>(8)?)?,
    })
}

fn load_voucher(connection: &Connection, code: &str) -> LedgerResult<Option<Voucher>> {
    connection
        .prepare_cached(&format!(
            "SELECT {VOUCHER_COLUMNS} FROM vouchers WHERE code_hash = ?1"
        ))
        .and_then(|mut statement| statement.query_row([code], voucher_from_row).optional())
        .map_err(sql_error)
}

const REDEMPTION_COLUMNS: &str = "r.id, r.code_hint, r.cashier, r.created_at, r.total, \
     r.voucher_paid, r.cash_due, r.balance_after, \
     f.id, f.supervisor, f.created_at, f.voucher_amount, f.cash_amount, f.balance_after";

fn redemption_from_row(row: &Row<'_>) -> rusqlite::Result<Redemption> {
    let id: String = row.get(0)?;
    let refund = match row.get::<_, Option<String>>(8)? {
        Some(refund_id) => Some(Refund {
            id: refund_id,
            redemption_id: id.clone(),
            supervisor: row.get(9)?,
            created_at: parse_stamp(&row.get::<_, String>(10)?)?,
            voucher_amount: money(row.get(11)?)?,
            cash_amount: money(row.get(12)?)?,
            balance_after: money(row.get(13)?)?,
        }),
        None => None,
    };
    Ok(Redemption {
        id,
        code_hint: row.get(1)?,
        cashier: row.get(2)?,
        created_at: parse_stamp(&row.get::<_, String>(3)?)?,
        items: Vec::new(),
        total: money(row.get(4)?)?,
        voucher_paid: money(row.get(5)?)?,
        cash_due: money(row.get(6)?)?,
        balance_after: money(row.get(7)?)?,
        refund,
    })
}

fn line_from_row(row: &Row<'_>) -> rusqlite::Result<(String, LineItem)> {
    Ok((
        row.get(0)?,
        LineItem {
            sku: row.get(1)?,
            name: row.get(2)?,
            producer: row.get(3)?,
            category: row.get(4)?,
            unit_price: money(row.get(5)?)?,
            qty: row.get(6)?,
            total: money(row.get(7)?)?,
        },
    ))
}

fn load_redemption(connection: &Connection, id: &str) -> LedgerResult<Option<Redemption>> {
    let found = connection
        .prepare_cached(&format!(
            "SELECT {REDEMPTION_COLUMNS} FROM redemptions r \
             LEFT JOIN refunds f ON f.redemption_id = r.id WHERE r.id = ?1"
        ))
        .and_then(|mut statement| statement.query_row([id], redemption_from_row).optional())
        .map_err(sql_error)?;
    let Some(mut redemption) = found else {
        return Ok(None);
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT redemption_id, sku, name, producer, category, unit_price, qty, total \
             FROM redemption_lines WHERE redemption_id = ?1 ORDER BY position",
        )
        .map_err(sql_error)?;
    let lines = statement
        .query_map([id], line_from_row)
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(sql_error)?;
    redemption.items = lines.into_iter().map(|(_, line)| line).collect();
    Ok(Some(redemption))
}

/// The stored answer for an idempotency key: `None` if the key is new, the response JSON if
/// it was used with the same request, `IdempotencyConflict` if with another.
fn stored_response(
    transaction: &Transaction<'_>,
    key: &str,
    request_hash: &str,
) -> LedgerResult<Option<String>> {
    let found: Option<(String, String)> = transaction
        .prepare_cached("SELECT request_hash, response FROM idempotency WHERE key = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(sql_error)?;
    match found {
        Some((stored_hash, response)) if stored_hash == request_hash => Ok(Some(response)),
        Some(_) => Err(LedgerError::IdempotencyConflict),
        None => Ok(None),
    }
}

fn remember_response(
    transaction: &Transaction<'_>,
    key: &str,
    request_hash: &str,
    response: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> LedgerResult<()> {
    let json = serde_json::to_string(response).map_err(LedgerError::store)?;
    transaction
        .prepare_cached(
            "INSERT INTO idempotency (key, request_hash, response, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut statement| statement.execute(params![key, request_hash, json, now.timestamp()]))
        .map_err(sql_error)?;
    Ok(())
}

fn insert_entry(
    transaction: &Transaction<'_>,
    code: &str,
    entry: &LedgerEntry,
) -> LedgerResult<()> {
    transaction
        .prepare_cached(
            "INSERT INTO ledger_entries (code_hash, at, kind, amount, balance_after, reference) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                code,
                stamp(entry.at),
                kind_name(entry.kind),
                entry.amount.rupiah(),
                entry.balance_after.rupiah(),
                entry.reference
            ])
        })
        .map_err(sql_error)?;
    Ok(())
}

fn begin(connection: &mut Connection) -> LedgerResult<Transaction<'_>> {
    connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error)
}

fn redeem_in(connection: &mut Connection, command: &RedeemCommand) -> LedgerResult<Redemption> {
    let transaction = begin(connection)?;
    if let Some(response) = stored_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
    )? {
        return serde_json::from_str(&response).map_err(LedgerError::store);
    }
    let voucher =
        load_voucher(&transaction, command.voucher.as_str())?.ok_or(LedgerError::UnknownCode)?;
    let redemption = rules::redemption(command, &voucher)?;
    // Conditional on the balance read above: inside BEGIN IMMEDIATE nobody else can write, so
    // this always matches; the condition keeps the rule visible and guards against mistakes.
    let updated = transaction
        .prepare_cached("UPDATE vouchers SET balance = ?1 WHERE code_hash = ?2 AND balance = ?3")
        .and_then(|mut statement| {
            statement.execute(params![
                redemption.balance_after.rupiah(),
                command.voucher.as_str(),
                voucher.balance.rupiah()
            ])
        })
        .map_err(sql_error)?;
    if updated != 1 {
        return Err(LedgerError::Busy);
    }
    transaction
        .prepare_cached(
            "INSERT INTO redemptions (id, code_hash, code_hint, cashier, created_at, total, \
             voucher_paid, cash_due, balance_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                redemption.id,
                command.voucher.as_str(),
                redemption.code_hint,
                redemption.cashier,
                stamp(redemption.created_at),
                redemption.total.rupiah(),
                redemption.voucher_paid.rupiah(),
                redemption.cash_due.rupiah(),
                redemption.balance_after.rupiah()
            ])
        })
        .map_err(sql_error)?;
    {
        let mut statement = transaction
            .prepare_cached(
                "INSERT INTO redemption_lines (redemption_id, position, sku, name, producer, \
                 category, unit_price, qty, total) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(sql_error)?;
        for (position, line) in redemption.items.iter().enumerate() {
            statement
                .execute(params![
                    redemption.id,
                    position as i64,
                    line.sku,
                    line.name,
                    line.producer,
                    line.category,
                    line.unit_price.rupiah(),
                    line.qty,
                    line.total.rupiah()
                ])
                .map_err(sql_error)?;
        }
    }
    insert_entry(
        &transaction,
        command.voucher.as_str(),
        &LedgerEntry {
            at: command.now,
            kind: EntryKind::Redeemed,
            amount: redemption.voucher_paid,
            balance_after: redemption.balance_after,
            reference: redemption.id.clone(),
        },
    )?;
    remember_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
        &redemption,
        command.now,
    )?;
    transaction.commit().map_err(sql_error)?;
    Ok(redemption)
}

fn refund_in(connection: &mut Connection, command: &RefundCommand) -> LedgerResult<Refund> {
    let transaction = begin(connection)?;
    if let Some(response) = stored_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
    )? {
        return serde_json::from_str(&response).map_err(LedgerError::store);
    }
    let redemption = load_redemption(&transaction, &command.redemption_id)?
        .ok_or(LedgerError::UnknownRedemption)?;
    if let Some(refund) = redemption.refund {
        return Err(LedgerError::AlreadyRefunded {
            refund_id: refund.id,
        });
    }
    let code: String = transaction
        .query_row(
            "SELECT code_hash FROM redemptions WHERE id = ?1",
            [&command.redemption_id],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    let voucher = load_voucher(&transaction, &code)?
        .ok_or_else(|| LedgerError::Store("redemption without voucher".into()))?;
    // The voucher part goes back even on a void or expired voucher: the books must balance,
    // and a void voucher stays unspendable anyway.
    let balance_after = voucher
        .balance
        .checked_add(redemption.voucher_paid)
        .ok_or_else(|| LedgerError::Store("balance overflow".into()))?;
    transaction
        .execute(
            "UPDATE vouchers SET balance = ?1 WHERE code_hash = ?2",
            params![balance_after.rupiah(), code],
        )
        .map_err(sql_error)?;
    let refund = Refund {
        id: command.refund_id.clone(),
        redemption_id: redemption.id.clone(),
        supervisor: command.supervisor.clone(),
        created_at: command.now,
        voucher_amount: redemption.voucher_paid,
        cash_amount: redemption.cash_due,
        balance_after,
    };
    transaction
        .execute(
            "INSERT INTO refunds (id, redemption_id, supervisor, created_at, voucher_amount, \
             cash_amount, balance_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                refund.id,
                refund.redemption_id,
                refund.supervisor,
                stamp(refund.created_at),
                refund.voucher_amount.rupiah(),
                refund.cash_amount.rupiah(),
                balance_after.rupiah()
            ],
        )
        .map_err(sql_error)?;
    insert_entry(
        &transaction,
        &code,
        &LedgerEntry {
            at: command.now,
            kind: EntryKind::Refunded,
            amount: refund.voucher_amount,
            balance_after,
            reference: refund.id.clone(),
        },
    )?;
    remember_response(
        &transaction,
        &command.idempotency_key,
        &command.request_hash,
        &refund,
        command.now,
    )?;
    transaction.commit().map_err(sql_error)?;
    Ok(refund)
}

fn prune(connection: &mut Connection, now: DateTime<Utc>) -> LedgerResult<()> {
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

fn token_from_row(row: &Row<'_>) -> rusqlite::Result<StaffToken> {
    Ok(StaffToken {
        id: row.get(0)?,
        token_hash: row.get(1)?,
        role: parse_role(&row.get::<_, String>(2)?)?,
        name: row.get(3)?,
        created_at: parse_stamp(&row.get::<_, String>(4)?)?,
        revoked_at: row
            .get::<_, Option<String>>(5)?
            .map(|text| parse_stamp(&text))
            .transpose()?,
    })
}

const TOKEN_COLUMNS: &str = "id, token_hash, role, name, created_at, revoked_at";

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
        self.with(move |connection| {
            let transaction = begin(connection)?;
            let exists: bool = transaction
                .query_row("SELECT EXISTS (SELECT 1 FROM batches WHERE name = ?1)", [&batch.name], |row| row.get(0))
                .map_err(sql_error)?;
            if exists {
                return Err(LedgerError::DuplicateBatch(batch.name.clone()));
            }
            let count = u32::try_from(vouchers.len()).map_err(LedgerError::store)?;
            transaction
                .execute(
                    "INSERT INTO batches (name, unit, count, amount, expires_on, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        batch.name,
                        batch.unit,
                        count,
                        batch.amount.rupiah(),
                        batch.expires_on.format("%Y-%m-%d").to_string(),
                        stamp(now)
                    ],
                )
                .map_err(sql_error)?;
            {
                let mut insert = transaction
                    .prepare_cached(&format!(
                        "INSERT INTO vouchers ({VOUCHER_COLUMNS}) VALUES (?1, ?2, ?3, ?3, 'active', ?4, ?5, ?6, ?7)"
                    ))
                    .map_err(sql_error)?;
                for (code, hint) in &vouchers {
                    insert
                        .execute(params![
                            code.as_str(),
                            hint,
                            batch.amount.rupiah(),
                            batch.expires_on.format("%Y-%m-%d").to_string(),
                            batch.name,
                            batch.unit,
                            stamp(now)
                        ])
                        .map_err(sql_error)?;
                    insert_entry(
                        &transaction,
                        code.as_str(),
                        &LedgerEntry {
                            at: now,
                            kind: EntryKind::Issued,
                            amount: batch.amount,
                            balance_after: batch.amount,
                            reference: batch.name.clone(),
                        },
                    )?;
                }
            }
            transaction.commit().map_err(sql_error)
        })
        .await
    }

    async fn voucher(&self, code: &CodeHash) -> LedgerResult<Option<Voucher>> {
        let code = code.clone();
        self.read(move |connection| load_voucher(connection, code.as_str()))
            .await
    }

    async fn voucher_count(&self) -> LedgerResult<u64> {
        self.read(|connection| {
            connection
                .query_row("SELECT COUNT(*) FROM vouchers", [], |row| {
                    row.get::<_, i64>(0)
                })
                .map_err(sql_error)
                .map(|count| u64::try_from(count).unwrap_or(0))
        })
        .await
    }

    async fn void_voucher(&self, code: &CodeHash, now: DateTime<Utc>) -> LedgerResult<Voucher> {
        let code = code.clone();
        self.with(move |connection| {
            let transaction = begin(connection)?;
            let mut voucher =
                load_voucher(&transaction, code.as_str())?.ok_or(LedgerError::UnknownCode)?;
            if voucher.status == VoucherStatus::Void {
                return Ok(voucher);
            }
            transaction
                .execute(
                    "UPDATE vouchers SET status = 'void' WHERE code_hash = ?1",
                    [code.as_str()],
                )
                .map_err(sql_error)?;
            insert_entry(
                &transaction,
                code.as_str(),
                &LedgerEntry {
                    at: now,
                    kind: EntryKind::Voided,
                    amount: Money::ZERO,
                    balance_after: voucher.balance,
                    reference: voucher.batch.clone(),
                },
            )?;
            transaction.commit().map_err(sql_error)?;
            voucher.status = VoucherStatus::Void;
            Ok(voucher)
        })
        .await
    }

    async fn replace_price_list(&self, items: &[CatalogItem]) -> LedgerResult<()> {
        let items = items.to_vec();
        self.with(move |connection| {
            let transaction = begin(connection)?;
            transaction.execute("DELETE FROM price_list", []).map_err(sql_error)?;
            {
                let mut insert = transaction
                    .prepare_cached(
                        "INSERT INTO price_list (sku, name, producer, category, price) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .map_err(sql_error)?;
                for item in &items {
                    insert
                        .execute(params![item.sku, item.name, item.producer, item.category, item.price.rupiah()])
                        .map_err(sql_error)?;
                }
            }
            transaction.commit().map_err(sql_error)
        })
        .await
    }

    async fn prices(&self, skus: &[String]) -> LedgerResult<HashMap<String, CatalogItem>> {
        let skus = skus.to_vec();
        self.read(move |connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT sku, name, producer, category, price FROM price_list WHERE sku = ?1",
                )
                .map_err(sql_error)?;
            let mut found = HashMap::new();
            for sku in &skus {
                let item = statement
                    .query_row([sku], |row| {
                        Ok(CatalogItem {
                            sku: row.get(0)?,
                            name: row.get(1)?,
                            producer: row.get(2)?,
                            category: row.get(3)?,
                            price: money(row.get(4)?)?,
                        })
                    })
                    .optional()
                    .map_err(sql_error)?;
                if let Some(item) = item {
                    found.insert(item.sku.clone(), item);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn redeem(&self, command: &RedeemCommand) -> LedgerResult<Redemption> {
        let command = command.clone();
        let prune_now = self.prune_due(command.now);
        self.with(move |connection| {
            let result = redeem_in(connection, &command);
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
        self.read(move |connection| load_redemption(connection, &id))
            .await
    }

    async fn refund(&self, command: &RefundCommand) -> LedgerResult<Refund> {
        let command = command.clone();
        self.with(move |connection| refund_in(connection, &command))
            .await
    }

    async fn history(&self, code: &CodeHash) -> LedgerResult<Vec<LedgerEntry>> {
        let code = code.clone();
        self.read(move |connection| {
            let mut statement = connection
                .prepare_cached(
                    "SELECT at, kind, amount, balance_after, reference FROM ledger_entries \
                     WHERE code_hash = ?1 ORDER BY sequence",
                )
                .map_err(sql_error)?;
            statement
                .query_map([code.as_str()], |row| {
                    Ok(LedgerEntry {
                        at: parse_stamp(&row.get::<_, String>(0)?)?,
                        kind: parse_kind(&row.get::<_, String>(1)?)?,
                        amount: money(row.get(2)?)?,
                        balance_after: money(row.get(3)?)?,
                        reference: row.get(4)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(sql_error)
        })
        .await
    }

    async fn redemptions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>> {
        self.read(move |connection| {
            let (from, to) = (stamp(from), stamp(to));
            let mut redemptions: Vec<Redemption> = connection
                .prepare_cached(&format!(
                    "SELECT {REDEMPTION_COLUMNS} FROM redemptions r \
                     LEFT JOIN refunds f ON f.redemption_id = r.id \
                     WHERE r.created_at >= ?1 AND r.created_at < ?2 ORDER BY r.created_at, r.id"
                ))
                .and_then(|mut statement| {
                    statement
                        .query_map([&from, &to], redemption_from_row)
                        .and_then(|rows| rows.collect())
                })
                .map_err(sql_error)?;
            let lines: Vec<(String, LineItem)> = connection
                .prepare_cached(
                    "SELECT l.redemption_id, l.sku, l.name, l.producer, l.category, l.unit_price, \
                     l.qty, l.total FROM redemption_lines l JOIN redemptions r ON r.id = l.redemption_id \
                     WHERE r.created_at >= ?1 AND r.created_at < ?2 ORDER BY l.redemption_id, l.position",
                )
                .and_then(|mut statement| {
                    statement.query_map([&from, &to], line_from_row).and_then(|rows| rows.collect())
                })
                .map_err(sql_error)?;
            let mut by_redemption: HashMap<String, Vec<LineItem>> = HashMap::new();
            for (id, line) in lines {
                by_redemption.entry(id).or_default().push(line);
            }
            for redemption in &mut redemptions {
                redemption.items = by_redemption.remove(&redemption.id).unwrap_or_default();
            }
            Ok(redemptions)
        })
        .await
    }

    async fn books(&self) -> LedgerResult<Vec<VoucherBooks>> {
        self.read(|connection| {
            // Redeemed and refunded come from the redemption and refund records, not from the
            // balance column, so the audit compares two independent records.
            let mut statement = connection
                .prepare_cached(
                    "SELECT v.hint, v.batch, v.face_value, v.balance, \
                       COALESCE((SELECT SUM(r.voucher_paid) FROM redemptions r WHERE r.code_hash = v.code_hash), 0), \
                       COALESCE((SELECT SUM(f.voucher_amount) FROM refunds f JOIN redemptions r \
                                 ON r.id = f.redemption_id WHERE r.code_hash = v.code_hash), 0) \
                     FROM vouchers v ORDER BY v.batch, v.hint, v.code_hash",
                )
                .map_err(sql_error)?;
            statement
                .query_map([], |row| {
                    Ok(VoucherBooks {
                        hint: row.get(0)?,
                        batch: row.get(1)?,
                        face_value: money(row.get(2)?)?,
                        balance: money(row.get(3)?)?,
                        redeemed: money(row.get(4)?)?,
                        refunded: money(row.get(5)?)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .map_err(sql_error)
        })
        .await
    }

    async fn put_token(&self, token: &StaffToken) -> LedgerResult<()> {
        let token = token.clone();
        self.with(move |connection| {
            connection
                .execute(
                    &format!("INSERT OR REPLACE INTO tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                    params![
                        token.id,
                        token.token_hash,
                        role_name(token.role),
                        token.name,
                        stamp(token.created_at),
                        token.revoked_at.map(stamp)
                    ],
                )
                .map_err(sql_error)?;
            Ok(())
        })
        .await
    }

    async fn token_by_hash(&self, token_hash: &str) -> LedgerResult<Option<StaffToken>> {
        let token_hash = token_hash.to_string();
        self.read(move |connection| {
            connection
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?1"
                ))
                .and_then(|mut statement| {
                    statement
                        .query_row([&token_hash], token_from_row)
                        .optional()
                })
                .map_err(sql_error)
        })
        .await
    }

    async fn tokens(&self) -> LedgerResult<Vec<StaffToken>> {
        self.read(|connection| {
            connection
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id"
                ))
                .and_then(|mut statement| {
                    statement
                        .query_map([], token_from_row)
                        .and_then(|rows| rows.collect())
                })
                .map_err(sql_error)
        })
        .await
    }

    async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> LedgerResult<StaffToken> {
        let id = id.to_string();
        self.with(move |connection| {
            let transaction = begin(connection)?;
            // Revoking twice keeps the first revocation time.
            transaction
                .execute(
                    "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                    params![stamp(now), id],
                )
                .map_err(sql_error)?;
            let token = transaction
                .query_row(
                    &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
                    [&id],
                    token_from_row,
                )
                .optional()
                .map_err(sql_error)?
                .ok_or(LedgerError::UnknownToken)?;
            transaction.commit().map_err(sql_error)?;
            Ok(token)
        })
        .await
    }

    async fn count_failure(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<u32> {
        let subject = subject.to_string();
        self.with(move |connection| {
            connection
                .query_row(
                    "INSERT INTO failures (subject, window_start, count) VALUES (?1, ?2, 1) \
                     ON CONFLICT (subject, window_start) DO UPDATE SET count = count + 1 RETURNING count",
                    params![subject, window_start.timestamp()],
                    |row| row.get(0),
                )
                .map_err(sql_error)
        })
        .await
    }

    async fn failures(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<u32> {
        let subject = subject.to_string();
        self.read(move |connection| {
            connection
                .query_row(
                    "SELECT count FROM failures WHERE subject = ?1 AND window_start = ?2",
                    params![subject, window_start.timestamp()],
                    |row| row.get(0),
                )
                .optional()
                .map(Option::unwrap_or_default)
                .map_err(sql_error)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_as_text_and_round_trip() {
        let early = DateTime::from_timestamp(1_800_000_000, 5).unwrap_or_default();
        let late = DateTime::from_timestamp(1_800_000_000, 500_000_000).unwrap_or_default();
        assert!(stamp(early) < stamp(late));
        assert_eq!(parse_stamp(&stamp(early)).ok(), Some(early));
    }

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

//! Idempotency records: the stored answer of a request, looked up and written inside the
//! same transaction as the change it answers for.

use super::rows::sql_error;
use crate::error::{LedgerError, LedgerResult};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// The stored answer for an idempotency key: `None` if the key is new, the response JSON if
/// it was used with the same request, `IdempotencyConflict` if with another.
pub(super) fn stored_response(
    transaction: &Connection,
    key: &str,
    request_hash: &str,
) -> LedgerResult<Option<String>> {
    match stored_record(transaction, key)? {
        Some((stored_hash, response)) if stored_hash == request_hash => Ok(Some(response)),
        Some(_) => Err(LedgerError::IdempotencyConflict),
        None => Ok(None),
    }
}

/// The record under an idempotency key, whatever request made it: its request hash and the
/// response JSON.
pub(super) fn stored_record(
    connection: &Connection,
    key: &str,
) -> LedgerResult<Option<(String, String)>> {
    connection
        .prepare_cached("SELECT request_hash, response FROM idempotency WHERE key = ?1")
        .and_then(|mut statement| {
            statement
                .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(sql_error)
}

pub(super) fn remember_response(
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

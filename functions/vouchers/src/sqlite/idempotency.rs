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

/// The stored answer of a request that is not one atomic write (`VoucherStore::stored_answer`).
pub(super) fn stored_answer(
    connection: &Connection,
    key: &str,
) -> LedgerResult<Option<(String, serde_json::Value)>> {
    match stored_record(connection, key)? {
        Some((request_hash, response)) => {
            let answer = serde_json::from_str(&response).map_err(LedgerError::store)?;
            Ok(Some((request_hash, answer)))
        }
        None => Ok(None),
    }
}

/// Stores an answer unless one is stored; answers the one stored.
pub(super) fn remember_answer(
    connection: &mut Connection,
    key: &str,
    request_hash: &str,
    answer: &serde_json::Value,
    now: DateTime<Utc>,
) -> LedgerResult<(String, serde_json::Value)> {
    let transaction = super::schema::begin(connection)?;
    if let Some(stored) = stored_answer(&transaction, key)? {
        return Ok(stored);
    }
    remember_response(&transaction, key, request_hash, answer, now)?;
    transaction.commit().map_err(sql_error)?;
    Ok((request_hash.to_string(), answer.clone()))
}

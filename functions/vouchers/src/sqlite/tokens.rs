//! Staff tokens: only their hashes are stored; revoking keeps the record.

use super::rows::{role_name, sql_error, stamp, token_from_row, TOKEN_COLUMNS};
use super::schema::begin;
use crate::error::{LedgerError, LedgerResult};
use crate::model::StaffToken;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// Adds a new token. Never replaces one: a token with this id or hash already stored (another
/// member's, or a revoked one that must stay revoked) is refused.
pub(super) fn put_token(connection: &mut Connection, token: &StaffToken) -> LedgerResult<()> {
    let inserted = connection
        .execute(
            &format!(
                "INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT DO NOTHING"
            ),
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
    if inserted == 0 {
        return Err(LedgerError::Invalid(format!(
            "token id {} or its hash is already in use",
            token.id
        )));
    }
    Ok(())
}

pub(super) fn token_by_hash(
    connection: &mut Connection,
    token_hash: &str,
) -> LedgerResult<Option<StaffToken>> {
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
}

pub(super) fn tokens(connection: &mut Connection) -> LedgerResult<Vec<StaffToken>> {
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
}

pub(super) fn revoke_token(
    connection: &mut Connection,
    id: &str,
    now: DateTime<Utc>,
) -> LedgerResult<StaffToken> {
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
}

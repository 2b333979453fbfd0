//! The pepper check value (`config.rs`): one row of `settings`, written once, so every entry
//! point can tell a wrong pepper before it serves or issues.

use super::rows::sql_error;
use super::schema::begin;
use crate::error::LedgerResult;
use rusqlite::{Connection, OptionalExtension};

const NAME: &str = "pepper_check";

pub(super) fn pepper_check(connection: &Connection) -> LedgerResult<Option<String>> {
    connection
        .query_row(
            "SELECT value FROM settings WHERE name = ?1",
            [NAME],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql_error)
}

/// Records `check` unless a value is there; answers the value that is recorded.
pub(super) fn record_pepper_check(
    connection: &mut Connection,
    check: &str,
) -> LedgerResult<String> {
    let transaction = begin(connection)?;
    // OR IGNORE: the first value recorded stays, so two processes starting at once agree.
    transaction
        .execute(
            "INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)",
            [NAME, check],
        )
        .map_err(sql_error)?;
    let recorded: String = transaction
        .query_row(
            "SELECT value FROM settings WHERE name = ?1",
            [NAME],
            |row| row.get(0),
        )
        .map_err(sql_error)?;
    transaction.commit().map_err(sql_error)?;
    Ok(recorded)
}

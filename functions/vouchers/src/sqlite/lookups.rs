//! Failed code lookups, counted per subject in fixed windows (the API's lockout reads them).

use super::rows::sql_error;
use crate::error::LedgerResult;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

pub(super) fn count_failure(
    connection: &mut Connection,
    subject: &str,
    window_start: DateTime<Utc>,
) -> LedgerResult<u32> {
    connection
                .query_row(
                    "INSERT INTO failures (subject, window_start, count) VALUES (?1, ?2, 1) \
                     ON CONFLICT (subject, window_start) DO UPDATE SET count = count + 1 RETURNING count",
                    params![subject, window_start.timestamp()],
                    |row| row.get(0),
                )
                .map_err(sql_error)
}

pub(super) fn failures(
    connection: &mut Connection,
    subject: &str,
    window_start: DateTime<Utc>,
) -> LedgerResult<u32> {
    connection
        .query_row(
            "SELECT count FROM failures WHERE subject = ?1 AND window_start = ?2",
            params![subject, window_start.timestamp()],
            |row| row.get(0),
        )
        .optional()
        .map(Option::unwrap_or_default)
        .map_err(sql_error)
}

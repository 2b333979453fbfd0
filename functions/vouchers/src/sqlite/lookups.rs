//! Failed code lookups, reserved per subject in fixed windows (the API's lockout). A slot is
//! taken before the lookup by one conditional upsert, so parallel guesses cannot all slip in
//! under the limit; a lookup that succeeds gives its slot back.

use super::rows::sql_error;
use crate::error::LedgerResult;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

pub(super) fn reserve_lookup(
    connection: &mut Connection,
    subject: &str,
    window_start: DateTime<Utc>,
    limit: u32,
) -> LedgerResult<bool> {
    if limit == 0 {
        return Ok(false);
    }
    // The upsert's WHERE leaves a full counter alone and returns no row.
    let count: Option<u32> = connection
        .query_row(
            "INSERT INTO failures (subject, window_start, count) VALUES (?1, ?2, 1) \
             ON CONFLICT (subject, window_start) DO UPDATE SET count = count + 1 \
             WHERE count < ?3 RETURNING count",
            params![subject, window_start.timestamp(), limit],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql_error)?;
    Ok(count.is_some())
}

pub(super) fn release_lookup(
    connection: &mut Connection,
    subject: &str,
    window_start: DateTime<Utc>,
) -> LedgerResult<()> {
    connection
        .execute(
            "UPDATE failures SET count = count - 1 \
             WHERE subject = ?1 AND window_start = ?2 AND count > 0",
            params![subject, window_start.timestamp()],
        )
        .map_err(sql_error)?;
    Ok(())
}

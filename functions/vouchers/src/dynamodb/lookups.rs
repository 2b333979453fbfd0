//! Failed code lookups, reserved per subject in fixed windows (the API's lockout). A slot is
//! taken before the lookup by one conditional UpdateItem, so parallel guesses cannot all slip
//! in under the limit; a lookup that succeeds gives its slot back. The counter items live under
//! the `F#` key prefix (`keys::failure_partition`), which IAM restricts the reading functions to.

use super::items::*;
use super::keys::*;
use super::requests::{error_code, sdk_failure};
use super::*;

/// Failure counters only matter during their window; two days covers any window we use.
pub(super) const FAILURE_RETENTION: chrono::Duration = chrono::Duration::days(2);

pub(super) async fn reserve_lookup(
    store: &DynamoStore,
    subject: &str,
    window_start: DateTime<Utc>,
    limit: u32,
) -> LedgerResult<bool> {
    if limit == 0 {
        return Ok(false);
    }
    let reserved = store
        .client
        .update_item()
        .table_name(&store.table)
        .key(PARTITION_KEY, s(failure_partition(subject, window_start)))
        .key(SORT_KEY, s(META))
        .update_expression(
            "ADD failures :one SET #record = :record, #expires_at = if_not_exists(#expires_at, :expires)",
        )
        .condition_expression("attribute_not_exists(failures) OR failures < :limit")
        .expression_attribute_names("#record", "record")
        .expression_attribute_names("#expires_at", EXPIRES_AT)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":limit", n(i64::from(limit)))
        .expression_attribute_values(":record", s("failures"))
        .expression_attribute_values(
            ":expires",
            n((window_start + FAILURE_RETENTION).timestamp()),
        )
        .send()
        .await;
    match reserved {
        Ok(_) => Ok(true),
        Err(error) if error_code(&error) == Some("ConditionalCheckFailedException") => Ok(false),
        Err(error) => Err(sdk_failure("reserve lookup", error)),
    }
}

pub(super) async fn release_lookup(
    store: &DynamoStore,
    subject: &str,
    window_start: DateTime<Utc>,
) -> LedgerResult<()> {
    let released = store
        .client
        .update_item()
        .table_name(&store.table)
        .key(PARTITION_KEY, s(failure_partition(subject, window_start)))
        .key(SORT_KEY, s(META))
        .update_expression("ADD failures :minus_one")
        // Never below zero, and never creates a counter that was not there.
        .condition_expression("failures > :zero")
        .expression_attribute_values(":minus_one", n(-1))
        .expression_attribute_values(":zero", n(0))
        .send()
        .await;
    match released {
        Ok(_) => Ok(()),
        Err(error) if error_code(&error) == Some("ConditionalCheckFailedException") => Ok(()),
        Err(error) => Err(sdk_failure("release lookup", error)),
    }
}

//! Failed code lookups, counted per subject in fixed windows (the API's lockout reads them).

use super::items::*;
use super::keys::*;
use super::requests::sdk_failure;
use super::*;
use aws_sdk_dynamodb::types::ReturnValue;

/// Failure counters only matter during their window; two days covers any window we use.
pub(super) const FAILURE_RETENTION: chrono::Duration = chrono::Duration::days(2);

pub(super) async fn count_failure(
    store: &DynamoStore,
    subject: &str,
    window_start: DateTime<Utc>,
) -> LedgerResult<u32> {
    let output = store
            .client
            .update_item()
            .table_name(&store.table)
            .key(PARTITION_KEY, s(failure_partition(subject, window_start)))
            .key(SORT_KEY, s(META))
            .update_expression(
                "ADD failures :one SET #record = :record, #expires_at = if_not_exists(#expires_at, :expires)",
            )
            .expression_attribute_names("#record", "record")
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":record", s("failures"))
            .expression_attribute_values(
                ":expires",
                n((window_start + FAILURE_RETENTION).timestamp()),
            )
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|error| sdk_failure("count failure", error))?;
    let attributes = output.attributes.unwrap_or_default();
    failure_count(&attributes)
}

pub(super) async fn failures(
    store: &DynamoStore,
    subject: &str,
    window_start: DateTime<Utc>,
) -> LedgerResult<u32> {
    match store.get(&failure_partition(subject, window_start)).await? {
        Some(item) => failure_count(&item),
        None => Ok(0),
    }
}

//! The pepper check value (`config.rs`): one item under the `PEPPER` partition, written once
//! with a condition, so every entry point can tell a wrong pepper before it serves or issues.

use super::items::*;
use super::requests::{error_code, sdk_failure};
use super::*;

/// Partition of the one pepper check item.
pub(super) const PEPPER_PARTITION: &str = "PEPPER";

pub(super) async fn pepper_check(store: &DynamoStore) -> LedgerResult<Option<String>> {
    match store.get(PEPPER_PARTITION).await? {
        Some(item) => Ok(Some(text(&item, "check")?)),
        None => Ok(None),
    }
}

/// Records `check` unless a value is there; answers the value that is recorded.
pub(super) async fn record_pepper_check(store: &DynamoStore, check: &str) -> LedgerResult<String> {
    let mut item = keyed(PEPPER_PARTITION, META, "pepper_check");
    item.insert("check".into(), s(check));
    let put = store
        .client
        .put_item()
        .table_name(&store.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .send()
        .await;
    match put {
        Ok(_) => Ok(check.to_string()),
        // Recorded first by another process: theirs stands.
        Err(error) if error_code(&error) == Some("ConditionalCheckFailedException") => {
            pepper_check(store)
                .await?
                .ok_or_else(|| LedgerError::Store("the pepper check vanished".into()))
        }
        Err(error) => Err(sdk_failure("record the pepper check", error)),
    }
}

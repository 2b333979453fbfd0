//! Staff tokens: stored under their hash, with an id record that keeps one id to one token.

use super::items::*;
use super::keys::*;
use super::requests::{error_code, sdk_failure};
use super::retry::{reason_is, TransactFailure, CONDITIONAL_CHECK_FAILED, MAX_CONTENTION_RETRIES};
use super::*;
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem};

/// Adds a new token. Never replaces one: a token with this id or hash already stored (another
/// member's, or a revoked one that must stay revoked) is refused.
pub(super) async fn put_token(store: &DynamoStore, token: &StaffToken) -> LedgerResult<()> {
    let mut lookup = keyed(&token_id_partition(&token.id), META, "token_id");
    lookup.insert("token_hash".into(), s(&token.token_hash));
    let lookup = Put::builder()
        .table_name(&store.table)
        .set_item(Some(lookup))
        // The id must keep pointing at one token.
        .condition_expression("attribute_not_exists(PK)")
        .build()
        .map_err(LedgerError::store)?;
    let items = vec![
        store.put(token_item(token), Some("attribute_not_exists(PK)"))?,
        TransactWriteItem::builder().put(lookup).build(),
    ];
    let mut attempt = 0;
    loop {
        match store.transact(items.clone()).await {
            Ok(()) => return Ok(()),
            Err(TransactFailure::Canceled(reasons))
                if reason_is(&reasons, 0, CONDITIONAL_CHECK_FAILED)
                    || reason_is(&reasons, 1, CONDITIONAL_CHECK_FAILED) =>
            {
                return Err(LedgerError::Invalid(format!(
                    "token id {} or its hash is already in use",
                    token.id
                )))
            }
            Err(TransactFailure::Other(error)) => return Err(error),
            Err(failure) => {
                attempt += 1;
                if attempt > MAX_CONTENTION_RETRIES {
                    return Err(LedgerError::Busy);
                }
                failure.pause_before_retry(attempt).await;
            }
        }
    }
}

pub(super) async fn token_by_hash(
    store: &DynamoStore,
    token_hash: &str,
) -> LedgerResult<Option<StaffToken>> {
    match store.get(&token_partition(token_hash)).await? {
        Some(item) => Ok(Some(token_from(&item)?)),
        None => Ok(None),
    }
}

pub(super) async fn tokens(store: &DynamoStore) -> LedgerResult<Vec<StaffToken>> {
    let items = store
        .query_all(
            true,
            "GSI1PK = :tokens",
            &[],
            &[(":tokens", s(TOKEN_INDEX_PARTITION))],
        )
        .await?;
    items.iter().map(token_from).collect()
}

pub(super) async fn revoke_token(
    store: &DynamoStore,
    id: &str,
    now: DateTime<Utc>,
) -> LedgerResult<StaffToken> {
    let lookup = store
        .get(&token_id_partition(id))
        .await?
        .ok_or(LedgerError::UnknownToken)?;
    let partition = token_partition(&text(&lookup, "token_hash")?);
    let updated = store
        .client
        .update_item()
        .table_name(&store.table)
        .key(PARTITION_KEY, s(&partition))
        .key(SORT_KEY, s(META))
        .update_expression("SET revoked_at = :now")
        // Revoking twice keeps the first time.
        .condition_expression("attribute_exists(PK) AND attribute_not_exists(revoked_at)")
        .expression_attribute_values(":now", s(timestamp(now)))
        .return_values(ReturnValue::AllNew)
        .send()
        .await;
    match updated {
        Ok(output) => match output.attributes {
            Some(item) => token_from(&item),
            None => Err(LedgerError::Store("revoke returned no token".into())),
        },
        Err(error) if error_code(&error) == Some("ConditionalCheckFailedException") => {
            match store.get(&partition).await? {
                Some(item) => token_from(&item),
                None => Err(LedgerError::UnknownToken),
            }
        }
        Err(error) => Err(sdk_failure("revoke token", error)),
    }
}

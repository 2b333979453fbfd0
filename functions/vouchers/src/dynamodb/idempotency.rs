//! Idempotency records: the stored answer of a request, read before deciding and written in
//! the same transaction as the change it answers for.

use super::items::{integer, keyed, n, s, text};
use super::*;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::de::DeserializeOwned;
use serde::Serialize;

impl DynamoStore {
    /// The response stored under an idempotency key, if it is live: the stored result when the
    /// request hash matches, `IdempotencyConflict` when it does not.
    pub(super) async fn stored_response<T: DeserializeOwned>(
        &self,
        partition: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<T>> {
        match self.stored_record(partition, now).await? {
            Some((stored_hash, _)) if stored_hash != request_hash => {
                Err(LedgerError::IdempotencyConflict)
            }
            Some((_, response)) => Ok(Some(response)),
            None => Ok(None),
        }
    }

    /// The live record under an idempotency key, whatever request made it: its request hash
    /// and its stored response.
    pub(super) async fn stored_record<T: DeserializeOwned>(
        &self,
        partition: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, T)>> {
        let Some(item) = self.get(partition).await? else {
            return Ok(None);
        };
        if integer(&item, EXPIRES_AT)? < now.timestamp() {
            return Ok(None);
        }
        let response = text(&item, "response")?;
        let response = serde_json::from_str(&response)
            .map_err(|error| LedgerError::Store(format!("stored response unreadable: {error}")))?;
        Ok(Some((text(&item, "request_hash")?, response)))
    }

    /// The idempotency record of a successful request, written in the same transaction. An
    /// expired record that TTL has not removed yet may be overwritten.
    pub(super) fn idempotency_put(
        &self,
        partition: &str,
        request_hash: &str,
        response: &impl Serialize,
        now: DateTime<Utc>,
    ) -> LedgerResult<TransactWriteItem> {
        let response = serde_json::to_string(response).map_err(LedgerError::store)?;
        let mut item = keyed(partition, META, "idempotency");
        item.insert("request_hash".into(), s(request_hash));
        item.insert("response".into(), s(response));
        item.insert(
            EXPIRES_AT.into(),
            n((now + IDEMPOTENCY_RETENTION).timestamp()),
        );
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR #expires_at < :now")
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(":now", n(now.timestamp()))
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

/// `VoucherStore::remember_answer`: the record written alone in a transaction, on the same
/// condition as beside a sale (the functions' table alarms watch TransactWriteItems); when a
/// live one is there already, the stored one is the answer.
pub(super) async fn remember_answer(
    store: &DynamoStore,
    operation: &str,
    key: &str,
    request_hash: &str,
    answer: &serde_json::Value,
    now: DateTime<Utc>,
) -> LedgerResult<(String, serde_json::Value)> {
    use super::retry::{
        backoff, TransactFailure, CONDITIONAL_CHECK_FAILED, MAX_CONTENTION_RETRIES,
    };
    let partition = super::keys::idempotency_partition(operation, key);
    let put = store.idempotency_put(&partition, request_hash, answer, now)?;
    let mut attempt = 0;
    loop {
        match store.transact(vec![put.clone()]).await {
            Ok(()) => return Ok((request_hash.to_string(), answer.clone())),
            Err(TransactFailure::Canceled(reasons))
                if reasons.first().map(String::as_str) == Some(CONDITIONAL_CHECK_FAILED) =>
            {
                return store
                    .stored_record(&partition, now)
                    .await?
                    .ok_or_else(|| LedgerError::Store("idempotency record vanished".into()));
            }
            Err(TransactFailure::Other(error)) => return Err(error),
            Err(_) if attempt < MAX_CONTENTION_RETRIES => {
                attempt += 1;
                backoff(attempt).await;
            }
            Err(_) => return Err(LedgerError::Busy),
        }
    }
}

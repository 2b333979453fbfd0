//! Plain DynamoDB requests with the store's habits: consistent reads, pagination followed to
//! the end, unprocessed batch items retried, and SDK errors turned into ledger errors.

use super::items::s;
use super::retry::{backoff, TransactFailure, MAX_CONTENTION_RETRIES};
use super::*;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, WriteRequest};

/// BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys.
pub(super) const BATCH_WRITE_LIMIT: usize = 25;
pub(super) const BATCH_GET_LIMIT: usize = 100;

impl DynamoStore {
    pub(super) async fn get(&self, partition: &str) -> LedgerResult<Option<Item>> {
        self.get_item(partition, META).await
    }

    pub(super) async fn get_item(&self, partition: &str, sort: &str) -> LedgerResult<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(partition))
            .key(SORT_KEY, s(sort))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| sdk_failure("get item", error))?;
        Ok(output.item)
    }

    /// All items of a query, following `LastEvaluatedKey`. `index` queries GSI1 (eventually
    /// consistent); otherwise the table with consistent reads.
    pub(super) async fn query_all(
        &self,
        index: bool,
        key_condition: &str,
        names: &[(&str, &str)],
        values: &[(&str, AttributeValue)],
    ) -> LedgerResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(key_condition)
                .set_exclusive_start_key(start.take());
            request = if index {
                request.index_name(INDEX_NAME)
            } else {
                request.consistent_read(true)
            };
            for (placeholder, name) in names {
                request = request.expression_attribute_names(*placeholder, *name);
            }
            for (placeholder, value) in values {
                request = request.expression_attribute_values(*placeholder, value.clone());
            }
            let output = request
                .send()
                .await
                .map_err(|error| sdk_failure("query", error))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Every item whose `record` attribute is one of `records`, over the whole table.
    pub(super) async fn scan_records(&self, records: &[&str]) -> LedgerResult<Vec<Item>> {
        let placeholders: Vec<String> = (0..records.len()).map(|i| format!(":r{i}")).collect();
        let filter = format!("#record IN ({})", placeholders.join(", "));
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .filter_expression(&filter)
                .expression_attribute_names("#record", "record")
                .set_exclusive_start_key(start.take());
            for (placeholder, record) in placeholders.iter().zip(records) {
                request = request.expression_attribute_values(placeholder, s(*record));
            }
            let output = request
                .send()
                .await
                .map_err(|error| sdk_failure("scan", error))?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Consistent reads of many keys, 100 at a time, retrying what DynamoDB left unprocessed.
    pub(super) async fn batch_get(&self, keys: Vec<Item>) -> LedgerResult<Vec<Item>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(BATCH_GET_LIMIT) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(LedgerError::store)?,
            );
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|error| sdk_failure("batch get", error))?;
                if let Some(mut responses) = output.responses {
                    found.extend(responses.remove(&self.table).unwrap_or_default());
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                    .filter(|rest| !rest.keys().is_empty());
                if pending.is_some() {
                    attempt += 1;
                    if attempt > MAX_CONTENTION_RETRIES {
                        return Err(LedgerError::Busy);
                    }
                    backoff(attempt).await;
                }
            }
        }
        Ok(found)
    }

    /// Writes (puts and deletes) 25 at a time, retrying what DynamoDB left unprocessed. Not
    /// atomic as a whole: callers order their writes so that every prefix is acceptable.
    pub(super) async fn batch_write(&self, requests: Vec<WriteRequest>) -> LedgerResult<()> {
        for chunk in requests.chunks(BATCH_WRITE_LIMIT) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|error| sdk_failure("batch write", error))?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                    .unwrap_or_default();
                if !pending.is_empty() {
                    attempt += 1;
                    if attempt > MAX_CONTENTION_RETRIES {
                        return Err(LedgerError::Busy);
                    }
                    backoff(attempt).await;
                }
            }
        }
        Ok(())
    }

    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), TransactFailure> {
        // No ClientRequestToken on purpose: it lasts 10 minutes only and DynamoDB Local reports
        // spurious mismatches with it. Our own idempotency records do that job.
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => Err(TransactFailure::from_sdk(error)),
        }
    }
}

impl DynamoStore {
    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> LedgerResult<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

pub(super) fn error_code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
}

pub(super) fn error_message<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> String {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::message)
        .unwrap_or_default()
        .to_string()
}

pub(super) fn sdk_failure<E, R>(action: &str, error: SdkError<E, R>) -> LedgerError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    LedgerError::Store(format!("{action}: {}", DisplayErrorContext(&error)))
}

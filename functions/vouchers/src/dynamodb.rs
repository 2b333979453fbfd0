//! The DynamoDB voucher store: production persistence in one table (the single-table design is
//! written down in `functions/README.md`). Every state change is one `TransactWriteItems`, so a
//! balance never goes below zero and an idempotency key is never applied twice, whatever the
//! concurrency. Decisions (spendable? how is it paid?) come from `rules.rs`, shared with SQLite;
//! this module only reads, writes under conditions, and retries.

use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    CatalogItem, EntryKind, LedgerEntry, LineItem, NewBatch, Redemption, Refund, Role, StaffToken,
    Voucher, VoucherBooks, VoucherStatus,
};
use crate::money::Money;
use crate::rules;
use crate::store::{wib_date, RedeemCommand, RefundCommand, VoucherStore};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, GlobalSecondaryIndex,
    IndexStatus, KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    PutRequest, ReturnValue, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
    TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// The SDK, re-exported so tests and benchmarks can build raw requests without their own
/// dependency on it (one pinned version for the workspace).
pub use aws_sdk_dynamodb as sdk;

/// An item as the SDK hands it over.
type Item = HashMap<String, AttributeValue>;

const PARTITION_KEY: &str = "PK";
const SORT_KEY: &str = "SK";
const INDEX_NAME: &str = "GSI1";
const INDEX_PARTITION_KEY: &str = "GSI1PK";
const INDEX_SORT_KEY: &str = "GSI1SK";
/// Sort key of every item that is the only one in its partition.
const META: &str = "META";
/// Partition that holds the whole price list, so replacing it can list what is there.
const PRICE_PARTITION: &str = "PRICES";
/// GSI1 partition that lists staff tokens.
const TOKEN_INDEX_PARTITION: &str = "TOKENS";
/// The TTL attribute (epoch seconds) of idempotency records and failure counters.
const EXPIRES_AT: &str = "expires_at";

/// Idempotency records outlive any sensible client retry: the API promises at least 24 hours.
const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::days(7);
/// Failure counters only matter during their window; two days covers any window we use.
const FAILURE_RETENTION: chrono::Duration = chrono::Duration::days(2);

/// Re-reads after the voucher changed under us. Each one means another write to the same
/// voucher succeeded, so the system as a whole progresses; the bound (with `stale_pause`, a few
/// seconds at most) only stops a pathological storm on one voucher. 100 cashiers selling on one
/// voucher at once all get through (tested).
const MAX_STALE_RETRIES: u32 = 64;
/// Retries after transaction conflicts or throttling, with jittered exponential backoff.
const MAX_CONTENTION_RETRIES: u32 = 8;
/// TransactWriteItems takes at most 100 items.
const TRANSACTION_LIMIT: usize = 100;
/// BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys.
const BATCH_WRITE_LIMIT: usize = 25;
const BATCH_GET_LIMIT: usize = 100;

// Item positions in the redemption and refund transactions, for reading cancellation reasons.
const VOUCHER_INDEX: usize = 0;
const IDEMPOTENCY_INDEX: usize = 1;
const RECORD_INDEX: usize = 2;

/// The voucher store on one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store over an existing client (tests, or a Lambda that shares its client).
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// A store configured the standard AWS way: region, credentials and endpoint from the
    /// environment (`AWS_ENDPOINT_URL_DYNAMODB` points it at DynamoDB Local).
    pub async fn from_env(table: &str) -> LedgerResult<DynamoStore> {
        if table.len() < 3 {
            return Err(LedgerError::Invalid(format!(
                "table name {table:?} is too short (DynamoDB needs 3 characters or more)"
            )));
        }
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Ok(DynamoStore::new(Client::new(&config), table))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (on demand, with GSI1 and TTL on `expires_at`) and waits until it and
    /// its index are active. A table that another process is creating at the same time is
    /// waited for, not an error. In AWS the SAM template creates the table instead.
    pub async fn create_table(&self) -> LedgerResult<()> {
        let string_attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(LedgerError::store)
        };
        let key = |name: &str, key_type: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(LedgerError::store)
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(INDEX_NAME)
            .key_schema(key(INDEX_PARTITION_KEY, KeyType::Hash)?)
            .key_schema(key(INDEX_SORT_KEY, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(LedgerError::store)?;
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_attribute(PARTITION_KEY)?)
            .attribute_definitions(string_attribute(SORT_KEY)?)
            .attribute_definitions(string_attribute(INDEX_PARTITION_KEY)?)
            .attribute_definitions(string_attribute(INDEX_SORT_KEY)?)
            .key_schema(key(PARTITION_KEY, KeyType::Hash)?)
            .key_schema(key(SORT_KEY, KeyType::Range)?)
            .global_secondary_indexes(index)
            .send()
            .await;
        if let Err(error) = created {
            if error_code(&error) != Some("ResourceInUseException") {
                return Err(sdk_failure("create table", error));
            }
        }
        self.wait_until_active().await?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()
            .map_err(LedgerError::store)?;
        let enabled = self
            .client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await;
        match enabled {
            Ok(_) => Ok(()),
            // A concurrent creator enabled it first.
            Err(error) if error_message(&error).contains("already enabled") => Ok(()),
            Err(error) => Err(sdk_failure("enable TTL", error)),
        }
    }

    /// Deletes the table (tests clean up after themselves; nothing in the product calls this).
    pub async fn delete_table(&self) -> LedgerResult<()> {
        self.client
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|error| sdk_failure("delete table", error))?;
        Ok(())
    }

    async fn wait_until_active(&self) -> LedgerResult<()> {
        // AWS takes seconds to tens of seconds; DynamoDB Local is immediate.
        for _ in 0..600 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|error| sdk_failure("describe table", error))?;
            if let Some(table) = described.table() {
                let table_active = table.table_status() == Some(&TableStatus::Active);
                let indexes_active = table
                    .global_secondary_indexes()
                    .iter()
                    .all(|index| index.index_status() == Some(&IndexStatus::Active));
                if table_active && indexes_active {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(LedgerError::Store(format!(
            "table {} did not become active within 2 minutes",
            self.table
        )))
    }

    async fn get(&self, partition: &str) -> LedgerResult<Option<Item>> {
        self.get_item(partition, META).await
    }

    async fn get_item(&self, partition: &str, sort: &str) -> LedgerResult<Option<Item>> {
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
    async fn query_all(
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
    async fn scan_records(&self, records: &[&str]) -> LedgerResult<Vec<Item>> {
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
    async fn batch_get(&self, keys: Vec<Item>) -> LedgerResult<Vec<Item>> {
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
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> LedgerResult<()> {
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

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactFailure> {
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

    /// The response stored under an idempotency key, if it is live: the stored result when the
    /// request hash matches, `IdempotencyConflict` when it does not.
    async fn stored_response<T: DeserializeOwned>(
        &self,
        partition: &str,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<T>> {
        let Some(item) = self.get(partition).await? else {
            return Ok(None);
        };
        if integer(&item, EXPIRES_AT)? < now.timestamp() {
            return Ok(None);
        }
        if text(&item, "request_hash")? != request_hash {
            return Err(LedgerError::IdempotencyConflict);
        }
        let response = text(&item, "response")?;
        serde_json::from_str(&response)
            .map(Some)
            .map_err(|error| LedgerError::Store(format!("stored response unreadable: {error}")))
    }

    /// The idempotency record of a successful request, written in the same transaction. An
    /// expired record that TTL has not removed yet may be overwritten.
    fn idempotency_put(
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

    /// Moves the voucher's balance, on condition that nothing touched it since it was read
    /// (`seq` changes with every write to the voucher).
    fn voucher_update(
        &self,
        current: &StoredVoucher,
        balance_after: Money,
        require_active: bool,
    ) -> LedgerResult<TransactWriteItem> {
        let mut condition = "#seq = :seq".to_string();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(
                PARTITION_KEY,
                s(voucher_partition(&current.voucher.code_hash)),
            )
            .key(SORT_KEY, s(META))
            .update_expression("SET #balance = :balance, #seq = :next")
            .expression_attribute_names("#balance", "balance")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_values(":balance", money(balance_after))
            .expression_attribute_values(":seq", n(current.seq))
            .expression_attribute_values(":next", n(current.seq + 1));
        if require_active {
            condition.push_str(" AND #status = :active");
            update = update
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", s(status_text(VoucherStatus::Active)));
        }
        let update = update
            .condition_expression(condition)
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn put(&self, item: Item, condition: Option<&str>) -> LedgerResult<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn stored_voucher(&self, code: &CodeHash) -> LedgerResult<Option<StoredVoucher>> {
        match self.get(&voucher_partition(code)).await? {
            Some(item) => Ok(Some(StoredVoucher::from_item(&item)?)),
            None => Ok(None),
        }
    }

    async fn stored_redemption(&self, id: &str) -> LedgerResult<Option<StoredRedemption>> {
        match self.get(&redemption_partition(id)).await? {
            Some(item) => Ok(Some(StoredRedemption::from_item(&item)?)),
            None => Ok(None),
        }
    }

    /// Removes what a failed batch insert had already written (best effort: the error that
    /// made us roll back is the one reported).
    async fn roll_back_batch(&self, written: Vec<Item>) {
        let requests: LedgerResult<Vec<WriteRequest>> = written
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(LedgerError::store)
            })
            .collect();
        let outcome = match requests {
            Ok(requests) => self.batch_write(requests).await,
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            tracing::error!(%error, "rolling back a failed batch insert failed; audit the batch");
        }
    }
}

#[async_trait::async_trait]
impl VoucherStore for DynamoStore {
    async fn prepare(&self) -> LedgerResult<()> {
        let described = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await;
        match described {
            Ok(_) => self.wait_until_active().await,
            Err(error) if error_code(&error) == Some("ResourceNotFoundException") => {
                self.create_table().await
            }
            Err(error) => Err(sdk_failure("describe table", error)),
        }
    }

    async fn insert_batch(
        &self,
        batch: &NewBatch,
        vouchers: &[(CodeHash, String)],
        now: DateTime<Utc>,
    ) -> LedgerResult<()> {
        let issued_at = timestamp(now);
        let mut marker = keyed(&batch_partition(&batch.name), META, "batch");
        marker.insert("name".into(), s(&batch.name));
        if let Some(unit) = &batch.unit {
            marker.insert("unit".into(), s(unit));
        }
        marker.insert("count".into(), n(i64::from(batch.count)));
        marker.insert("amount".into(), money(batch.amount));
        marker.insert("expires_on".into(), s(batch.expires_on.to_string()));
        marker.insert("created_at".into(), s(&issued_at));

        // The marker goes first, in the first transaction, so a duplicate name fails before
        // anything else is written.
        let mut writes = vec![(marker, true)];
        for (code_hash, hint) in vouchers {
            let voucher = Voucher {
                code_hash: code_hash.clone(),
                hint: hint.clone(),
                face_value: batch.amount,
                balance: batch.amount,
                status: VoucherStatus::Active,
                expires_on: batch.expires_on,
                batch: batch.name.clone(),
                unit: batch.unit.clone(),
                issued_at: now,
            };
            writes.push((voucher_item(&voucher, 1), true));
            let entry = LedgerEntry {
                at: now,
                kind: EntryKind::Issued,
                amount: batch.amount,
                balance_after: batch.amount,
                reference: batch.name.clone(),
            };
            writes.push((entry_item(code_hash, 1, &entry), false));
        }

        let mut written: Vec<Item> = Vec::new();
        for (position, chunk) in writes.chunks(TRANSACTION_LIMIT).enumerate() {
            let items = chunk
                .iter()
                .map(|(item, new_only)| {
                    self.put(item.clone(), new_only.then_some("attribute_not_exists(PK)"))
                })
                .collect::<LedgerResult<Vec<_>>>()?;
            let mut attempt = 0;
            let outcome = loop {
                match self.transact(items.clone()).await {
                    Ok(()) => break Ok(()),
                    Err(TransactFailure::Canceled(reasons)) => {
                        let contention = reasons.iter().any(|code| is_contention(code));
                        if position == 0 && reason_is(&reasons, 0, CONDITIONAL_CHECK_FAILED) {
                            break Err(LedgerError::DuplicateBatch(batch.name.clone()));
                        }
                        if contention && attempt < MAX_CONTENTION_RETRIES {
                            attempt += 1;
                            backoff(attempt).await;
                            continue;
                        }
                        break Err(if contention {
                            LedgerError::Busy
                        } else {
                            // A code hash that already exists: 60+ random bits make this a bug
                            // or a replayed batch, never chance.
                            LedgerError::Store(format!(
                                "batch insert cancelled: {}",
                                reasons.join(", ")
                            ))
                        });
                    }
                    Err(TransactFailure::Busy(_)) if attempt < MAX_CONTENTION_RETRIES => {
                        attempt += 1;
                        backoff(attempt).await;
                    }
                    Err(TransactFailure::Busy(_)) => break Err(LedgerError::Busy),
                    Err(TransactFailure::Other(error)) => break Err(error),
                }
            };
            if let Err(error) = outcome {
                self.roll_back_batch(written).await;
                return Err(error);
            }
            written.extend(chunk.iter().filter_map(|(item, _)| item_key(item)));
        }
        Ok(())
    }

    async fn voucher(&self, code: &CodeHash) -> LedgerResult<Option<Voucher>> {
        Ok(self
            .stored_voucher(code)
            .await?
            .map(|stored| stored.voucher))
    }

    async fn voucher_count(&self) -> LedgerResult<u64> {
        // Called once when `galeri serve` starts; a counted scan is cheaper than keeping a
        // counter item that every batch insert would have to update.
        let mut count: u64 = 0;
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .filter_expression("#record = :voucher")
                .expression_attribute_names("#record", "record")
                .expression_attribute_values(":voucher", s("voucher"))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| sdk_failure("count vouchers", error))?;
            count += u64::try_from(output.count).unwrap_or(0);
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(count),
            }
        }
    }

    async fn void_voucher(&self, code: &CodeHash, now: DateTime<Utc>) -> LedgerResult<Voucher> {
        for _ in 0..=MAX_STALE_RETRIES {
            let current = self
                .stored_voucher(code)
                .await?
                .ok_or(LedgerError::UnknownCode)?;
            if current.voucher.status == VoucherStatus::Void {
                return Ok(current.voucher);
            }
            let next = current.seq + 1;
            let update = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, s(voucher_partition(code)))
                .key(SORT_KEY, s(META))
                .update_expression("SET #status = :void, #seq = :next")
                .condition_expression("#seq = :seq")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#seq", "seq")
                .expression_attribute_values(":void", s(status_text(VoucherStatus::Void)))
                .expression_attribute_values(":seq", n(current.seq))
                .expression_attribute_values(":next", n(next))
                .build()
                .map_err(LedgerError::store)?;
            let entry = LedgerEntry {
                at: now,
                kind: EntryKind::Voided,
                amount: Money::ZERO,
                balance_after: current.voucher.balance,
                reference: current.voucher.batch.clone(),
            };
            let items = vec![
                TransactWriteItem::builder().update(update).build(),
                self.put(entry_item(code, next, &entry), None)?,
            ];
            match self.transact(items).await {
                Ok(()) => {
                    return Ok(Voucher {
                        status: VoucherStatus::Void,
                        ..current.voucher
                    })
                }
                Err(TransactFailure::Other(error)) => return Err(error),
                Err(failure) => failure.pause_before_retry(1).await,
            }
        }
        Err(LedgerError::Busy)
    }

    async fn replace_price_list(&self, items: &[CatalogItem]) -> LedgerResult<()> {
        // Last one wins for a repeated SKU (the build refuses duplicates anyway); BatchWriteItem
        // would refuse the request otherwise.
        let wanted: BTreeMap<&str, &CatalogItem> =
            items.iter().map(|item| (item.sku.as_str(), item)).collect();
        let existing = self
            .query_all(
                false,
                "PK = :prices",
                &[],
                &[(":prices", s(PRICE_PARTITION))],
            )
            .await?;
        // New and changed prices first, then the stale ones go: a redemption priced while this
        // runs never finds a current SKU missing.
        let mut requests = Vec::new();
        for item in wanted.values() {
            let mut stored = keyed(PRICE_PARTITION, &price_sort(&item.sku), "price");
            stored.insert("sku".into(), s(&item.sku));
            stored.insert("name".into(), s(&item.name));
            stored.insert("producer".into(), s(&item.producer));
            stored.insert("category".into(), s(&item.category));
            stored.insert("price".into(), money(item.price));
            let put = PutRequest::builder()
                .set_item(Some(stored))
                .build()
                .map_err(LedgerError::store)?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        self.batch_write(requests).await?;
        let mut stale = Vec::new();
        for item in &existing {
            let sku = text(item, "sku")?;
            if !wanted.contains_key(sku.as_str()) {
                let delete = DeleteRequest::builder()
                    .set_key(item_key(item))
                    .build()
                    .map_err(LedgerError::store)?;
                stale.push(WriteRequest::builder().delete_request(delete).build());
            }
        }
        self.batch_write(stale).await
    }

    async fn prices(&self, skus: &[String]) -> LedgerResult<HashMap<String, CatalogItem>> {
        let unique: HashSet<&String> = skus.iter().collect();
        let keys = unique
            .into_iter()
            .map(|sku| {
                HashMap::from([
                    (PARTITION_KEY.to_string(), s(PRICE_PARTITION)),
                    (SORT_KEY.to_string(), s(price_sort(sku))),
                ])
            })
            .collect();
        let mut prices = HashMap::new();
        for item in self.batch_get(keys).await? {
            let catalog_item = CatalogItem {
                sku: text(&item, "sku")?,
                name: text(&item, "name")?,
                producer: text(&item, "producer")?,
                category: text(&item, "category")?,
                price: money_of(&item, "price")?,
            };
            prices.insert(catalog_item.sku.clone(), catalog_item);
        }
        Ok(prices)
    }

    async fn redeem(&self, command: &RedeemCommand) -> LedgerResult<Redemption> {
        let idempotency = idempotency_partition("redeem", &command.idempotency_key);
        let mut stale_retries = 0;
        let mut contention_retries = 0;
        loop {
            // Decide with the shared rules. A refusal first looks for a stored answer under the
            // key: a retried redemption gets its first answer even after the balance dropped to
            // zero. On the way to a write, the transaction checks the key itself, which saves a
            // read on every sale.
            let decided = self
                .stored_voucher(&command.voucher)
                .await?
                .ok_or(LedgerError::UnknownCode)
                .and_then(|current| decide_redemption(command, current));
            let (current, redemption) = match decided {
                Ok(decided) => decided,
                Err(refusal) => {
                    return match self
                        .stored_response(&idempotency, &command.request_hash, command.now)
                        .await?
                    {
                        Some(stored) => Ok(stored),
                        None => Err(refusal),
                    };
                }
            };
            let (voucher_paid, balance_after) = (redemption.voucher_paid, redemption.balance_after);
            let entry = LedgerEntry {
                at: command.now,
                kind: EntryKind::Redeemed,
                amount: voucher_paid,
                balance_after,
                reference: redemption.id.clone(),
            };
            let items = vec![
                self.voucher_update(&current, balance_after, true)?,
                self.idempotency_put(
                    &idempotency,
                    &command.request_hash,
                    &redemption,
                    command.now,
                )?,
                self.put(
                    redemption_item(&redemption, &command.voucher)?,
                    Some("attribute_not_exists(PK)"),
                )?,
                self.put(entry_item(&command.voucher, current.seq + 1, &entry), None)?,
            ];
            let failure = match self.transact(items).await {
                Ok(()) => return Ok(redemption),
                Err(failure) => failure,
            };
            match failure.next_step(&mut stale_retries, &mut contention_retries)? {
                NextStep::IdempotencyTaken => {
                    if let Some(stored) = self
                        .stored_response(&idempotency, &command.request_hash, command.now)
                        .await?
                    {
                        return Ok(stored);
                    }
                    // The record expired and went away meanwhile: decide afresh.
                }
                NextStep::Retry(pause) => tokio::time::sleep(pause).await,
                NextStep::RecordTaken => {
                    return Err(LedgerError::Store(format!(
                        "redemption id {} already exists",
                        redemption.id
                    )))
                }
            }
        }
    }

    async fn redemption(&self, id: &str) -> LedgerResult<Option<Redemption>> {
        Ok(self
            .stored_redemption(id)
            .await?
            .map(|stored| stored.redemption))
    }

    async fn refund(&self, command: &RefundCommand) -> LedgerResult<Refund> {
        let idempotency = idempotency_partition("refund", &command.idempotency_key);
        let mut stale_retries = 0;
        let mut contention_retries = 0;
        loop {
            let (stored, redemption) = tokio::try_join!(
                self.stored_response::<Refund>(&idempotency, &command.request_hash, command.now),
                self.stored_redemption(&command.redemption_id),
            )?;
            if let Some(stored) = stored {
                return Ok(stored);
            }
            let redemption = redemption.ok_or(LedgerError::UnknownRedemption)?;
            if let Some(refund) = &redemption.redemption.refund {
                return Err(LedgerError::AlreadyRefunded {
                    refund_id: refund.id.clone(),
                });
            }
            let current = self
                .stored_voucher(&redemption.voucher)
                .await?
                .ok_or_else(|| {
                    LedgerError::Store(format!(
                        "voucher of redemption {} is missing",
                        command.redemption_id
                    ))
                })?;
            let paid = redemption.redemption.voucher_paid;
            let balance_after = current
                .voucher
                .balance
                .checked_add(paid)
                .ok_or_else(|| LedgerError::Store("balance overflow".into()))?;
            let refund = Refund {
                id: command.refund_id.clone(),
                redemption_id: command.redemption_id.clone(),
                supervisor: command.supervisor.clone(),
                created_at: command.now,
                voucher_amount: paid,
                cash_amount: redemption.redemption.cash_due,
                balance_after,
            };
            let entry = LedgerEntry {
                at: command.now,
                kind: EntryKind::Refunded,
                amount: paid,
                balance_after,
                reference: refund.id.clone(),
            };
            let mark_refunded = Update::builder()
                .table_name(&self.table)
                .key(
                    PARTITION_KEY,
                    s(redemption_partition(&command.redemption_id)),
                )
                .key(SORT_KEY, s(META))
                .update_expression(
                    "SET refund_id = :id, refund_supervisor = :supervisor, \
                     refund_created_at = :at, refund_voucher_amount = :voucher_amount, \
                     refund_cash_amount = :cash_amount, refund_balance_after = :balance_after",
                )
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(refund_id)")
                .expression_attribute_values(":id", s(&refund.id))
                .expression_attribute_values(":supervisor", s(&refund.supervisor))
                .expression_attribute_values(":at", s(timestamp(refund.created_at)))
                .expression_attribute_values(":voucher_amount", money(refund.voucher_amount))
                .expression_attribute_values(":cash_amount", money(refund.cash_amount))
                .expression_attribute_values(":balance_after", money(refund.balance_after))
                .build()
                .map_err(LedgerError::store)?;
            // A refund corrects a sale: it goes through on a void or expired voucher too.
            let items = vec![
                self.voucher_update(&current, balance_after, false)?,
                self.idempotency_put(&idempotency, &command.request_hash, &refund, command.now)?,
                TransactWriteItem::builder().update(mark_refunded).build(),
                self.put(
                    entry_item(&redemption.voucher, current.seq + 1, &entry),
                    None,
                )?,
            ];
            match self.transact(items).await {
                Ok(()) => return Ok(refund),
                // Refunded meanwhile (under another key): the top of the loop reads the
                // redemption again and answers `AlreadyRefunded`.
                Err(failure) => {
                    match failure.next_step(&mut stale_retries, &mut contention_retries)? {
                        // The top of the loop reads the idempotency record.
                        NextStep::IdempotencyTaken => {}
                        NextStep::Retry(pause) => tokio::time::sleep(pause).await,
                        NextStep::RecordTaken => {
                            // Counted like a stale read so that this loop is bounded too.
                            stale_retries += 1;
                            if stale_retries > MAX_STALE_RETRIES {
                                return Err(LedgerError::Busy);
                            }
                        }
                    }
                }
            }
        }
    }

    async fn history(&self, code: &CodeHash) -> LedgerResult<Vec<LedgerEntry>> {
        let items = self
            .query_all(
                false,
                "PK = :voucher AND begins_with(SK, :entries)",
                &[],
                &[
                    (":voucher", s(voucher_partition(code))),
                    (":entries", s("E#")),
                ],
            )
            .await?;
        items.iter().map(entry_from).collect()
    }

    async fn redemptions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>> {
        if from >= to {
            return Ok(Vec::new());
        }
        let first_day = wib_date(from);
        let last_day = wib_date(to - chrono::Duration::nanoseconds(1));
        // GSI1SK is `<created_at>#<id>`: `<to>#…` sorts after `<to>`, so BETWEEN keeps `to`
        // exclusive while `<from>#…` stays inside.
        let lower = s(timestamp(from));
        let upper = s(timestamp(to));
        let mut redemptions = Vec::new();
        for day in first_day.iter_days().take_while(|day| *day <= last_day) {
            let items = self
                .query_all(
                    true,
                    "GSI1PK = :day AND GSI1SK BETWEEN :from AND :to",
                    &[],
                    &[
                        (":day", s(day_partition(day))),
                        (":from", lower.clone()),
                        (":to", upper.clone()),
                    ],
                )
                .await?;
            for item in &items {
                redemptions.push(StoredRedemption::from_item(item)?.redemption);
            }
        }
        Ok(redemptions)
    }

    async fn books(&self) -> LedgerResult<Vec<VoucherBooks>> {
        let items = self.scan_records(&["voucher", "redemption"]).await?;
        let mut vouchers = Vec::new();
        // Per voucher hash: (redeemed, refunded), summed from the redemption records.
        let mut sums: HashMap<String, (Money, Money)> = HashMap::new();
        for item in &items {
            if text(item, "record")? == "voucher" {
                vouchers.push(StoredVoucher::from_item(item)?.voucher);
                continue;
            }
            let stored = StoredRedemption::from_item(item)?;
            let sum = sums
                .entry(stored.voucher.0.clone())
                .or_insert((Money::ZERO, Money::ZERO));
            sum.0 = sum
                .0
                .checked_add(stored.redemption.voucher_paid)
                .ok_or_else(|| LedgerError::Store("redeemed sum overflows".into()))?;
            if let Some(refund) = &stored.redemption.refund {
                sum.1 = sum
                    .1
                    .checked_add(refund.voucher_amount)
                    .ok_or_else(|| LedgerError::Store("refunded sum overflows".into()))?;
            }
        }
        vouchers.sort_by(|a, b| {
            (&a.batch, a.issued_at, &a.hint, &a.code_hash).cmp(&(
                &b.batch,
                b.issued_at,
                &b.hint,
                &b.code_hash,
            ))
        });
        Ok(vouchers
            .into_iter()
            .map(|voucher| {
                let (redeemed, refunded) = sums
                    .get(voucher.code_hash.as_str())
                    .copied()
                    .unwrap_or((Money::ZERO, Money::ZERO));
                VoucherBooks {
                    hint: voucher.hint,
                    batch: voucher.batch,
                    face_value: voucher.face_value,
                    balance: voucher.balance,
                    redeemed,
                    refunded,
                }
            })
            .collect())
    }

    async fn put_token(&self, token: &StaffToken) -> LedgerResult<()> {
        let mut lookup = keyed(&token_id_partition(&token.id), META, "token_id");
        lookup.insert("token_hash".into(), s(&token.token_hash));
        let lookup = Put::builder()
            .table_name(&self.table)
            .set_item(Some(lookup))
            // The id must keep pointing at one token.
            .condition_expression("attribute_not_exists(PK) OR token_hash = :hash")
            .expression_attribute_values(":hash", s(&token.token_hash))
            .build()
            .map_err(LedgerError::store)?;
        let items = vec![
            self.put(token_item(token), None)?,
            TransactWriteItem::builder().put(lookup).build(),
        ];
        let mut attempt = 0;
        loop {
            match self.transact(items.clone()).await {
                Ok(()) => return Ok(()),
                Err(TransactFailure::Canceled(reasons))
                    if reason_is(&reasons, 1, CONDITIONAL_CHECK_FAILED) =>
                {
                    return Err(LedgerError::Invalid(format!(
                        "token id {} is already in use",
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

    async fn token_by_hash(&self, token_hash: &str) -> LedgerResult<Option<StaffToken>> {
        match self.get(&token_partition(token_hash)).await? {
            Some(item) => Ok(Some(token_from(&item)?)),
            None => Ok(None),
        }
    }

    async fn tokens(&self) -> LedgerResult<Vec<StaffToken>> {
        let items = self
            .query_all(
                true,
                "GSI1PK = :tokens",
                &[],
                &[(":tokens", s(TOKEN_INDEX_PARTITION))],
            )
            .await?;
        items.iter().map(token_from).collect()
    }

    async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> LedgerResult<StaffToken> {
        let lookup = self
            .get(&token_id_partition(id))
            .await?
            .ok_or(LedgerError::UnknownToken)?;
        let partition = token_partition(&text(&lookup, "token_hash")?);
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
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
                match self.get(&partition).await? {
                    Some(item) => token_from(&item),
                    None => Err(LedgerError::UnknownToken),
                }
            }
            Err(error) => Err(sdk_failure("revoke token", error)),
        }
    }

    async fn count_failure(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<u32> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
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

    async fn failures(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<u32> {
        match self.get(&failure_partition(subject, window_start)).await? {
            Some(item) => failure_count(&item),
            None => Ok(0),
        }
    }
}

/// The redemption the shared rules allow on this voucher as read, with the voucher it was
/// decided on (its `seq` guards the write).
fn decide_redemption(
    command: &RedeemCommand,
    current: StoredVoucher,
) -> LedgerResult<(StoredVoucher, Redemption)> {
    let redemption = rules::redemption(command, &current.voucher)?;
    Ok((current, redemption))
}

/// A voucher with the write counter that guards it.
struct StoredVoucher {
    voucher: Voucher,
    /// Bumped by every write to the voucher; also numbers its ledger entries.
    seq: i64,
}

impl StoredVoucher {
    fn from_item(item: &Item) -> LedgerResult<StoredVoucher> {
        let status = match text(item, "status")?.as_str() {
            "active" => VoucherStatus::Active,
            "void" => VoucherStatus::Void,
            other => {
                return Err(LedgerError::Store(format!(
                    "unknown voucher status {other}"
                )))
            }
        };
        Ok(StoredVoucher {
            voucher: Voucher {
                code_hash: CodeHash(text(item, "code_hash")?),
                hint: text(item, "hint")?,
                face_value: money_of(item, "face_value")?,
                balance: money_of(item, "balance")?,
                status,
                expires_on: date_of(item, "expires_on")?,
                batch: text(item, "batch")?,
                unit: optional_text(item, "unit")?,
                issued_at: time_of(item, "issued_at")?,
            },
            seq: integer(item, "seq")?,
        })
    }
}

/// A redemption with the voucher it was paid from (which the API never shows).
struct StoredRedemption {
    redemption: Redemption,
    voucher: CodeHash,
}

impl StoredRedemption {
    fn from_item(item: &Item) -> LedgerResult<StoredRedemption> {
        let items: Vec<LineItem> = serde_json::from_str(&text(item, "items")?)
            .map_err(|error| LedgerError::Store(format!("redemption items unreadable: {error}")))?;
        let id = text(item, "id")?;
        let refund = match optional_text(item, "refund_id")? {
            Some(refund_id) => Some(Refund {
                id: refund_id,
                redemption_id: id.clone(),
                supervisor: text(item, "refund_supervisor")?,
                created_at: time_of(item, "refund_created_at")?,
                voucher_amount: money_of(item, "refund_voucher_amount")?,
                cash_amount: money_of(item, "refund_cash_amount")?,
                balance_after: money_of(item, "refund_balance_after")?,
            }),
            None => None,
        };
        Ok(StoredRedemption {
            redemption: Redemption {
                id,
                code_hint: text(item, "code_hint")?,
                cashier: text(item, "cashier")?,
                created_at: time_of(item, "created_at")?,
                items,
                total: money_of(item, "total")?,
                voucher_paid: money_of(item, "voucher_paid")?,
                cash_due: money_of(item, "cash_due")?,
                balance_after: money_of(item, "balance_after")?,
                refund,
            },
            voucher: CodeHash(text(item, "voucher")?),
        })
    }
}

/// What a cancelled transaction means, read from its cancellation reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cancellation {
    /// The idempotency record exists: a replay or a reused key; reading the record decides.
    IdempotencyKeyTaken,
    /// The voucher changed since we read it: read again and decide again with the rules.
    VoucherChanged,
    /// The redemption record's condition failed (id exists, or already refunded).
    RecordTaken,
    /// Transaction conflict or throttling: back off and try again.
    Contention,
    /// Anything else is a store failure; the reasons are kept for the log.
    Unexpected(String),
}

const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailed";

/// Maps the cancellation reason codes of a redemption or refund transaction (one per item, in
/// request order: voucher, idempotency record, redemption record, ledger entry; `None` for an
/// item that did not fail) to what to do next. A failed idempotency condition wins over
/// everything, because the stored answer is what the caller must get; then a changed voucher,
/// because re-reading it may turn the request into a business error instead of a retry.
fn classify_cancellation(reasons: &[String]) -> Cancellation {
    if reason_is(reasons, IDEMPOTENCY_INDEX, CONDITIONAL_CHECK_FAILED) {
        Cancellation::IdempotencyKeyTaken
    } else if reason_is(reasons, VOUCHER_INDEX, CONDITIONAL_CHECK_FAILED) {
        Cancellation::VoucherChanged
    } else if reason_is(reasons, RECORD_INDEX, CONDITIONAL_CHECK_FAILED) {
        Cancellation::RecordTaken
    } else if reasons.iter().any(|code| is_contention(code)) {
        Cancellation::Contention
    } else {
        Cancellation::Unexpected(reasons.join(", "))
    }
}

fn reason_is(reasons: &[String], index: usize, code: &str) -> bool {
    reasons.get(index).map(String::as_str) == Some(code)
}

/// Reason or error codes that mean "busy, try again later", not "refused".
fn is_contention(code: &str) -> bool {
    matches!(
        code,
        "TransactionConflict"
            | "TransactionConflictException"
            | "TransactionInProgressException"
            | "ThrottlingError"
            | "ThrottlingException"
            | "ProvisionedThroughputExceeded"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "InternalServerError"
    )
}

/// How a `TransactWriteItems` call failed.
#[derive(Debug)]
enum TransactFailure {
    /// Cancelled, with one reason code per item ("None" for items that were fine).
    Canceled(Vec<String>),
    /// Throttled or in conflict as a whole, or the connection failed: retrying is safe
    /// because a committed attempt left its idempotency record behind.
    Busy(String),
    Other(LedgerError),
}

/// What the redemption/refund loops do after a failed transaction.
#[derive(Debug)]
enum NextStep {
    /// Read the stored answer under the idempotency key.
    IdempotencyTaken,
    /// Read again (after this pause) and decide again.
    Retry(Duration),
    /// The redemption record's condition failed.
    RecordTaken,
}

impl TransactFailure {
    fn from_sdk(error: SdkError<TransactWriteItemsError>) -> TransactFailure {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        {
            return TransactFailure::Canceled(
                cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().unwrap_or("None").to_string())
                    .collect(),
            );
        }
        let transient = matches!(
            error,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        );
        match error_code(&error) {
            Some(code) if is_contention(code) => TransactFailure::Busy(code.to_string()),
            _ if transient => TransactFailure::Busy(DisplayErrorContext(&error).to_string()),
            _ => TransactFailure::Other(sdk_failure("transact write", error)),
        }
    }

    /// Decides the next step of a redemption or refund loop, counting retries against their
    /// bounds; `Busy` when a bound is reached.
    fn next_step(self, stale: &mut u32, contention: &mut u32) -> LedgerResult<NextStep> {
        let cancellation = match self {
            TransactFailure::Canceled(reasons) => classify_cancellation(&reasons),
            TransactFailure::Busy(reason) => {
                tracing::debug!(%reason, "transaction busy; retrying");
                Cancellation::Contention
            }
            TransactFailure::Other(error) => return Err(error),
        };
        match cancellation {
            Cancellation::IdempotencyKeyTaken => {
                *stale += 1;
                if *stale > MAX_STALE_RETRIES {
                    return Err(LedgerError::Busy);
                }
                Ok(NextStep::IdempotencyTaken)
            }
            Cancellation::VoucherChanged => {
                *stale += 1;
                if *stale > MAX_STALE_RETRIES {
                    tracing::warn!("voucher kept changing under a transaction; giving up");
                    return Err(LedgerError::Busy);
                }
                Ok(NextStep::Retry(stale_pause(*stale)))
            }
            Cancellation::RecordTaken => Ok(NextStep::RecordTaken),
            Cancellation::Contention => {
                *contention += 1;
                if *contention > MAX_CONTENTION_RETRIES {
                    tracing::warn!("transaction contention did not clear; giving up");
                    return Err(LedgerError::Busy);
                }
                Ok(NextStep::Retry(backoff_pause(*contention)))
            }
            Cancellation::Unexpected(reasons) => Err(LedgerError::Store(format!(
                "transaction cancelled: {reasons}"
            ))),
        }
    }

    async fn pause_before_retry(&self, attempt: u32) {
        if matches!(self, TransactFailure::Busy(_))
            || matches!(self, TransactFailure::Canceled(reasons) if reasons.iter().any(|code| is_contention(code)))
        {
            backoff(attempt).await;
        }
    }
}

/// The pause before re-reading a voucher that changed under us for the `stale`-th time
/// (1-based). The first re-read is immediate; then a random pause whose range doubles up to
/// 100 ms spreads a crowd of writers on one voucher, so that they stop colliding in lockstep
/// and each gets its turn within the bound.
fn stale_pause(stale: u32) -> Duration {
    if stale <= 1 {
        return Duration::ZERO;
    }
    let ceiling = (1u64 << (stale + 1).min(7)).min(100);
    Duration::from_millis(random_below(ceiling + 1))
}

/// Sleeps before retry `attempt` (1-based).
async fn backoff(attempt: u32) {
    tokio::time::sleep(backoff_pause(attempt)).await;
}

/// Exponential from 25 ms, capped at 1 s, with "equal jitter" (half fixed, half random) so
/// that contenders spread out.
fn backoff_pause(attempt: u32) -> Duration {
    let ceiling = 25u64.saturating_mul(1u64 << attempt.min(6)).min(1_000);
    let half = ceiling / 2;
    Duration::from_millis(half + random_below(half + 1))
}

/// A random number in `0..bound`; without randomness the jitter is simply 0.
fn random_below(bound: u64) -> u64 {
    getrandom::u64().unwrap_or(0) % bound.max(1)
}

fn error_code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
}

fn error_message<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> String {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::message)
        .unwrap_or_default()
        .to_string()
}

fn sdk_failure<E, R>(action: &str, error: SdkError<E, R>) -> LedgerError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    LedgerError::Store(format!("{action}: {}", DisplayErrorContext(&error)))
}

// Keys. Voucher code hashes are hex, token hashes are hex, SKUs and ids come from us; none of
// them contains '#', so the prefixes cannot collide.

fn voucher_partition(code: &CodeHash) -> String {
    format!("V#{}", code.as_str())
}

fn entry_sort(seq: i64) -> String {
    format!("E#{seq:012}")
}

fn redemption_partition(id: &str) -> String {
    format!("R#{id}")
}

fn day_partition(day: NaiveDate) -> String {
    format!("DAY#{day}")
}

fn idempotency_partition(operation: &str, key: &str) -> String {
    format!("I#{operation}#{key}")
}

fn price_sort(sku: &str) -> String {
    format!("P#{sku}")
}

fn batch_partition(name: &str) -> String {
    format!("B#{name}")
}

fn token_partition(token_hash: &str) -> String {
    format!("T#{token_hash}")
}

fn token_id_partition(id: &str) -> String {
    format!("TID#{id}")
}

fn failure_partition(subject: &str, window_start: DateTime<Utc>) -> String {
    format!("F#{subject}#{}", timestamp(window_start))
}

// Items.

fn keyed(partition: &str, sort: &str, record: &str) -> Item {
    HashMap::from([
        (PARTITION_KEY.to_string(), s(partition)),
        (SORT_KEY.to_string(), s(sort)),
        ("record".to_string(), s(record)),
    ])
}

fn item_key(item: &Item) -> Option<Item> {
    let partition = item.get(PARTITION_KEY)?.clone();
    let sort = item.get(SORT_KEY)?.clone();
    Some(HashMap::from([
        (PARTITION_KEY.to_string(), partition),
        (SORT_KEY.to_string(), sort),
    ]))
}

fn voucher_item(voucher: &Voucher, seq: i64) -> Item {
    let mut item = keyed(&voucher_partition(&voucher.code_hash), META, "voucher");
    item.insert("code_hash".into(), s(voucher.code_hash.as_str()));
    item.insert("hint".into(), s(&voucher.hint));
    item.insert("face_value".into(), money(voucher.face_value));
    item.insert("balance".into(), money(voucher.balance));
    item.insert("status".into(), s(status_text(voucher.status)));
    item.insert("expires_on".into(), s(voucher.expires_on.to_string()));
    item.insert("batch".into(), s(&voucher.batch));
    if let Some(unit) = &voucher.unit {
        item.insert("unit".into(), s(unit));
    }
    item.insert("issued_at".into(), s(timestamp(voucher.issued_at)));
    item.insert("seq".into(), n(seq));
    item
}

fn entry_item(code: &CodeHash, seq: i64, entry: &LedgerEntry) -> Item {
    let mut item = keyed(&voucher_partition(code), &entry_sort(seq), "entry");
    item.insert("at".into(), s(timestamp(entry.at)));
    item.insert("kind".into(), s(entry_kind_text(entry.kind)));
    item.insert("amount".into(), money(entry.amount));
    item.insert("balance_after".into(), money(entry.balance_after));
    item.insert("reference".into(), s(&entry.reference));
    item
}

fn entry_from(item: &Item) -> LedgerResult<LedgerEntry> {
    let kind = match text(item, "kind")?.as_str() {
        "issued" => EntryKind::Issued,
        "redeemed" => EntryKind::Redeemed,
        "refunded" => EntryKind::Refunded,
        "voided" => EntryKind::Voided,
        other => return Err(LedgerError::Store(format!("unknown entry kind {other}"))),
    };
    Ok(LedgerEntry {
        at: time_of(item, "at")?,
        kind,
        amount: money_of(item, "amount")?,
        balance_after: money_of(item, "balance_after")?,
        reference: text(item, "reference")?,
    })
}

fn redemption_item(redemption: &Redemption, voucher: &CodeHash) -> LedgerResult<Item> {
    let created_at = timestamp(redemption.created_at);
    let mut item = keyed(&redemption_partition(&redemption.id), META, "redemption");
    item.insert("id".into(), s(&redemption.id));
    item.insert("voucher".into(), s(voucher.as_str()));
    item.insert("code_hint".into(), s(&redemption.code_hint));
    item.insert("cashier".into(), s(&redemption.cashier));
    item.insert("created_at".into(), s(&created_at));
    let lines = serde_json::to_string(&redemption.items).map_err(LedgerError::store)?;
    item.insert("items".into(), s(lines));
    item.insert("total".into(), money(redemption.total));
    item.insert("voucher_paid".into(), money(redemption.voucher_paid));
    item.insert("cash_due".into(), money(redemption.cash_due));
    item.insert("balance_after".into(), money(redemption.balance_after));
    item.insert(
        INDEX_PARTITION_KEY.into(),
        s(day_partition(wib_date(redemption.created_at))),
    );
    item.insert(
        INDEX_SORT_KEY.into(),
        s(format!("{created_at}#{}", redemption.id)),
    );
    Ok(item)
}

fn token_item(token: &StaffToken) -> Item {
    let created_at = timestamp(token.created_at);
    let mut item = keyed(&token_partition(&token.token_hash), META, "token");
    item.insert("id".into(), s(&token.id));
    item.insert("token_hash".into(), s(&token.token_hash));
    item.insert("role".into(), s(role_text(token.role)));
    item.insert("name".into(), s(&token.name));
    item.insert("created_at".into(), s(&created_at));
    if let Some(revoked_at) = token.revoked_at {
        item.insert("revoked_at".into(), s(timestamp(revoked_at)));
    }
    item.insert(INDEX_PARTITION_KEY.into(), s(TOKEN_INDEX_PARTITION));
    item.insert(
        INDEX_SORT_KEY.into(),
        s(format!("{created_at}#{}", token.id)),
    );
    item
}

fn token_from(item: &Item) -> LedgerResult<StaffToken> {
    let role = match text(item, "role")?.as_str() {
        "cashier" => Role::Cashier,
        "supervisor" => Role::Supervisor,
        "admin" => Role::Admin,
        other => return Err(LedgerError::Store(format!("unknown role {other}"))),
    };
    let revoked_at = match optional_text(item, "revoked_at")? {
        Some(at) => Some(parse_time(&at)?),
        None => None,
    };
    Ok(StaffToken {
        id: text(item, "id")?,
        token_hash: text(item, "token_hash")?,
        role,
        name: text(item, "name")?,
        created_at: time_of(item, "created_at")?,
        revoked_at,
    })
}

fn failure_count(item: &Item) -> LedgerResult<u32> {
    let count = integer(item, "failures")?;
    u32::try_from(count).map_err(|_| LedgerError::Store(format!("failure count {count}")))
}

fn status_text(status: VoucherStatus) -> &'static str {
    match status {
        VoucherStatus::Active => "active",
        VoucherStatus::Void => "void",
    }
}

fn entry_kind_text(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Issued => "issued",
        EntryKind::Redeemed => "redeemed",
        EntryKind::Refunded => "refunded",
        EntryKind::Voided => "voided",
    }
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

// Attribute values.

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Money is an N attribute holding whole rupiah.
fn money(value: Money) -> AttributeValue {
    n(value.rupiah())
}

/// Fixed width (nine fractional digits, `Z`), so that timestamps sort as text and round-trip.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_time(text: &str) -> LedgerResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| LedgerError::Store(format!("bad timestamp {text:?}: {error}")))
}

fn optional_text(item: &Item, name: &str) -> LedgerResult<Option<String>> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
        Some(_) => Err(LedgerError::Store(format!(
            "attribute {name} is not a string"
        ))),
    }
}

fn text(item: &Item, name: &str) -> LedgerResult<String> {
    optional_text(item, name)?
        .ok_or_else(|| LedgerError::Store(format!("attribute {name} is missing")))
}

fn integer(item: &Item, name: &str) -> LedgerResult<i64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| LedgerError::Store(format!("attribute {name} is not an integer"))),
        Some(_) => Err(LedgerError::Store(format!(
            "attribute {name} is not a number"
        ))),
        None => Err(LedgerError::Store(format!("attribute {name} is missing"))),
    }
}

fn money_of(item: &Item, name: &str) -> LedgerResult<Money> {
    let rupiah = integer(item, name)?;
    Money::new(rupiah).map_err(|error| LedgerError::Store(format!("attribute {name}: {error}")))
}

fn time_of(item: &Item, name: &str) -> LedgerResult<DateTime<Utc>> {
    parse_time(&text(item, name)?)
}

fn date_of(item: &Item, name: &str) -> LedgerResult<NaiveDate> {
    let value = text(item, name)?;
    value
        .parse()
        .map_err(|_| LedgerError::Store(format!("attribute {name} is not a date: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|code| code.to_string()).collect()
    }

    #[test]
    fn a_taken_idempotency_key_wins_over_everything() {
        assert_eq!(
            classify_cancellation(&reasons(&[
                "None",
                "ConditionalCheckFailed",
                "None",
                "None"
            ])),
            Cancellation::IdempotencyKeyTaken
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "ConditionalCheckFailed",
                "ConditionalCheckFailed",
                "None",
                "None"
            ])),
            Cancellation::IdempotencyKeyTaken
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "TransactionConflict",
                "ConditionalCheckFailed",
                "None",
                "None"
            ])),
            Cancellation::IdempotencyKeyTaken
        );
    }

    #[test]
    fn a_changed_voucher_is_read_again() {
        assert_eq!(
            classify_cancellation(&reasons(&[
                "ConditionalCheckFailed",
                "None",
                "None",
                "None"
            ])),
            Cancellation::VoucherChanged
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "ConditionalCheckFailed",
                "None",
                "TransactionConflict",
                "None"
            ])),
            Cancellation::VoucherChanged
        );
    }

    #[test]
    fn a_taken_record_is_reported() {
        assert_eq!(
            classify_cancellation(&reasons(&[
                "None",
                "None",
                "ConditionalCheckFailed",
                "None"
            ])),
            Cancellation::RecordTaken
        );
    }

    #[test]
    fn conflicts_and_throttling_are_contention() {
        for code in [
            "TransactionConflict",
            "ThrottlingError",
            "ProvisionedThroughputExceeded",
            "RequestLimitExceeded",
        ] {
            assert_eq!(
                classify_cancellation(&reasons(&["None", "None", "None", code])),
                Cancellation::Contention,
                "{code}"
            );
            assert_eq!(
                classify_cancellation(&reasons(&[code, "None", "None", "None"])),
                Cancellation::Contention,
                "{code}"
            );
        }
    }

    #[test]
    fn anything_else_is_a_store_failure() {
        assert_eq!(
            classify_cancellation(&reasons(&["ValidationError", "None", "None", "None"])),
            Cancellation::Unexpected("ValidationError, None, None, None".into())
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "None",
                "None",
                "None",
                "ItemCollectionSizeLimitExceeded"
            ])),
            Cancellation::Unexpected("None, None, None, ItemCollectionSizeLimitExceeded".into())
        );
        assert_eq!(
            classify_cancellation(&[]),
            Cancellation::Unexpected(String::new())
        );
    }

    #[test]
    fn each_cancellation_leads_to_its_next_step() {
        let (mut stale, mut contention) = (0, 0);
        let mut step = |codes: &[&str]| {
            TransactFailure::Canceled(reasons(codes)).next_step(&mut stale, &mut contention)
        };
        assert!(matches!(
            step(&["None", "ConditionalCheckFailed", "None", "None"]),
            Ok(NextStep::IdempotencyTaken)
        ));
        assert!(matches!(
            step(&["None", "None", "ConditionalCheckFailed", "None"]),
            Ok(NextStep::RecordTaken)
        ));
        assert!(matches!(
            step(&["ValidationError", "None", "None", "None"]),
            Err(LedgerError::Store(_))
        ));
        let other = TransactFailure::Other(LedgerError::Store("network".into()))
            .next_step(&mut stale, &mut contention);
        assert_eq!(other.err(), Some(LedgerError::Store("network".into())));
    }

    #[test]
    fn retries_are_bounded() {
        let mut stale = 0;
        let mut contention = 0;
        for _ in 0..MAX_STALE_RETRIES {
            let step = TransactFailure::Canceled(reasons(&["ConditionalCheckFailed", "None"]))
                .next_step(&mut stale, &mut contention);
            assert!(
                matches!(step, Ok(NextStep::Retry(pause)) if pause <= Duration::from_millis(100))
            );
        }
        let step = TransactFailure::Canceled(reasons(&["ConditionalCheckFailed", "None"]))
            .next_step(&mut stale, &mut contention);
        assert!(matches!(step, Err(LedgerError::Busy)));

        for _ in 0..MAX_CONTENTION_RETRIES {
            let step = TransactFailure::Busy("ThrottlingException".into())
                .next_step(&mut stale, &mut contention);
            assert!(
                matches!(step, Ok(NextStep::Retry(pause)) if pause >= Duration::from_millis(25))
            );
        }
        let step = TransactFailure::Canceled(reasons(&["TransactionConflict"]))
            .next_step(&mut stale, &mut contention);
        assert!(matches!(step, Err(LedgerError::Busy)));
    }

    #[test]
    fn timestamps_sort_as_text_and_round_trip() -> Result<(), LedgerError> {
        let earlier = parse_time("2026-11-27T09:00:00Z")?;
        let later = parse_time("2026-11-27T09:00:00.000000001Z")?;
        assert!(timestamp(earlier) < timestamp(later));
        assert_eq!(timestamp(earlier), "2026-11-27T09:00:00.000000000Z");
        assert_eq!(parse_time(&timestamp(later))?, later);
        // The range bound `<to>` sorts before `<to>#id`, so BETWEEN keeps `to` exclusive.
        assert!(timestamp(later) < format!("{}#r1", timestamp(later)));
        Ok(())
    }
}

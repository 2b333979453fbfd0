//! The DynamoDB voucher store: production persistence in one table (the single-table design is
//! written down in `functions/README.md`). Every state change is one `TransactWriteItems`, so a
//! balance never goes below zero and an idempotency key is never applied twice, whatever the
//! concurrency. Decisions (spendable? how is it paid?) come from `rules.rs`, shared with SQLite;
//! this module only reads, writes under conditions, and retries.
//!
//! This file holds the store and the trait's entry points; each operation lives in the module
//! named after it (`redeem`, `refund`, `vouchers`, `tokens`, …), the key layout in `keys`, the
//! item encoding in `items`, and what a failed transaction means in `retry`.

mod idempotency;
mod items;
mod keys;
mod lookups;
mod pepper;
mod prices;
mod redeem;
mod refund;
mod reports;
mod requests;
mod retry;
mod schema;
mod tokens;
mod vouchers;

use crate::code::CodeHash;
use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    CatalogItem, LedgerEntry, LineItem, NewBatch, Redemption, Refund, StaffToken, VoidOutcome,
    Voucher, VoucherBooks, VoucherEntry, VoucherLedger, VoucherStatus,
};
use crate::money::Money;
use crate::store::{wib_date, RedeemCommand, RefundCommand, VoucherStore};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

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
/// Sort key of a refunded redemption's refund copy, beside its `META` item.
const REFUND_SORT: &str = "REFUND";
/// Partition that holds the whole price list, so replacing it can list what is there.
const PRICE_PARTITION: &str = "PRICES";
/// GSI1 partition that lists staff tokens.
const TOKEN_INDEX_PARTITION: &str = "TOKENS";
/// The TTL attribute (epoch seconds) of idempotency records and failure counters.
const EXPIRES_AT: &str = "expires_at";

/// Idempotency records outlive any sensible client retry: the API promises at least 24 hours.
const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::days(7);

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
}

#[async_trait::async_trait]
impl VoucherStore for DynamoStore {
    async fn prepare(&self) -> LedgerResult<()> {
        schema::prepare(self).await
    }

    async fn insert_batch(
        &self,
        batch: &NewBatch,
        vouchers: &[(CodeHash, String)],
        now: DateTime<Utc>,
    ) -> LedgerResult<()> {
        vouchers::insert_batch(self, batch, vouchers, now).await
    }

    async fn voucher(&self, code: &CodeHash) -> LedgerResult<Option<Voucher>> {
        vouchers::voucher(self, code).await
    }

    async fn voucher_count(&self) -> LedgerResult<u64> {
        vouchers::voucher_count(self).await
    }

    async fn void_with_reason(
        &self,
        code: &CodeHash,
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<VoidOutcome> {
        vouchers::void_with_reason(self, code, reason, now).await
    }

    async fn list_vouchers(&self, batch: Option<&str>) -> LedgerResult<Vec<Voucher>> {
        vouchers::list_vouchers(self, batch).await
    }

    async fn expire_voucher(
        &self,
        code: &CodeHash,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<LedgerEntry>> {
        vouchers::expire_voucher(self, code, now).await
    }

    async fn replace_price_list(&self, items: &[CatalogItem]) -> LedgerResult<()> {
        prices::replace_price_list(self, items).await
    }

    async fn prices(&self, skus: &[String]) -> LedgerResult<HashMap<String, CatalogItem>> {
        prices::prices(self, skus).await
    }

    async fn redeem(&self, command: &RedeemCommand) -> LedgerResult<Redemption> {
        redeem::redeem(self, command).await
    }

    async fn redemption(&self, id: &str) -> LedgerResult<Option<Redemption>> {
        redeem::redemption(self, id).await
    }

    async fn idempotent_redemption(
        &self,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, Redemption)>> {
        let partition = keys::idempotency_partition("redeem", idempotency_key);
        self.stored_record(&partition, now).await
    }

    async fn refund(&self, command: &RefundCommand) -> LedgerResult<Refund> {
        refund::refund(self, command).await
    }

    async fn history(&self, code: &CodeHash) -> LedgerResult<Vec<LedgerEntry>> {
        vouchers::history(self, code).await
    }

    async fn redemptions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>> {
        reports::redemptions_between(self, from, to).await
    }

    async fn refunds_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>> {
        reports::refunds_between(self, from, to).await
    }

    async fn entries_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<VoucherEntry>> {
        reports::entries_between(self, from, to).await
    }

    async fn stored_answer(
        &self,
        operation: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, serde_json::Value)>> {
        self.stored_record(&keys::idempotency_partition(operation, key), now)
            .await
    }

    async fn remember_answer(
        &self,
        operation: &str,
        key: &str,
        request_hash: &str,
        answer: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> LedgerResult<(String, serde_json::Value)> {
        idempotency::remember_answer(self, operation, key, request_hash, answer, now).await
    }

    async fn books(&self) -> LedgerResult<Vec<VoucherBooks>> {
        reports::books(self).await
    }

    async fn batches(&self) -> LedgerResult<Vec<NewBatch>> {
        reports::batches(self).await
    }

    async fn ledgers(&self) -> LedgerResult<Vec<VoucherLedger>> {
        reports::ledgers(self).await
    }

    async fn put_token(&self, token: &StaffToken) -> LedgerResult<()> {
        tokens::put_token(self, token).await
    }

    async fn token_by_hash(&self, token_hash: &str) -> LedgerResult<Option<StaffToken>> {
        tokens::token_by_hash(self, token_hash).await
    }

    async fn tokens(&self) -> LedgerResult<Vec<StaffToken>> {
        tokens::tokens(self).await
    }

    async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> LedgerResult<StaffToken> {
        tokens::revoke_token(self, id, now).await
    }

    async fn reserve_lookup(
        &self,
        subject: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> LedgerResult<bool> {
        lookups::reserve_lookup(self, subject, window_start, limit).await
    }

    async fn release_lookup(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<()> {
        lookups::release_lookup(self, subject, window_start).await
    }

    async fn pepper_check(&self) -> LedgerResult<Option<String>> {
        pepper::pepper_check(self).await
    }

    async fn record_pepper_check(&self, check: &str) -> LedgerResult<String> {
        pepper::record_pepper_check(self, check).await
    }
}

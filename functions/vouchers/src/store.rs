//! The `VoucherStore` trait: what a store must do atomically. Rules that do not need the
//! store's atomicity (pricing, payment split, settlement arithmetic) live in `ledger.rs` and
//! `rules.rs`, once, for every store.
//!
//! Both implementations (`sqlite/`, `dynamodb/`) pass the same conformance suite
//! (`tests/src/conformance.rs`, run by `tests/tests/it/ledger_sqlite.rs` and `ledger_dynamodb.rs`).

use crate::code::CodeHash;
use crate::error::LedgerResult;
use crate::model::{
    CatalogItem, LedgerEntry, LineItem, NewBatch, Redemption, Refund, StaffToken, VoidOutcome,
    Voucher, VoucherBooks, VoucherEntry, VoucherLedger,
};
use crate::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// A redemption the ledger has priced and asks the store to commit.
#[derive(Debug, Clone)]
pub struct RedeemCommand {
    pub idempotency_key: String,
    /// SHA-256 (hex) of the canonical request; a replay with another hash is refused.
    pub request_hash: String,
    /// Id for the new redemption (unused when this is a replay).
    pub redemption_id: String,
    pub voucher: CodeHash,
    pub code_hint: String,
    pub cashier: String,
    pub items: Vec<LineItem>,
    pub total: Money,
    /// When false, a total above the balance is refused instead of split with cash.
    pub allow_cash: bool,
    /// Whether a demo voucher may pay (only under `galeri serve --demo`).
    pub accept_demo: bool,
    pub now: DateTime<Utc>,
}

/// A refund the ledger asks the store to commit.
#[derive(Debug, Clone)]
pub struct RefundCommand {
    pub idempotency_key: String,
    pub request_hash: String,
    pub refund_id: String,
    pub redemption_id: String,
    pub supervisor: String,
    pub now: DateTime<Utc>,
}

/// Persistence with the atomicity the ledger needs. Every method that changes state is one
/// atomic write: it either happens whole or not at all, and concurrent calls never take a
/// balance below zero or apply one idempotency key twice.
#[async_trait::async_trait]
pub trait VoucherStore: Send + Sync {
    /// Creates the schema (SQLite: migrations; DynamoDB: the table if missing). Idempotent.
    async fn prepare(&self) -> LedgerResult<()>;

    /// Adds a batch of new vouchers (balance = face value) and their `issued` ledger entries.
    /// `DuplicateBatch` if the batch name exists. `vouchers` are (code hash, hint).
    async fn insert_batch(
        &self,
        batch: &NewBatch,
        vouchers: &[(CodeHash, String)],
        now: DateTime<Utc>,
    ) -> LedgerResult<()>;

    async fn voucher(&self, code: &CodeHash) -> LedgerResult<Option<Voucher>>;

    /// Number of vouchers in the store (`galeri serve` seeds a demo batch when it is 0).
    async fn voucher_count(&self) -> LedgerResult<u64>;

    /// Marks a voucher void, without a reason (see `void_with_reason`).
    async fn void_voucher(&self, code: &CodeHash, now: DateTime<Utc>) -> LedgerResult<Voucher> {
        Ok(self.void_with_reason(code, "", now).await?.voucher)
    }

    /// Marks a voucher void in one atomic write: a `voided` ledger entry (`rules::void`) whose
    /// amount is the unspent balance returned to the program and whose reference is `reason`;
    /// the balance stays on the voucher for the audit. Voiding a void voucher changes nothing.
    /// `UnknownCode` if there is no such voucher.
    async fn void_with_reason(
        &self,
        code: &CodeHash,
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<VoidOutcome>;

    /// Every voucher, or only those of one batch, ordered by batch, issue time and hint.
    async fn list_vouchers(&self, batch: Option<&str>) -> LedgerResult<Vec<Voucher>>;

    /// Marks a voucher past its expiry in one atomic write (`rules::expire`): an `expired`
    /// ledger entry of its unspent balance, returned to the program. `None` when there was
    /// nothing to mark (not past its last day, void, or marked already).
    async fn expire_voucher(
        &self,
        code: &CodeHash,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<LedgerEntry>>;

    /// Replaces the whole price list (from `catalog.json`).
    async fn replace_price_list(&self, items: &[CatalogItem]) -> LedgerResult<()>;

    /// The price-list entries for these SKUs (missing ones are simply absent).
    async fn prices(&self, skus: &[String]) -> LedgerResult<HashMap<String, CatalogItem>>;

    /// Commits a redemption atomically, or returns the stored result of an earlier call with
    /// the same idempotency key and request hash. Checks, inside the atomic write: key reuse
    /// (`IdempotencyConflict`), unknown code, void, expired (against the WIB date of `now`),
    /// and the payment split of `rules::split_payment`.
    async fn redeem(&self, command: &RedeemCommand) -> LedgerResult<Redemption>;

    async fn redemption(&self, id: &str) -> LedgerResult<Option<Redemption>>;

    /// Reads only: the live record of an earlier redemption under `idempotency_key` (as
    /// `RedeemCommand` carries it), whatever request made it: its request hash and the
    /// redemption it answered. `None` when the key is new.
    async fn idempotent_redemption(
        &self,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, Redemption)>>;

    /// Reverses a redemption once: its `voucher_paid` goes back on the voucher. Idempotent on
    /// the key like `redeem`; a second refund under another key is `AlreadyRefunded`.
    async fn refund(&self, command: &RefundCommand) -> LedgerResult<Refund>;

    /// The voucher's ledger entries, oldest first.
    async fn history(&self, code: &CodeHash) -> LedgerResult<Vec<LedgerEntry>>;

    /// Redemptions created in `[from, to)`, with their refunds if any.
    async fn redemptions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>>;

    /// Redemptions refunded in `[from, to)` by the refund's time (whenever they were sold),
    /// each with its lines and its refund: the negative lines of settlement on events.
    async fn refunds_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<Redemption>>;

    /// Every ledger entry made in `[from, to)`, with its voucher's hint, batch and unit,
    /// oldest first (daily close, transparency).
    async fn entries_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> LedgerResult<Vec<VoucherEntry>>;

    /// The live answer stored under an idempotency key of `operation` (a request that is not
    /// one atomic write, such as voiding several codes): its request hash and the answer.
    async fn stored_answer(
        &self,
        operation: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<(String, serde_json::Value)>>;

    /// Stores the answer under the key unless a live one is there; answers the one stored
    /// (this one, or the first).
    async fn remember_answer(
        &self,
        operation: &str,
        key: &str,
        request_hash: &str,
        answer: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> LedgerResult<(String, serde_json::Value)>;

    /// Every voucher's books, with `redeemed` and `refunded` summed from the redemption and
    /// refund records (not from counters kept on the voucher), so the audit checks one record
    /// against the other.
    async fn books(&self) -> LedgerResult<Vec<VoucherBooks>>;

    /// Every voucher's ledger entries (oldest first), by voucher but without its code, hash
    /// or hint, in no particular order of vouchers: what the transparency export sums per
    /// month (issued, spent, refunded, voided, expired).
    async fn ledgers(&self) -> LedgerResult<Vec<VoucherLedger>>;

    /// Every batch as it was issued (name, unit, count, amount, expiry), so the audit can
    /// count the vouchers it finds against it.
    async fn batches(&self) -> LedgerResult<Vec<NewBatch>>;

    async fn put_token(&self, token: &StaffToken) -> LedgerResult<()>;
    async fn token_by_hash(&self, token_hash: &str) -> LedgerResult<Option<StaffToken>>;
    async fn tokens(&self) -> LedgerResult<Vec<StaffToken>>;
    /// Marks a token revoked; `UnknownToken` if there is no token with this id.
    async fn revoke_token(&self, id: &str, now: DateTime<Utc>) -> LedgerResult<StaffToken>;

    /// Reserves one lookup slot for `subject` (e.g. `token:<id>` or `ip:<addr>`) in the fixed
    /// window starting at `window_start`: one atomic conditional increment. `true` when the
    /// slot was reserved (the count was below `limit`), `false` when the subject is locked out.
    /// A slot stays taken (a failed lookup) unless `release_lookup` gives it back.
    async fn reserve_lookup(
        &self,
        subject: &str,
        window_start: DateTime<Utc>,
        limit: u32,
    ) -> LedgerResult<bool>;

    /// Gives back a slot reserved in that window, after a lookup that succeeded. Never takes
    /// the count below zero.
    async fn release_lookup(&self, subject: &str, window_start: DateTime<Utc>) -> LedgerResult<()>;

    /// The pepper check value recorded at first use (HMAC of a fixed label under the pepper,
    /// `config::pepper_check_value`), if any.
    async fn pepper_check(&self) -> LedgerResult<Option<String>>;

    /// Records the pepper check value unless one is recorded already, atomically; answers the
    /// value that is recorded (this one, or the one recorded first).
    async fn record_pepper_check(&self, check: &str) -> LedgerResult<String>;
}

/// The WIB (UTC+7) calendar date of an instant: expiry and reporting periods are in WIB.
pub fn wib_date(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(7)).date_naive()
}

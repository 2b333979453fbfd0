//! The `VoucherStore` trait: what a store must do atomically. Rules that do not need the
//! store's atomicity (pricing, payment split, settlement arithmetic) live in `ledger.rs` and
//! `rules.rs`, once, for every store.
//!
//! Both implementations (`sqlite/`, `dynamodb/`) pass the same conformance suite
//! (`tests/src/conformance.rs`, run by `tests/tests/it/ledger_sqlite.rs` and `ledger_dynamodb.rs`).

use crate::code::CodeHash;
use crate::error::LedgerResult;
use crate::model::{
    CatalogItem, LedgerEntry, LineItem, LineRequest, NewBatch, Order, OrderStatus, Redemption,
    Refund, StaffToken, Voucher, VoucherBooks,
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

/// A sale paid by several vouchers (1–5, in paying order) that the ledger has priced.
#[derive(Debug, Clone)]
pub struct SaleCommand {
    pub idempotency_key: String,
    pub request_hash: String,
    pub redemption_id: String,
    /// (code hash, hint) of each voucher, in the order they pay; distinct.
    pub vouchers: Vec<(CodeHash, String)>,
    pub cashier: String,
    pub items: Vec<LineItem>,
    pub total: Money,
    pub allow_cash: bool,
    pub accept_demo: bool,
    pub now: DateTime<Utc>,
}

/// An online order the ledger has priced; the store decides the holds (`rules::place_order`).
#[derive(Debug, Clone)]
pub struct PlaceOrderCommand {
    pub idempotency_key: String,
    pub request_hash: String,
    /// The order as placed: id, times, items, total, fulfilment, buyer, token salt. Status,
    /// holds, held and cash due are decided by the store under its atomicity.
    pub order: Order,
    /// (code hash, hint) of each voucher, in the order they hold; distinct.
    pub vouchers: Vec<(CodeHash, String)>,
    pub accept_demo: bool,
}

/// The hand-over of an order: its holds captured as a redemption (`rules::capture`).
#[derive(Debug, Clone)]
pub struct CompleteOrderCommand {
    pub idempotency_key: String,
    pub request_hash: String,
    pub redemption_id: String,
    pub order_id: String,
    /// The lines handed over (each at most as ordered); `None` for every ordered line.
    pub items: Option<Vec<LineRequest>>,
    pub cashier: String,
    pub accept_demo: bool,
    pub now: DateTime<Utc>,
}

/// A status change of an order (`rules::move_order`); closing it releases its holds.
#[derive(Debug, Clone)]
pub struct MoveOrderCommand {
    pub order_id: String,
    pub to: OrderStatus,
    /// The statuses it may leave; empty for any open one.
    pub only_from: Vec<OrderStatus>,
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

    /// Marks a voucher void (a `voided` ledger entry; the balance stays for the audit).
    async fn void_voucher(&self, code: &CodeHash, now: DateTime<Utc>) -> LedgerResult<Voucher>;

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

    /// Commits a sale on several vouchers atomically (all or nothing), like `redeem`: the
    /// decision is `rules::sale` on the vouchers as read inside the atomic write, which also
    /// checks that each voucher is still as read. Same idempotency scope as `redeem`.
    async fn sell(&self, command: &SaleCommand) -> LedgerResult<Redemption>;

    /// Places an order atomically: `rules::place_order` on the vouchers as read, their `held`
    /// raised, the order and the idempotency record written, in one write. `available` never
    /// goes below zero under any concurrency.
    async fn place_order(&self, command: &PlaceOrderCommand) -> LedgerResult<Order>;

    /// One order, with buyer, note and token salt; `None` if there is none.
    async fn order(&self, id: &str) -> LedgerResult<Option<Order>>;

    /// Orders in these statuses, oldest first.
    async fn orders(&self, statuses: &[OrderStatus]) -> LedgerResult<Vec<Order>>;

    /// Open orders whose hold ended by `now` (`expires_at <= now`), without buyer or note:
    /// what expiry closes, and what a balance check leaves out of `held`.
    async fn due_orders(&self, now: DateTime<Utc>) -> LedgerResult<Vec<Order>>;

    /// Moves an order (`rules::move_order`) atomically; closing it (`batal`, `kedaluwarsa`)
    /// releases each hold from its voucher in the same write, so a release happens once.
    /// `UnknownOrder` if there is none.
    async fn move_order(&self, command: &MoveOrderCommand) -> LedgerResult<Order>;

    /// Captures an order's holds as a redemption linked to it (`rules::capture`), releases
    /// the rest of each hold and marks the order `selesai`, in one write: at most once per
    /// order. Idempotent on the key like `redeem`.
    async fn complete_order(&self, command: &CompleteOrderCommand) -> LedgerResult<Redemption>;

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

    /// Every voucher's books, with `redeemed` and `refunded` summed from the redemption and
    /// refund records (not from counters kept on the voucher), so the audit checks one record
    /// against the other.
    async fn books(&self) -> LedgerResult<Vec<VoucherBooks>>;

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

//! The ledger's records: vouchers, price list, redemptions, refunds, ledger entries, reports,
//! staff tokens. Plain data shared by the domain, both stores and the HTTP layer (serde shapes
//! here are the JSON the API returns).

use crate::code::CodeHash;
use crate::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Whether a voucher can still be spent (expiry is checked separately, against its date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VoucherStatus {
    Active,
    Void,
}

/// Batch names that start with this are demo batches (`galeri serve --demo`): marked `demo` in
/// every answer and refused outside demo mode. Deciding by name, rather than by a flag stored
/// beside it, also catches the demo batches that older versions seeded into any empty store.
pub const DEMO_BATCH_PREFIX: &str = "DEMO-";

/// Whether a batch of this name is a demo batch (case does not matter, so `demo-x` cannot pass
/// for a real batch).
pub fn is_demo_batch(name: &str) -> bool {
    name.trim_start()
        .get(..DEMO_BATCH_PREFIX.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(DEMO_BATCH_PREFIX))
}

/// One voucher as the store keeps it. The code itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voucher {
    pub code_hash: CodeHash,
    /// Last four characters of the code, for receipts and logs.
    pub hint: String,
    pub face_value: Money,
    pub balance: Money,
    pub status: VoucherStatus,
    /// Last day (WIB) on which the voucher can be spent.
    pub expires_on: NaiveDate,
    pub batch: String,
    /// Work unit (OPD) the batch was ordered for.
    pub unit: Option<String>,
    pub issued_at: DateTime<Utc>,
}

/// The name `galeri serve --demo` gives its cashier token; earlier versions named it
/// `Kasir demo`, and both are demo tokens.
pub const DEMO_TOKEN_NAME: &str = "DEMO-Kasir";
const OLD_DEMO_TOKEN_NAME: &str = "Kasir demo";

/// Whether a staff token of this name is a demo token: refused outside demo mode, so the token
/// that `--demo` wrote to a file stops working when the same store is served for real.
pub fn is_demo_token_name(name: &str) -> bool {
    is_demo_batch(name) || name.trim().eq_ignore_ascii_case(OLD_DEMO_TOKEN_NAME)
}

impl Voucher {
    /// Whether this is a demo voucher ([`DEMO_BATCH_PREFIX`]).
    pub fn is_demo(&self) -> bool {
        is_demo_batch(&self.batch)
    }
}

/// What `issue` is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBatch {
    /// Batch name, e.g. `2026-12`; unique.
    pub name: String,
    pub unit: Option<String>,
    pub count: u32,
    pub amount: Money,
    pub expires_on: NaiveDate,
}

/// One product of the price list (`catalog.json`, written by `galeri build`). The voucher
/// functions price line items from here, never from the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    /// Producer slug.
    pub producer: String,
    /// Category slug.
    pub category: String,
    pub price: Money,
}

/// `catalog.json` as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub generated_at: DateTime<Utc>,
    pub currency: String,
    pub items: Vec<CatalogItem>,
}

/// A line the cashier asks for: a product and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRequest {
    pub sku: String,
    pub qty: u32,
}

/// A priced line of a redemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub sku: String,
    pub name: String,
    pub producer: String,
    pub category: String,
    pub unit_price: Money,
    pub qty: u32,
    pub total: Money,
}

/// A sale paid (partly) with a voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    pub id: String,
    pub code_hint: String,
    pub cashier: String,
    pub created_at: DateTime<Utc>,
    pub items: Vec<LineItem>,
    pub total: Money,
    /// What the voucher paid: at most its balance.
    pub voucher_paid: Money,
    /// What the buyer pays in cash: `total - voucher_paid`.
    pub cash_due: Money,
    /// Voucher balance right after this redemption.
    pub balance_after: Money,
    /// Set once the redemption has been refunded.
    pub refund: Option<Refund>,
    /// Paid with a demo voucher (`galeri serve --demo`): not real money.
    #[serde(default)]
    pub demo: bool,
}

/// The reversal of a whole redemption: the voucher part goes back on the voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub redemption_id: String,
    pub supervisor: String,
    pub created_at: DateTime<Utc>,
    /// Returned to the voucher (= the redemption's `voucher_paid`).
    pub voucher_amount: Money,
    /// Returned in cash at the till (= the redemption's `cash_due`).
    pub cash_amount: Money,
    pub balance_after: Money,
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Issued,
    Redeemed,
    Refunded,
    Voided,
    /// `galeri vouchers expire` marked the voucher past its expiry: `amount` is the unspent
    /// balance that returns to the program (`reference` is the batch).
    Expired,
}

/// One line of a voucher's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    /// Amount by which the balance moved (always ≥ 0; the kind says which way). For `voided`
    /// and `expired` it is the unspent balance returned to the program: the balance itself
    /// stays on the voucher, frozen, so the audit (face value = balance + redeemed −
    /// refunded) still holds; a voucher returns its balance at most once.
    pub amount: Money,
    pub balance_after: Money,
    /// Redemption or refund id; the batch name for `issued` and `expired`; the reason given
    /// for `voided`.
    pub reference: String,
}

/// One voucher's ledger without its code, hash or hint: the batch it belongs to and its
/// entries, oldest first. What aggregate reports (the transparency export) read, so that no
/// figure they publish can be traced back to a voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherLedger {
    pub batch: String,
    pub entries: Vec<LedgerEntry>,
}

/// Settlement of one producer for a period, on events: a sale counts on its WIB date, a refund
/// as a negative line on the refund's own WIB date, so a closed period never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRow {
    pub producer: String,
    /// Number of items sold in the period (sum of quantities).
    pub items: u64,
    /// Value of those items at the prices charged.
    pub value: Money,
    /// The part of `value` paid by vouchers.
    pub voucher_share: Money,
    /// The part of `value` paid in cash.
    pub cash_share: Money,
    /// Items whose sale was refunded in the period (whenever it was sold).
    pub refunded_items: u64,
    /// Value of the refunds made in the period: the negative lines.
    pub refunds: Money,
    /// The voucher part of those refunds.
    pub refunds_voucher: Money,
    /// The cash part of those refunds.
    pub refunds_cash: Money,
    /// What the period adds to the producer's account: `value − refunds` (negative when the
    /// period's refunds outweigh its sales).
    pub net: i64,
}

/// Settlement for the WIB dates `from..=to`, one row per producer, sorted by producer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<SettlementRow>,
    pub total_items: u64,
    pub total_value: Money,
    pub total_voucher_share: Money,
    pub total_cash_share: Money,
    pub total_refunded_items: u64,
    pub total_refunds: Money,
    pub total_refunds_voucher: Money,
    pub total_refunds_cash: Money,
    pub total_net: i64,
}

/// What voiding one voucher did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidOutcome {
    pub voucher: Voucher,
    /// Whether this call voided it (false: it was void already, nothing changed).
    pub newly_voided: bool,
    /// Unspent balance returned to the program by this call (zero when it was void already,
    /// or its balance was returned when it was marked expired).
    pub returned: Money,
}

/// One ledger entry with the voucher it belongs to (for day and month reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherEntry {
    pub hint: String,
    pub batch: String,
    pub unit: Option<String>,
    pub entry: LedgerEntry,
}

/// One voucher's books: face value, balance and what the ledger records say was redeemed and
/// refunded. They balance when face value = balance + redeemed − refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherBooks {
    pub hint: String,
    pub batch: String,
    pub face_value: Money,
    pub balance: Money,
    pub redeemed: Money,
    pub refunded: Money,
}

/// Result of `audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditReport {
    pub vouchers: u64,
    pub face_value: Money,
    pub balance: Money,
    pub redeemed: Money,
    pub refunded: Money,
    pub discrepancies: Vec<VoucherBooks>,
    /// Batches whose vouchers do not add up to count × amount (missing or extra vouchers).
    pub batches: Vec<BatchCheck>,
}

/// One batch reconciled against the vouchers found under its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCheck {
    pub name: String,
    /// As issued: how many vouchers, of how much each.
    pub count: u32,
    pub amount: Money,
    /// As found in the store.
    pub found: u64,
    pub found_value: Money,
}

/// Staff roles, in increasing power: a supervisor may do what a cashier does, an admin all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Cashier,
    Supervisor,
    Admin,
}

/// A staff token as stored: only the hash of the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffToken {
    /// Short public id (shown in `tokens list`, used to revoke).
    pub id: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    pub role: Role,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

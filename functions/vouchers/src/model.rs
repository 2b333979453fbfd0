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
    /// Held for open online orders: still on the voucher, but not spendable elsewhere.
    #[serde(default)]
    pub held: Money,
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
    /// What can be spent now: `balance − held` (never below 0).
    pub fn available(&self) -> Money {
        self.balance.checked_sub(self.held).unwrap_or(Money::ZERO)
    }

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
    /// Each voucher that paid, in the order the codes were given (`voucher_paid` is their sum).
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// The online order this sale completed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

/// One voucher's share of a redemption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub code_hint: String,
    pub amount: Money,
    /// That voucher's balance right after the sale.
    pub balance_after: Money,
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
}

/// One line of a voucher's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    /// Amount by which the balance moved (always ≥ 0; the kind says which way).
    pub amount: Money,
    pub balance_after: Money,
    /// Redemption or refund id, or the batch name for `issued`.
    pub reference: String,
}

/// Settlement of one producer for a period: what the gallery owes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRow {
    pub producer: String,
    /// Number of items sold (sum of quantities).
    pub items: u64,
    /// Value of those items at the prices charged.
    pub value: Money,
    /// The part of `value` paid by vouchers (the rest was cash).
    pub voucher_share: Money,
}

/// Settlement for the WIB dates `from..=to`, one row per producer, sorted by producer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<SettlementRow>,
    pub total_value: Money,
    pub total_voucher_share: Money,
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
    /// Held for open orders, as kept on the voucher (must not exceed the balance) …
    #[serde(default)]
    pub held: Money,
    /// … and as the open orders' holds on it sum up (must equal `held`: every open hold
    /// belongs to an open order, and no closed order still holds).
    #[serde(default)]
    pub open_holds: Money,
}

/// Result of `audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditReport {
    pub vouchers: u64,
    pub face_value: Money,
    pub balance: Money,
    pub redeemed: Money,
    pub refunded: Money,
    /// Held for open online orders (part of `balance`).
    #[serde(default)]
    pub held: Money,
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

/// Where an online order stands. `baru` → `diproses` → `siap` → `selesai`; `batal` and
/// `kedaluwarsa` from any of the first three. The names are what staff and buyers read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Baru,
    Diproses,
    Siap,
    Selesai,
    Batal,
    Kedaluwarsa,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Baru,
        OrderStatus::Diproses,
        OrderStatus::Siap,
        OrderStatus::Selesai,
        OrderStatus::Batal,
        OrderStatus::Kedaluwarsa,
    ];
    /// The statuses in which an order still holds money.
    pub const OPEN: [OrderStatus; 3] =
        [OrderStatus::Baru, OrderStatus::Diproses, OrderStatus::Siap];

    pub fn is_open(self) -> bool {
        OrderStatus::OPEN.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Baru => "baru",
            OrderStatus::Diproses => "diproses",
            OrderStatus::Siap => "siap",
            OrderStatus::Selesai => "selesai",
            OrderStatus::Batal => "batal",
            OrderStatus::Kedaluwarsa => "kedaluwarsa",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// How the buyer gets the goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fulfilment {
    /// Collected at the gallery.
    Pickup,
    /// Delivered to the buyer's office.
    Delivery,
}

impl Fulfilment {
    pub fn as_str(self) -> &'static str {
        match self {
            Fulfilment::Pickup => "pickup",
            Fulfilment::Delivery => "delivery",
        }
    }

    pub fn parse(text: &str) -> Option<Fulfilment> {
        match text {
            "pickup" => Some(Fulfilment::Pickup),
            "delivery" => Some(Fulfilment::Delivery),
            _ => None,
        }
    }
}

/// Who ordered: personal data, shown to staff only, never logged, reduced to the office 90 days
/// after the order closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    pub name: String,
    /// Normalized `62…` (DOMAIN.md).
    pub whatsapp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
}

/// A WhatsApp number normalized to `628…` (DOMAIN.md): non-digits stripped, `0…` → `62…`,
/// `8…` → `628…`; `None` unless it is a mobile number (`^628\d{8,12}$`). The catalog's producer
/// contacts and the orders' buyers both go through here.
pub fn normalize_whatsapp(value: &str) -> Option<String> {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let normalized = if let Some(rest) = digits.strip_prefix('0') {
        format!("62{rest}")
    } else if digits.starts_with('8') {
        format!("62{digits}")
    } else {
        digits
    };
    let tail = normalized.strip_prefix("628").unwrap_or("");
    (normalized.starts_with("628") && (8..=12).contains(&tail.len())).then_some(normalized)
}

/// What one voucher holds for an order. `voucher` is the store's key and never leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    #[serde(skip)]
    pub voucher: CodeHash,
    pub code_hint: String,
    pub amount: Money,
}

/// An online order and the hold it keeps on its vouchers while open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    /// When the hold ends if the order is still open (the end of a WIB day).
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    pub fulfilment: Fulfilment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    pub items: Vec<LineItem>,
    pub total: Money,
    /// Sum of the holds as placed.
    pub held: Money,
    /// `total − held`: paid in cash at hand-over.
    pub cash_due: Money,
    pub holds: Vec<Hold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redemption_id: Option<String>,
    /// Staff only (the API leaves it out for the buyer); `None` once pruned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<Buyer>,
    /// Staff only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Random salt of the buyer's order token (a keyed hash of id and salt); never answered.
    #[serde(skip)]
    pub token_salt: String,
}
